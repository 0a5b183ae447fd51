"""The plan as a pull-request comment: summary and risks first, details collapsed, bounded.

The comment starts with a hidden marker, so a workflow can find and edit its one
comment. It never exceeds the budget (GitHub refuses comments over 65,536 characters):
summary and risks come first and are kept; sections that do not fit are cut whole or
closed early, never leaving a code fence or a `<details>` open, and the cut is said.
Every roster string is shown as code (inline code, or HTML-escaped `<code>` inside
`<summary>`), so a name, an email or a label cannot inject Markdown, HTML or mentions.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

from compiler.problems import format_text
from compiler.review.plan.common import (
    ENGINE_TITLE,
    ENGINE_WHY,
    MOVES_TITLE,
    MOVES_WHY,
    fact_message,
    move_line,
    object_lines,
    subject_title,
)
from compiler.review.plan.model import (
    Code,
    Message,
    Part,
    Plan,
    Risk,
    RiskKind,
    SubjectChange,
    cluster_summary_line,
    people_parts,
    plain,
    summary_line,
)
from compiler.text import clip, counted, visible

MARKER = "<!-- kfroster:plan -->"
DEFAULT_MAX_CHARS = 65_536
# Below this, the summary, the first risks and the note about the cut may not fit.
MIN_MAX_CHARS = 2_000

_MAX_NAME = 120  # a side's name (a path, a git revision) in the title
PEOPLE_PER_RISK = 8  # people a risk names in a comment; the job summary names everyone
_MAX_LISTED = 5  # cut sections named in the closing note
_ALERTS = (
    ("CAUTION", ("critical", "high")),
    ("WARNING", ("warning",)),
    ("NOTE", ("info",)),
)
_BACKTICKS = re.compile(r"`+")
# Prose is ours, but escape what Markdown would read, should a phrase ever carry it.
_PROSE_SPECIALS = re.compile(r"([\\`*_\[\]<>|&])")


def size(text: str) -> int:
    """Count characters as GitHub does (UTF-16 code units), to stay within its limit."""
    if text.isascii():
        return len(text)
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def code(text: str) -> str:
    """Show a roster string as inline code that nothing inside can close or break."""
    shown = visible(text)
    if not shown:
        return "(empty)"
    longest = max((len(run) for run in _BACKTICKS.findall(shown)), default=0)
    fence = "`" * (longest + 1)
    padded = shown.startswith(("`", " ")) or shown.endswith(("`", " "))
    return f"{fence} {shown} {fence}" if padded else f"{fence}{shown}{fence}"


def html_code(text: str) -> str:
    """Show a roster string as `<code>` inside raw HTML such as `<summary>`."""
    shown = visible(text)
    return f"<code>{html.escape(shown, quote=True)}</code>" if shown else "(empty)"


def prose(text: str) -> str:
    """Escape our own words for Markdown (a no-op for the phrases kfroster writes)."""
    return _PROSE_SPECIALS.sub(r"\\\1", text)


def inline(message: Iterable[Part], names: int | None = None, where: Message = ()) -> str:
    """Write a message as Markdown: roster values as code, prose escaped.

    A list of people names at most `names` of them (None: all), saying `where` the rest are.
    """
    return "".join(
        code(part.text)
        if isinstance(part, Code)
        else prose(part)
        if isinstance(part, str)
        else inline(people_parts(part, names, where))
        for part in message
    )


def in_html(message: Iterable[Part]) -> str:
    """Write a message inside raw HTML."""
    return "".join(
        html_code(part.text)
        if isinstance(part, Code)
        else html.escape(part)
        if isinstance(part, str)
        else in_html(people_parts(part))
        for part in message
    )


def fence_for(lines: Sequence[str]) -> str:
    """The code fence that no run of backticks in lines can close early."""
    longest = max((len(run) for line in lines for run in _BACKTICKS.findall(line)), default=0)
    return "`" * max(3, longest + 1)


class Budget:
    """Collects a comment's pieces while they fit in what is left of its characters."""

    def __init__(self, left: int) -> None:
        self.left = left
        self.parts: list[str] = []
        self.cut_short = False  # a section was shown only in part

    def add(self, text: str) -> bool:
        """Append text if it fits; say whether it did."""
        cost = size(text)
        if cost > self.left:
            return False
        self.left -= cost
        self.parts.append(text)
        return True

    def lines_that_fit(self, lines: Sequence[str], room: int) -> list[str]:
        """Return the leading lines (newline-terminated) that fit in room characters."""
        kept: list[str] = []
        for line in lines:
            ended = line if line.endswith("\n") else line + "\n"
            if size(ended) > room:
                break
            room -= size(ended)
            kept.append(ended)
        return kept


def _risk_line(risk: Risk, names: int | None, where: Message) -> str:
    label: str = risk.kind
    if risk.severity == "critical":
        label += " · CRITICAL"
    elif risk.severity == "info":
        label += " (information)"
    return f"> - **{label}** · {inline(risk.message, names, where)}\n"


def _cut_lines(count: int) -> str:
    return f"\n_… {counted(count, 'more line')} not shown_\n"


