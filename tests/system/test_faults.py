"""Faults while `kfroster compile` writes out/: killed, disk full, read-only, odd out/, races.

Every test runs the command line in a child process (mostly one forked from a Python that
has kfroster imported already: a hundred compiles would otherwise spend most of their time
importing) and compares every byte of out/ with the tree a roster compiles to. Where the
kernel can produce a fault for real it does (a small tmpfs that fills up, RLIMIT_FSIZE, a
read-only mount, a chmod that binds a non-root user); where it cannot (no permission to
mount, root ignoring a chmod) a shim around the command answers as the kernel would. The
shim also runs on its own, so both are proved, and each test prints which one it used.
"""

from __future__ import annotations

import functools
import os
import random
import re
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from compiler import pipeline
from compiler.output import tree
from compiler.yamlio import emitter
from tests.conftest import REPO, read_written_tree

TEAM = 20  # users per team: a group, and a team profile the group contributes to


def make_roster(first: int, count: int, variant: int = 0) -> str:
    """Return a valid roster of users `first`..`first + count - 1`.

    Each user has a personal profile, every 40th is a cluster admin, and each block of
    TEAM users is a team. `variant` changes the quota of every third team, so two variants
    of overlapping ranges differ in every way a tree can: added, removed, changed, same.
    """
    assert first % TEAM == 0 and count % TEAM == 0
    numbers = range(first, first + count)
    teams = range(first // TEAM, (first + count) // TEAM)
    lines = [
        "version: 1",
        # Units of at most about 800 objects: no warning about kustomize's build time.
        f"settings: {{applyUnits: {1 + count // 200}}}",
        "policy: {clusterWideRoles: allow}",
        "defaults:",
        "  resourceQuota: {hard: {cpu: '8', memory: 32Gi}}",
        "  limitRange: {default: {cpu: '1', memory: 1Gi}, defaultRequest: {cpu: 100m}}",
        "users:",
    ]
    for number in numbers:
        role = ", clusterRole: admin" if number % 40 == 0 else ""
        lines.append(f"  - {{name: u{number:05d}, email: u{number:05d}@example.com{role}}}")
    lines.append("groups:")
    for team in teams:
        members = ", ".join(f"u{n:05d}" for n in range(team * TEAM, (team + 1) * TEAM))
        lines += [f"  - name: t{team:04d}", f"    members: [{members}]"]
    lines.append("profiles:")
    lines += [f"  - {{name: u{number:05d}, owner: u{number:05d}}}" for number in numbers]
    for team in teams:
        cpu = 16 + (variant if team % 3 == 0 else 0)
        lines += [
            f"  - name: team-{team:04d}",
            f"    owner: u{team * TEAM:05d}",
            f"    resourceQuota: {{hard: {{cpu: '{cpu}', memory: 64Gi}}}}",
            "    contributors:",
            f"      - {{group: t{team:04d}, role: edit}}",
        ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Roster:
    """A roster file and the exact tree it compiles to."""

    path: Path
    tree: dict[str, bytes]


def write_roster(directory: Path, text: str) -> Roster:
    """Write `directory/users.yaml` and compile it in this process for the expected bytes.

    Every roster is called users.yaml: the name is in each file's header, and two rosters of
    different names would share no file at all.
    """
    directory.mkdir(parents=True)
    path = directory / "users.yaml"
    path.write_text(text, encoding="utf-8")
    return Roster(path, compiled_tree(text))


@functools.cache
def compiled_tree(text: str) -> dict[str, bytes]:
    """Compile roster text (as users.yaml) in this process; return the tree's bytes."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "users.yaml"
        path.write_text(text, encoding="utf-8")
        files = pipeline.compile_roster(path).files
    return {rel: content.encode("utf-8") for rel, content in files.items()}


def leftovers(parent: Path) -> list[str]:
    """Return the temporary names a compile uses next to out/."""
    return sorted(path.name for path in parent.iterdir() if ".kfroster-" in path.name)


Snapshot = dict[str, tuple[object, ...]]


def snapshot(root: Path, *, root_time: bool = True) -> Snapshot:
    """Describe root and everything under it without following symlinks.

    Without root_time the root's own mtime is left out: a failed compile creates and
    removes its temporary directory there, next to out/.
    """
    found: Snapshot = {}
    for path in [root, *sorted(root.rglob("*"))]:
        info = path.lstat()
        rel = path.relative_to(root).as_posix()
        if stat.S_ISLNK(info.st_mode):
            found[rel] = ("link", str(path.readlink()))
        elif stat.S_ISREG(info.st_mode):
            found[rel] = ("file", info.st_mode, info.st_ino, info.st_mtime_ns, path.read_bytes())
        else:
            mtime = info.st_mtime_ns if root_time or path != root else None
            found[rel] = ("dir", info.st_mode, info.st_ino, mtime)
    return found


def child_env() -> dict[str, str]:
    """The environment of a child: this checkout first on the path."""
    return {**os.environ, "PYTHONPATH": str(REPO)}


def run_python(
    *args: str | Path, cwd: Path, preexec_fn: Callable[[], object] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a fresh `python <args>` in cwd with child_env(); return its status and output."""
    return subprocess.run(
        [sys.executable, *map(str, args)],
        cwd=cwd,
        env=child_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        preexec_fn=preexec_fn,
    )


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """Return the single line a failed compile printed; anything else fails the test."""
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert result.stdout == ""
    return lines[0]


@pytest.fixture
def fast_dir(tmp_path: Path) -> Iterator[Path]:
    """A directory on tmpfs when there is one, so a hundred writes fit in seconds.

    A SIGKILL loses nothing a process already handed to the kernel, whatever the
    filesystem, so what the kill test checks (which renames happened) holds on disk too.
    """
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        path = Path(tempfile.mkdtemp(prefix="kfroster-faults-", dir=shm))
        yield path
        shutil.rmtree(path)
    else:
        yield tmp_path


# --------------------------------------------------------------------------------------------
# SIGKILL at any moment
# --------------------------------------------------------------------------------------------

# A Python process with kfroster imported, which forks one child per command it is sent,
# so each command starts in milliseconds instead of paying for the imports again. A line
# "mode NUL directory NUL log-prefix NUL arguments..." starts `kfroster <arguments>` in that
# directory ("fallback" makes the child take the portable two-rename path instead of
# renameat2) and is answered with the child's pid, which the test may SIGKILL; the next
# line, "wait", is answered with the child's exit status (-9 when killed). Only then is the
# child reaped, so its pid cannot pass to another process before the test's kill.
FORKING_COMPILER = """
import os, sys
from compiler import cli, pipeline
from compiler.output import tree

def run(mode, directory, log, args):
    os.chdir(directory)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    for fd, name in ((1, "out"), (2, "err")):
        os.dup2(os.open(log + name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), fd)
    if mode == "fallback":
        tree._RENAMEAT2 = None
    try:
        cli.app(args, prog_name="kfroster")
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else 1
    else:
        code = 0
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)

print("ready", flush=True)
while line := sys.stdin.readline():
    mode, directory, log, *args = line.rstrip("\\n").split("\\0")
    pid = os.fork()
    if pid == 0:
        run(mode, directory, log, args)
    print(pid, flush=True)
    sys.stdin.readline()
    print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), flush=True)
"""


class ForkingCompiler:
    """Runs `kfroster` commands in children forked from a process that imported it once."""

    def __init__(self) -> None:
        self.logs = Path(tempfile.mkdtemp(prefix="kfroster-logs-"))
        self.process = subprocess.Popen(
            [sys.executable, "-c", FORKING_COMPILER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=child_env(),
            text=True,
            bufsize=1,
        )
        self.pid = 0
        assert self._answer() == "ready"

    def _answer(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline().rstrip("\n")

    def _send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def start(self, *args: str | Path, cwd: Path, fallback: bool = False) -> float:
        """Start `kfroster <args>` in a child working in cwd; return when it started."""
        mode = "fallback" if fallback else "exchange"
        fields = [mode, str(cwd), f"{self.logs}/std", *map(str, args)]
        assert not any("\0" in field or "\n" in field for field in fields)
        self._send("\0".join(fields))
        self.pid = int(self._answer())
        return time.perf_counter()

    def stop(self, *, kill: bool) -> subprocess.CompletedProcess[str]:
        """SIGKILL the child, or let it finish; return its exit status and output."""
        if kill:
            os.kill(self.pid, signal.SIGKILL)  # not reaped yet: still this child's pid
        self._send("wait")
        code = int(self._answer())
        stdout, stderr = ((self.logs / f"std{name}").read_text() for name in ("out", "err"))
        return subprocess.CompletedProcess(["kfroster"], code, stdout, stderr)

    def run(self, *args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
        """Run `kfroster <args>` in cwd to the end."""
        self.start(*args, cwd=cwd)
        return self.stop(kill=False)

    def close(self) -> None:
        """End the forking process."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        assert self.process.wait(timeout=30) == 0
        self.process.stdout.close()
        shutil.rmtree(self.logs)


@pytest.fixture
def forking(request: pytest.FixtureRequest) -> Callable[[], ForkingCompiler]:
    """Return a maker of ForkingCompilers; they all end with the test."""

    def make() -> ForkingCompiler:
        compiler = ForkingCompiler()
        request.addfinalizer(compiler.close)
        return compiler

    return make


_SHARED: list[ForkingCompiler] = []


@pytest.fixture(scope="module", autouse=True)
def _shared_compiler() -> Iterator[None]:
    """End the ForkingCompiler that `kfroster` shares across this module's tests."""
    yield
    while _SHARED:
        _SHARED.pop().close()


def kfroster(
    *args: str | Path, cwd: Path, preexec_fn: Callable[[], object] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `kfroster <args>` in cwd in a child process; with preexec_fn, a fresh Python."""
    if preexec_fn is not None:
        return run_python("-m", "compiler", *args, cwd=cwd, preexec_fn=preexec_fn)
    if not _SHARED:
        _SHARED.append(ForkingCompiler())
    return _SHARED[0].run(*args, cwd=cwd)


# How many kills are timed from each moment of a compile: its start (so they land while the
# roster is read, checked and rendered), the new tree's directory appearing (while it is
# built and synced), out/ turning into the new tree (while the old one is deleted).
KILLS = {"start": 12, "building": 30, "swapped": 18}


@dataclass(frozen=True)
class Moments:
    """When a compile reached each moment, in perf_counter() seconds (None: never seen)."""

    start: float
    building: float | None
    swapped: float | None


def inode(path: Path) -> int | None:
    """Return the inode number of path itself, None when there is nothing there."""
    try:
        return path.lstat().st_ino
    except FileNotFoundError:
        return None


def watch(out: Path, started: float, until: str, old_inode: int | None) -> Moments:
    """Poll out/ and its temporary tree until the compile reaches `until`; return when."""
    building = out.with_name(".out.kfroster-new")
    moments = Moments(started, None, None)
    deadline = started + 60
    while until != "start" and (now := time.perf_counter()) < deadline:
        if moments.building is None:
            if os.path.lexists(building):
                moments = Moments(started, now, None)
                if until == "building":
                    break
        elif inode(out) not in (None, old_inode):
            moments = Moments(started, moments.building, now)
            break
        time.sleep(0.0002)
    return moments


def measure(compiler: ForkingCompiler, rosters: dict[str, Roster], out: Path) -> dict[str, float]:
    """Compile b, then a, undisturbed; return the shortest time each stage took."""
    times: dict[str, list[float]] = {moment: [] for moment in KILLS}
    for name in ("b", "a"):
        started = compiler.start("compile", rosters[name].path, "--out", out, cwd=out.parent)
        moments = watch(out, started, "swapped", inode(out))
        assert moments.building is not None and moments.swapped is not None
        while os.path.lexists(out.with_name(".out.kfroster-new")):  # the old tree's removal
            time.sleep(0.0002)
        times["start"].append(moments.building - started)
        times["building"].append(moments.swapped - moments.building)
        times["swapped"].append(time.perf_counter() - moments.swapped)
        assert compiler.stop(kill=False).returncode == 0
        assert read_written_tree(out) == rosters[name].tree
    return {moment: min(spans) for moment, spans in times.items()}


def outcome(code: int, out: Path, old: Roster, new: Roster, where: str) -> str:
    """Check that a killed child left out/ exactly old or exactly new; say which and when."""
    left = leftovers(out.parent)
    between = ""
    if not out.exists():
        # The portable path, killed between its two renames: any next run puts it back.
        assert ".out.kfroster-old" in left, f"{where}: out/ is gone"
        tree.compare_tree({}, out)
        between = " between the two renames"
    written = read_written_tree(out)
    if code == 0:
        assert written == new.tree, f"{where}: finished with a wrong tree"
        return "finished before the kill"
    if written == old.tree:
        stage = "while building the new tree" if ".out.kfroster-new" in left else "earlier"
        return f"killed {stage}{between}: old tree"
    assert written == new.tree, f"{where}: neither the old nor the new tree"
    return "killed after the swap: new tree"


def test_a_killed_compile_leaves_the_old_or_the_new_tree(
    fast_dir: Path, forking: Callable[[], ForkingCompiler]
) -> None:
    # a -> b: 100 users removed and 100 added, a third of the shared teams changed.
    rosters = {
        "a": write_roster(fast_dir / "a", make_roster(0, 300)),
        "b": write_roster(fast_dir / "b", make_roster(100, 300, variant=1)),
    }
    out = fast_dir / "out"
    first = kfroster("compile", rosters["a"].path, "--out", out, cwd=fast_dir)
    assert first.returncode == 0, first.stderr
    assert read_written_tree(out) == rosters["a"].tree
    compiler = forking()
    spans = measure(compiler, rosters, out)

    # A deterministic schedule of when to kill (never of what to expect): a moment of the
    # compile, and a delay after it, spread evenly over the stage that follows.
    schedule = [
        (moment, spans[moment] * (i + 0.5) / count)
        for moment, count in KILLS.items()
        for i in range(count)
    ]
    random.Random(20240611).shuffle(schedule)

    outcomes: Counter[str] = Counter()

    def kill_once(run: int, moment: str, delay: float) -> None:
        # Runs alternate a -> b and b -> a; every fifth takes the portable two-rename path.
        old, new = (rosters["a"], rosters["b"]) if run % 2 == 0 else (rosters["b"], rosters["a"])
        old_inode = inode(out)
        started = compiler.start(
            "compile", new.path, "--out", out, cwd=fast_dir, fallback=run % 5 == 4
        )
        seen = getattr(watch(out, started, moment, old_inode), moment)
        if seen is not None:
            time.sleep(max(0.0, seen + delay - time.perf_counter()))
        killed = compiler.stop(kill=True)
        assert killed.returncode in (0, -signal.SIGKILL), killed.stderr
        where = f"run {run} ({moment} +{delay * 1000:.1f} ms)"
        outcomes[outcome(killed.returncode, out, old, new, where)] += 1

        # The next compile succeeds and cleans up: every third time the command, otherwise
        # the writer called here with the compiled files (the very call the command makes).
        if run % 3 == 2:
            result = compiler.run("compile", new.path, "--out", out, cwd=fast_dir)
            assert result.returncode == 0, result.stderr
        else:
            tree.write_tree({rel: data.decode() for rel, data in new.tree.items()}, out)
        assert read_written_tree(out) == new.tree, where
        assert leftovers(fast_dir) == [], where

    building, swapped = (
        "killed while building the new tree: old tree",
        "killed after the swap: new tree",
    )
    for run, (moment, delay) in enumerate(schedule):
        kill_once(run, moment, delay)
    # A loaded machine can stretch the stages measured above, so fewer kills land where they
    # matter; more kills, aimed at the stage still short, make up for it (what is expected
    # of each kill never changes).
    extra = random.Random(7)
    while (outcomes[building] < 10 or outcomes[swapped] < 5) and len(schedule) < 300:
        moment = "building" if outcomes[building] < 10 else "swapped"
        schedule.append((moment, spans[moment] * extra.random()))
        kill_once(len(schedule) - 1, *schedule[-1])

    injected = len(schedule) - outcomes["finished before the kill"]
    summary = ", ".join(f"{count} {what}" for what, count in sorted(outcomes.items()))
    took = ", ".join(f"{moment} +{span * 1000:.0f} ms" for moment, span in spans.items())
    print(f"SIGKILL: {injected} kills injected, {injected} survived ({summary}); stages: {took}")
    # Most kills must land while writing, on both sides of the swap, or this proves little.
    assert outcomes[building] >= 10, summary
    assert outcomes[swapped] >= 5, summary


# --------------------------------------------------------------------------------------------
# A full disk, a file size limit
# --------------------------------------------------------------------------------------------

# The command with one kernel answer simulated, for when the kernel cannot be made to give
# it: argv is the fault, the path it applies under, then the command's arguments.
SIMULATED = """
import errno, os, sys
from compiler import cli

fault, under = sys.argv[1], os.path.abspath(sys.argv[2])

def hit(path):
    return os.path.abspath(os.fsdecode(path)).startswith(under)

def refuse(code, path):
    raise OSError(code, os.strerror(code), os.fsdecode(path))

if fault == "enospc":
    real_write, budget = os.write, [4096]
    def write(fd, data):
        budget[0] -= len(data)
        if budget[0] < 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)
    os.write = write
elif fault == "erofs":
    real_access, real_mkdir, real_open = os.access, os.mkdir, os.open
    def access(path, mode, **kw):
        return not (mode & os.W_OK and hit(path)) and real_access(path, mode, **kw)
    os.access = access
    def mkdir(path, *args, **kw):
        if hit(path):
            refuse(errno.EROFS, path)
        return real_mkdir(path, *args, **kw)
    def open_(path, flags, *args, **kw):
        if hit(path) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            refuse(errno.EROFS, path)
        return real_open(path, flags, *args, **kw)
    os.mkdir, os.open = mkdir, open_
cli.app(sys.argv[3:], prog_name="kfroster")
"""


def simulated(
    fault: str, under: Path, *args: str | Path, cwd: Path
) -> subprocess.CompletedProcess[str]:
    """Run the command with the kernel's answer to `fault` simulated for paths under `under`."""
    return run_python("-c", SIMULATED, fault, under, *args, cwd=cwd)


def mount(*args: str) -> bool:
    """Run mount(8); tell whether it worked (it needs root or CAP_SYS_ADMIN)."""
    try:
        result = subprocess.run(["mount", *args], capture_output=True, check=False, timeout=30)
    except OSError:
        return False
    return result.returncode == 0


def unmount(path: Path) -> None:
    """Detach a mount made by a test; lazily, so an open handle cannot keep it."""
    subprocess.run(["umount", "-l", str(path)], check=True, capture_output=True, timeout=30)


@contextmanager
def tmpfs(path: Path, *, wanted: bool) -> Iterator[bool]:
    """Mount an 8 MiB tmpfs at path if wanted and this process may; yield whether it did."""
    path.mkdir()
    options = "size=8m,nr_inodes=4096,mode=0755"
    mounted = wanted and mount("-t", "tmpfs", "-o", options, "kfroster", str(path))
    try:
        yield mounted
    finally:
        if mounted:
            unmount(path)
            assert not path.is_mount()


def used(path: Path) -> tuple[int, int]:
    """Return the bytes and inodes in use on the filesystem holding path."""
    info = os.statvfs(path)
    return (info.f_blocks - info.f_bfree) * info.f_frsize, info.f_files - info.f_ffree


@pytest.mark.parametrize("exhausted", ["bytes", "inodes", "simulated"])
def test_a_full_disk_gives_one_clear_line_and_keeps_out(tmp_path: Path, exhausted: str) -> None:
    # "simulated" always runs the shim, which is what proves this where mount is not allowed.
    old = write_roster(tmp_path / "old", make_roster(0, 100))
    new = write_roster(tmp_path / "new", make_roster(1000, 100))  # no file in common
    disk = tmp_path / "disk"
    out = disk / "out"
    with tmpfs(disk, wanted=exhausted != "simulated") as real:
        assert kfroster("compile", old.path, cwd=disk).returncode == 0
        before = snapshot(disk, root_time=False)
        if real:
            size, inodes = used(disk)
            # Room for a third of the new tree beside the old one.
            limit = f"size={size * 4 // 3}" if exhausted == "bytes" else f"nr_inodes={inodes + 40}"
            assert mount("-o", f"remount,{limit}", str(disk))
            result = kfroster("compile", new.path, cwd=disk)
        else:
            result = simulated("enospc", disk, "compile", new.path, cwd=disk)
        print(f"full disk ({exhausted}): {'a full tmpfs' if real else 'simulated ENOSPC'}")
        line = one_error_line(result)
        assert re.fullmatch(
            r"error: out/[a-z0-9/.-]+: cannot write \(No space left on device\); "
            r"out is unchanged",
            line,
        ), line
        assert snapshot(disk, root_time=False) == before  # the half-built tree is gone too
        if real:
            assert mount("-o", "remount,size=8m,nr_inodes=4096", str(disk))
        assert kfroster("compile", new.path, cwd=disk).returncode == 0
        assert read_written_tree(out) == new.tree


def test_a_file_size_limit_gives_one_clear_line_and_keeps_out(tmp_path: Path) -> None:
    # RLIMIT_FSIZE makes the kernel refuse writes past 4 KiB (EFBIG), as a quota would:
    # a team's file holds more, a personal profile's less.
    old = write_roster(tmp_path / "old", make_roster(0, 100))
    new = write_roster(tmp_path / "new", make_roster(0, 100, variant=1))
    assert kfroster("compile", old.path, cwd=tmp_path).returncode == 0
    before = snapshot(tmp_path, root_time=False)
    assert max(map(len, new.tree.values())) > 4096 > min(map(len, new.tree.values()))

    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    result = kfroster("compile", new.path, cwd=tmp_path, preexec_fn=limit_file_size)
    line = one_error_line(result)
    assert re.fullmatch(
        r"error: out/profiles/team-[0-9]{4}\.yaml: cannot write \(File too large\); "
        r"out is unchanged",
        line,
    ), line
    assert snapshot(tmp_path, root_time=False) == before


# --------------------------------------------------------------------------------------------
# Read-only
# --------------------------------------------------------------------------------------------


def chmod_tree(root: Path, writable: bool) -> None:
    """Add or remove write permission on root and every directory below it."""
    for path in [root, *root.rglob("*")]:
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755 if writable else 0o555)


def kernel_denies_writes(directory: Path) -> bool:
    """Tell whether a chmod binds this process (root and CAP_DAC_OVERRIDE bypass it)."""
    probe = directory / "probe"
    try:
        probe.touch()
    except PermissionError:
        return True
    probe.unlink()
    return False


# What the kernel answers for each way of making a tree read-only (the simulation says
# one or the other, depending on which call it intercepts first).
CAUSES = {
    "chmod": "Permission denied",
    "read-only bind mount": "Read-only file system",
    "simulated": "(?:Permission denied|Read-only file system)",
}


@contextmanager
def read_only(path: Path, *, simulate: bool) -> Iterator[str]:
    """Make the directory tree at path read-only as best this process can; yield how.

    A chmod binds a non-root user; for root, a read-only bind mount of path onto itself
    does; without either, nothing the kernel does can refuse root, and the caller must
    simulate it ("simulated"), as it must when asked to.
    """
    if simulate:
        yield "simulated"
        return
    chmod_tree(path, writable=False)
    try:
        if kernel_denies_writes(path):
            yield "chmod"
            return
        if mount("--bind", str(path), str(path)):
            try:
                assert mount("-o", "remount,bind,ro", str(path))
                yield "read-only bind mount"
            finally:
                unmount(path)
            return
        yield "simulated"
    finally:
        chmod_tree(path, writable=True)


@pytest.mark.parametrize("simulate", [False, True], ids=["kernel", "simulated"])
@pytest.mark.parametrize("locked", ["out", "parent"])
def test_read_only_out_gives_one_clear_line_and_keeps_out(
    tmp_path: Path, locked: str, simulate: bool
) -> None:
    old = write_roster(tmp_path / "old", make_roster(0, 40))
    new = write_roster(tmp_path / "new", make_roster(0, 40, variant=1))
    work = tmp_path / "work"
    work.mkdir()
    out = work / "out"
    assert kfroster("compile", old.path, cwd=work).returncode == 0
    with read_only(out if locked == "out" else work, simulate=simulate) as how:
        print(f"read-only {locked}: {how}")
        before = snapshot(work)
        if how == "simulated":
            under = out if locked == "out" else work
            result = simulated("erofs", under, "compile", new.path, cwd=work)
        else:
            result = kfroster("compile", new.path, cwd=work)
        line = one_error_line(result)
        assert re.fullmatch(rf"error: out: cannot write \({CAUSES[how]}\); nothing changed", line)
        assert snapshot(work) == before
    assert kfroster("compile", new.path, cwd=work).returncode == 0
    assert read_written_tree(out) == new.tree


@pytest.mark.parametrize("simulate", [False, True], ids=["kernel", "simulated"])
def test_missing_out_under_a_read_only_parent(tmp_path: Path, simulate: bool) -> None:
    roster = write_roster(tmp_path / "roster", make_roster(0, 40))
    work = tmp_path / "work"
    work.mkdir()
    with read_only(work, simulate=simulate) as how:
        print(f"read-only parent: {how}")
        if how == "simulated":
            result = simulated("erofs", work, "compile", roster.path, cwd=work)
        else:
            result = kfroster("compile", roster.path, cwd=work)
        line = one_error_line(result)
        assert re.fullmatch(rf"error: out: cannot write \({CAUSES[how]}\); out is unchanged", line)
        assert list(work.iterdir()) == []


# --------------------------------------------------------------------------------------------
# out/ that is a file or a symlink, or holds symlinks: nothing outside out/ is touched
# --------------------------------------------------------------------------------------------


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A directory outside out/ that must never change: an earlier tree, files, a subdir."""
    path = tmp_path / "elsewhere"
    path.mkdir()
    old = write_roster(tmp_path / "elsewhere-roster", make_roster(0, 40))
    assert kfroster("compile", old.path, "--out", path / "tree", cwd=tmp_path).returncode == 0
    (path / "notes.txt").write_text("keep me\n")
    (path / "secret.yaml").write_text(emitter.header("users.yaml") + "kind: Secret\n")
    return path


def _file(out: Path, elsewhere: Path) -> None:
    out.write_text("not a directory\n")


def _symlink_to_a_tree(out: Path, elsewhere: Path) -> None:
    out.symlink_to(elsewhere / "tree")


def _relative_symlink_to_a_tree(out: Path, elsewhere: Path) -> None:
    out.symlink_to(os.path.relpath(elsewhere / "tree", out.parent))


def _symlink_to_a_file(out: Path, elsewhere: Path) -> None:
    out.symlink_to(elsewhere / "notes.txt")


def _dangling_symlink(out: Path, elsewhere: Path) -> None:
    out.symlink_to(elsewhere / "not-yet")


def _symlink_loop(out: Path, elsewhere: Path) -> None:
    out.symlink_to(out)


OUT_SYMLINK = "the output directory is a symlink; kfroster writes only into a real directory"


@pytest.mark.parametrize(
    ("plant", "message"),
    [
        (_file, "exists and is not a directory; move it away"),
        (_symlink_to_a_tree, OUT_SYMLINK),
        (_relative_symlink_to_a_tree, OUT_SYMLINK),
        (_symlink_to_a_file, OUT_SYMLINK),
        (_dangling_symlink, OUT_SYMLINK),
        (_symlink_loop, OUT_SYMLINK),
    ],
)
@pytest.mark.parametrize("check", [False, True], ids=["compile", "check"])
def test_out_that_is_not_a_directory_is_refused(
    tmp_path: Path,
    elsewhere: Path,
    plant: Callable[[Path, Path], None],
    message: str,
    check: bool,
) -> None:
    roster = write_roster(tmp_path / "new", make_roster(200, 40))
    work = tmp_path / "work"
    work.mkdir()
    plant(work / "out", elsewhere)
    before, outside = snapshot(work), snapshot(elsewhere)
    result = kfroster("compile", roster.path, *(["--check"] if check else []), cwd=work)
    assert one_error_line(result) == f"error: out: {message}"
    assert snapshot(work) == before
    assert snapshot(elsewhere) == outside


def _file_symlink(out: Path, elsewhere: Path) -> str:
    target = elsewhere / "secret.yaml"  # has the generated mark, under a produced name
    (out / "profiles" / "u00000.yaml").unlink()
    (out / "profiles" / "u00000.yaml").symlink_to(target)
    return "profiles/u00000.yaml"


def _directory_symlink(out: Path, elsewhere: Path) -> str:
    shutil.rmtree(out / "cluster-role-bindings")
    (out / "cluster-role-bindings").symlink_to(elsewhere / "tree" / "cluster-role-bindings")
    return "cluster-role-bindings"


def _symlink_to_the_parent(out: Path, elsewhere: Path) -> str:
    (out / "profiles" / "up").symlink_to("../..")
    return "profiles/up"


@pytest.mark.parametrize("plant", [_file_symlink, _directory_symlink, _symlink_to_the_parent])
def test_symlinks_inside_out_stop_the_compile(
    tmp_path: Path, elsewhere: Path, plant: Callable[[Path, Path], str]
) -> None:
    old = write_roster(tmp_path / "old", make_roster(0, 40))
    new = write_roster(tmp_path / "new", make_roster(20, 40, variant=1))  # stale files too
    work = tmp_path / "work"
    work.mkdir()
    assert kfroster("compile", old.path, cwd=work).returncode == 0
    link = plant(work / "out", elsewhere)
    before, outside = snapshot(work), snapshot(elsewhere)
    line = one_error_line(kfroster("compile", new.path, cwd=work))
    assert line == (
        f"error: out/{link}: not generated by kfroster; move it out of out/ "
        "(compile never deletes files it did not write)"
    )
    assert snapshot(work) == before
    assert snapshot(elsewhere) == outside


def test_leftover_names_that_are_symlinks_are_removed_not_followed(
    tmp_path: Path, elsewhere: Path
) -> None:
    # A killed compile leaves directories under these names; planted symlinks must be
    # unlinked, never emptied through.
    old = write_roster(tmp_path / "old", make_roster(0, 40))
    new = write_roster(tmp_path / "new", make_roster(20, 40, variant=1))
    work = tmp_path / "work"
    work.mkdir()
    assert kfroster("compile", old.path, cwd=work).returncode == 0
    (work / ".out.kfroster-new").symlink_to(elsewhere / "tree")
    (work / ".out.kfroster-old").symlink_to(elsewhere)
    outside = snapshot(elsewhere)
    result = kfroster("compile", new.path, cwd=work)
    assert result.returncode == 0, result.stderr
    assert read_written_tree(work / "out") == new.tree
    assert leftovers(work) == []
    assert snapshot(elsewhere) == outside


def test_a_leftover_old_name_that_is_a_symlink_is_not_restored_as_out(
    tmp_path: Path, elsewhere: Path
) -> None:
    # With out/ missing, a real `.out.kfroster-old` is a tree a killed compile was swapping
    # out, and goes back; a symlink under that name is not, and must not become out/.
    roster = write_roster(tmp_path / "new", make_roster(20, 40))
    work = tmp_path / "work"
    work.mkdir()
    (work / ".out.kfroster-old").symlink_to(elsewhere / "tree")
    outside = snapshot(elsewhere)
    result = kfroster("compile", roster.path, cwd=work)
    assert result.returncode == 0, result.stderr
    assert not (work / "out").is_symlink()
    assert read_written_tree(work / "out") == roster.tree
    assert leftovers(work) == []
    assert snapshot(elsewhere) == outside


# --------------------------------------------------------------------------------------------
# Two compiles at once
# --------------------------------------------------------------------------------------------


def test_two_compiles_at_once_end_with_one_whole_tree(
    fast_dir: Path, forking: Callable[[], ForkingCompiler]
) -> None:
    rosters = [
        write_roster(fast_dir / "a", make_roster(0, 200)),
        write_roster(fast_dir / "b", make_roster(100, 200, variant=1)),
    ]
    work = fast_dir / "work"
    work.mkdir()
    compilers = [forking(), forking()]
    # One names out/ relative to its working directory, the other by its absolute path:
    # the lock is on the directory, whatever the spelling.
    outs = [Path("out"), work / "out"]
    winners: Counter[int] = Counter()
    rounds = 10
    for round_ in range(rounds):
        for number in [0, 1] if round_ % 2 == 0 else [1, 0]:
            compilers[number].start(
                "compile", rosters[number].path, "--out", outs[number], cwd=work
            )
        for compiler in compilers:
            result = compiler.stop(kill=False)
            assert result.returncode == 0, result.stderr
        tree = read_written_tree(work / "out")
        matches = [number for number, roster in enumerate(rosters) if tree == roster.tree]
        assert len(matches) == 1, f"round {round_}: the tree of neither roster"
        winners[matches[0]] += 1
        assert leftovers(work) == []
    print(f"two compiles at once: {rounds} rounds, ended as a: {winners[0]}, as b: {winners[1]}")


def test_a_check_during_a_compile_sees_a_whole_tree(
    fast_dir: Path, forking: Callable[[], ForkingCompiler]
) -> None:
    # `compile --check` takes the same lock: it compares with the tree before the write or
    # after it, never with a half-swapped one.
    old = write_roster(fast_dir / "a", make_roster(0, 200))
    new = write_roster(fast_dir / "b", make_roster(100, 200, variant=1))
    work = fast_dir / "work"
    work.mkdir()
    writer, checker = forking(), forking()
    changed = sorted(
        rel for rel in new.tree.keys() & old.tree.keys() if new.tree[rel] != old.tree[rel]
    )
    stale = [
        f"out/ is not what {new.path} compiles to:",
        *[f"  missing  out/{rel}" for rel in sorted(new.tree.keys() - old.tree.keys())],
        *[f"  changed  out/{rel}" for rel in changed],
        *[f"  extra    out/{rel}" for rel in sorted(old.tree.keys() - new.tree.keys())],
        f"run `kfroster compile {new.path}` and commit out/",
    ]
    seen: Counter[int] = Counter()
    for _ in range(8):
        assert writer.run("compile", old.path, cwd=work).returncode == 0
        writer.start("compile", new.path, cwd=work)
        checker.start("compile", new.path, "--check", cwd=work)
        checked = checker.stop(kill=False)
        assert writer.stop(kill=False).returncode == 0
        if checked.returncode == 0:
            assert checked.stderr == f"out/ is up to date with {new.path} ({len(new.tree)} files)\n"
        else:
            assert checked.stderr.splitlines() == stale
        seen[checked.returncode] += 1
        assert read_written_tree(work / "out") == new.tree
    print(f"check during a compile: {seen[1]} saw the old tree, {seen[0]} the new one")
