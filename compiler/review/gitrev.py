"""Read a file as it is at a git revision, without checking anything out.

`kfroster diff --base REF` compares the roster at REF with the working tree. A roster
that does not exist at REF is an error, not an empty side: a plan against nothing
would show the whole roster as new and hide that the base was never reviewed.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from compiler.problems import CompilerError
from compiler.roster.source import ROSTER_SYMLINK_FIX
from compiler.symlinks import refuse_symlinks
from compiler.text import visible

_SYMLINK_MODE = "120000"
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
    # A leading '-' would be read as an option; no branch, tag or commit id starts with one.
    if not ref or ref.startswith("-") or "\n" in ref or "\0" in ref:
        raise GitError(f"{ref!r} is not a git revision")
    done = _git(top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if done.returncode != 0:
        raise GitError(f"unknown git revision {ref!r} in {shown(top)}; {_FETCH_HINT}")
    return done.stdout.decode("ascii").strip()


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