def _section(
    writer: Budget, summary: str, body: Sequence[str], code_lines: Sequence[str], syntax: str
) -> bool:
    """Add one collapsed section, cut inside when it does not fit; False when nothing fits.

    Facts come first as a list, then the object lines in a fence; a cut keeps the
    opening of both and always closes the fence and the `<details>`.
    """
    opening = f"<details><summary>{summary}</summary>\n\n"
    closing = "\n</details>\n\n"
    fence = fence_for(code_lines)
    fence_open, fence_close = f"{fence}{syntax}\n", f"{fence}\n"

    def assemble(kept_body: Sequence[str], kept_code: Sequence[str], note: str) -> str:
        text = opening + "".join(kept_body)
        if kept_code:
            text += ("\n" if kept_body else "") + fence_open + "".join(kept_code) + fence_close
        return text + note + closing

    whole = assemble([line + "\n" for line in body], [line + "\n" for line in code_lines], "")
    if writer.add(whole):
        return True
    total = len(body) + len(code_lines)
    overhead = size(assemble([], ["x\n"], _cut_lines(total))) + 1
    # Not worth a section with a line or two: leave it whole for the closing note.
    if overhead + 120 > writer.left:
        return False
    room = writer.left - overhead
    kept_body = writer.lines_that_fit(body, room)
    room -= sum(size(line) for line in kept_body)
    kept_code = writer.lines_that_fit(code_lines, room) if len(kept_body) == len(body) else []
    missing = total - len(kept_body) - len(kept_code)
    writer.cut_short = True
    return writer.add(assemble(kept_body, kept_code, _cut_lines(missing)))


def format_markdown(
    plan: Plan, *, max_chars: int = DEFAULT_MAX_CHARS, command: str = "kfroster diff"
) -> str:
    """Write the plan as a pull-request comment of at most max_chars characters."""
    if max_chars < MIN_MAX_CHARS:
        raise ValueError(f"max_chars must be at least {MIN_MAX_CHARS}")
    command = clip(command, 2 * _MAX_NAME + 40)
    longest = ["x" * 64] * _MAX_LISTED
    worst_note = _cut_note(len(plan.risks), len(plan.changes), longest, command, cut_short=True)
    writer = Budget(max_chars - size(worst_note) - 2)
    writer.add(
        f"{MARKER}\n### kfroster plan: {code(clip(plan.base, _MAX_NAME))} → "
        f"{code(clip(plan.head, _MAX_NAME))}\n\n"
    )
    if not plan.valid:
        _add_invalid(plan, writer, command)
    else:
        writer.add(f"**{summary_line(plan)}**\n\n")
        if (per_cluster := cluster_summary_line(plan)) is not None:
            writer.add(f"{prose(per_cluster)}\n\n")
        # A comment names a few people per risk (the rarest changes first); a job summary, all.
        names = PEOPLE_PER_RISK if max_chars <= DEFAULT_MAX_CHARS else None
        where: Message = ("the job summary of the check and ", Code(command), " name everyone")
        shown_risks = _add_risks(plan, writer, names, where)
        shown = 0
        if shown_risks == len(plan.risks):
            _add_warnings(plan, writer)
            _add_engine(plan, writer)
            _add_moves(plan, writer)
            flags = _Flags(plan)
            for change in plan.changes:
                if not _add_subject(flags, change, writer, plan.clusters):
                    break
                shown += 1
        if shown_risks < len(plan.risks) or shown < len(plan.changes) or writer.cut_short:
            cut = [clip(_subject_name(change), 64) for change in plan.changes[shown:]]
            missing_risks = len(plan.risks) - shown_risks
            missing = len(plan.changes) - shown
            note = _cut_note(missing_risks, missing, cut[:_MAX_LISTED], command, writer.cut_short)
            writer.parts.append(note)
        elif not plan.has_changes:
            writer.parts.append("No changes.\n")
    text = "".join(writer.parts).rstrip("\n") + "\n"
    if size(text) > max_chars:  # the reserve above makes this impossible
        raise AssertionError("the Markdown plan exceeds its budget")
    return text


def _add_risks(plan: Plan, writer: Budget, names: int | None, where: Message) -> int:
    """Add the risks, one alert per severity group; return how many fit."""
    if not plan.risks:
        writer.add(
            "✅ No risks: nobody gains privilege, no profile is added or leaves, no owner changes, "
            "no quota or limit is lowered, no setting changes.\n\n"
        )
        return 0
    shown = 0
    for alert, severities in _ALERTS:
        risks = [risk for risk in plan.risks if risk.severity in severities]
        if not risks:
            continue
        if not writer.add(f"> [!{alert}]\n" + _risk_line(risks[0], names, where)):
            return shown
        shown += 1
        for risk in risks[1:]:
            if not writer.add(_risk_line(risk, names, where)):
                writer.add("\n")
                return shown
            shown += 1
        writer.add("\n")
    return shown


def _add_warnings(plan: Plan, writer: Budget) -> None:
    warnings = [problem for problem in plan.problems if problem.level == "warning"]
    if warnings:
        summary = f"⚠️ {counted(len(warnings), 'validation warning')} in {html_code(plan.head)}"
        lines = [visible(format_text(problem)) for problem in warnings]
        _section(writer, summary, [], lines, "text")


