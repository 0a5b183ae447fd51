"""Refuse paths that pass through a symlink a pull request could have committed.

A committed symlink lets one pull request show the check one file and the plan another:
`users.yaml -> team/users.yaml` is read through the link in the working tree, but at a git
revision the same name is the link itself, so `diff --base` compared team/users.yaml with
itself. A link can also point at any file on the runner, whose first line then lands in an
error message. So kfroster reads and writes only through real files and directories: the
path itself must not be a symlink, nor any directory on the way to it that lies in the
working directory or in a git working tree (whatever a repository holds). Links above
those (say /tmp -> /private/tmp) belong to the machine and are followed.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from compiler.problems import CompilerError
from compiler.text import visible

WRITE_SYMLINK_FIX = "kfroster writes only to a real file in a real directory; choose another path"


class SymlinkRefused(CompilerError):
    """A path that is, or runs through, a symlink kfroster does not follow."""

    def __init__(self, path: Path, link: Path, role: str, why: str) -> None:
        self.path = path
        self.link = link
        if link == path:
            self.reason = f"{role} is a symlink; {why}"
        else:
            self.reason = f"{visible(str(link))} (on the way to {role}) is a symlink; {why}"
        super().__init__(f"{visible(str(path))}: {self.reason}")


def refuse_symlinks(path: Path, role: str, why: str) -> None:
    """Raise SymlinkRefused when path, or a directory on the way to it, is a symlink.

    `role` names the path in the message ("the roster"), `why` says what to do instead.
    Parts of the path that do not exist yet are fine: nothing can be followed there.
    """
    link = find_symlink(path)
    if link is not None:
        raise SymlinkRefused(path, link, role, why)


def find_symlink(path: Path, inside: Path | None = None) -> Path | None:
    """Return the first symlink on the way to path that kfroster must not follow, or None.

    The path is walked from the working directory (or from / when absolute) one name at a
    time without following anything, so `..` means the parent of the real directory.
    Directories at or below `inside` (say, the repository `init` creates) count as guarded.
    """
    here = Path.cwd()
    guarded_too = None if inside is None else Path(os.path.realpath(inside))
    current = Path(path.anchor) if path.is_absolute() else here
    names = path.parts[1:] if path.is_absolute() else path.parts
    for index, name in enumerate(names):
        if name == "..":
            current = current.parent
            continue
        candidate = current / name
        try:
            info = os.lstat(candidate)
        except OSError:
            return None  # absent (or unreadable): the read or write reports it itself
        if not stat.S_ISLNK(info.st_mode):
            current = candidate
            continue
        if index == len(names) - 1 or _guarded(current, here, guarded_too):
            return Path(*path.parts[: index + (2 if path.is_absolute() else 1)])
        current = Path(os.path.realpath(candidate))
    return None


def _guarded(directory: Path, *roots: Path | None) -> bool:
    """Tell whether a directory is at or below one of roots, or in a git working tree."""
    if any(root is not None and root in (directory, *directory.parents) for root in roots):
        return True
    return any(_lexists(folder / ".git") for folder in (directory, *directory.parents))


def _lexists(path: Path) -> bool:
    try:
        os.lstat(path)
    except OSError:
        return False
    return True
