"""Shared helpers: where the test data lives, how to compile a roster, how to run the CLI."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from typer.testing import CliRunner, Result

from compiler import pipeline
from compiler.cli import app
from compiler.output import tree

# `HYPOTHESIS_PROFILE=fuzz` runs the long fuzz campaign: FUZZ_EXAMPLES examples for every
# property that asks tests.strategies.examples() (see tests/property/test_fuzz.py).
settings.register_profile(
    "fuzz",
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "5000")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

TESTS = Path(__file__).parent
REPO = TESTS.parent
CASES = TESTS / "cases"
INVALID = CASES / "invalid"


def golden_cases() -> list[Path]:
    """Return every golden case directory (a users.yaml next to an expected/ tree)."""
    return sorted(p.parent for p in CASES.glob("*/users.yaml"))


def read_tree(root: Path) -> dict[str, bytes]:
    """Return every file under root as relative POSIX path -> bytes."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        # Git keeps no empty directory: an empty expected tree holds a .gitkeep.
        if path.is_file() and path.name != ".gitkeep"
    }


def read_written_tree(out: Path) -> dict[str, bytes]:
    """Return every file under out as relative POSIX path -> bytes, checking what else is there.

    The writer leaves only regular files and the directories that hold them, so a symlink,
    a FIFO or an empty directory fails the test. A missing out/ is an empty tree.
    """
    tree: dict[str, bytes] = {}
    dirs: set[str] = set()
    if not out.exists():
        return tree
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out).as_posix()
        mode = path.lstat().st_mode
        if stat.S_ISDIR(mode):
            dirs.add(rel)
        else:
            assert stat.S_ISREG(mode), f"{path} is neither a file nor a directory"
            tree[rel] = path.read_bytes()
    implied = {rel.rsplit("/", i)[0] for rel in tree for i in range(1, rel.count("/") + 1)}
    assert dirs == implied, f"directories without files: {sorted(dirs - implied)}"
    return tree


def compile_into(roster: Path, out: Path) -> dict[str, bytes]:
    """Compile a roster into out/ with the real writer and return the tree."""
    tree.write_tree(pipeline.compile_roster(roster).files, out)
    return read_tree(out)


def updating_golden() -> bool:
    """Tell whether UPDATE_GOLDEN=1 asks the tests to rewrite expected files."""
    return os.environ.get("UPDATE_GOLDEN") == "1"


@pytest.fixture(autouse=True, scope="session")
def _outside_github_actions():  # type: ignore[no-untyped-def]
    """Run the suite the same on a CI runner as on a laptop.

    GITHUB_ACTIONS=true switches kfroster's default output to ::error annotations, also in
    the kfroster processes tests start; a test of that mode sets the variable itself.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("GITHUB_ACTIONS", raising=False)
        yield


@pytest.fixture
def roster_file(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write roster text to tmp_path/users.yaml and return its path."""

    def write(text: str, name: str = "users.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """Return a CliRunner that does not see NO_COLOR (nor, like every test, GITHUB_ACTIONS)."""
    # A NO_COLOR set in the shell would let a "no colour off a terminal" assertion pass for
    # the wrong reason.
    monkeypatch.delenv("NO_COLOR", raising=False)
    return CliRunner()


def invoke(runner: CliRunner, *args: str | Path, input: str | None = None) -> Result:
    """Run kfroster in-process with args (and input on stdin); let any exception through."""
    return runner.invoke(app, [str(arg) for arg in args], input=input, catch_exceptions=False)
