"""The repository checks itself: committed products match the code, CI runs the README."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from compiler import pipeline
from compiler.roster.rules import RULES, rule_id
from compiler.roster.schema import SCHEMA_PATH, dumps_schema
from tests.conftest import REPO, read_tree


def test_committed_out_is_what_users_yaml_compiles_to() -> None:
    compiled = pipeline.compile_roster(REPO / "users.yaml").files
    expected = {path: text.encode("utf-8") for path, text in compiled.items()}
    assert read_tree(REPO / "out") == expected


def test_committed_schema_is_generated_from_the_models() -> None:
    assert (REPO / SCHEMA_PATH).read_text(encoding="utf-8") == dumps_schema()


def test_example_roster_is_valid_and_names_its_schema() -> None:
    checked = pipeline.check(REPO / "users.yaml", "users.yaml")
    assert checked.roster is not None
    first_line = (REPO / "users.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first_line == f"# yaml-language-server: $schema={SCHEMA_PATH}"


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = readme.split("```sh\n")[1:]
    commands = [block.split("\n```", 1)[0].strip() for block in blocks]
    assert len(commands) >= 2
    test_command = commands[1]
    assert "pytest" in test_command
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test_command in ci


def test_readme_names_every_policy_rule() -> None:
    # The reference is moving from README.md into docs/ (issue 15 section 6): either counts.
    texts = [(REPO / "README.md").read_text(encoding="utf-8")]
    texts += [path.read_text(encoding="utf-8") for path in sorted((REPO / "docs").glob("*.md"))]
    named = "\n".join(texts)
    assert [rule_id(rule) for rule in RULES if f"`{rule_id(rule)}`" not in named] == []


def test_the_installed_kfroster_command_is_this_command_line() -> None:
    # The script pip generated from [project.scripts] (CI installs the package afresh).
    script = Path(sys.executable).with_name("kfroster")
    done = subprocess.run(
        [str(script), "validate", str(REPO / "users.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, ""), done.stderr
    assert re.search(r"users\.yaml: valid \([0-9]+ warnings?\)\n\Z", done.stderr), done.stderr


def test_the_code_parses_on_the_oldest_python_the_project_supports() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    floor = re.fullmatch(r">=3\.([0-9]+)", project["requires-python"])
    assert floor is not None, project["requires-python"]
    for path in sorted((REPO / "compiler").rglob("*.py")):
        # A newer grammar (PEP 695 `type`, PEP 701 f-strings) fails here.
        ast.parse(path.read_text(encoding="utf-8"), str(path), feature_version=(3, int(floor[1])))


def test_no_path_outside_the_repository_is_read_by_the_code() -> None:
    """The project must run from a fresh clone alone: no reference data from ../shared."""
    for path in sorted(Path(REPO / "compiler").rglob("*.py")) + sorted(
        Path(REPO / "tests").rglob("*.py")
    ):
        if path != Path(__file__):
            assert "shared/" not in path.read_text(encoding="utf-8"), path
