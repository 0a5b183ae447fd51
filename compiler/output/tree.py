"""Make out/ hold exactly the compiled files: atomically as a whole, never destructively."""

from __future__ import annotations

import ctypes
import errno
import os
import re
import shutil
import stat
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from compiler.problems import CompilerError
from compiler.symlinks import SymlinkRefused, refuse_symlinks
from compiler.text import noun, visible
from compiler.yamlio.emitter import GENERATED_MARK

if sys.platform != "win32":
    import fcntl

_MARK = GENERATED_MARK.encode()
# Produced paths: lower-case segments that never start with '.', '-' or '_' (hidden files and
# our own temporary directories are dot-names), ending in `.yaml`.
_SEGMENT = re.compile(r"[a-z0-9][a-z0-9._-]*").fullmatch
_NEW = "new"
_OLD = "old"
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_O_NOFOLLOW: int = getattr(os, "O_NOFOLLOW", 0)
_O_DIRECTORY: int = getattr(os, "O_DIRECTORY", 0)
_O_CLOEXEC: int = getattr(os, "O_CLOEXEC", 0)
_O_NONBLOCK: int = getattr(os, "O_NONBLOCK", 0)


def _libc_function(name: str) -> Any:
    if sys.platform != "linux":
        return None
    try:
        return getattr(ctypes.CDLL(None, use_errno=True), name, None)
    except OSError:
        return None


# Tests replace these with None (or a failing stand-in) to exercise the portable paths.
_RENAMEAT2: Callable[[int, bytes, int, bytes, int], int] | None = _libc_function("renameat2")
_SYNCFS: Callable[[int], int] | None = _libc_function("syncfs")


@dataclass(frozen=True)
class TreeDiff:
    """How the files under out/ differ from the files to produce; every tuple is sorted."""

    missing: tuple[str, ...]  # produced now, absent on disk
    changed: tuple[str, ...]  # on disk with other bytes
    stale: tuple[str, ...]  # earlier kfroster output no longer produced (will be removed)
    # Under out/ but not written by kfroster (blocks writing); a directory ends in '/'.
    foreign: tuple[str, ...]
    # Beside a missing out/: a tree a killed compile swapped out, or one moved there by hand.
    # Only a write puts it back; a check reports it.
    leftovers: tuple[str, ...] = ()

    @property
    def clean(self) -> bool:
        """Tell whether out/ already holds exactly the files to produce."""
        return not (self.missing or self.changed or self.stale or self.foreign or self.leftovers)


class OutDirError(CompilerError):
    """out/ cannot be brought up to date; the message names the path, the cause and the state."""


@dataclass(frozen=True)
class _Tree:
    generated: dict[str, bytes]  # relative path -> bytes of files kfroster wrote
    foreign: list[str]
    dirs: list[str]  # every directory, relative, "" for out_dir itself


def _is_produced_path(rel: str) -> bool:
    segments = rel.split("/")
    return all(_SEGMENT(segment) for segment in segments) and segments[-1].endswith(".yaml")


def _encode(files: Mapping[str, str]) -> dict[str, bytes]:
    """Check every produced path and text (a bad one is a bug) and encode the texts."""
    encoded: dict[str, bytes] = {}
    # Clusters that render a file alike share its text: encode it once (`files` keeps
    # every text alive meanwhile, so no id is reused).
    by_text: dict[int, bytes] = {}
    dirs: set[str] = set()
    for rel, text in files.items():
        if not _is_produced_path(rel):
            raise ValueError(f"not a valid path under out/: {rel!r}")
        data = by_text.get(id(text))
        if data is None:
            if not text.startswith(GENERATED_MARK):
                # The next run would take such a file for foreign and refuse to go on.
                raise ValueError(f"{rel}: text must start with {GENERATED_MARK!r} (use dumps_file)")
            data = by_text[id(text)] = text.encode("utf-8")
        encoded[rel] = data
        segments = rel.split("/")
        dirs.update("/".join(segments[:i]) for i in range(1, len(segments)))
    clashes = sorted(dirs.intersection(encoded))
    if clashes:
        raise ValueError(f"paths used both as file and as directory: {clashes}")
    return encoded


