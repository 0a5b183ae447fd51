"""The command line: exit codes, and what goes to stdout and to stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from compiler import __version__
from compiler.cli import app
from tests.conftest import REPO, invoke, read_tree

VALID = """\
version: 1
users:
  - {name: alice, email: alice@example.com}
  - {name: bob, email: bob@example.com, clusterRole: edit}
profiles:
  - {name: alice, owner: alice, contributors: [{user: bob, role: view}]}
"""
INVALID = """\
version: 1
users:
  - {name: alice, email: alice@example.com}
profiles:
  - {name: kube-system, owner: alice}
  - {name: team, owner: nobody}
"""

WriteRoster = Callable[..., Path]


def test_validate_valid_roster_prints_warnings_and_exits_0(
    runner: CliRunner, roster_file: WriteRoster
) -> None:
    roster = roster_file(VALID)
    result = invoke(runner, "validate", roster)
    assert result.exit_code == 0
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{roster}:4:") and lines[0].endswith("[cluster-wide-role]")
    assert ": warning: " in lines[0]
    assert lines[1] == f"{roster}: valid (1 warning)"


def test_validate_strict_turns_warnings_into_errors(
    runner: CliRunner, roster_file: WriteRoster
) -> None:
    result = invoke(runner, "validate", "--strict", roster_file(VALID))
    assert result.exit_code == 1
    assert ": error: " in result.stderr and "[cluster-wide-role]" in result.stderr


def test_validate_invalid_roster_lists_every_problem_and_exits_1(
    runner: CliRunner, roster_file: WriteRoster
) -> None:
    roster = roster_file(INVALID)
    result = invoke(runner, "validate", roster)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{roster}:5:12: error: profile name 'kube-system' is a reserved system namespace; "
        "a profile there would hand it to one user; choose another name [reserved-namespace]",
        f"{roster}:6:25: error: profile 'team' is owned by 'nobody', who is not in users; "
        "add the user or fix the name [unknown-user]",
    ]


def test_validate_json_goes_to_stdout(runner: CliRunner, roster_file: WriteRoster) -> None:
    roster = roster_file(INVALID)
    result = invoke(runner, "validate", "--format", "json", roster)
    assert result.exit_code == 1
    problems = json.loads(result.stdout)
    assert [(p["line"], p["col"], p["rule"], p["level"]) for p in problems] == [
        (5, 12, "reserved-namespace", "error"),
        (6, 25, "unknown-user", "error"),
    ]
    assert problems[0]["file"] == str(roster)


def test_validate_defaults_to_github_annotations_under_actions(
    roster_file: WriteRoster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    roster = roster_file(INVALID)
    result = CliRunner().invoke(app, ["validate", str(roster)], catch_exceptions=False)
    assert result.exit_code == 1
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"::error file={roster},line=5,col=12,title=reserved-namespace::")


def test_validate_missing_file_is_a_located_problem(runner: CliRunner, tmp_path: Path) -> None:
    result = invoke(runner, "validate", tmp_path / "nope.yaml")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{tmp_path / 'nope.yaml'}:1:1: error: ")
    assert "[file-unreadable]" in result.stderr
    assert "Traceback" not in result.stderr


def test_usage_errors_exit_2(runner: CliRunner) -> None:
    assert invoke(runner, "validate", "--no-such-option").exit_code == 2
    assert invoke(runner, "validate", "--format", "xml").exit_code == 2
    assert invoke(runner, "no-such-command").exit_code == 2


def test_compile_writes_then_is_a_no_op_then_checks_clean(
    runner: CliRunner, roster_file: WriteRoster, tmp_path: Path
) -> None:
    roster, out = roster_file(VALID), tmp_path / "out"
    first = invoke(runner, "compile", roster, "--out", out)
    assert first.exit_code == 0, first.stderr
    assert first.stdout == ""
    assert first.stderr.splitlines()[-1] == (
        f"compiled {roster} into {out}/: 2 files, 2 added, 0 changed, 0 removed"
    )
    assert sorted(read_tree(out)) == ["cluster-role-bindings/bob.yaml", "profiles/alice.yaml"]
    second = invoke(runner, "compile", roster, "--out", out)
    assert second.stderr.splitlines()[-1].endswith("2 files, 0 added, 0 changed, 0 removed")
    check = invoke(runner, "compile", roster, "--out", out, "--check")
    assert check.exit_code == 0
    assert check.stderr.splitlines()[-1] == f"{out}/ is up to date with {roster} (2 files)"


def test_compile_check_lists_missing_changed_and_extra_files(
    runner: CliRunner, roster_file: WriteRoster, tmp_path: Path
) -> None:
    roster, out = roster_file(VALID), tmp_path / "out"
    invoke(runner, "compile", roster, "--out", out)
    before = read_tree(out)
    (out / "profiles" / "alice.yaml").write_text(
        before["profiles/alice.yaml"].decode() + "# edited\n"
    )
    (out / "cluster-role-bindings" / "bob.yaml").unlink()
    stale = out / "profiles" / "gone.yaml"
    stale.write_bytes(before["profiles/alice.yaml"])
    snapshot = read_tree(out)
    result = invoke(runner, "compile", roster, "--out", out, "--check")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-5:] == [
        f"{out}/ is not what {roster} compiles to:",
        f"  missing  {out / 'cluster-role-bindings/bob.yaml'}",
        f"  changed  {out / 'profiles/alice.yaml'}",
        f"  extra    {out / 'profiles/gone.yaml'}",
        f"run `kfroster compile {roster}` and commit {out}/",
    ]
    assert read_tree(out) == snapshot


def test_compile_invalid_roster_writes_nothing(
    runner: CliRunner, roster_file: WriteRoster, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    invoke(runner, "compile", roster_file(VALID), "--out", out)
    before = read_tree(out)
    result = invoke(runner, "compile", roster_file(INVALID), "--out", out)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].endswith(": invalid, nothing written (2 errors)")
    assert read_tree(out) == before


def test_compile_refuses_to_delete_a_file_it_did_not_write(
    runner: CliRunner, roster_file: WriteRoster, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    invoke(runner, "compile", roster_file(VALID), "--out", out)
    (out / "profiles" / "notes.yaml").write_text("hand-written: true\n")
    before = read_tree(out)
    result = invoke(runner, "compile", roster_file(VALID), "--out", out)
    assert result.exit_code == 1
    last = result.stderr.splitlines()[-1]
    assert last.startswith("error: ")
    assert "profiles/notes.yaml: not generated by kfroster" in last
    assert read_tree(out) == before


def test_schema_check_and_stdout(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "users.schema.json"
    missing = invoke(runner, "schema", "--check", "--output", target)
    assert missing.exit_code == 1
    assert missing.stderr == f"{target} is missing: run `kfroster schema` and commit it\n"
    assert invoke(runner, "schema", "--output", target).exit_code == 0
    target.write_text("{}\n", encoding="utf-8")
    stale = invoke(runner, "schema", "--check", "--output", target)
    assert stale.exit_code == 1
    assert stale.stderr == f"{target} is stale: run `kfroster schema` and commit it\n"
    assert invoke(runner, "schema", "--output", target).exit_code == 0
    assert invoke(runner, "schema", "--check", "--output", target).exit_code == 0
    printed = invoke(runner, "schema", "--output", "-")
    assert printed.stdout == target.read_text(encoding="utf-8")
    assert json.loads(printed.stdout)["$schema"] == "http://json-schema.org/draft-07/schema#"


def test_version(runner: CliRunner) -> None:
    result = invoke(runner, "--version")
    assert result.exit_code == 0
    assert result.stdout == f"kfroster {__version__}\n"


def test_python_dash_m_runs_the_same_app() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "compiler", "validate", "users.yaml"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[-1].startswith("users.yaml: valid")
