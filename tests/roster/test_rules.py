"""The cross-record rules: each rule's docstring example breaks exactly that rule."""

from __future__ import annotations

import inspect
import re
from typing import Any

import pytest
from ruamel.yaml import YAML

from compiler import pipeline
from compiler.roster.rules import EXAMPLE_BASE, RULES, rule_id
from compiler.roster.rules.facts import Rule
from compiler.yamlio.emitter import dumps

_REPEATED = re.compile(r"^(?P<line>.*\S)\s*# (?P<count>[0-9,]+) times$", flags=re.MULTILINE)


def example_of(rule: Rule) -> str:
    """Return the example of a rule's docstring: its last paragraph, with repeats written out."""
    doc = inspect.cleandoc(rule.__doc__ or "")
    example = doc.rsplit("\n\n", 1)[-1] + "\n"

    def repeat(found: re.Match[str]) -> str:
        count = int(found.group("count").replace(",", ""))
        return "\n".join(found.group("line").replace("{i}", str(i)) for i in range(1, count + 1))

    return _REPEATED.sub(repeat, example)


def roster_of(example: str) -> str:
    """Complete an example with EXAMPLE_BASE: its lists are extended, other keys added."""
    data: dict[str, Any] = YAML(typ="safe", pure=True).load(EXAMPLE_BASE)
    for key, value in YAML(typ="safe", pure=True).load(example).items():
        if isinstance(value, list) and key in data:
            data[key] = [*data[key], *value]
        else:
            data[key] = value
    return dumps(data)


def fired(text: str) -> set[str]:
    return {problem.rule for problem in pipeline.check_text(text, "users.yaml").problems}


def test_the_base_of_the_examples_breaks_no_rule() -> None:
    assert fired(EXAMPLE_BASE) == set()


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_the_docstring_example_fires_exactly_its_rule(rule: Rule) -> None:
    assert fired(roster_of(example_of(rule))) == {rule_id(rule)}
