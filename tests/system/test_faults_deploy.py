"""Faults between the two writes of a compile with settings.deploy: out/, then deploy/.

Each directory is swapped in whole, so each is always its old or its new tree; the pair
can be out/ new beside deploy/ old (the order chosen, see compiler/output/products.py),
never deploy/ new beside out/ old. Where the pair disagrees, the command says so and
`compile --check` fails until a compile succeeds. Same style as test_faults.py: child
processes, the kernel's own faults where this process can cause them, a shim otherwise.
"""

from __future__ import annotations

import functools
import random
import re
import signal
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from compiler import pipeline
from tests.conftest import read_written_tree
from tests.system.test_faults import (  # the fixtures too: they end what they start
    CAUSES,
    ForkingCompiler,
    _shared_compiler,  # noqa: F401  (an autouse fixture: ends kfroster()'s forking compiler)
    fast_dir,  # noqa: F401  (a fixture)
    forking,  # noqa: F401  (a fixture)
    inode,
    kfroster,
    leftovers,
    make_roster,
    read_only,
    run_python,
    simulated,
    snapshot,
)

FLUX = "deploy: {engine: flux}"


def with_deploy(text: str) -> str:
    """Give a make_roster() roster settings.deploy for Flux."""
    head = "settings: {applyUnits: "
    assert head in text
    return text.replace(head, f"settings: {{{FLUX}, applyUnits: ", 1)


@dataclass(frozen=True)
class Trees:
    """A roster file and the exact out/ and deploy/ trees it compiles to."""

    path: Path
    out: dict[str, bytes]
    deploy: dict[str, bytes]


@functools.cache
def compiled_trees(text: str) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """Compile roster text (as users.yaml) in this process; return out/ and deploy/ bytes."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "users.yaml"
        path.write_text(text, encoding="utf-8")
        compiled = pipeline.compile_roster(path)
    assert compiled.deploy is not None
    return (
        {rel: text.encode() for rel, text in compiled.files.items()},
        {rel: text.encode() for rel, text in compiled.deploy.files.items()},
    )


def write_trees(work: Path, text: str) -> Trees:
    """Write work/users.yaml (deploy/ goes beside it); return what it compiles to."""
    path = work / "users.yaml"
    path.write_text(text, encoding="utf-8")
    out, deploy = compiled_trees(text)
    return Trees(path, out, deploy)


def pair(work: Path, old: Trees, new: Trees) -> str:
    """Say which tree out/ and deploy/ each hold: 'old' or 'new'; anything else fails."""
    said = []
    for name, attribute in (("out", "out"), ("deploy", "deploy")):
        written = read_written_tree(work / name)
        if written == getattr(new, attribute):
            said.append("new")
        else:
            assert written == getattr(old, attribute), f"{name}/ is neither tree"
            said.append("old")
    return "/".join(said)


# A roster of 200 people in 40 units and its variant in 60: out/ and deploy/ both change.
OLD = with_deploy(make_roster(0, 200))
NEW = with_deploy(make_roster(100, 200, variant=1).replace("applyUnits: 2", "applyUnits: 60"))


def test_the_two_rosters_change_both_trees() -> None:
    old, new = compiled_trees(OLD), compiled_trees(NEW)
    assert old[0] != new[0] and old[1] != new[1]
    assert len(new[1]) > 20  # Kustomizations enough that writing deploy/ takes a moment


# --------------------------------------------------------------------------------------------
# deploy/ cannot be written after out/ was
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("simulate", [False, True], ids=["kernel", "simulated"])
def test_deploy_failing_after_out_says_so_and_the_check_fails_until_fixed(
    tmp_path: Path, simulate: bool
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    old = write_trees(work, OLD)
    assert kfroster("compile", cwd=work).returncode == 0
    new = write_trees(work, NEW)
    with read_only(work / "deploy", simulate=simulate) as how:
        print(f"read-only deploy/: {how}")
        if how == "simulated":
            result = simulated("erofs", work / "deploy", "compile", cwd=work)
        else:
            result = kfroster("compile", cwd=work)
        assert (result.returncode, result.stdout) == (1, "")
        assert "Traceback" not in result.stderr
        first, second = result.stderr.splitlines()
        assert re.fullmatch(
            rf"error: deploy: cannot write \({CAUSES[how]}\); nothing changed", first
        )
        assert second == (
            "out/ was written before deploy/ failed, so the two disagree: `kfroster compile "
            "--check` fails until a compile succeeds; do not commit them like this"
        )
        assert pair(work, old, new) == "new/old"
        check = kfroster("compile", "--check", cwd=work)
        assert check.returncode == 1
        assert check.stderr.splitlines()[0] == "deploy/ is not what users.yaml compiles to:"
        assert "out/ is not what" not in check.stderr
    assert kfroster("compile", cwd=work).returncode == 0
    assert pair(work, old, new) == "new/new"
    assert kfroster("compile", "--check", cwd=work).returncode == 0
    assert leftovers(work) == []


# Kill the compile at the one moment between the two swaps: when deploy/'s new tree is
# started, out/ has been swapped already.
KILLED_BETWEEN = """
import os, signal, sys
from compiler import cli
real_mkdir = os.mkdir
def mkdir(path, *args, **kw):
    if os.fsdecode(path).endswith(".deploy.kfroster-new"):
        os.kill(os.getpid(), signal.SIGKILL)
    return real_mkdir(path, *args, **kw)
