"""Read a file as it is at a git revision, without checking anything out.

`kfroster diff --base REF` compares the roster at REF with the working tree. A roster
that does not exist at REF is an error, not an empty side: a plan against nothing
would show the whole roster as new and hide that the base was never reviewed.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
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


def history_at(path: Path, ref: str, pattern: str, *, commits: int = 200) -> History:
    """Read the versions of `path` in the history of `ref` around changes matching `pattern`.

    For each of the newest `commits` commits whose diff of `path` adds or removes a line
    matching the extended regular expression `pattern` (git log -G), return the file at
    that commit and at its first parent: a line removed is in the parent. One `git
    cat-file --batch` reads them all.
    """
    absolute = Path.cwd() / path
    top = _toplevel(absolute.parent)
    try:
        relative = absolute.resolve().relative_to(top.resolve()).as_posix()
    except ValueError:
        raise GitError(f"{path} is outside the git repository at {top}") from None
    commit = _commit(top, ref)
    shallow = _git(top, "rev-parse", "--is-shallow-repository").stdout.strip() == b"true"
    log = _git(
        top,
        "log",
        f"--max-count={commits}",
        "--format=%H",
        f"-G{pattern}",
        commit,
        "--",
        relative,
    )
    if log.returncode != 0:
        raise GitError(f"cannot read the history of {path}: {_first_line(log.stderr)}")
    found = log.stdout.decode("ascii").split()
    specs = [f"{sha}{suffix}:{relative}" for sha in found for suffix in ("", "^")]
    if not specs:
        return History((), shallow)
    batch = subprocess.run(
        ["git", "-C", str(top), "cat-file", "--batch"],
        input="".join(f"{spec}\n" for spec in specs).encode(),
        capture_output=True,
        check=False,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"},
    )
    return History(tuple(_versions(specs, batch.stdout)), shallow)


def _versions(specs: list[str], output: bytes) -> Iterator[Version]:
    """Split `git cat-file --batch` output into one version per spec asked for."""
    position = 0
    for spec in specs:
        end = output.index(b"\n", position)
        header = output[position:end].split()
        position = end + 1
        commit = spec.split(":", 1)[0]
        if len(header) == 3:  # "<id> <type> <size>", then the content
            size = int(header[2])
            content = output[position : position + size]
            position += size + 1
            yield Version(commit, content if header[1] == b"blob" else None)
        else:  # "<spec> missing"
            yield Version(commit, None)
