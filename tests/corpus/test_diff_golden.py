"""Golden plans: each case under tests/cases/diff/ changes base.yaml into its head.yaml.

Every case is rendered in the three formats (text without colour, Markdown, JSON) and
compared byte for byte with plan.txt, plan.md and plan.json; `UPDATE_GOLDEN=1` rewrites
them. Review a rewrite like code: these files are what a reviewer will read.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from compiler.review import diff
from compiler.review.plan.json_plan import format_json
from compiler.review.plan.markdown import MARKER, format_markdown
from compiler.review.plan.model import Plan
from compiler.review.plan.text import format_text
from tests.conftest import CASES, updating_golden

DIFF_CASES = CASES / "diff"
BASE = DIFF_CASES / "base.yaml"
CASE_DIRS = sorted(path.parent for path in DIFF_CASES.glob("*/head.yaml"))
COMMAND = "kfroster diff --base main users.yaml"

RENDERERS: dict[str, Callable[[Plan], str]] = {
    "plan.txt": format_text,
    "plan.md": lambda plan: format_markdown(plan, command=COMMAND),
    "plan.json": format_json,
}

# What each case must flag (blocking risk kinds), whatever the wording of the golden files.
EXPECTED_KINDS = {
    "escalation": ("privilege", "owner"),
    "invalid-head": (),
    "limits-and-settings": ("privilege", "quota", "settings"),
    "offboarding": ("data",),
    "onboarding": ("privilege", "owner"),
    "unchanged": (),
}


def plan_case(case: Path) -> Plan:
    """Plan a case the way `kfroster diff --base main users.yaml` would name its sides."""
    base = diff.load_text(BASE.read_bytes(), "users.yaml@main")
    head = diff.load_file(case / "head.yaml", "users.yaml")
    return diff.make_plan(base, head)


@pytest.mark.parametrize("filename", sorted(RENDERERS))
@pytest.mark.parametrize("case", CASE_DIRS, ids=lambda path: path.name)
def test_plan_matches_golden_file(case: Path, filename: str) -> None:
    produced = RENDERERS[filename](plan_case(case))
    expected = case / filename
    if updating_golden():
        expected.write_text(produced, encoding="utf-8")
    assert produced == expected.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", CASE_DIRS, ids=lambda path: path.name)
def test_each_case_flags_what_it_should(case: Path) -> None:
    plan = plan_case(case)
    assert plan.blocking_kinds() == EXPECTED_KINDS[case.name]


def test_every_case_is_listed() -> None:
    assert sorted(EXPECTED_KINDS) == [case.name for case in CASE_DIRS]


def test_unchanged_roster_plans_nothing() -> None:
    plan = plan_case(DIFF_CASES / "unchanged")
    assert (plan.valid, plan.has_changes, plan.risks) == (True, False, ())


def test_invalid_head_is_reported_with_located_problems() -> None:
    plan = plan_case(DIFF_CASES / "invalid-head")
    assert plan.invalid == ("users.yaml",)
    assert [problem.rule for problem in plan.problems] == ["unknown-user"]
    assert plan.problems[0].file == "users.yaml"
    markdown = format_markdown(plan, command=COMMAND)
    assert markdown.startswith(MARKER + "\n")
    assert "failed validation" in markdown and "[unknown-user]" in markdown