def _add_engine(plan: Plan, writer: Budget) -> None:
    if not plan.engine and not plan.notes:
        return
    count = len(plan.engine)
    summary = f"⚠️ <b>{ENGINE_TITLE}</b>: {counted(count, 'object')}"
    body = [f"{prose(ENGINE_WHY)}."] + [f"- note: {code(note)}" for note in plan.notes]
    lines = [
        f"{sign or ' '} {text}" for sign, text in object_lines(plan.engine, clusters=plan.clusters)
    ]
    _section(writer, summary, body, lines, "diff")


def _add_moves(plan: Plan, writer: Budget) -> None:
    if not plan.moves:
        return
    count = sum(move.objects for move in plan.moves)
    stay = counted(count, "object stays", "objects stay")
    summary = f"<b>{MOVES_TITLE}</b>: {stay} the same"
    lines = [f"{move.cluster}: {move_line(move)}" for move in plan.moves]
    _section(writer, summary, [f"{prose(MOVES_WHY)}."], [visible(line) for line in lines], "text")


def _subject_name(change: SubjectChange) -> str:
    return plain(subject_title(change))


class _Flags:
    """The kinds of blocking risk that concern each section, to flag it when collapsed.

    Indexed once per plan: a plan with thousands of people and risks looks each up.
    """

    def __init__(self, plan: Plan) -> None:
        self.by_subject: dict[str, set[RiskKind]] = {}
        self.by_user: dict[str, set[RiskKind]] = {}
        for risk in plan.risks:
            if risk.blocking:
                self.by_subject.setdefault(risk.subject, set()).add(risk.kind)
                self.by_subject.setdefault(risk.subject.split(".", 1)[0] + ".", set()).add(
                    risk.kind
                )
                for user in risk.users:
                    self.by_user.setdefault(user, set()).add(risk.kind)

    def of(self, change: SubjectChange) -> list[RiskKind]:
        """Return the kinds that concern a section, sorted."""
        kinds = set(self.by_subject.get(f"{change.type} {change.name}", ()))
        kinds |= self.by_subject.get(f"{change.type}.", set())
        if change.type == "user":
            kinds |= self.by_user.get(change.name, set())
        if change.type == "clusters":  # the layout risks: `clusters`, `cluster NAME`
            kinds |= self.by_subject.get("clusters", set())
            kinds |= {
                k for s, found in self.by_subject.items() if s.startswith("cluster ") for k in found
            }
        return sorted(kinds)


def _add_subject(
    flags: _Flags, change: SubjectChange, writer: Budget, clusters: Sequence[str]
) -> bool:
    details = [f"<b>{in_html(subject_title(change))}</b>: {change.status}"]
    if change.objects:
        count = sum(obj.operations for obj in change.objects)
        details.append(counted(count, "object"))
    kinds = flags.of(change)
    if kinds:
        details.append("⚠️ " + ", ".join(kinds))
    body = [f"- {inline(fact_message(fact, change.status, clusters))}" for fact in change.facts]
    in_namespace = change.type == "profile"
    objects = object_lines(change.objects, in_namespace=in_namespace, clusters=clusters)
    code_lines = [f"{sign or ' '} {text}" for sign, text in objects]
    return _section(writer, " · ".join(details), body, code_lines, "diff")


def _cut_note(risks: int, sections: int, cut: Sequence[str], command: str, cut_short: bool) -> str:
    what: list[str] = ["the last section shown is cut short"] if cut_short else []
    if risks:
        what.append(f"{counted(risks, 'risk')} not shown")
    if sections:
        named = ", ".join(code(name) for name in cut)
        more = ", …" if sections > len(cut) else ""
        what.append(f"{counted(sections, 'section')} not shown ({named}{more})")
    return (
        "> [!NOTE]\n"
        f"> ✂️ Cut to fit in a comment: {'; '.join(what)}. "
        f"Run {code(command)} for the complete plan, or see the job summary of the check "
        "that posted this comment.\n"
    )


def _add_invalid(plan: Plan, writer: Budget, command: str) -> None:
    names = " and ".join(code(clip(name, _MAX_NAME)) for name in plan.invalid)
    errors = sum(1 for problem in plan.problems if problem.level == "error")
    writer.add(
        f"> [!CAUTION]\n> **No plan: {names} failed validation** "
        f"({counted(errors, 'error')}). Fix the roster; "
        f"{code(command)} and `kfroster validate` list the same problems.\n\n"
    )
    lines = [visible(format_text(problem)) for problem in plan.problems]
    fence = fence_for(lines)
    opening, closing = f"{fence}text\n", f"{fence}\n"
    note_room = 60
    room = writer.left - size(opening + closing) - note_room
    kept = writer.lines_that_fit(lines, room)
    missing = len(lines) - len(kept)
    note = f"\n_… {missing} more problems not shown_\n" if missing else ""
    if kept:
        writer.add(opening + "".join(kept) + closing + note)
    elif note:
        writer.add(note)
