"""The plan as GitHub Actions annotations: each risk on the roster line that causes it.

`kfroster diff --format github` in a workflow puts every risk next to the line of the
pull request that made it (a removed record: its line in the base, which GitHub lists
with the run's annotations). Severities map onto annotation levels: critical and high
are errors, warnings warnings, information notices.
"""

from __future__ import annotations

from collections.abc import Mapping

from compiler.problems import AnnotationLevel, github_annotation
from compiler.review.plan.model import Plan, Risk, plain
from compiler.review.thresholds import Severity

_LEVELS: Mapping[Severity, AnnotationLevel] = {
    "critical": "error",
    "high": "error",
    "warning": "warning",
    "info": "notice",
}


def format_github(plan: Plan) -> str:
    """Write one annotation per risk; an invalid plan is one error (its problems say why)."""
    if not plan.valid:
        names = " and ".join(plan.invalid)
        message = f"no plan: {names} failed validation; its problems are annotated on its lines"
        return github_annotation("error", message, (("title", "kfroster plan"),)) + "\n"
    return "".join(annotation(risk) + "\n" for risk in plan.risks)


def annotation(risk: Risk) -> str:
    """Write a risk as an annotation on its roster line (none for a deploy/ change)."""
    where = risk.location
    properties: list[tuple[str, object]] = []
    if where is not None:
        properties += [("file", where.file), ("line", where.line), ("col", where.col)]
    properties.append(("title", f"kfroster {risk.kind} risk ({risk.severity.upper()})"))
    return github_annotation(_LEVELS[risk.severity], plain(risk.message), properties)
