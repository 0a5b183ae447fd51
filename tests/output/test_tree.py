"""The out/ writer: exact bytes, untouched when up to date, atomic as a whole, never destructive."""

from __future__ import annotations

import ctypes
import errno
import fcntl
import json
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from compiler.output import tree
from compiler.output.tree import OutDirError, TreeDiff, compare_tree, write_tree
from compiler.yamlio.emitter import header
from tests.conftest import read_written_tree

REPO = Path(__file__).resolve().parents[2]
HEAD = header("users.yaml")

Snapshot = dict[str, tuple[object, ...]]


def snapshot(root: Path, *, dir_times: bool = True) -> Snapshot:
    """Describe everything under root (root included) without following symlinks."""
    found: Snapshot = {}
    for path in [root, *root.rglob("*")]:
        info = path.lstat()
        rel = path.relative_to(root).as_posix()
        if stat.S_ISLNK(info.st_mode):
            found[rel] = ("link", str(path.readlink()))
        elif stat.S_ISDIR(info.st_mode):
            found[rel] = ("dir", info.st_mode, info.st_ino, info.st_mtime_ns if dir_times else 0)
        elif stat.S_ISREG(info.st_mode):
            found[rel] = ("file", info.st_mode, info.st_ino, info.st_mtime_ns, path.read_bytes())
        else:
            found[rel] = ("other", info.st_mode)
    return found


def encoded(files: Mapping[str, str]) -> dict[str, bytes]:
    return {rel: text.encode("utf-8") for rel, text in files.items()}


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if ".kfroster-" in p.name)


OLD = {
    "profiles/alice.yaml": HEAD + "---\nkind: Profile\nname: alice\n",
    "profiles/bob.yaml": HEAD + "---\nkind: Profile\nname: bob\n",
    "cluster-role-bindings/bob.yaml": HEAD + "---\nkind: ClusterRoleBinding\nname: bob\n",
    "namespaces.yaml": HEAD + "---\nkind: Namespace\nname: 'yes'\n",
}


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """An out/ directory already holding OLD."""
    path = tmp_path / "out"
    write_tree(OLD, path)
    return path


# --- ordinary runs --------------------------------------------------------------------------


def test_fresh_write_creates_exact_bytes(tmp_path: Path) -> None:
    files = {**OLD, "profiles/zoe.yaml": HEAD + 'note: "zoë\\r"\n\n'}
    out = tmp_path / "out"
    diff = write_tree(files, out)
    assert diff == TreeDiff(missing=tuple(sorted(files)), changed=(), stale=(), foreign=())
    assert read_written_tree(out) == encoded(files)  # UTF-8, `\n` kept as is, nothing translated
    assert leftovers(out) == []
    assert compare_tree(files, out).clean


def test_up_to_date_tree_is_not_touched(tmp_path: Path, out: Path) -> None:
    before = snapshot(tmp_path)
    assert write_tree(OLD, out) == TreeDiff((), (), (), ())
    assert compare_tree(OLD, out).clean
    assert snapshot(tmp_path) == before  # same inodes, mtimes, also of every directory


def test_only_changed_files_are_rewritten(out: Path) -> None:
    before = snapshot(out)
    files = {**OLD, "profiles/bob.yaml": HEAD + "---\nkind: Profile\nname: robert\n"}
    assert compare_tree(files, out) == TreeDiff((), ("profiles/bob.yaml",), (), ())
    assert write_tree(files, out) == TreeDiff((), ("profiles/bob.yaml",), (), ())
    after = snapshot(out)
    assert read_written_tree(out) == encoded(files)
    for rel in OLD:
        if rel != "profiles/bob.yaml":
            assert after[rel] == before[rel]  # same inode and mtime: hard-linked, not copied
    assert after["profiles/bob.yaml"][2] != before["profiles/bob.yaml"][2]


def test_stale_files_go_and_empty_directories_with_them(out: Path) -> None:
    files = {rel: text for rel, text in OLD.items() if not rel.startswith("cluster-role")}
    files["extra/new.yaml"] = HEAD
    assert write_tree(files, out) == TreeDiff(
        missing=("extra/new.yaml",),
        changed=(),
        stale=("cluster-role-bindings/bob.yaml",),
        foreign=(),
    )
    assert read_written_tree(out) == encoded(files)
    assert not (out / "cluster-role-bindings").exists()


