"""Read a file as it is at a git revision, without checking anything out.

`kfroster diff --base REF` compares the roster at REF with the working tree. A roster
that does not exist at REF is an error, not an empty side: a plan against nothing
would show the whole roster as new and hide that the base was never reviewed.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from compiler.problems import CompilerError

# Shallow CI checkouts are the usual reason a base branch is unknown.
_FETCH_HINT = "fetch it first (CI checkouts are often shallow: `git fetch origin <branch>`)"


class GitError(CompilerError):
    """A revision or a file at a revision that cannot be read."""


def _git(directory: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    try:
        return subprocess.run(
            ["git", "-C", str(directory), *args],
            capture_output=True,
            check=False,
            env=env,
        )
    except FileNotFoundError:
        raise GitError("git is not installed; --base needs it to read the base roster") from None


def _first_line(output: bytes) -> str:
    lines = output.decode("utf-8", "replace").strip().splitlines()
    return lines[0] if lines else "no message"


def _toplevel(directory: Path) -> Path:
    if not directory.is_dir():
        raise GitError(f"directory {directory} does not exist")
    done = _git(directory, "rev-parse", "--show-toplevel")
    if done.returncode != 0:
        raise GitError(f"{directory} is not in a git repository ({_first_line(done.stderr)})")
    return Path(done.stdout.decode("utf-8", "surrogateescape").rstrip("\n"))


def _commit(top: Path, ref: str) -> str:
    # A leading '-' would be read as an option; no branch, tag or commit id starts with one.
    if not ref or ref.startswith("-") or "\n" in ref or "\0" in ref:
        raise GitError(f"{ref!r} is not a git revision")
    done = _git(top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if done.returncode != 0:
        raise GitError(f"unknown git revision {ref!r} in {top}; {_FETCH_HINT}")
    return done.stdout.decode("ascii").strip()


def read_at(path: Path, ref: str) -> bytes:
    """Return the bytes of the file at `path` (a working-tree path) as it is at revision `ref`.

    Raise GitError when git is missing, `path` is not in a repository, `ref` is unknown,
    or the file does not exist at `ref`.
    """
    # Absolute without resolving symlinks yet: the parent directory locates the repository.
    absolute = Path.cwd() / path
    top = _toplevel(absolute.parent)
    try:
        relative = absolute.resolve().relative_to(top.resolve()).as_posix()
    except ValueError:
        raise GitError(f"{path} is outside the git repository at {top}") from None
    commit = _commit(top, ref)
    spec = f"{commit}:{relative}"
    kind = _git(top, "cat-file", "-t", spec)
    if kind.returncode != 0:
        raise GitError(
            f"{path} does not exist at {ref} (commit {commit[:12]}): there is no base to "
            "compare with; for a first roster, compare with a file holding `version: 1`: "
            f"kfroster diff EMPTY {path}"
        )
    if kind.stdout.strip() != b"blob":
        found = kind.stdout.decode("ascii", "replace").strip()
        raise GitError(f"{path} is a {found}, not a file, at {ref}")
    blob = _git(top, "cat-file", "blob", spec)
    if blob.returncode != 0:
        raise GitError(f"cannot read {path} at {ref}: {_first_line(blob.stderr)}")
    return blob.stdout


@dataclass(frozen=True)
class Version:
    """The file at one commit of its history; None where the commit does not hold it."""

    commit: str
    content: bytes | None


@dataclass(frozen=True)
class History:
    """Past versions of a file whose changes matched a pattern, newest first."""

    versions: tuple[Version, ...]
    shallow: bool  # the clone lacks older commits, so older versions were not read


def _inside(path: Path) -> tuple[Path, str]:
    """Return the repository holding a working-tree path, and the path relative to it."""
    absolute = Path.cwd() / path
    top = _toplevel(absolute.parent)
    try:
        return top, absolute.resolve().relative_to(top.resolve()).as_posix()
    except ValueError:
        raise GitError(f"{path} is outside the git repository at {top}") from None


def _batch(top: Path, specs: list[str]) -> list[bytes | None]:
    """Read objects (`<rev>:<path>` or ids) with one `git cat-file --batch`; None: no blob."""
    if not specs:
        return []
    done = subprocess.run(
        ["git", "-C", str(top), "cat-file", "--batch"],
        input="".join(f"{spec}\n" for spec in specs).encode(),
        capture_output=True,
        check=False,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"},
    )
    if done.returncode != 0:
        raise GitError(f"cannot read objects in {top}: {_first_line(done.stderr)}")
    output, position, found = done.stdout, 0, []
    for _spec in specs:
        end = output.index(b"\n", position)
        header = output[position:end].split()
        position = end + 1
        if len(header) == 3:  # "<id> <type> <size>", then the content
            size = int(header[2])
            content = output[position : position + size]
            position += size + 1
            found.append(content if header[1] == b"blob" else None)
        else:  # "<spec> missing"
            found.append(None)
    return found


def history_at(
    path: Path, ref: str, matches: Callable[[str], bool], *, commits: int = 200
) -> History:
    """Read the versions of `path` in the history of `ref` around changes that `matches`.

    For each of the newest `commits` commits whose diff of `path` adds or removes a line
    for which `matches` is true, return the file at that commit and at its first parent
    (a line removed is in the parent). The diffs are read as one stream, so the cost
    grows with the history alone; one `git cat-file --batch` then reads the versions.
    """
    top, relative = _inside(path)
    commit = _commit(top, ref)
    shallow = _git(top, "rev-parse", "--is-shallow-repository").stdout.strip() == b"true"
    argv = ["git", "-C", str(top), "log", "-p", "--unified=0", "--no-color", "--no-ext-diff"]
    argv += ["--format=%x00%H", commit, "--", relative]
    found: list[str] = []
    with subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"},
    ) as log:
        assert log.stdout is not None
        current = ""
        for raw in log.stdout:
            line = raw.decode("utf-8", "replace")
            if line.startswith("\0"):
                current = line[1:].strip()
            elif (
                current
                and line.startswith(("+", "-"))
                and not line.startswith(("+++", "---"))
                and matches(line[1:])
            ):
                found.append(current)
                current = ""  # one match is enough for a commit
                if len(found) == commits:
                    log.kill()
                    break
    revisions = [f"{sha}{suffix}" for sha in found for suffix in ("", "^")]
    contents = _batch(top, [f"{revision}:{relative}" for revision in revisions])
    return History(tuple(map(Version, revisions, contents)), shallow)


@dataclass(frozen=True)
class Entry:
    """A file in a directory at a revision: its git object id and mode."""

    object_id: str
    mode: str  # 100644 a file, 120000 a symlink, 160000 a submodule


class Tree:
    """The files under a directory at a revision, read on demand."""

    def __init__(self, top: Path, entries: dict[str, Entry]) -> None:
        self.top = top
        self.entries = entries  # path relative to the directory -> entry

    def read(self, paths: list[str]) -> dict[str, bytes | None]:
        """Return the content of each path (None where it is no file), in one git call."""
        contents = _batch(self.top, [self.entries[path].object_id for path in paths])
        return dict(zip(paths, contents, strict=True))


def tree_at(directory: Path, ref: str) -> Tree | None:
    """List the files under a working-tree directory as they are at revision `ref`.

    None when the directory does not exist at `ref`.
    """
    absolute = Path.cwd() / directory
    # The directory may be gone from the working tree; the repository is found above it.
    existing = next(path for path in (absolute, *absolute.parents) if path.is_dir())
    top = _toplevel(existing)
    try:
        relative = absolute.resolve().relative_to(top.resolve()).as_posix()
    except ValueError:
        raise GitError(f"{directory} is outside the git repository at {top}") from None
    relative = "" if relative == "." else relative
    commit = _commit(top, ref)
    listed = _git(top, "ls-tree", "-r", "-z", "--full-tree", commit, "--", relative or ".")
    if listed.returncode != 0:
        raise GitError(f"cannot list {directory} at {ref}: {_first_line(listed.stderr)}")
    entries: dict[str, Entry] = {}
    prefix = f"{relative}/" if relative else ""
    for record in listed.stdout.split(b"\0"):
        if not record:
            continue
        meta, _, name = record.partition(b"\t")
        mode, _kind, object_id = meta.decode("ascii").split()
        path = name.decode("utf-8", "surrogateescape")
        if path.startswith(prefix):
            entries[path[len(prefix) :]] = Entry(object_id, mode)
    return Tree(top, entries) if entries else None
