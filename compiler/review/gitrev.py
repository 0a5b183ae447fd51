"""Read a file as it is at a git revision, without checking anything out.

`kfroster diff --base REF` compares the roster at REF with the working tree. A roster
that does not exist at REF is an error, not an empty side: a plan against nothing
would show the whole roster as new and hide that the base was never reviewed.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from compiler.problems import CompilerError
from compiler.roster.source import ROSTER_SYMLINK_FIX
from compiler.symlinks import refuse_symlinks
from compiler.text import visible

_SYMLINK_MODE = "120000"
# How git reads a short name as a ref, in order after the name itself (git @ 1a3e64c6,
# refs.c lines 620-628, ref_rev_parse_rules); expand_ref (refs.c 804-838) takes the first
# that exists.
_DWIM_RULES = (
    "refs/{}",
    "refs/tags/{}",
    "refs/heads/{}",
    "refs/remotes/{}",
    "refs/remotes/{}/HEAD",
)
# A name, then any walk back through parents (~N, ^N). No ranges, reflogs (@{...}), paths
# (:), globs or '@' for HEAD: a plan compares two commits, named plainly.
_REVISION = re.compile(
    r"(?P<name>[^\s~^:{}\\*?\[\x00-\x1f\x7f]+)(?P<walk>(?:[~^][0-9]*)*)"
).fullmatch
_FULL_COMMIT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}").fullmatch
_ABBREVIATED_ID = re.compile(r"[0-9a-f]{4,63}").fullmatch
# HEAD, FETCH_HEAD, ORIG_HEAD: refs of the repository itself, outside refs/.
_ROOT_REF = re.compile(r"[A-Z_]*HEAD").fullmatch
# Shallow CI checkouts are the usual reason a base branch is unknown.
_FETCH_HINT = "fetch it first (CI checkouts are often shallow: `git fetch origin <branch>`)"


class GitError(CompilerError):
    """A revision or a file at a revision that cannot be read."""


def _git(directory: Path, *args: str, literal: bool = False) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    if literal:
        env["GIT_LITERAL_PATHSPECS"] = "1"
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
    return visible(lines[0]) if lines else "no message"


def shown(path: Path) -> str:
    """Show a path in a message: as given, on one line."""
    return visible(str(path))


def _toplevel(directory: Path) -> Path:
    if not directory.is_dir():
        raise GitError(f"directory {shown(directory)} does not exist")
    done = _git(directory, "rev-parse", "--show-toplevel")
    if done.returncode != 0:
        raise GitError(
            f"{shown(directory)} is not in a git repository ({_first_line(done.stderr)})"
        )
    return Path(done.stdout.decode("utf-8", "surrogateescape").rstrip("\n"))


def _commit(top: Path, ref: str) -> str:
    """Return the commit `ref` names, refusing a name git could read as more than one ref."""
    match = _REVISION(ref)
    if match is None or ref.startswith(("-", "@")) or ".." in ref:
        raise GitError(
            f"{ref!r} is not a git revision kfroster reads; give a branch, a tag, a full ref "
            "name (refs/...) or a commit id, optionally followed by ~N or ^N"
        )
    name = _unambiguous(top, match["name"], ref)
    done = _git(
        top,
        "rev-parse",
        "--verify",
        "--quiet",
        "--end-of-options",
        f"{name}{match['walk']}^{{commit}}",
    )
    if done.returncode != 0:
        raise GitError(f"unknown git revision {ref!r} in {shown(top)}; {_FETCH_HINT}")
    return done.stdout.decode("ascii").strip()


def _unambiguous(top: Path, name: str, ref: str) -> str:
    """Return the full ref name (or commit id) that `name` means; refuse a guess between two.

    git reads a short name as the first of its rules that exists, so a tag called
    `origin/main` silently wins over the remote branch; here two that exist are an error.
    A name starting `refs/` must exist exactly as written: git would otherwise try it
    under refs/tags/ and the rest too. A full commit id is always itself.
    """
    if _FULL_COMMIT_ID(name):
        return name
    if name.startswith("refs/"):
        found = _existing_refs(top, [name])
        if not found:
            raise GitError(f"unknown git revision {ref!r} in {shown(top)}; {_FETCH_HINT}")
        return name
    found = _existing_refs(top, [rule.format(name) for rule in _DWIM_RULES])
    if _ROOT_REF(name) and (name == "HEAD" or _is_file(top, name)):
        found.insert(0, name)  # HEAD, FETCH_HEAD, ...: git's first rule, the name itself
    if found and _ABBREVIATED_ID(name) and _abbreviates_an_object(top, name):
        found.append(f"the object {name}")
    if len(found) > 1:
        raise GitError(
            f"revision {ref!r} is ambiguous: {', '.join(found)} all exist, and git would "
            f"read {found[0]}; give the one you mean in full (e.g. {found[-1]})"
        )
    return found[0] if found else name


def _existing_refs(top: Path, names: list[str]) -> list[str]:
    """Return which of names are refs of the repository, in the order given."""
    done = _git(top, "for-each-ref", "--format=%(refname)", "--", *names)
    if done.returncode != 0:
        raise GitError(f"cannot list the refs of {shown(top)}: {_first_line(done.stderr)}")
    # for-each-ref also lists refs below a name (refs/heads/a for refs/heads): keep exact ones.
    listed = set(done.stdout.decode("utf-8", "surrogateescape").splitlines())
    return [name for name in names if name in listed]


def _is_file(top: Path, name: str) -> bool:
    done = _git(top, "rev-parse", "--git-path", name)
    return done.returncode == 0 and (top / done.stdout.decode().strip()).is_file()


def _abbreviates_an_object(top: Path, prefix: str) -> bool:
    done = _git(top, "rev-parse", f"--disambiguate={prefix}")
    return done.returncode == 0 and bool(done.stdout.strip())


def read_at(path: Path, ref: str) -> bytes:
    """Return the bytes of the file at `path` (a working-tree path) as it is at revision `ref`.

    The file is read at exactly that path in the revision's tree: a symlink there, or on
    the way to `path` in the working tree, is refused, never followed (a link would make
    the two sides of a plan two different files). Raise GitError when git is missing,
    `path` is not in a repository, `ref` is unknown, or the file is not a file at `ref`.
    """
    refuse_symlinks(path, "the roster", ROSTER_SYMLINK_FIX)
    absolute = Path.cwd() / path
    top = _toplevel(absolute.parent)
    # Only links outside the repository (the machine's own) are left to resolve.
    located = Path(os.path.realpath(absolute.parent)) / absolute.name
    try:
        relative = located.relative_to(top.resolve()).as_posix()
    except ValueError:
        raise GitError(f"{shown(path)} is outside the git repository at {shown(top)}") from None
    commit = _commit(top, ref)
    entry = _tree_entry(top, commit, relative)
    if entry is None:
        raise GitError(
            f"{shown(path)} does not exist at {visible(ref)} (commit {commit[:12]}): there is no "
            "base to compare with; for a first roster, compare with a file holding `version: 1`: "
            f"kfroster diff EMPTY {shown(path)}"
        )
    mode, kind, blob_id = entry
    if mode == _SYMLINK_MODE:
        raise GitError(
            f"{shown(path)}: the roster is a symlink at {visible(ref)}; {ROSTER_SYMLINK_FIX}"
        )
    if kind != "blob":
        what = "a submodule" if kind == "commit" else f"a {kind}"
        raise GitError(f"{shown(path)} is {what}, not a file, at {visible(ref)}")
    blob = _git(top, "cat-file", "blob", blob_id)
    if blob.returncode != 0:
        raise GitError(f"cannot read {shown(path)} at {visible(ref)}: {_first_line(blob.stderr)}")
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


def _tree_entry(top: Path, commit: str, relative: str) -> tuple[str, str, str] | None:
    """Return (mode, type, object id) of the entry at exactly `relative` in a commit's tree."""
    # Literal pathspecs: a '*' or ':' in a name means itself. ls-tree never follows a
    # symlink on the way, so a linked directory there hides the file (None).
    done = _git(top, "ls-tree", "-z", "--full-tree", commit, "--", relative, literal=True)
    if done.returncode != 0:
        raise GitError(f"cannot list commit {commit[:12]}: {_first_line(done.stderr)}")
    for record in done.stdout.split(b"\0"):
        info, _, name = record.partition(b"\t")
        if name.decode("utf-8", "surrogateescape") == relative:
            mode, kind, object_id = info.decode("ascii").split(" ")
            return mode, kind, object_id
    return None
