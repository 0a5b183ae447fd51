"""Write one file atomically and durably: the one way kfroster writes a file outside out/.

The plan (`diff -o`), the scaffold (`init`), the imported roster and its report, and the
schema all go through `write_atomically`. (out/ and deploy/ are trees; output/tree.py
swaps them in as a whole.)
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from compiler.symlinks import WRITE_SYMLINK_FIX, refuse_symlinks

# Permission bits a new file gets before the umask, as open() and git give them.
NEW_FILE_MODE = 0o666


def _mode_for(path: Path) -> int:
    """Keep an existing file's mode; give a new one what open() would (0o666 less umask)."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return NEW_FILE_MODE & ~umask


def write_atomically(
    path: Path, data: str | bytes, *, mode: int | None = None, exclusive: bool = False
) -> None:
    """Write data (text as UTF-8) to path so that readers see the old file or the new one.

    The data goes to a uniquely named temporary file beside path, is synced to disk, then
    renamed over path: a killed write leaves the old file as it was, and two writers never
    share a temporary file. mode: the permission bits; None keeps those of the file being
    replaced, or gives a new file 0o666 less the umask. exclusive: never replace a file,
    not even one made meanwhile (FileExistsError). Every OSError names path.
    """
    refuse_symlinks(path, "the file to write", WRITE_SYMLINK_FIX)
    content = data.encode("utf-8") if isinstance(data, str) else data
    temporary: Path | None = None
    try:
        bits = _mode_for(path) if mode is None else mode
        descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        temporary = Path(name)
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        temporary.chmod(bits)  # mkstemp made it 0600
        if exclusive:
            _link_new(temporary, path)
        else:
            temporary.replace(path)
        _sync_directory(path.parent)
    except OSError as err:
        # The temporary file's name (or none, from os.write) would only confuse.
        raise OSError(err.errno, err.strerror, str(path)) from err
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)


def _link_new(temporary: Path, path: Path) -> None:
    """Give the finished file its name only if the name is free: a link never replaces."""
    try:
        os.link(temporary, path, follow_symlinks=False)
    except FileExistsError:
        raise
    except OSError as err:
        if err.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        # A filesystem without hard links: claim the name exclusively, then fill it in.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, temporary.stat().st_mode)
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(temporary.read_bytes())
            stream.flush()
            os.fsync(stream.fileno())


def _sync_directory(directory: Path) -> None:
    """Make the new name itself survive a crash (POSIX; elsewhere the rename is all there is)."""
    if os.name != "posix":
        return
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    except OSError as err:
        # Some filesystems refuse fsync on a directory; the file's own data is synced.
        if err.errno not in (errno.EINVAL, errno.EOPNOTSUPP):
            raise
    finally:
        os.close(descriptor)
