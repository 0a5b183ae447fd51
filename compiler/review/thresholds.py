"""`--fail-on`: which findings fail a check, in one grammar for `diff` and `drift`.

An entry is a kind (its warnings and above), `kind:severity` (that kind at the severity
or above) or a bare severity (every kind at it or above), comma-separated, any case.
Severities are the plan's (critical, high, warning, info); information never fails a
check, so `info` is no threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

# How much a finding (a plan's risk, a drift entry) matters. critical: someone becomes a
# cluster administrator; high: what a privileged reviewer must approve; warning: worth a
# look; info: reported so a reviewer sees it (privilege lost), never a reason to fail.
# Most severe first.
Severity = Literal["critical", "high", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("critical", "high", "warning", "info")

# What a kind alone fails on: its warnings and above.
_KIND_ALONE: Severity = "warning"
_FAILING: tuple[Severity, ...] = tuple(s for s in SEVERITIES if s != "info")


@dataclass(frozen=True)
class Threshold:
    """One `--fail-on` entry: findings of a kind (None: any kind) at a severity or above."""

    kind: str | None
    severity: Severity

    def catches(self, kind: str, severity: Severity) -> bool:
        """Tell whether this entry fails on a finding of this kind and severity."""
        at_least = SEVERITIES.index(severity) <= SEVERITIES.index(self.severity)
        return (self.kind is None or kind == self.kind) and at_least


def parse_fail_on(text: str, kinds: Sequence[str], what: str = "") -> tuple[Threshold, ...]:
    """Read `--fail-on` against the kinds a command reports; raise ValueError saying what fits.

    `kinds` lists the kinds that can fail (information is none of them); `what` names the
    findings in the message (`risk`).
    """
    thresholds: list[Threshold] = []
    for raw in text.split(","):
        entry = raw.strip().lower()
        kind, colon, severity = entry.partition(":")
        if entry in SEVERITIES:
            kind, severity = "", entry
        elif not colon:
            severity = _KIND_ALONE
        if not entry or (kind and kind not in kinds) or severity not in _FAILING:
            raise ValueError(
                f"unknown {what + ' ' if what else ''}threshold {entry!r}; give a kind "
                f"({', '.join(kinds)}), "
                f"kind:severity or a severity ({', '.join(_FAILING)}; info never fails)"
            )
        thresholds.append(Threshold(kind or None, severity))
    return tuple(thresholds)


def failing(thresholds: Sequence[Threshold], kind: str, severity: Severity) -> bool:
    """Tell whether any of the thresholds fails on a finding of this kind and severity."""
    return any(threshold.catches(kind, severity) for threshold in thresholds)