def test_nothing_to_produce_empties_the_tree(out: Path) -> None:
    assert write_tree({}, out).stale == tuple(sorted(OLD))
    assert out.is_dir() and list(out.iterdir()) == []


def test_empty_directories_are_foreign(out: Path) -> None:
    """kfroster writes no empty directory; a git submodule not checked out is one."""
    (out / "leftover" / "deeper").mkdir(parents=True)
    (out / ".hidden-empty-dir").mkdir()
    (out / "profiles" / "empty").mkdir()
    (out / "will-be-filled").mkdir()  # kfroster's own: it writes a file into it
    wanted = {**OLD, "will-be-filled/carol.yaml": HEAD}
    assert compare_tree(wanted, out).foreign == (
        ".hidden-empty-dir/",
        "leftover/",
        "profiles/empty/",
    )
    before = snapshot(out)
    with pytest.raises(OutDirError, match=r"leftover/, .*: not generated by kfroster"):
        write_tree(wanted, out)
    assert snapshot(out) == before


def test_the_write_holds_a_lock_on_the_parent(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build = tree._build
    seen: list[str] = []

    def checking_build(*args: Any) -> None:
        # flock locks belong to an open file description: a second open must not get it.
        fd = os.open(out.parent, os.O_RDONLY)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            seen.append("locked")
        finally:
            os.close(fd)
        build(*args)

    monkeypatch.setattr(tree, "_build", checking_build)
    write_tree({**OLD, "profiles/carol.yaml": HEAD}, out)
    assert seen == ["locked"]
    assert sorted(p.name for p in out.parent.iterdir()) == ["out"]  # no lock file left behind


# --- refusing to write ----------------------------------------------------------------------


def _foreign_file(out: Path) -> None:
    (out / "profiles" / "notes.yaml").write_text("kind: Profile\n")


def _foreign_readme(out: Path) -> None:
    (out / "README.md").write_text(HEAD)  # has the mark, but kfroster never writes this name


def _hidden_file(out: Path) -> None:
    (out / ".gitkeep").write_text("")


def _hidden_generated_file(out: Path) -> None:
    (out / "profiles" / ".alice.yaml").write_text(OLD["profiles/alice.yaml"])


def _symlink_inside(out: Path) -> None:
    (out / "profiles" / "carol.yaml").symlink_to(out / "profiles" / "alice.yaml")


def _symlink_to_outside(out: Path) -> None:
    (out / "elsewhere").symlink_to(out.parent)


def _fifo(out: Path) -> None:
    os.mkfifo(out / "profiles" / "pipe.yaml")


@pytest.mark.parametrize(
    ("plant", "foreign"),
    [
        (_foreign_file, ["profiles/notes.yaml"]),
        (_foreign_readme, ["README.md"]),
        (_hidden_file, [".gitkeep"]),
        (_hidden_generated_file, ["profiles/.alice.yaml"]),
        (_symlink_inside, ["profiles/carol.yaml"]),
        (_symlink_to_outside, ["elsewhere"]),
        (_fifo, ["profiles/pipe.yaml"]),
    ],
)
def test_foreign_entries_stop_everything(
    tmp_path: Path, out: Path, plant: Callable[[Path], None], foreign: list[str]
) -> None:
    plant(out)
    files = {**OLD, "profiles/carol.yaml": HEAD + "---\nname: carol\n"}
    files.pop("profiles/bob.yaml")  # a stale file too, which must survive
    before = snapshot(tmp_path)
    assert compare_tree(files, out).foreign == tuple(foreign)
    with pytest.raises(OutDirError) as raised:
        write_tree(files, out)
    assert str(raised.value) == (
        f"{out}/{foreign[0]}: not generated by kfroster; move it out of {out}/ "
        "(compile never deletes files it did not write)"
    )
    assert snapshot(tmp_path) == before


def test_every_foreign_entry_is_listed_sorted(
    tmp_path: Path, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("zz.txt", "aa.txt", "profiles/mm.txt"):
        (out / name).write_text("mine")
    before = snapshot(tmp_path)
    monkeypatch.chdir(tmp_path)  # messages name paths the way the caller did
    with pytest.raises(OutDirError) as raised:
        write_tree({}, Path("out"))
    assert str(raised.value) == (
        "out/aa.txt, out/profiles/mm.txt, out/zz.txt: not generated by kfroster; "
        "move them out of out/ (compile never deletes files it did not write)"
    )
    assert snapshot(tmp_path) == before


def test_out_dir_that_is_a_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.write_text("not a directory")
    before = snapshot(tmp_path)
    for call in (compare_tree, write_tree):
        with pytest.raises(OutDirError, match="not a directory"):
            call(OLD, out)
    assert snapshot(tmp_path) == before


def test_out_dir_that_is_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real"
    write_tree(OLD, real)
    out = tmp_path / "out"
    out.symlink_to(real)
    before = snapshot(tmp_path)
    for call in (compare_tree, write_tree):
        with pytest.raises(OutDirError, match="is a symlink"):
            call({}, out)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    "rel",
    [
        "/etc/x.yaml",
        "../x.yaml",
        "a/../x.yaml",
        "a/./x.yaml",
        "a//x.yaml",
        "a/",
        "",
        ".yaml",
        ".hidden.yaml",
        "Profiles/x.yaml",
        "x.yml",
        "x.yaml.txt",
        "a b.yaml",
        "a\\b.yaml",
    ],
)
def test_bad_paths_are_bugs(tmp_path: Path, rel: str) -> None:
    with pytest.raises(ValueError, match="not a valid path"):
        write_tree({rel: HEAD}, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_a_path_cannot_be_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="both as file and as directory"):
        write_tree({"a.yaml": HEAD, "a.yaml/b.yaml": HEAD}, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_text_without_the_mark_is_a_bug(tmp_path: Path) -> None:
    # The next run would take such a file for foreign and refuse to go on.
    with pytest.raises(ValueError, match="must start with"):
        write_tree({"x.yaml": "kind: Profile\n"}, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_out_dir_must_be_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OutDirError, match="name the output directory"):
        write_tree(OLD, Path())


# --- the portable paths and recovery ---------------------------------------------------------


def _enosys_renameat2(*args: object) -> int:
    ctypes.set_errno(errno.EINVAL)  # what a filesystem without RENAME_EXCHANGE answers
    return -1


@pytest.mark.parametrize("renameat2", [None, _enosys_renameat2], ids=["no-renameat2", "einval"])
def test_fallback_without_exchange(
    out: Path, monkeypatch: pytest.MonkeyPatch, renameat2: object
) -> None:
    monkeypatch.setattr(tree, "_RENAMEAT2", renameat2)
    monkeypatch.setattr(tree, "_SYNCFS", None)  # and fsync file by file
    before = snapshot(out)
    files = {**OLD, "profiles/bob.yaml": HEAD + "changed\n", "new/carol.yaml": HEAD}
    del files["namespaces.yaml"]
    diff = write_tree(files, out)
    assert diff == TreeDiff(("new/carol.yaml",), ("profiles/bob.yaml",), ("namespaces.yaml",), ())
    assert read_written_tree(out) == encoded(files)
    assert snapshot(out)["profiles/alice.yaml"] == before["profiles/alice.yaml"]
    assert leftovers(out) == []


def test_recovery_after_a_kill_between_the_two_renames(tmp_path: Path, out: Path) -> None:
    # What the fallback leaves when killed after `out -> .out.kfroster-old`.
    out.rename(tmp_path / ".out.kfroster-old")
    write_tree({"half.yaml": HEAD}, tmp_path / "scratch")
    (tmp_path / "scratch").rename(tmp_path / ".out.kfroster-new")
    # A check changes nothing: it reports what it found beside the missing out/.
    before = snapshot(tmp_path)
    assert compare_tree(OLD, out) == TreeDiff(
        tuple(sorted(OLD)), (), (), (), (".out.kfroster-old", ".out.kfroster-new")
    )
    assert snapshot(tmp_path) == before
    files = {**OLD, "profiles/carol.yaml": HEAD}
    assert write_tree(files, out).missing == ("profiles/carol.yaml",)
    assert read_written_tree(out) == encoded(files)
    assert leftovers(out) == []


def test_leftover_old_tree_next_to_a_complete_out_is_removed(tmp_path: Path, out: Path) -> None:
    # What the fallback leaves when killed after both renames, before deleting the old tree.
    write_tree({"old.yaml": HEAD}, tmp_path / ".out.kfroster-old")
    assert compare_tree(OLD, out).clean
    write_tree({**OLD, "profiles/carol.yaml": HEAD}, out)
    assert leftovers(out) == []


# --- operating-system errors ---------------------------------------------------------------


def _fail_nth(real: Callable[..., Any], n: int, code: int) -> Callable[..., Any]:
    calls = iter(range(1, 10**9))

    def failing(*args: Any, **kwargs: Any) -> Any:
        if next(calls) == n:
            raise OSError(code, os.strerror(code))
        return real(*args, **kwargs)

    return failing


CHANGED = {
    **OLD,
    "profiles/bob.yaml": HEAD + "changed\n",
    "profiles/carol.yaml": HEAD,
    "d.yaml": HEAD,
}


def test_disk_full_keeps_the_old_tree(
    tmp_path: Path, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(tmp_path, dir_times=False)
    monkeypatch.setattr(os, "write", _fail_nth(os.write, 2, errno.ENOSPC))
    with pytest.raises(OutDirError) as raised:
        write_tree(CHANGED, out)
    # Files are written in sorted order: the second one is profiles/bob.yaml.
    assert str(raised.value) == (
        f"{out}/profiles/bob.yaml: cannot write (No space left on device); {out} is unchanged"
    )
    assert snapshot(tmp_path, dir_times=False) == before  # and no temporary directory left


def test_read_only_filesystem_keeps_the_old_tree(
    tmp_path: Path, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(tmp_path)
    real_mkdir = os.mkdir

    def read_only_mkdir(path: Any, *args: Any, **kwargs: Any) -> None:
        if ".kfroster-new" in str(path):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", read_only_mkdir)
    with pytest.raises(OutDirError, match=rf"^{out}: cannot write \(Read-only file system\)"):
        write_tree(CHANGED, out)
    assert snapshot(tmp_path) == before


def test_denied_file_creation_keeps_the_old_tree(
    tmp_path: Path, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(tmp_path, dir_times=False)
    real_open = os.open

    def denying_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & os.O_CREAT and str(path).endswith("carol.yaml"):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", denying_open)
    with pytest.raises(OutDirError, match=r"/out/profiles/carol\.yaml: cannot write \(Permission"):
        write_tree(CHANGED, out)
    assert snapshot(tmp_path, dir_times=False) == before


def test_failed_swap_keeps_the_old_tree(
    tmp_path: Path, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def busy(*args: object) -> int:
        ctypes.set_errno(errno.EBUSY)  # e.g. out/ is a mount point
        return -1

    before = snapshot(tmp_path, dir_times=False)
    monkeypatch.setattr(tree, "_RENAMEAT2", busy)
    with pytest.raises(OutDirError, match=r"busy.*; .*/out is unchanged$"):
        write_tree(CHANGED, out)
    assert snapshot(tmp_path, dir_times=False) == before


def test_failed_sync_keeps_the_old_tree(
    tmp_path: Path, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def lost_writeback(fd: int) -> int:
        ctypes.set_errno(errno.EIO)  # the disk failed to store what was written
        return -1

    before = snapshot(tmp_path, dir_times=False)
    monkeypatch.setattr(tree, "_SYNCFS", lost_writeback)
    with pytest.raises(
        OutDirError, match=r"cannot write \(Input/output error\); .*out is unchanged$"
    ):
        write_tree(CHANGED, out)
    assert snapshot(tmp_path, dir_times=False) == before


def _denies_writes(directory: Path) -> bool:
    """Tell whether the kernel enforces a chmod here (root and CAP_DAC_OVERRIDE bypass it)."""
    probe = directory / "probe"
    try:
        probe.touch()
    except PermissionError:
        return True
    probe.unlink()
    return False


def test_read_only_parent_directory(
    tmp_path: Path, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent_mode = tmp_path.stat().st_mode
    tmp_path.chmod(0o555)
    try:
        if not _denies_writes(tmp_path):
            # Running as root: the chmod alone does not stop writes, so make the kernel's answer
            # for a non-root user explicit.
            monkeypatch.setattr(os, "mkdir", _fail_nth(os.mkdir, 1, errno.EACCES))
        before = snapshot(tmp_path)
        with pytest.raises(OutDirError, match=r"cannot write \(Permission denied\)"):
            write_tree(CHANGED, out)
        assert snapshot(tmp_path) == before
    finally:
        tmp_path.chmod(parent_mode)


def test_read_only_subdirectory(tmp_path: Path, out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The old tree must be deletable once swapped out; refuse up front when it is not.
    profiles = out / "profiles"
    profiles.chmod(0o555)
    try:
        if not _denies_writes(profiles):
            real_access = os.access
            monkeypatch.setattr(
                os, "access", lambda path, mode: real_access(path, mode) and Path(path) != profiles
            )
        before = snapshot(tmp_path)
        with pytest.raises(OutDirError, match=rf"^{profiles}: cannot write \(Permission denied\)"):
            write_tree(CHANGED, out)
        assert snapshot(tmp_path) == before
    finally:
        profiles.chmod(0o755)


# --- killed at any moment ------------------------------------------------------------------

CHILD = """
import json, sys
from pathlib import Path
from compiler.output import tree
files = json.loads(Path(sys.argv[1]).read_text())
if sys.argv[3] == "fallback":
    tree._RENAMEAT2 = None
print("ready", flush=True)
tree.write_tree(files, Path(sys.argv[2]))
"""


def big_tree(version: str, first: int, last: int) -> dict[str, str]:
    """Files spread over 40 directories; every tenth one differs between versions."""
    return {
        f"d{i % 40:02d}/f{i:05d}.yaml": f"{HEAD}---\nname: f{i}\nv: {version if i % 10 else 0}\n"
        for i in range(first, last)
    }


def run_child(files_json: Path, out: Path, mode: str) -> subprocess.Popen[bytes]:
    """Start write_tree in another process; return once it is about to begin."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(files_json), str(out), mode],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert child.stdout is not None
    assert child.stdout.readline() == b"ready\n"
    return child


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Path]:
    """Where the kill test writes: tmpfs when there is one, to fit 25 runs in a few seconds.

    A SIGKILL loses nothing the process already handed to the kernel on any filesystem, so
    what this test checks (which renames happened) does not depend on where it runs.
    """
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        path = Path(tempfile.mkdtemp(prefix="kfroster-kill-", dir=shm))
        yield path
        shutil.rmtree(path)
    else:
        yield tmp_path


def test_a_killed_write_leaves_the_old_or_the_new_tree(scratch: Path) -> None:
    out = scratch / "out"
    # a -> b: 1,000 files added, 1,000 removed, 200 changed, 1,800 linked.
    trees = {"a": big_tree("a", 0, 3000), "b": big_tree("b", 1000, 4000)}
    for name, files in trees.items():
        (scratch / f"{name}.json").write_text(json.dumps(files))
    expected = {name: encoded(files) for name, files in trees.items()}
    write_tree(trees["a"], out)
    # One undisturbed run in a child measures how long a whole replacement takes.
    with run_child(scratch / "b.json", out, "exchange") as child:
        started = time.perf_counter()
        assert child.wait() == 0
        window = time.perf_counter() - started
    assert read_written_tree(out) == expected["b"]
    rng = random.Random(20240611)
    current, outcomes = "b", []
    for run in range(25):
        target = "a" if current == "b" else "b"
        mode = "fallback" if run % 5 == 4 else "exchange"
        with run_child(scratch / f"{target}.json", out, mode) as child:
            time.sleep(rng.uniform(0, window))  # when to kill, not what to expect
            child.send_signal(signal.SIGKILL)
        if mode == "fallback":
            compare_tree({}, out)  # puts the old tree back if killed between the two renames
        tree = read_written_tree(out)
        assert tree in (expected[current], expected[target]), f"mixed tree after run {run}"
        outcomes.append((child.returncode, "old" if tree == expected[current] else "new"))
        current = current if tree == expected[current] else target
    # Most kills must land while the child is still writing, or this test proves little.
    assert sum(code == -signal.SIGKILL for code, _ in outcomes) >= 10
    # A kill can leave a temporary directory next to out/; the next real write removes it.
    final = big_tree("c", 0, 100)
    write_tree(final, out)
    assert read_written_tree(out) == encoded(final)
    assert leftovers(out) == []
