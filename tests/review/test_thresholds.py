"""`--fail-on`'s grammar, shared by `diff` and `drift`: kinds, kind:severity, severities."""

from __future__ import annotations

import pytest

from compiler.review.thresholds import Threshold, failing, parse_fail_on

KINDS = ("granted", "missing")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("granted", (Threshold("granted", "warning"),)),
        ("granted:critical", (Threshold("granted", "critical"),)),
        ("high", (Threshold(None, "high"),)),
        (" Missing:HIGH , warning ", (Threshold("missing", "high"), Threshold(None, "warning"))),
    ],
)
def test_entries_are_kinds_thresholds_or_severities(
    text: str, expected: tuple[Threshold, ...]
) -> None:
    assert parse_fail_on(text, KINDS) == expected


@pytest.mark.parametrize("text", ["info", "granted:info", "privilege", "", "granted,", "a:b:c"])
def test_anything_else_is_refused_saying_what_fits(text: str) -> None:
    with pytest.raises(ValueError, match=r"give a kind \(granted, missing\), kind:severity"):
        parse_fail_on(text, KINDS)


@pytest.mark.parametrize(
    ("text", "kind", "severity", "fails"),
    [
        ("granted", "granted", "warning", True),
        ("granted", "granted", "info", False),  # information never fails
        ("granted", "missing", "critical", False),
        ("granted:high", "granted", "warning", False),
        ("granted:high", "granted", "critical", True),
        ("high", "missing", "high", True),
        ("high", "missing", "warning", False),
        ("critical", "granted", "critical", True),
    ],
)
def test_a_threshold_catches_its_kind_at_its_severity_or_above(
    text: str, kind: str, severity: str, fails: bool
) -> None:
    assert failing(parse_fail_on(text, KINDS), kind, severity) is fails  # type: ignore[arg-type]
