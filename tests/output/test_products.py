"""`kfroster compile` with settings.deploy: out/ and deploy/ written together, checked together.

Without the setting nothing changes (out/ only, the same bytes and the same one line);
with it, deploy/ follows every roster change, `--check` names what is stale in either
and writes nothing, and whatever would leave the two disagreeing is found before either
is written. Faults in the middle of the two writes are in tests/system/test_faults.py.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from compiler import pipeline
from compiler.model import units
from tests.conftest import CASES, compile_into, invoke, read_tree

SPLIT = CASES / "apply-units" / "users.yaml"  # four units, one of them empty
REPO_URL = "https://git.example.com/platform/kubeflow-users.git"


def git(repo: Path, *args: str) -> str:
    """Run git in repo with a fixed identity; return its stdout."""
    done = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def roster_text(setting: str | None, units_line: str = "applyUnits: 4") -> str:
    """Return the four-unit roster, with `settings.deploy: <setting>` when given."""
    text = SPLIT.read_text(encoding="utf-8")
    assert "  applyUnits: 4\n" in text
    text = text.replace("  applyUnits: 4\n", f"  {units_line}\n")
    if setting is not None:
        text = text.replace("\nsettings:\n", f"\nsettings:\n  deploy: {setting}\n", 1)
    return text


def snapshot(root: Path) -> dict[str, tuple[Any, ...]]:
    """Every entry under root with its inode and times: what --check must not change."""
    found: dict[str, tuple[Any, ...]] = {}
    for path in [root, *sorted(root.rglob("*"))]:
        info = path.lstat()
        data = path.read_bytes() if path.is_file() else b""
        found[path.relative_to(root).as_posix()] = (info.st_ino, info.st_mtime_ns, data)
    return found


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty directory to work in (out/ and deploy/ are relative to it)."""
    directory = tmp_path / "work"
    directory.mkdir()
    monkeypatch.chdir(directory)
    return directory


def expected_deploy(text: str, tmp_path: Path) -> dict[str, bytes]:
    roster = tmp_path / "expected" / "users.yaml"
    roster.parent.mkdir(exist_ok=True)
    roster.write_text(text, encoding="utf-8")
    deployed = pipeline.compile_roster(roster).deploy
    assert deployed is not None
    return {path: content.encode() for path, content in deployed.files.items()}


# --------------------------------------------------------------------------------------------
# Without settings.deploy: as before
# --------------------------------------------------------------------------------------------


def test_without_the_setting_compile_writes_out_only_and_says_one_line(
    runner: CliRunner, work: Path
) -> None:
    (work / "users.yaml").write_text(roster_text(None), encoding="utf-8")
    result = invoke(runner, "compile")
    assert result.exit_code == 0, result.stderr
    assert (
        result.stderr == "compiled users.yaml into out/: 9 files, 9 added, 0 changed, 0 removed\n"
    )
    assert sorted(p.name for p in work.iterdir()) == ["out", "users.yaml"]
    assert read_tree(work / "out") == read_tree(CASES / "apply-units" / "expected")
    result = invoke(runner, "compile", "--check")
    assert (result.exit_code, result.stderr) == (
        0,
        "out/ is up to date with users.yaml (9 files)\n",
    )


# --------------------------------------------------------------------------------------------
# With it: both directories, both engines
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "deploy_files"),
    [
        ("{engine: flux}", "3 files"),
        (f"{{engine: argocd, argocd: {{repoURL: '{REPO_URL}'}}}}", "1 file"),
    ],
    ids=["flux", "argocd"],
)
def test_compile_writes_out_and_deploy_and_check_reads_both(
    runner: CliRunner, work: Path, tmp_path: Path, setting: str, deploy_files: str
) -> None:
    text = roster_text(setting)
    (work / "users.yaml").write_text(text, encoding="utf-8")
    result = invoke(runner, "compile")
    assert result.exit_code == 0, result.stderr
    deploy = expected_deploy(text, tmp_path)
    assert result.stderr.splitlines() == [
        "compiled users.yaml into out/: 9 files, 9 added, 0 changed, 0 removed",
        f"compiled users.yaml into deploy/: {deploy_files}, {len(deploy)} added, "
        "0 changed, 0 removed",
    ]
    assert read_tree(work / "out") == read_tree(CASES / "apply-units" / "expected")
    assert read_tree(work / "deploy") == deploy
    result = invoke(runner, "compile", "--check")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == [
        "out/ is up to date with users.yaml (9 files)",
        f"deploy/ is up to date with users.yaml ({deploy_files})",
    ]

    # A hand edit of deploy/ (a patch that would add a subject everywhere) fails the check.
    first = sorted(deploy)[0]
    edited = (work / "deploy" / first).read_text(encoding="utf-8") + "  patches: []\n"
    (work / "deploy" / first).write_text(edited, encoding="utf-8")
    (work / "deploy" / "extra.yaml").write_text("kind: Kustomization\n", encoding="utf-8")
    before = snapshot(work)
    result = invoke(runner, "compile", "--check")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "deploy/ is not what users.yaml compiles to:",
        f"  changed  deploy/{first}",
        "  foreign  deploy/extra.yaml",
        "run `kfroster compile users.yaml` and commit out/ and deploy/",
    ]
    assert snapshot(work) == before  # --check wrote nothing


