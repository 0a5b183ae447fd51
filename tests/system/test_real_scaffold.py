"""The real thing: a repository `kfroster init` makes works with nothing but a package index.

kfroster is installed from a Git repository (a clone of this one's HEAD) into a fresh
environment, as a user installs it; that kfroster runs `init`, and the repository it makes
is committed, then checked by the real pre-commit and by the review workflow's own install
and check scripts, run in bash with a second fresh Python as a runner's setup-python would
give. Both install kfroster from the scaffold's .kfroster/requirements.txt: nothing but the
package index this machine reaches, and the Git repository on disk, is used. A branch that
changes applyUnits then fails both until it is compiled.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.system.test_integration_files import GIT_ENV, Job, git

pytestmark = pytest.mark.slow

CHECKS = (
    "Validate the roster",
    "Check that out/ is compiled from the roster",
    "Check that deploy/ is what kfroster deploy writes",
)


def fresh_python(where: Path) -> Path:
    """Make a virtual environment with a current pip and nothing else; return its bin
    directory. (The pip of Python 3.11's ensurepip, 23.2, refuses `name @ git+file:///path`:
    its URL check wants a host; setup-python's current 3.12 brings a newer pip.)"""
    venv.create(where, with_pip=True, upgrade_deps=True)
    return where / "bin"


def run(*command: str | Path, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(word) for word in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def test_init_from_a_git_install_passes_pre_commit_and_the_workflow(tmp_path: Path) -> None:
    source = tmp_path / "kfroster"
    git(tmp_path, "clone", "-q", str(REPO), str(source))
    commit = git(source, "rev-parse", "HEAD").strip()

    user = fresh_python(tmp_path / "user")
    env = {
        **os.environ,
        **GIT_ENV,
        "PATH": f"{user}{os.pathsep}{os.environ['PATH']}",
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "NO_COLOR": "1",
    }
    env.pop("VIRTUAL_ENV", None)
    ok(
        run(
            user / "python",
            "-m",
            "pip",
            "install",
            "-q",
            f"git+file://{source}@{commit}",
            cwd=tmp_path,
            env=env,
        )
    )

    said = ok(run(user / "kfroster", "init", "demo", "--flux", cwd=tmp_path, env=env))
    pin = f"kfroster @ git+file://{source}@{commit}"
    assert f"CI and the pre-commit hooks install {pin}" in said
    assert "CI cannot install it" in said  # a file: URL: true of this test, said to the user
    demo = tmp_path / "demo"
    requirements = (demo / ".kfroster/requirements.txt").read_text(encoding="utf-8")
    assert requirements.splitlines()[-1] == pin

    git(demo, "init", "-q", "-b", "main")
    git(demo, "add", "-A")
    git(demo, "commit", "-q", "-m", "kfroster init demo --flux")

    pre_commit = [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"]
    hooks = ok(run(*pre_commit, cwd=demo, env=env))
    assert re.search(r"^kfroster validate\.+Passed$", hooks, re.MULTILINE)
    assert re.search(r"^kfroster compile --check\.+Passed$", hooks, re.MULTILINE)

    # The workflow's install and checks, with a runner's fresh Python first on PATH.
    runner = fresh_python(tmp_path / "runner")
    job = Job(
        demo,
        "http://127.0.0.1:9",
        {"PATH": f"{runner}{os.pathsep}{os.environ['PATH']}"},
        demo / ".github/workflows/roster-review.yml",
    )
    installed = job.run("Install kfroster")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert installed.stdout.startswith("kfroster ")
    assert (runner / "kfroster").is_file()  # the check below runs the kfroster it installed
    for name in CHECKS:
        step = job.run(name)
        assert step.returncode == 0, f"{name}:\n{step.stdout}{step.stderr}"

    # A branch that changes applyUnits: deploy/ and out/ are stale until compiled.
    git(demo, "switch", "-q", "-c", "more-units")
    roster = demo / "users.yaml"
    text = roster.read_text(encoding="utf-8")
    roster.write_text(text.replace("  deploy:", "  applyUnits: 2\n  deploy:", 1), encoding="utf-8")
    git(demo, "commit", "-q", "-am", "Split out/ into two apply units")
    stale = run(*pre_commit, cwd=demo, env=env)
    assert stale.returncode == 1
    assert re.search(r"^kfroster validate\.+Passed$", stale.stdout, re.MULTILINE)
    assert re.search(r"^kfroster compile --check\.+Failed$", stale.stdout, re.MULTILINE)
    assert "deploy/ is not what users.yaml compiles to" in stale.stdout
    check = job.run("Check that out/ is compiled from the roster")
    assert check.returncode == 1
    assert "deploy/ is not what users.yaml compiles to" in check.stderr

    ok(run(runner / "kfroster", "compile", cwd=demo, env=env))
    git(demo, "add", "-A")
    git(demo, "commit", "-q", "-m", "Compile")
    assert ok(run(*pre_commit, cwd=demo, env=env)).count("Passed") == 2
    for name in CHECKS:
        step = job.run(name)
        assert step.returncode == 0, f"{name}:\n{step.stdout}{step.stderr}"
