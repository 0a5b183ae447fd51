"""Problem corpora: each <name>.yaml gives exactly the lines in <name>.txt.

tests/cases/invalid/ holds rosters with errors (nothing may compile from them);
tests/cases/warnings/ holds valid rosters that must warn.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler import pipeline
from compiler.policy import RULES, rule_id
from compiler.problems import format_text
from tests.conftest import CASES, INVALID, updating_golden

WARNINGS = CASES / "warnings"
ALL_CASES = sorted(INVALID.glob("*.yaml")) + sorted(WARNINGS.glob("*.yaml"))


def _problem_lines(roster: Path) -> str:
    checked = pipeline.check(roster, roster.name)
    return "".join(format_text(problem) + "\n" for problem in checked.problems)


@pytest.mark.parametrize("roster", ALL_CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_reports_exactly_the_expected_problems(roster: Path) -> None:
    expected_file = roster.with_suffix(".txt")
    produced = _problem_lines(roster)
    if updating_golden():
        expected_file.write_text(produced, encoding="utf-8")
    assert produced == expected_file.read_text(encoding="utf-8")


@pytest.mark.parametrize("roster", ALL_CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_invalid_cases_have_errors_and_warning_cases_compile(roster: Path) -> None:
    checked = pipeline.check(roster, roster.name)
    if roster.parent == INVALID:
        assert checked.roster is None
    else:
        assert checked.roster is not None
        assert checked.problems
        assert {problem.level for problem in checked.problems} == {"warning"}


def test_every_policy_rule_has_a_case() -> None:
    expected = "".join(
        path.read_text(encoding="utf-8")
        for path in [*INVALID.glob("*.txt"), *WARNINGS.glob("*.txt")]
    )
    missing = [rule_id(rule) for rule in RULES if f"[{rule_id(rule)}]" not in expected]
    assert missing == []
