"""Write a rendered plan where it was asked for: atomically, keeping the file's mode."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from compiler.symlinks import WRITE_SYMLINK_FIX, refuse_symlinks


def _mode_for(path: Path) -> int:
    """Keep an existing file's mode; give a new one what open() would (0o666 less umask)."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomically(path: Path, text: str) -> None:
    """Write text to path through a temporary file and a rename: readers never see half."""
    refuse_symlinks(path, "the file to write", WRITE_SYMLINK_FIX)
    directory = path.parent if str(path.parent) else Path()
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(text.encode("utf-8"))
            stream.flush()
            os.fsync(stream.fileno())
        Path(temporary).chmod(_mode_for(path))
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