os.mkdir = mkdir
cli.app(sys.argv[1:], prog_name="kfroster")
"""


def test_killed_between_the_two_writes_leaves_new_out_old_deploy_and_a_failing_check(
    tmp_path: Path,
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    old = write_trees(work, OLD)
    assert kfroster("compile", cwd=work).returncode == 0
    new = write_trees(work, NEW)
    killed = run_python("-c", KILLED_BETWEEN, "compile", cwd=work)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert pair(work, old, new) == "new/old"
    before = snapshot(work)
    assert kfroster("compile", "--check", cwd=work).returncode == 1
    assert snapshot(work) == before  # the check wrote nothing, left the leftover alone
    result = kfroster("compile", cwd=work)
    assert result.returncode == 0, result.stderr
    assert pair(work, old, new) == "new/new"
    assert leftovers(work) == []


def test_a_killed_compile_never_leaves_deploy_ahead_of_out(
    fast_dir: Path,  # noqa: F811
    forking: Callable[[], ForkingCompiler],  # noqa: F811
) -> None:
    work = fast_dir / "work"
    work.mkdir()
    rosters = {"a": write_trees(work, OLD), "b": write_trees(work, NEW)}
    texts = {"a": OLD, "b": NEW}
    compiler = forking()
    (work / "users.yaml").write_text(OLD, encoding="utf-8")
    assert compiler.run("compile", cwd=work).returncode == 0
    # How long a compile takes, undisturbed, from its start to its end.
    spans = []
    for name in ("b", "a"):
        (work / "users.yaml").write_text(texts[name], encoding="utf-8")
        started = compiler.start("compile", cwd=work)
        result = compiler.stop(kill=False)
        spans.append(time.perf_counter() - started)
        assert result.returncode == 0, result.stderr
    span = min(spans)
    outcomes: Counter[str] = Counter()
    pick = random.Random(15)

    def kill_once(run: int, after_out: bool) -> None:
        # Runs alternate a -> b and b -> a; every fifth takes the portable two-rename path.
        old, new = ("a", "b") if run % 2 == 0 else ("b", "a")
        (work / "users.yaml").write_text(texts[new], encoding="utf-8")
        old_out = inode(work / "out")
        started = compiler.start("compile", cwd=work, fallback=run % 5 == 4)
        if after_out:  # from the moment out/ is swapped, while deploy/ is written
            deadline = started + 10
            while inode(work / "out") in (None, old_out) and time.perf_counter() < deadline:
                time.sleep(0.0002)
            time.sleep(pick.random() * 0.005)
        else:  # anywhere in the compile
            time.sleep(max(0.0, started + span * pick.random() - time.perf_counter()))
        killed = compiler.stop(kill=True)
        assert killed.returncode in (0, -signal.SIGKILL), killed.stderr
        if not (work / "out").exists():  # the portable path, killed between its renames
            assert kfroster("compile", "--check", cwd=work).returncode == 1
            result = compiler.run("compile", cwd=work)
            assert result.returncode == 0, result.stderr
            outcomes["between out/'s two renames"] += 1
            return
        state = pair(work, rosters[old], rosters[new])
        assert state != "old/new", f"run {run}: deploy/ new beside the old out/"
        outcomes["finished" if killed.returncode == 0 else state] += 1
        result = compiler.run("compile", cwd=work)
        assert result.returncode == 0, result.stderr
        assert pair(work, rosters[old], rosters[new]) == "new/new"
        assert leftovers(work) == []

    runs = 0
    while runs < 40 or (outcomes["new/old"] < 3 and runs < 150):
        kill_once(runs, after_out=runs % 2 == 1 or runs >= 40)
        runs += 1
    print(f"SIGKILL with deploy/: {runs} kills, {dict(sorted(outcomes.items()))}")
    assert outcomes["new/old"] >= 3, outcomes
    assert outcomes["old/old"] >= 3, outcomes