def test_check_lists_what_is_stale_in_both(runner: CliRunner, work: Path) -> None:
    (work / "users.yaml").write_text(roster_text("{engine: flux}"), encoding="utf-8")
    assert invoke(runner, "compile").exit_code == 0
    (work / "out" / "unit-002" / "profiles" / "amara.yaml").unlink()
    (work / "deploy" / "kubeflow-users-unit-003.yaml").unlink()
    result = invoke(runner, "compile", "--check")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "out/ is not what users.yaml compiles to:",
        "  missing  out/unit-002/profiles/amara.yaml",
        "deploy/ is not what users.yaml compiles to:",
        "  missing  deploy/kubeflow-users-unit-003.yaml",
        "run `kfroster compile users.yaml` and commit out/ and deploy/",
    ]


def test_a_missing_deploy_directory_fails_the_check(runner: CliRunner, work: Path) -> None:
    # The roster that sets settings.deploy, committed without deploy/: caught.
    (work / "users.yaml").write_text(roster_text(None), encoding="utf-8")
    assert invoke(runner, "compile").exit_code == 0
    (work / "users.yaml").write_text(roster_text("{engine: flux}"), encoding="utf-8")
    result = invoke(runner, "compile", "--check")
    assert result.exit_code == 1
    assert "deploy/ is not what users.yaml compiles to:" in result.stderr
    assert not (work / "deploy").exists()


def test_deploy_goes_where_the_setting_says_beside_the_roster(
    runner: CliRunner, work: Path
) -> None:
    # Parents are created; the directory is relative to the roster, not to where compile runs.
    (work / "team").mkdir()
    roster = work / "team" / "users.yaml"
    roster.write_text(
        roster_text("{engine: flux, directory: clusters/prod/kubeflow}"), encoding="utf-8"
    )
    result = invoke(runner, "compile", "team/users.yaml", "--out", "team/out")
    assert result.exit_code == 0, result.stderr
    assert sorted(read_tree(work / "team" / "clusters" / "prod" / "kubeflow")) == [
        "kubeflow-users-unit-001.yaml",
        "kubeflow-users-unit-002.yaml",
        "kubeflow-users-unit-003.yaml",
    ]
    assert sorted(p.name for p in (work / "team").iterdir()) == ["clusters", "out", "users.yaml"]


def test_parents_made_for_deploy_are_removed_when_out_cannot_be_written(
    runner: CliRunner, work: Path
) -> None:
    (work / "users.yaml").write_text(
        roster_text("{engine: flux, directory: clusters/prod/kubeflow}"), encoding="utf-8"
    )
    (work / "out").write_text("not a directory\n", encoding="utf-8")
    result = invoke(runner, "compile")
    assert result.exit_code == 1
    assert result.stderr == "error: out: exists and is not a directory; move it away\n"
    assert sorted(p.name for p in work.iterdir()) == ["out", "users.yaml"]


@pytest.mark.parametrize("directory", ["out", "out/deploy"])
def test_a_deploy_directory_inside_out_is_refused_before_anything_is_written(
    runner: CliRunner, work: Path, directory: str
) -> None:
    (work / "users.yaml").write_text(
        roster_text(f"{{engine: flux, directory: {directory}}}"), encoding="utf-8"
    )
    result = invoke(runner, "compile")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {directory}: overlaps out/; each must be a directory of its own, beside the "
        "other (settings.deploy.directory and --out)\n"
    )
    assert sorted(p.name for p in work.iterdir()) == ["users.yaml"]


def test_a_foreign_file_in_deploy_stops_the_compile_before_out_changes(
    runner: CliRunner, work: Path
) -> None:
    (work / "users.yaml").write_text(roster_text("{engine: flux}"), encoding="utf-8")
    assert invoke(runner, "compile").exit_code == 0
    (work / "users.yaml").write_text(
        roster_text("{engine: flux}", "applyUnits: 2"), encoding="utf-8"
    )
    (work / "deploy" / "README.md").write_text("mine\n", encoding="utf-8")
    before = snapshot(work / "out")
    result = invoke(runner, "compile")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: deploy/README.md: in deploy/ but not written by kfroster; move them away "
        "(compile never deletes files it did not write); nothing changed\n"
    )
    assert snapshot(work / "out") == before


