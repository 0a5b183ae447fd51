"""The cross-record rules: each rule's docstring example breaks exactly that rule."""

from __future__ import annotations

import pytest

from compiler import pipeline
from compiler.roster.rules import EXAMPLE_BASE, RULES, rule_id
from compiler.roster.rules.facts import Rule
from compiler.rule_reference import example_of, reference, roster_of
from tests.conftest import REPO


def fired(text: str) -> set[str]:
    return {problem.rule for problem in pipeline.check_text(text, "users.yaml").problems}


def test_the_base_of_the_examples_breaks_no_rule() -> None:
    assert fired(EXAMPLE_BASE) == set()


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_the_docstring_example_fires_exactly_its_rule(rule: Rule) -> None:
    assert fired(roster_of(example_of(rule))) == {rule_id(rule)}


def test_the_rule_reference_is_what_the_rules_say() -> None:
    """docs/rules.md is written from the docstrings: run scripts/write_rule_reference.py."""
    written = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    assert written == reference(), "docs/rules.md is stale: run scripts/write_rule_reference.py"