def _check_out_dir(out_dir: Path) -> None:
    # Paths stay as given (relative to the working directory), so messages read like the input.
    if out_dir.name in ("", ".", ".."):
        raise OutDirError(f"{visible(str(out_dir))}: name the output directory itself, e.g. out")
    try:
        refuse_symlinks(
            out_dir, "the output directory", "kfroster writes only into a real directory"
        )
    except SymlinkRefused as err:
        raise OutDirError(str(err)) from None


def _sibling(out_dir: Path, role: str) -> Path:
    return out_dir.with_name(f".{out_dir.name}.kfroster-{role}")


def _lexists(path: Path) -> bool:
    try:
        os.lstat(path)
    except FileNotFoundError:
        return False
    return True


@contextmanager
def _locked(parent: Path) -> Iterator[int | None]:
    """Hold an exclusive lock on the parent directory, so compiles of one out/ take turns."""
    try:
        fd = os.open(parent, os.O_RDONLY | _O_DIRECTORY | _O_CLOEXEC)
    except FileNotFoundError:
        yield None  # nothing to lock; writing will fail with a clear message
        return
    except OSError as err:
        raise OutDirError(f"{visible(str(parent))}: cannot open ({err.strerror})") from err
    try:
        if sys.platform != "win32":
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd
    finally:
        os.close(fd)  # also releases the lock


def _recover(out_dir: Path) -> None:
    """Put back the old tree if a compile was killed between the two renames of the fallback."""
    old = _sibling(out_dir, _OLD)
    try:
        if _lexists(out_dir) or not _lexists(old):
            return
        # Only a real directory is a tree we swapped out. Anything else under that name
        # (a symlink to elsewhere) must not become out/; _replace() removes it.
        if not stat.S_ISDIR(os.lstat(old).st_mode):
            return
        old.rename(out_dir)
    except OSError as err:
        raise OutDirError(
            f"{visible(str(old))}: cannot restore it as {visible(str(out_dir))} ({err.strerror})"
        ) from err


def _read_generated(path: str) -> bytes | None:
    """Return the bytes of a file kfroster wrote, or None for anything else."""
    # O_NOFOLLOW and O_NONBLOCK: a file swapped for a symlink or fifo meanwhile is not read.
    fd = os.open(path, os.O_RDONLY | _O_NOFOLLOW | _O_NONBLOCK | _O_CLOEXEC)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None
        # One read of the size fstat says, plus a byte: a no-op compile of many clusters
        # reads every file of out/, and a file object and a second read per file cost more
        # than reading. A regular file reads short only at its end, so a full read means
        # it grew meanwhile: read on to the end.
        data = os.read(fd, info.st_size + 1)
        if len(data) > info.st_size:
            chunks = [data]
            while chunk := os.read(fd, 1 << 20):
                chunks.append(chunk)
            data = b"".join(chunks)
    finally:
        os.close(fd)
    return data if data.startswith(_MARK) else None


def _scan(out_dir: Path) -> _Tree:
    """List out_dir without following symlinks: kfroster's files, foreign entries, directories."""
    tree = _Tree({}, [], [])
    try:
        info = os.lstat(out_dir)
    except FileNotFoundError:
        return tree
    except OSError as err:
        raise OutDirError(f"{visible(str(out_dir))}: cannot read ({err.strerror})") from err
    if stat.S_ISLNK(info.st_mode):
        raise OutDirError(
            f"{visible(str(out_dir))}: the output directory is a symlink; "
            "kfroster writes only into a real directory"
        )
    if not stat.S_ISDIR(info.st_mode):
        raise OutDirError(f"{visible(str(out_dir))}: exists and is not a directory; move it away")
    pending = [""]
    try:
        while pending:
            rel_dir = pending.pop()
            tree.dirs.append(rel_dir)
            with os.scandir(out_dir / rel_dir) as entries:
                for entry in entries:
                    rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                    if entry.is_dir(follow_symlinks=False):
                        pending.append(rel)
                        continue
                    data = None
                    if entry.is_file(follow_symlinks=False) and _is_produced_path(rel):
                        data = _read_generated(entry.path)
                    if data is None:
                        tree.foreign.append(rel)
                    else:
                        tree.generated[rel] = data
    except OSError as err:
        where = visible(os.fsdecode(err.filename or out_dir))
        raise OutDirError(f"{where}: cannot read ({err.strerror})") from err
    return tree


def _parents(paths: Iterable[str]) -> set[str]:
    """Return every directory that holds one of paths, "" (out/ itself) included."""
    found = {""}
    for rel in paths:
        parts = rel.split("/")
        found.update("/".join(parts[:i]) for i in range(1, len(parts)))
    return found