# --------------------------------------------------------------------------------------------
# A branch that changes applyUnits, in a Git repository
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("new_units", [1, 2, 8])
def test_changing_apply_units_fails_the_check_until_compiled(
    runner: CliRunner, work: Path, new_units: int
) -> None:
    git(work, "init", "-q", "-b", "main")
    (work / "users.yaml").write_text(roster_text("{engine: flux}"), encoding="utf-8")
    assert invoke(runner, "compile").exit_code == 0
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "roster")
    git(work, "checkout", "-q", "-b", "units")
    (work / "users.yaml").write_text(
        roster_text("{engine: flux}", f"applyUnits: {new_units}"), encoding="utf-8"
    )

    stale = invoke(runner, "compile", "--check")
    assert stale.exit_code == 1
    lines = stale.stderr.splitlines()
    assert "out/ is not what users.yaml compiles to:" in lines
    assert "deploy/ is not what users.yaml compiles to:" in lines

    assert invoke(runner, "compile").exit_code == 0
    assert invoke(runner, "compile", "--check").exit_code == 0
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", f"{new_units} units")
    # The committed tree, as the engine sees it: every Kustomization's path is a directory
    # that holds files, and every directory that holds files has exactly one Kustomization.
    committed = git(work, "ls-files").split()
    directories = {
        "out" if new_units == 1 else "/".join(path.split("/")[:2])
        for path in committed
        if path.startswith("out/")
    }
    kustomizations = [
        yaml.safe_load_all((work / path).read_text(encoding="utf-8"))
        for path in committed
        if path.startswith("deploy/")
    ]
    paths = sorted(
        doc["spec"]["path"].removeprefix("./")
        for docs in kustomizations
        for doc in docs
        if doc is not None
    )
    assert paths == sorted(directories)
    model = pipeline.validate(work / "users.yaml").roster
    occupied = units.occupied(model)
    assert len(paths) == len(occupied)


# --------------------------------------------------------------------------------------------
# out/ must be where settings.deploy.path says, inside the Git repository
# --------------------------------------------------------------------------------------------


def test_out_elsewhere_than_the_setting_says_is_refused_in_a_git_repository(
    runner: CliRunner, work: Path
) -> None:
    git(work, "init", "-q", "-b", "main")
    (work / "team").mkdir()
    (work / "team" / "users.yaml").write_text(roster_text("{engine: flux}"), encoding="utf-8")
    for args in ([], ["--check"]):
        result = invoke(runner, "compile", "team/users.yaml", "--out", "team/out", *args)
        assert result.exit_code == 1
        top = Path(os.path.realpath(work))
        assert result.stderr == (
            f"error: team/out: is team/out inside the Git repository at {top}, but "
            "settings.deploy.path says out: the engine would read out instead; make them agree\n"
        )
    assert sorted(p.name for p in (work / "team").iterdir()) == ["users.yaml"]

    (work / "team" / "users.yaml").write_text(
        roster_text("{engine: flux, path: team/out}"), encoding="utf-8"
    )
    result = invoke(runner, "compile", "team/users.yaml", "--out", "team/out")
    assert result.exit_code == 0, result.stderr
    kustomization = (work / "team" / "deploy" / "kubeflow-users-unit-001.yaml").read_text()
    assert "path: './team/out/unit-001'" in kustomization


def test_an_artifact_source_is_not_compared_with_the_git_layout(
    runner: CliRunner, work: Path
) -> None:
    # An OCIRepository holds what CI pushed, laid out as it chose: nothing to compare with.
    git(work, "init", "-q", "-b", "main")
    (work / "team").mkdir()
    setting = "{engine: flux, flux: {sourceRef: {kind: OCIRepository, name: users}}}"
    (work / "team" / "users.yaml").write_text(roster_text(setting), encoding="utf-8")
    result = invoke(runner, "compile", "team/users.yaml", "--out", "team/out")
    assert result.exit_code == 0, result.stderr


def test_compile_without_git_installed_skips_the_comparison(
    runner: CliRunner, work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (work / "users.yaml").write_text(roster_text("{engine: flux, path: elsewhere}"), "utf-8")
    monkeypatch.setenv("PATH", str(work / "no-such-bin"))
    result = invoke(runner, "compile")
    assert result.exit_code == 0, result.stderr
    assert compile_into(work / "users.yaml", work / "out2") == read_tree(work / "out")
