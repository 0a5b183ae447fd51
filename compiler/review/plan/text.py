"""The plan as terminal text: summary, risks, then each subject with its facts and objects.

Colour is only a help: every line keeps its sign (+ ~ - =) and every risk its severity
word, so the plan reads the same when piped or under NO_COLOR.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

from compiler.review.plan.common import (
    ENGINE_TITLE,
    ENGINE_WHY,
    MOVES_TITLE,
    MOVES_WHY,
    STATUS_SIGNS,
    fact_message,
    fact_sign,
    move_line,
    object_lines,
    subject_title,
)
from compiler.review.plan.model import (
    Code,
    Part,
    Plan,
    cluster_summary_line,
    people_parts,
    summary_line,
)
from compiler.review.thresholds import Severity
from compiler.terminal import PLAIN, WRAP_WIDTH, Palette
from compiler.text import counted, visible

_SIGN_STYLES = {"+": ("green",), "-": ("red",), "~": ("yellow",), "=": ("dim",), "": ("bold",)}
_SEVERITY_STYLES: dict[Severity, tuple[str, ...]] = {
    "critical": ("bold", "red"),
    "high": ("red",),
    "warning": ("yellow",),
    "info": ("cyan",),
}


def _plain(message: Iterable[Part]) -> str:
    return "".join(
        visible(part.text)
        if isinstance(part, Code)
        else part
        if isinstance(part, str)
        else _plain(people_parts(part))
        for part in message
    )


def format_text(plan: Plan, *, palette: Palette = PLAIN) -> str:
    """Write the plan for a terminal; colour comes from the palette."""
    lines = [palette.bold(f"kfroster diff {visible(plan.base)} → {visible(plan.head)}"), ""]
    if not plan.valid:
        names = " and ".join(visible(name) for name in plan.invalid)
        errors = sum(1 for problem in plan.problems if problem.level == "error")
        failed = (
            f"No plan: {names} failed validation ({counted(errors, 'error')}, printed on stderr)."
        )
        return "\n".join([*lines, palette.paint(failed, "bold", "red")]) + "\n"
    lines += [palette.bold(summary_line(plan))]
    if (per_cluster := cluster_summary_line(plan)) is not None:
        lines.append(visible(per_cluster))
    lines.append("")
    lines += _risks(plan, palette)
    warnings = sum(1 for problem in plan.problems if problem.level == "warning")
    if warnings:
        found = counted(warnings, "validation warning")
        lines += [f"{visible(plan.head)} has {found} (printed on stderr).", ""]
    lines += _engine(plan, palette)
    lines += _moves(plan, palette)
    for change in plan.changes:
        title = f"{STATUS_SIGNS[change.status]} {_plain(subject_title(change))}: {change.status}"
        lines.append(palette.bold(title))
        for fact in change.facts:
            sign = fact_sign(fact, change.status)
            text = f"  {sign} {_plain(fact_message(fact, change.status, plan.clusters))}"
            lines.append(palette.paint(text, *_SIGN_STYLES[sign]))
        in_namespace = change.type == "profile"
        for sign, text in object_lines(
            change.objects, in_namespace=in_namespace, clusters=plan.clusters
        ):
            lines.append(palette.paint(_object_text(sign, text), *_SIGN_STYLES[sign]))
        lines.append("")
    if not plan.has_changes:
        lines.append("No changes.")
    return "\n".join(lines).rstrip("\n") + "\n"


def _object_text(sign: str, text: str) -> str:
    return f"    {sign} {text}" if sign else f"    {text}"


def _moves(plan: Plan, palette: Palette) -> list[str]:
    """List, per cluster, the objects that stay the same and who applies them now."""
    if not plan.moves:
        return []
    lines = [palette.bold(f"{MOVES_TITLE}: {MOVES_WHY}")]
    lines += [f"  {visible(move.cluster)}: {move_line(move)}" for move in plan.moves]
    return [*lines, ""]


def _engine(plan: Plan, palette: Palette) -> list[str]:
    """List the object changes no roster change explains, and what could not be compared."""
    if not plan.engine and not plan.notes:
        return []
    count = len(plan.engine)
    lines = [palette.bold(f"{ENGINE_TITLE} ({counted(count, 'object')}): {ENGINE_WHY}")]
    for sign, text in object_lines(plan.engine, clusters=plan.clusters):
        lines.append(palette.paint(_object_text(sign, text), *_SIGN_STYLES[sign]))
    lines += [f"  note: {visible(note)}" for note in plan.notes]
    return [*lines, ""]


def _risks(plan: Plan, palette: Palette) -> list[str]:
    if not plan.risks:
        return ["No risks.", ""]
    lines = [palette.bold(f"Risks ({len(plan.risks)}):")]
    for risk in plan.risks:
        label = f"{risk.severity.upper():<8} {risk.kind:<9} "
        body = textwrap.wrap(
            _plain(risk.message),
            width=WRAP_WIDTH - 2 - len(label),
            break_long_words=False,
            break_on_hyphens=False,
        )
        lines.append("  " + palette.paint(label, *_SEVERITY_STYLES[risk.severity]) + body[0])
        lines += ["  " + " " * len(label) + rest for rest in body[1:]]
    lines.append("")
    return lines