def _foreign_directories(wanted: Mapping[str, bytes], tree: _Tree) -> list[str]:
    """Return the topmost directories that hold no file and will hold none, with a '/'.

    kfroster never writes an empty directory. One in out/ is someone else's: a git
    submodule looks like this in a checkout without its submodules, and Argo CD fetches
    submodules and applies their files. (An emptied directory kfroster is about to fill
    is its own: its missing files are reported.)
    """
    holding = _parents((*tree.generated, *tree.foreign, *wanted))
    empty = {rel for rel in tree.dirs if rel not in holding}
    return [
        f"{rel}/"
        for rel in empty
        if not any("/".join(rel.split("/")[:i]) in empty for i in range(1, rel.count("/") + 1))
    ]


def _compare(wanted: Mapping[str, bytes], tree: _Tree) -> TreeDiff:
    on_disk = tree.generated
    return TreeDiff(
        missing=tuple(sorted(rel for rel in wanted if rel not in on_disk)),
        changed=tuple(sorted(rel for rel, new in wanted.items() if on_disk.get(rel, new) != new)),
        stale=tuple(sorted(rel for rel in on_disk if rel not in wanted)),
        foreign=tuple(sorted([*tree.foreign, *_foreign_directories(wanted, tree)])),
    )


def shown_path(out_dir: Path, rel: str) -> str:
    """Show a path under out_dir as given, a directory with its '/', on one line."""
    return visible(f"{out_dir}/{rel}")


def _foreign_error(out_dir: Path, foreign: Sequence[str]) -> OutDirError:
    shown = [shown_path(out_dir, rel) for rel in foreign[:20]]
    more = f" and {len(foreign) - 20} more" if len(foreign) > 20 else ""
    them = noun(len(foreign), "it", "them")
    return OutDirError(
        f"{', '.join(shown)}{more}: not generated by kfroster; move {them} out of "
        f"{visible(str(out_dir))}/ (compile never deletes files it did not write)"
    )


