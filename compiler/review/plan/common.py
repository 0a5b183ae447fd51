"""Phrasing shared by the text and Markdown plans: facts, paths, values, object lines."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from compiler.review.plan.model import (
    ABSENT,
    Code,
    Fact,
    FieldChange,
    Message,
    Move,
    ObjectChange,
    Part,
    Status,
    SubjectChange,
    via_phrase,
    where_phrase,
)
from compiler.text import clip, counted, visible

# Values longer than this (a whole added subtree) are cut in human-readable plans.
MAX_VALUE_CHARS = 300

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*").fullmatch

SIGNS = {"add": "+", "change": "~", "delete": "-", "orphan": "="}
STATUS_SIGNS: dict[Status, str] = {"added": "+", "changed": "~", "removed": "-"}


def format_path(path: Sequence[str | int]) -> str:
    """Write a field path: `spec.resourceQuotaSpec.hard.cpu`, `metadata.labels["a.b/c"]`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _IDENTIFIER(part):
            text += f".{part}" if text else part
        else:
            text += f"[{json.dumps(part, ensure_ascii=False)}]"
    return visible(text)


def format_value(value: Any) -> str:
    """Write a manifest value as compact JSON (strings quoted, so `"8"` differs from `8`)."""
    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return clip(visible(text), MAX_VALUE_CHARS)


def field_line(change: FieldChange) -> tuple[str, str]:
    """Return the sign and text of one changed field."""
    path = format_path(change.path)
    if change.old is ABSENT:
        return "+", f"{path}: {format_value(change.new)}"
    if change.new is ABSENT:
        return "-", f"{path}: {format_value(change.old)}"
    return "~", f"{path}: {format_value(change.old)} → {format_value(change.new)}"


def object_line(change: ObjectChange, *, in_namespace: bool = False) -> str:
    """Write an object as `Kind namespace/name`, or `Kind name` inside its profile's section."""
    key = change.key
    name = key.name if in_namespace or not key.namespace else f"{key.namespace}/{key.name}"
    line = f"{key.kind} {visible(name)}"
    if change.action == "orphan":
        line += "  (leaves out/, stays in the cluster: prune is disabled on it)"
    return line


def object_lines(
    objects: Sequence[ObjectChange],
    *,
    in_namespace: bool = False,
    clusters: Sequence[str] = (),
) -> list[tuple[str, str]]:
    """Return (sign, text) lines for objects, each changed object followed by its fields.

    With clusters (the plan's), the objects are grouped under the clusters they change in,
    so an object that changes alike in twenty clusters is listed once.
    """
    if not clusters:
        return _object_lines(objects, in_namespace, "")
    groups: dict[tuple[str, ...], list[ObjectChange]] = {}
    for change in objects:
        groups.setdefault(change.clusters, []).append(change)
    order = {name: number for number, name in enumerate(clusters)}
    lines: list[tuple[str, str]] = []
    for where in sorted(groups, key=lambda names: [order.get(n, len(order)) for n in names]):
        # No cluster: a file directly in out/ or deploy/, which every engine that reads
        # the whole directory applies.
        said = plain_text(where_phrase(where, clusters)) if where else "in no cluster's directory"
        lines.append(("", said + ":"))
        lines += _object_lines(groups[where], in_namespace, "  ")
    return lines


def _object_lines(
    objects: Sequence[ObjectChange], in_namespace: bool, indent: str
) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = []
    for change in objects:
        lines.append(
            (SIGNS[change.action], indent + object_line(change, in_namespace=in_namespace))
        )
        for field in change.fields:
            sign, text = field_line(field)
            lines.append((sign, indent + "    " + text))
    return lines


def plain_text(message: Message) -> str:
    """Join a message of prose and roster values (no people) into text, values made visible."""
    return "".join(visible(part.text) if isinstance(part, Code) else str(part) for part in message)


def move_line(move: Move) -> str:
    """Say where objects that stay the same are applied from now."""
    old = f"out/{move.old}" if move.old else "out"
    new = f"out/{move.new}" if move.new else "out"
    stay = counted(move.objects, "object stays", "objects stay")
    line = f"{visible(old)}/ → {visible(new)}/: {stay} the same"
    if move.old_applier or move.new_applier:
        line += f", applied by {visible(move.new_applier)} (was {visible(move.old_applier)})"
    return line


def subject_title(change: SubjectChange) -> Message:
    """Name a section: `user alice`, `profile team`, `settings`."""
    if change.type in ("settings", "policy", "defaults", "clusters"):
        return (change.type,)
    if change.type == "other":
        return ("object ", Code(change.name))
    return (f"{change.type} ", Code(change.name))


def _value(text: str | None) -> Part:
    return "none" if text is None else Code(text)


def fact_message(fact: Fact, status: Status, clusters: Sequence[str] = ()) -> Message:
    """Phrase one roster-level change, and where it holds when that is not every cluster."""
    said = _fact_message(fact, status)
    if clusters and fact.clusters and set(fact.clusters) != set(clusters):
        return (*said, " (", *where_phrase(fact.clusters, clusters), ")")
    return said


def _fact_message(fact: Fact, status: Status) -> Message:
    """Phrase one roster-level change; added or removed subjects show their one value."""
    head, *rest = fact.path
    target = str(rest[0]) if rest else ""
    joined = fact.old is None
    if head == "group" and rest:
        return (("joins" if joined else "leaves") + " group ", Code(target))
    if head == "member" and rest:
        return (Code(target), " joins" if joined else " leaves")
    if head == "access" and rest:
        label: list[Part] = ["profile ", Code(target)]
    elif head == "contributor" and rest:
        label = ["contributor ", Code(target)]
    elif head == "cluster" and rest:
        label = ["cluster ", Code(target)]
    elif head == "clusterRole":
        label = ["cluster-wide role"]
    elif head in ("email", "owner", "plugins"):
        label = [str(head)]
    else:
        label = [Code(format_path(fact.path))]
    shown: list[Part] = [fact.shown] if fact.shown and fact.new is not None else []
    if status == "changed" and fact.old == fact.new:  # only where it comes from changed
        now = [*via_phrase(fact.via), *(["; ", *shown] if shown else [])]
        return (*label, ": ", _value(fact.new), " (now ", *now, ")")
    if status == "changed":
        change: list[Part] = [_value(fact.old), " → ", _value(fact.new)]
    else:
        change = [_value(fact.new if status == "added" else fact.old)]
    notes = [via_phrase(fact.via)] if fact.via else []
    if shown and status != "removed":
        notes.append(shown)
    if not notes:
        return (*label, ": ", *change)
    return (*label, ": ", *change, " (", *_joined(notes, "; "), ")")


def _joined(phrases: Sequence[Sequence[Part]], separator: str) -> list[Part]:
    parts: list[Part] = []
    for number, phrase in enumerate(phrases):
        parts += [separator, *phrase] if number else list(phrase)
    return parts


def fact_sign(fact: Fact, status: Status) -> str:
    """Return +, - or ~ for a fact, from its values or its subject's status."""
    if status != "changed":
        return STATUS_SIGNS[status]
    if fact.old is None:
        return "+"
    return "-" if fact.new is None else "~"


ENGINE_TITLE = "Changes no roster change explains"
ENGINE_WHY = (
    "what the engine applies now (out/ and deploy/ at the base revision) against this compile "
    "of the same roster: kfroster, its defaults or a committed file changed"
)


MOVES_TITLE = "Moves"
MOVES_WHY = (
    "objects that stay the same but are applied from another directory of out/ now, and, "
    "when settings.deploy says, by which Flux Kustomization or Argo CD Application"
)
