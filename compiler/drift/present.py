"""Present the drift report: aligned text, a Markdown issue comment, JSON, GitHub annotations.

Every string read from the dump (names, emails, header values, field values) comes from
whoever could write to the cluster: it is shown through `shown` (one line, no control
or invisible character), and every output passes `defused` (no line starts a workflow
command, no `##[` anywhere), so nothing in a dump can steer a terminal or a CI runner.
The Markdown fits one GitHub comment: entries most severe first, the rest folded, a
visible note where it is cut.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from compiler.drift.model import FAILING_KINDS, Drift, Entry, summary_line
from compiler.formats import Format, Writer
from compiler.review.plan.markdown import Budget, code, fence_for, prose, size
from compiler.review.plan.model import Code, Part, people_parts, plain
from compiler.review.thresholds import Severity
from compiler.terminal import PLAIN, WRAP_WIDTH, Palette
from compiler.text import counted, github_data, github_property, safe_output, visible

FORMAT: Final = "kfroster-drift/1"
MARKER: Final = "<!-- kfroster:drift -->"
DEFAULT_MAX_CHARS: Final = 65_536
MIN_MAX_CHARS: Final = 2_000

_SEVERITY_STYLES: Final[dict[Severity, tuple[str, ...]]] = {
    "critical": ("bold", "red"),
    "high": ("red",),
    "warning": ("yellow",),
    "info": ("cyan",),
}
_ALERTS: Final = (("CAUTION", ("critical", "high")), ("WARNING", ("warning",)))
_ANNOTATION: Final[dict[Severity, str]] = {
    "critical": "error",
    "high": "error",
    "warning": "warning",
    "info": "notice",
}


def shown(text: str) -> str:
    """Show text from the dump on one line: control and invisible characters escaped."""
    return visible(text)


def defused(text: str) -> str:
    """Make a whole output safe for a CI log: no line may start or hold a workflow command."""
    return safe_output(text)


def _plain(message: Iterable[Part]) -> str:
    return "".join(
        shown(part.text)
        if isinstance(part, Code)
        else part
        if isinstance(part, str)
        else _plain(people_parts(part))
        for part in message
    )


def where(entry: Entry, roster: str) -> str:
    """Locate an entry: its first object in the dump, else the roster line it concerns."""
    if entry.objects:
        return shown(entry.objects[0].where())
    if entry.roster_position is not None:
        line, col = entry.roster_position
        return f"{shown(roster)}:{line}:{col}"
    return ""


# ---------------------------------------------------------------------------------------------
# text
# ---------------------------------------------------------------------------------------------


def format_text(drift: Drift, *, palette: Palette = PLAIN) -> str:
    """Render the report for a terminal: the summary, then every entry most severe first."""
    lines = [palette.bold(f"kfroster drift {shown(drift.roster)} against {_inputs(drift)}")]
    lines.append(_read_line(drift))
    lines += [palette.bold(summary_line(drift)), ""]
    for entry in drift.entries:
        label = f"{entry.severity.upper():<8} {entry.kind:<9} "
        located = where(entry, drift.roster)
        head = f"{located}: " if located else ""
        body = textwrap.wrap(
            head + _plain(entry.message),
            width=WRAP_WIDTH - len(label),
            break_long_words=False,
            break_on_hyphens=False,
        )
        lines.append(palette.paint(label, *_SEVERITY_STYLES[entry.severity]) + body[0])
        lines += [" " * len(label) + rest for rest in body[1:]]
        indent = " " * len(label)
        if entry.objects and entry.roster_position is not None:
            line, col = entry.roster_position
            lines.append(f"{indent}roster: {shown(drift.roster)}:{line}:{col}")
        for field in entry.fields:
            lines.append(
                f"{indent}~ {shown(field.path)}: {shown(field.have)} in the cluster, "
                f"{shown(field.want)} in out/"
            )
        if entry.adoption is not None:
            lines.append(f"{indent}--adopt: {shown(entry.adoption.describe())}")
    if not drift.entries:
        lines.append("No drift: the cluster grants what the roster grants.")
    return defused("\n".join(lines).rstrip("\n") + "\n")


def _inputs(drift: Drift) -> str:
    return ", ".join(shown(name) for name in drift.inputs) or "(no input)"


def _read_line(drift: Drift) -> str:
    total = sum(drift.read.values())
    kinds = ", ".join(f"{count:,} {shown(kind)}" for kind, count in drift.read.items())
    cluster = f" (cluster {shown(drift.cluster)})" if drift.cluster else ""
    return f"read {total:,} objects{cluster}: {kinds or 'none'}"


# ---------------------------------------------------------------------------------------------
# GitHub annotations
# ---------------------------------------------------------------------------------------------


def format_github(drift: Drift) -> str:
    """Render every entry as a workflow annotation, located in the dump or the roster."""
    lines = []
    for entry in drift.entries:
        located: list[tuple[str, object]] = []
        if entry.objects:
            located = [("file", entry.objects[0].file), ("line", entry.objects[0].line)]
        elif entry.roster_position is not None:
            line, col = entry.roster_position
            located = [("file", drift.roster), ("line", line), ("col", col)]
        title = f"kfroster drift: {entry.kind} ({entry.severity})"
        properties = ",".join(
            f"{key}={github_property(str(value))}" for key, value in [*located, ("title", title)]
        )
        message = github_data(plain(entry.message))
        lines.append(f"::{_ANNOTATION[entry.severity]} {properties}::{message}")
    # Only kfroster's own annotations may start a line: the summary is defused.
    lines.append(defused(summary_line(drift)))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------------------------


def format_json(drift: Drift) -> str:
    """Render the whole report as one stable JSON document (format kfroster-drift/1)."""
    document = {
        "format": FORMAT,
        "roster": drift.roster,
        "inputs": list(drift.inputs),
        "cluster": drift.cluster,
        "read": dict(drift.read),
        "summary": {kind: drift.count(kind) for kind in (*FAILING_KINDS, "info")},
        "drift": drift.has_drift,
        "entries": [_entry_json(entry) for entry in drift.entries],
        "problems": [
            {
                "file": p.file,
                "line": p.line,
                "col": p.col,
                "rule": p.rule,
                "level": p.level,
                "message": p.message,
            }
            for p in drift.problems
        ],
    }
    return defused(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def _entry_json(entry: Entry) -> dict[str, Any]:
    adoption = entry.adoption
    return {
        "kind": entry.kind,
        "severity": entry.severity,
        "subject": entry.subject,
        "message": plain(entry.message),
        "objects": [
            {
                "group": located.key.group,
                "kind": located.key.kind,
                "namespace": located.key.namespace,
                "name": located.key.name,
                "file": located.file,
                "line": located.line,
            }
            for located in entry.objects
        ],
        "roster": None
        if entry.roster_path is None or entry.roster_position is None
        else {
            "path": list(entry.roster_path),
            "line": entry.roster_position[0],
            "col": entry.roster_position[1],
        },
        "madeBy": entry.made_by,
        "adoption": None
        if adoption is None
        else {
            "kind": adoption.kind,
            "email": adoption.email,
            "profile": adoption.profile,
            "role": adoption.role,
        },
        "fields": [
            {"path": field.path, "cluster": field.have, "out": field.want} for field in entry.fields
        ],
        "revoke": [
            {"group": key.group, "kind": key.kind, "namespace": key.namespace, "name": key.name}
            for key in entry.revoke
        ],
        "missing": None
        if entry.missing is None
        else {
            "group": entry.missing.group,
            "kind": entry.missing.kind,
            "namespace": entry.missing.namespace,
            "name": entry.missing.name,
        },
        "names": list(entry.names),
    }


# ---------------------------------------------------------------------------------------------
# Markdown: one issue comment
# ---------------------------------------------------------------------------------------------


def _inline(message: Iterable[Part]) -> str:
    return "".join(
        code(part.text)
        if isinstance(part, Code)
        else prose(part)
        if isinstance(part, str)
        else _inline(people_parts(part))
        for part in message
    )


def format_markdown(
    drift: Drift, *, max_chars: int = DEFAULT_MAX_CHARS, command: str = "kfroster drift"
) -> str:
    """Render the report as one issue comment of at most max_chars characters.

    The summary and the drift come first, most severe first, as alerts; information and
    the changed fields are folded; whatever does not fit is counted in a closing note.
    """
    if max_chars < MIN_MAX_CHARS:
        raise ValueError(f"max_chars must be at least {MIN_MAX_CHARS}")
    command = visible(command)[:400]
    note_room = 600 + size(command)
    budget = Budget(max_chars - note_room)
    budget.add(
        f"{MARKER}\n### kfroster drift: {code(drift.roster[:200])} against "
        f"{', '.join(code(name[:200]) for name in drift.inputs[:5])}"
        f"{' and more' if len(drift.inputs) > 5 else ''}"
        f"{' (cluster ' + code(drift.cluster) + ')' if drift.cluster else ''}\n\n"
        f"**{summary_line(drift)}**\n\n"
    )
    drifting = [entry for entry in drift.entries if entry.kind != "info"]
    shown_count = 0
    full = False
    for alert, severities in _ALERTS:
        group = [entry for entry in drifting if entry.severity in severities]
        if not group or full or not budget.add(f"> [!{alert}]\n"):
            full = full or bool(group)
            continue
        for entry in group:
            if not budget.add(_entry_line(entry, drift)):
                full = True
                break
            shown_count += 1
        budget.add("\n")
    if not drifting:
        budget.add("✅ No drift: the cluster grants what the roster grants, nothing more.\n\n")
    else:
        adoptable = sum(1 for entry in drifting if entry.adoption is not None)
        budget.add(
            f"{adoptable} of these can be written into the roster: {code(command + ' --adopt')}"
            f"; {code(command + ' --revoke')} prints the `kubectl delete` commands that remove "
            "what was granted outside it.\n\n"
        )
    folded = _fold(budget, "Changed fields", _field_lines(drift), "diff")
    info = [entry for entry in drift.entries if entry.kind == "info"]
    info_lines = [_entry_line(entry, drift) for entry in info]
    folded += _fold(budget, f"{len(info)} information entries (no drift)", info_lines, "")
    text = "".join(budget.parts)
    missing = len(drifting) - shown_count
    if missing or folded:
        what = []
        if missing:
            what.append(f"{counted(missing, 'drift entry', 'drift entries')} not shown")
        if folded:
            what.append(f"{counted(folded, 'folded line')} not shown")
        text += (
            f"> [!NOTE]\n> ✂️ Cut to fit in a comment: {'; '.join(what)}. Run {code(command)} "
            "for the whole report, or see the job summary.\n"
        )
    text = defused(text.rstrip("\n") + "\n")
    if size(text) > max_chars:  # the room kept for the note makes this impossible
        raise AssertionError("the Markdown drift report exceeds its budget")
    return text


def _entry_line(entry: Entry, drift: Drift) -> str:
    label = entry.kind if entry.severity != "critical" else f"{entry.kind} · CRITICAL"
    if entry.severity == "high":
        label += " · high"
    prefix = "> - " if entry.kind != "info" else "- "
    located = where(entry, drift.roster)
    located = f" · {code(located)}" if located else ""
    adopt = ""
    if entry.adoption is not None:
        adopt = " (adoptable)"
    return f"{prefix}**{label}** · {_inline(entry.message)}{located}{adopt}\n"


def _field_lines(drift: Drift) -> list[str]:
    lines = []
    for entry in drift.entries:
        if not entry.fields:
            continue
        lines.append(f"  {shown(entry.subject)}")
        lines += [
            f"~   {shown(field.path)}: {shown(field.have)} in the cluster, "
            f"{shown(field.want)} in out/"
            for field in entry.fields
        ]
    return lines


def _fold(budget: Budget, summary: str, lines: Sequence[str], fence: str) -> int:
    """Add a folded section with as many lines as fit; return how many were left out."""
    if not lines:
        return 0
    opening = f"<details><summary>{prose(summary)}</summary>\n\n"
    ticks = fence_for(lines)
    fence_open, fence_close = (f"{ticks}{fence}\n", f"{ticks}\n") if fence else ("", "")
    closing = "\n</details>\n\n"
    kept = budget.lines_that_fit(
        lines, budget.left - size(opening + fence_open + fence_close + closing)
    )
    if not kept:
        return len(lines)
    budget.add(opening + fence_open + "".join(kept) + fence_close + closing)
    return len(lines) - len(kept)


# The writers of drift.formats.DRIFT_FORMATS, the formats `kfroster drift --format` offers.
WRITERS: Final[Mapping[Format, Writer[Drift]]] = {
    Format.TEXT: lambda drift, style: format_text(drift, palette=style.palette),
    Format.JSON: lambda drift, _style: format_json(drift),
    Format.GITHUB: lambda drift, _style: format_github(drift),
    Format.MARKDOWN: lambda drift, style: format_markdown(
        drift, max_chars=style.max_chars or 65_536, command=style.command or "kfroster drift"
    ),
}