def _remove(path: Path) -> None:
    """Delete a file or a whole directory without following symlinks; fine if absent."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(info.st_mode):
        shutil.rmtree(path)
    else:
        path.unlink()


def _write_file(path: Path, data: bytes, sync: bool) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_CLOEXEC, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if sync:
                os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as err:
        if err.filename is None:  # os.write and os.fsync do not say which file
            raise OSError(err.errno, err.strerror, path) from err
        raise


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | _O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _build(
    new_dir: Path, out_dir: Path, wanted: Mapping[str, bytes], old: Mapping[str, bytes]
) -> None:
    """Fill new_dir with the new tree, hard-linking every file whose bytes did not change."""
    # One syncfs() at the end costs what a handful of fsync() calls do (10,000 fsyncs take
    # seconds); the portable path syncs every file and directory.
    syncfs = _SYNCFS
    sync_each = syncfs is None
    new_dir.mkdir()
    made = {""}
    for rel in sorted(wanted):
        rel_dir = rel.rpartition("/")[0]
        if rel_dir not in made:
            (new_dir / rel_dir).mkdir(parents=True, exist_ok=True)
            parts = rel_dir.split("/")
            made.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
        target = new_dir / rel
        data = wanted[rel]
        if old.get(rel) == data:
            # Same inode, same mtime: only changed files look rewritten.
            source = out_dir / rel
            try:
                os.link(source, target, follow_symlinks=False)
            except OSError:
                shutil.copy2(source, target, follow_symlinks=False)
                if sync_each:
                    _fsync_path(target)
        else:
            _write_file(target, data, sync_each)
    if syncfs is None:
        for rel_dir in sorted(made, reverse=True):
            _fsync_path(new_dir / rel_dir)
        return
    fd = os.open(new_dir, os.O_RDONLY | _O_DIRECTORY | _O_CLOEXEC)
    try:
        if syncfs(fd) != 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code), str(new_dir))
    finally:
        os.close(fd)


def _exchange(new_dir: Path, out_dir: Path) -> bool:
    """Swap two directories in one step; False when the platform or filesystem cannot."""
    if _RENAMEAT2 is None:
        return False
    status = _RENAMEAT2(
        _AT_FDCWD, os.fsencode(new_dir), _AT_FDCWD, os.fsencode(out_dir), _RENAME_EXCHANGE
    )
    if status == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(out_dir))


def _swap_in(new_dir: Path, out_dir: Path) -> None:
    """Make new_dir the tree at out_dir in one atomic step; the old tree ends up deleted."""
    if not _lexists(out_dir):
        new_dir.rename(out_dir)
        return
    if _exchange(new_dir, out_dir):
        shutil.rmtree(new_dir, ignore_errors=True)  # holds the old tree now; a leftover is harmless
        return
    # Two renames: a kill in between leaves only `.kfroster-old`, which _recover() puts back.
    old_dir = _sibling(out_dir, _OLD)
    out_dir.rename(old_dir)
    try:
        new_dir.rename(out_dir)
    except OSError:
        old_dir.rename(out_dir)
        raise
    shutil.rmtree(old_dir, ignore_errors=True)


def _describe(err: OSError, new_dir: Path, out_dir: Path) -> str:
    where = os.fsdecode(err.filename) if err.filename is not None else str(out_dir)
    if where.startswith(str(new_dir)):
        where = str(out_dir) + where[len(str(new_dir)) :]
    return f"{visible(where)}: cannot write ({err.strerror or err})"


def _remove_leftovers(out_dir: Path) -> None:
    """Delete what a killed compile left beside out_dir; the lock says no compile uses it."""
    _remove(_sibling(out_dir, _NEW))
    _remove(_sibling(out_dir, _OLD))


def _on_read_only_filesystem(path: Path) -> bool:
    """Tell whether path is on a filesystem mounted read-only (which root cannot write either)."""
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):  # AttributeError: no statvfs on Windows
        return False


def _replace(
    out_dir: Path, wanted: Mapping[str, bytes], tree: _Tree, parent_fd: int | None
) -> None:
    """Build the new tree next to out_dir and swap it in; on an OS error change nothing."""
    for rel_dir in tree.dirs:
        # Without write access the old tree could not be removed after the swap.
        path = out_dir / rel_dir
        if not os.access(path, os.W_OK | os.X_OK):
            cause = errno.EROFS if _on_read_only_filesystem(path) else errno.EACCES
            raise OutDirError(
                f"{visible(str(path))}: cannot write ({os.strerror(cause)}); nothing changed"
            )
    new_dir = _sibling(out_dir, _NEW)
    try:
        _remove_leftovers(out_dir)
        _build(new_dir, out_dir, wanted, tree.generated)
        _swap_in(new_dir, out_dir)
    except OSError as err:
        message = f"{_describe(err, new_dir, out_dir)}; {out_dir} is unchanged"
        shutil.rmtree(new_dir, ignore_errors=True)
        raise OutDirError(message) from err
    if parent_fd is not None:
        try:
            os.fsync(parent_fd)
        except OSError as err:
            raise OutDirError(
                f"{out_dir}: written, but the swap may not survive a crash ({err.strerror})"
            ) from err


def compare_tree(files: Mapping[str, str], out_dir: Path) -> TreeDiff:
    """Compare the files to produce with out_dir; never write, rename or delete anything.

    A check must see the tree the GitOps engine will see: a `.out.kfroster-old` beside a
    missing out/ (what a killed compile leaves, or what a commit can move there) is
    reported as a leftover, not put back.
    """
    wanted = _encode(files)
    _check_out_dir(out_dir)
    with _locked(out_dir.parent):
        diff = _compare(wanted, _scan(out_dir))
        if _lexists(out_dir):
            return diff
        found = (_sibling(out_dir, role) for role in (_OLD, _NEW))
        return replace(diff, leftovers=tuple(path.name for path in found if _lexists(path)))


def write_tree(files: Mapping[str, str], out_dir: Path) -> TreeDiff:
    """Make out_dir hold exactly these files, atomically as a whole; return what changed."""
    wanted = _encode(files)
    _check_out_dir(out_dir)
    with _locked(out_dir.parent) as parent_fd:
        _recover(out_dir)
        tree = _scan(out_dir)
        diff = _compare(wanted, tree)
        if diff.foreign:
            raise _foreign_error(out_dir, diff.foreign)
        if not diff.clean:
            _replace(out_dir, wanted, tree, parent_fd)
        else:
            # A compile killed after its swap leaves the old tree beside an up-to-date out/.
            with suppress(OSError):  # harmless if it stays; the next write tries again
                _remove_leftovers(out_dir)
        return diff
