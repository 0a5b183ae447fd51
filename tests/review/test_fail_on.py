"""`--fail-on`: kinds, `kind:severity` thresholds and bare severities."""

from __future__ import annotations

import pytest

from compiler.review.plan.model import RISK_KINDS, Plan, Risk
from compiler.review.thresholds import SEVERITIES, Threshold
from compiler.review.thresholds import parse_fail_on as parse_any

ALL = [Risk(kind, severity, "s", ("m",)) for kind in RISK_KINDS for severity in SEVERITIES]


def caught(text: str) -> set[tuple[str, str]]:
    plan = Plan("a", "b", risks=tuple(ALL))
    return {(risk.kind, risk.severity) for risk in plan.failing(parse_fail_on(text))}


def test_a_kind_fails_on_its_warnings_and_above_never_on_information() -> None:
    assert caught("owner") == {("owner", "critical"), ("owner", "high"), ("owner", "warning")}


def test_kind_and_severity_fail_on_that_severity_and_above() -> None:
    assert caught("owner:high") == {("owner", "critical"), ("owner", "high")}
    assert caught("privilege:critical") == {("privilege", "critical")}


def test_a_bare_severity_fails_on_every_kind_at_or_above_it() -> None:
    assert caught("high") == {(k, s) for k in RISK_KINDS for s in ("critical", "high")}


def test_entries_add_up_and_ignore_case_and_spaces() -> None:
    assert caught(" Quota , OWNER:High ") == {
        ("quota", "critical"),
        ("quota", "high"),
        ("quota", "warning"),
        ("owner", "critical"),
        ("owner", "high"),
    }
    assert parse_fail_on("data") == (Threshold("data", "warning"),)


@pytest.mark.parametrize(
    "text", ["danger", ",", "", "info", "owner:info", "owner:", "x:high", "high:owner"]
)
def test_anything_else_is_refused_with_what_is_accepted(text: str) -> None:
    with pytest.raises(ValueError, match=r"unknown risk threshold .*give a kind"):
        parse_fail_on(text)


def parse_fail_on(text: str) -> tuple[Threshold, ...]:
    """Read --fail-on as diff does: against the risk kinds."""
    return parse_any(text, RISK_KINDS, "risk")
