"""The command line: exit codes, and what goes to stdout and to stderr."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from compiler import __version__
from compiler.cli import app
from compiler.drift.formats import DRIFT_FORMATS
from compiler.explain.formats import EXPLANATION_FORMATS, ROLES_FORMATS
from compiler.formats import Deferred
from compiler.review.plan.formats import PLAN_FORMATS
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
        f"run `kfroster compile {roster} --out {out}` and commit {out}/",
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


def test_help_loads_neither_the_compiler_nor_the_models() -> None:
    # A pre-commit hook pays the start-up on every commit: --help (and every command's
    # option parsing) must not build the roster's models or import the pipeline.
    script = (
        "import sys\n"
        "from compiler.cli import app\n"
        "try:\n"
        "    app(['--help'], prog_name='kfroster')\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = {'compiler.pipeline', 'compiler.model.roster', 'compiler.render', 'http.client',"
        " 'compiler.drift.present', 'compiler.review.plan.model', 'compiler.explain.presentation',"
        " 'compiler.importer', 'compiler.drift.compare'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[]"


# --------------------------------------------------------------------------------------------
# One vocabulary: the order of commands, their options, formats and errors
# --------------------------------------------------------------------------------------------

WORKFLOW = [
    "init",
    "validate",
    "compile",
    "diff",
    "comment",
    "explain",
    "roles",
    "import",
    "deploy",
    "drift",
]
# What Typer prints for a parameter's Python type when no metavar names it.
INTERNAL_TYPE = re.compile(r"<[a-zA-Z][^<>\s]*>|\bint range\b|\blist\[|\bPath\b")


def commands() -> dict[str, Any]:
    """Return every command of the app, by name, as Click sees it."""
    group = typer.main.get_command(app)
    return dict(group.commands)  # type: ignore[attr-defined]


def test_help_lists_the_commands_in_the_order_of_the_daily_workflow(runner: CliRunner) -> None:
    text = invoke(runner, "--help").stdout
    listed = [line.split()[0] for line in text.split("Commands:\n")[1].splitlines() if line]
    assert listed[: len(WORKFLOW)] == WORKFLOW
    assert listed[-1] == "schema"
    assert sorted(listed) == sorted(commands())


@pytest.mark.parametrize("name", sorted(commands()))
def test_help_shows_no_internal_type_and_a_sentence_for_every_option(
    runner: CliRunner, name: str
) -> None:
    result = invoke(runner, name, "--help")
    assert result.exit_code == 0
    assert INTERNAL_TYPE.search(result.stdout) is None, result.stdout
    for param in commands()[name].params:
        if getattr(param, "hidden", False):
            continue
        text = " ".join((param.help or "").split())  # type: ignore[attr-defined]
        assert len(text.split()) >= 3 and text.endswith("."), (name, param.name, text)
        assert param.metavar is not None or getattr(param, "is_flag", False), (name, param.name)
        if param.param_type_name == "argument":
            assert param.metavar in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["validate", "--format", "xml"], "'xml' is not a format of problems; choose text"),
        (["explain", "alice", "--format", "github"], "is not a format of an explanation"),
        (["roles", "--format", "yaml"], "'yaml' is not a format of the roles chart"),
        (["diff", "a", "b", "--max-chars", "1e3"], "'1e3' is not a whole number"),
        (["compile", "--format", "markdown"], "choose text, json, github"),
    ],
)
def test_option_errors_say_what_is_wrong_without_library_words(
    runner: CliRunner, args: list[str], message: str
) -> None:
    result = invoke(runner, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Value error" not in result.stderr and "Input should" not in result.stderr


def test_format_means_the_same_names_everywhere() -> None:
    offered = {}
    for name, command in commands().items():
        for param in command.params:
            if "--format" in getattr(param, "opts", ()):
                text = " ".join((param.help or "").split())
                offered[name] = re.findall(r"(\w+) \(", text.split(":", 1)[1])
    assert offered == {
        "validate": ["text", "json", "github"],
        "compile": ["text", "json", "github"],
        "diff": ["text", "json", "github", "markdown"],
        "explain": ["text", "json", "markdown"],
        "roles": ["text", "json", "markdown"],
        "drift": ["text", "json", "github", "markdown"],
    }


def test_dash_o_names_a_file_and_never_a_directory() -> None:
    for name, command in commands().items():
        for param in command.params:
            if "-o" in getattr(param, "opts", ()) and not getattr(param, "hidden", False):
                assert param.metavar == "FILE", name


def test_compile_keeps_dash_o_for_a_release_with_a_warning(
    runner: CliRunner, roster_file: WriteRoster, tmp_path: Path
) -> None:
    roster, out = roster_file(VALID), tmp_path / "tree"
    result = invoke(runner, "compile", roster, "-o", out)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[0] == (
        "warning: kfroster compile -o DIR is deprecated and goes in the next release; use --out DIR"
    )
    assert sorted(read_tree(out)) == ["cluster-role-bindings/bob.yaml", "profiles/alice.yaml"]
    again = invoke(runner, "compile", roster, "--out", out, "--check")
    assert again.exit_code == 0 and "deprecated" not in again.stderr


def test_a_file_that_cannot_be_written_is_an_error_not_a_traceback(
    runner: CliRunner, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory\n", encoding="utf-8")
    result = invoke(runner, "schema", "--output", blocker / "users.schema.json")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and str(blocker) in result.stderr
    assert "Traceback" not in result.stderr


def test_every_format_option_offers_exactly_the_writers_its_registry_loads() -> None:
    # The names are listed at start-up, the writers imported when one is used: the two
    # must be the same formats (Deferred.loaded refuses a difference).
    for registry in (DRIFT_FORMATS, EXPLANATION_FORMATS, ROLES_FORMATS, PLAN_FORMATS):
        assert isinstance(registry.writers, Deferred)
        assert {str(chosen) for chosen in registry.writers.loaded()} == set(registry.names)
