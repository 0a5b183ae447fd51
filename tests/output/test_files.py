"""output.files.write_atomically, and every single file kfroster writes going through it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from compiler.output import files
from compiler.output.files import write_atomically
from tests.conftest import CASES, REPO, invoke

HAND_MADE = CASES / "import" / "hand-made"


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


@contextmanager
def umask(value: int) -> Iterator[None]:
    old = os.umask(value)
    try:
        yield
    finally:
        os.umask(old)


def test_writes_text_as_utf8_and_bytes_as_they_are(tmp_path: Path) -> None:
    write_atomically(tmp_path / "a.txt", "é\n")
    write_atomically(tmp_path / "b.bin", b"\xff\x00")
    assert (tmp_path / "a.txt").read_bytes() == "é\n".encode()
    assert (tmp_path / "b.bin").read_bytes() == b"\xff\x00"
    assert leftovers(tmp_path) == []


def test_a_new_file_gets_0666_less_the_umask(tmp_path: Path) -> None:
    with umask(0o027):
        write_atomically(tmp_path / "new.yaml", "x")
    with umask(0o022):
        write_atomically(tmp_path / "other.yaml", "x")
    assert mode_of(tmp_path / "new.yaml") == 0o640
    assert mode_of(tmp_path / "other.yaml") == 0o644


def test_a_replaced_file_keeps_its_mode_unless_one_is_given(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    path.write_text("old")
    path.chmod(0o600)
    write_atomically(path, "new")
    assert (path.read_text(), mode_of(path)) == ("new", 0o600)
    write_atomically(path, "newer", mode=0o644)
    assert (path.read_text(), mode_of(path)) == ("newer", 0o644)


def test_readers_holding_the_old_file_see_it_whole(tmp_path: Path) -> None:
    path = tmp_path / "plan.md"
    path.write_text("old plan\n")
    with path.open() as reader:
        write_atomically(path, "new plan\n")
        assert reader.read() == "old plan\n"  # replaced by a rename, never truncated
    assert path.read_text() == "new plan\n"


def test_exclusive_refuses_an_existing_file_and_leaves_it_alone(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    path.write_text("mine\n")
    with pytest.raises(FileExistsError) as raised:
        write_atomically(path, "imported\n", exclusive=True)
    assert raised.value.filename == str(path)
    assert path.read_text() == "mine\n"
    assert leftovers(tmp_path) == []
    write_atomically(tmp_path / "fresh.yaml", "imported\n", exclusive=True)
    assert (tmp_path / "fresh.yaml").read_text() == "imported\n"


@contextmanager
def paused_after_first_fsync(
    monkeypatch: pytest.MonkeyPatch, meanwhile: Callable[[], None]
) -> Iterator[None]:
    """Run meanwhile() while the first write has its data on disk but no name yet."""
    real_fsync = os.fsync
    calls: list[int] = []

    def fsync(descriptor: int) -> None:
        real_fsync(descriptor)
        calls.append(descriptor)
        if len(calls) == 1:
            meanwhile()

    monkeypatch.setattr(files.os, "fsync", fsync)
    yield


def test_exclusive_refuses_a_file_made_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "users.yaml"
    with (
        paused_after_first_fsync(monkeypatch, lambda: path.write_text("theirs\n")),
        pytest.raises(FileExistsError),
    ):
        write_atomically(path, "imported\n", exclusive=True)
    assert path.read_text() == "theirs\n"
    assert leftovers(tmp_path) == []


def test_two_writers_at_once_each_write_a_whole_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The second write starts and finishes while the first is between its fsync and
    # its rename: with one fixed temporary name the second would take the first's file.
    path = tmp_path / "users.yaml"
    first, second = "first\n" * 10_000, "second\n" * 10_000
    with paused_after_first_fsync(monkeypatch, lambda: write_atomically(path, second)):
        write_atomically(path, first)
    assert path.read_text() == first  # the later rename wins, whole
    assert leftovers(tmp_path) == []


def test_two_imports_at_once_both_write_the_whole_roster(tmp_path: Path) -> None:
    output = tmp_path / "users.yaml"
    command = [sys.executable, "-m", "compiler", "import", str(HAND_MADE / "cluster.yaml")]
    command += ["-o", str(output), "--force"]
    results: list[subprocess.CompletedProcess[str]] = []

    def run() -> None:
        results.append(subprocess.run(command, capture_output=True, text=True, check=False))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.returncode for r in results] == [0, 0, 0, 0], [r.stderr for r in results]
    assert output.read_text() == (HAND_MADE / "expected.yaml").read_text()
    assert leftovers(tmp_path) == []


KILLED_WRITE = """
import os, signal, sys
from pathlib import Path
from compiler.output import files

def killed(descriptor):  # the new data is written, not yet renamed: the worst moment
    os.kill(os.getpid(), signal.SIGKILL)

files.os.fsync = killed
files.write_atomically(Path(sys.argv[1]), "new " * 100_000)
"""


def test_a_killed_write_leaves_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "schema.json"
    path.write_text("old\n")
    done = subprocess.run(
        [sys.executable, "-c", KILLED_WRITE, str(path)], cwd=REPO, capture_output=True, check=False
    )
    assert done.returncode == -9
    assert path.read_text() == "old\n"


def test_errors_name_the_file_not_its_temporary(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "plan.md"
    with pytest.raises(FileNotFoundError) as raised:
        write_atomically(target, "x")
    assert raised.value.filename == str(target)


# --- every file a command writes ---------------------------------------------------------


def roster_pair(tmp_path: Path) -> tuple[Path, Path]:
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    text = (CASES / "minimal" / "users.yaml").read_text()
    old.write_text(text)
    new.write_text(text.replace("alice", "carol"))
    return old, new


COMMANDS: dict[str, Callable[[Path, Path], list[str | Path]]] = {
    "schema": lambda _, target: ["schema", "-o", target],
    "diff -o": lambda tmp, target: ["diff", *roster_pair(tmp), "-o", target],
    "import -o --force": lambda _, target: [
        "import",
        HAND_MADE / "cluster.yaml",
        "-o",
        target,
        "--force",
    ],
    "import --report": lambda tmp, target: [
        "import",
        HAND_MADE / "cluster.yaml",
        "-o",
        tmp / "roster.yaml",
        "--report",
        target,
    ],
}


@pytest.mark.parametrize("command", COMMANDS)
def test_commands_replace_their_file_atomically_keeping_its_mode(
    command: str, runner: CliRunner, tmp_path: Path
) -> None:
    target = tmp_path / "target"
    target.write_text("old\n")
    target.chmod(0o640)
    with target.open() as reader:
        result = invoke(runner, *COMMANDS[command](tmp_path, target))
        assert result.exit_code == 0, result.stderr
        assert reader.read() == "old\n"
    assert target.read_text() != "old\n"
    assert mode_of(target) == 0o640
    assert leftovers(tmp_path) == []


def test_init_force_replaces_files_atomically_and_gives_new_ones_umask_modes(
    runner: CliRunner, tmp_path: Path
) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("old\n")
    readme.chmod(0o600)
    with umask(0o027), readme.open() as reader:
        done = invoke(runner, "init", tmp_path, "--force", "--kfroster", "kfroster==0.1.0")
        assert done.exit_code == 0
        assert reader.read() == "old\n"
    assert mode_of(readme) == 0o600
    assert mode_of(tmp_path / "users.yaml") == 0o640
