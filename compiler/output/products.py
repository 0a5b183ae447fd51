"""Bring out/ and deploy/ up to date together: check both, then write out/, then deploy/.

tree.write_tree swaps each directory in whole; two directories cannot be swapped in one
step. So everything that can be found out beforehand is: the directories must not overlap,
out/ must be where settings.deploy.path says inside the Git repository, and deploy/ must
hold nothing kfroster did not write. Then out/ goes first: it is the large tree, so when
writing fails, it fails there most often, and then nothing changed at all. If deploy/
fails after it, the error says that out/ is new and deploy/ is not, and
`compile --check` fails on that until a compile succeeds. Committed anyway, that state
does less harm than the reverse: an old Kustomization whose unit directory is gone stops
before it prunes anything (kustomize-controller `kustomization_controller.go` L377-381 at
186fb3b2), though one whose unit lost profiles to a new unit prunes them until deploy/
catches up; a new deploy/ beside an old out/ can drop the Kustomization of a unit that
still holds files, and Flux then prunes everything it applied.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from compiler.output import tree
from compiler.output.tree import OutDirError, TreeDiff

if sys.platform != "win32":
    import fcntl


@dataclass(frozen=True)
class Product:
    """A directory a compile produces and the files it must hold."""

    directory: Path
    files: Mapping[str, str]
    # Where the directory must be inside the Git repository the engine reads; None: anywhere.
    repository_path: str | None = None


class PartlyWritten(OutDirError):
    """An earlier directory was written and a later one could not be: they now disagree."""


def compare(products: Sequence[Product]) -> list[TreeDiff]:
    """Compare every directory with the files it must hold; write nothing."""
    _check_places(products)
    return [tree.compare_tree(product.files, product.directory) for product in products]


def write(products: Sequence[Product], *, lock: Path) -> list[TreeDiff]:
    """Bring every directory up to date, in order, each atomically as a whole.

    `lock` (the roster) is held throughout, so two compiles of one roster cannot leave
    out/ from one and deploy/ from the other. Raise OutDirError, with nothing changed,
    for anything found before writing; PartlyWritten when a later directory fails.
    """
    _check_places(products)
    with _locked(lock):
        for later in products[1:]:
            foreign = tree.compare_tree(later.files, later.directory).foreign
            if foreign:
                shown = ", ".join(str(later.directory / relative) for relative in foreign[:20])
                more = f" and {len(foreign) - 20} more" if len(foreign) > 20 else ""
                raise OutDirError(
                    f"{shown}{more}: in {later.directory}/ but not written by kfroster; move "
                    "them away (compile never deletes files it did not write); nothing changed"
                )
        made = [path for later in products[1:] for path in _make_parents(later.directory)]
        done: list[TreeDiff] = []
        for product in products:
            try:
                done.append(tree.write_tree(product.files, product.directory))
            except OutDirError as err:
                if not done:
                    for path in reversed(made):  # empty, and ours: nothing changed after all
                        with suppress(OSError):
                            path.rmdir()
                    raise
                written = " and ".join(f"{p.directory}/" for p in products[: len(done)])
                raise PartlyWritten(
                    f"{err}\n{written} was written before {product.directory}/ failed, so the "
                    "two disagree: `kfroster compile --check` fails until a compile succeeds; "
                    "do not commit them like this"
                ) from err
        return done


def _make_parents(directory: Path) -> list[Path]:
    """Create the missing directories above `directory` (clusters/prod/ of clusters/prod/deploy).

    Only below an existing real directory, never through a symlink to elsewhere; return
    the directories created, outermost first.
    """
    missing: list[Path] = []
    parent = directory.parent
    while not os.path.lexists(parent) and parent != parent.parent:
        missing.append(parent)
        parent = parent.parent
    if not missing:
        return []
    if parent.is_symlink() or not parent.is_dir():
        raise OutDirError(f"{parent}: is not a real directory, so {directory} cannot go below it")
    made: list[Path] = []
    try:
        for path in reversed(missing):
            path.mkdir()
            made.append(path)
    except OSError as err:
        for path in reversed(made):
            with suppress(OSError):
                path.rmdir()
        raise OutDirError(
            f"{err.filename}: cannot create ({err.strerror}); nothing changed"
        ) from err
    return made


def _check_places(products: Sequence[Product]) -> None:
    """Refuse directories inside one another, and one the engine would not find."""
    real = [(product.directory, Path(os.path.realpath(product.directory))) for product in products]
    for (first, first_real), (second, second_real) in combinations(real, 2):
        if first_real == second_real or {first_real, second_real} & {
            *first_real.parents,
            *second_real.parents,
        }:
            raise OutDirError(
                f"{second}: overlaps {first}/; each must be a directory of its own, beside "
                "the other (settings.deploy.directory and --out)"
            )
    for product in products:
        if product.repository_path is not None:
            _check_repository_path(product.directory, product.repository_path)


def _check_repository_path(directory: Path, expected: str) -> None:
    """Refuse a directory that is not at `expected` in the Git repository holding it.

    Outside a Git work tree (or without git) there is nothing to compare with.
    """
    real = Path(os.path.realpath(directory))
    top = _toplevel(real.parent)
    if top is None:
        return
    try:
        actual = real.relative_to(top).as_posix()
    except ValueError:
        actual = None
    if actual != expected:
        where = f"is {actual}" if actual else "is not"
        raise OutDirError(
            f"{directory}: {where} inside the Git repository at {top}, but settings.deploy.path "
            f"says {expected}: the engine would read {expected} instead; make them agree"
        )


def _toplevel(directory: Path) -> Path | None:
    """Return the top of the Git work tree holding directory; None when there is none."""
    if not directory.is_dir():
        return None
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    try:
        done = subprocess.run(
            ["git", "-C", str(directory), "rev-parse", "--show-toplevel"],
            capture_output=True,
            check=False,
            env=env,
        )
    except OSError:  # no git
        return None
    if done.returncode != 0:
        return None
    return Path(os.path.realpath(os.fsdecode(done.stdout.rstrip(b"\n"))))


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on a file (advisory: only other compiles take it)."""
    try:
        # O_NONBLOCK: a fifo put where the roster was must not hang the compile.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        yield  # the roster was read already; a lock is only a courtesy between compiles
        return
    try:
        if sys.platform != "win32":
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
