"""Locate each risk of a plan at the roster line of the record that causes it.

A risk names its record (`Risk.record`: a list record by name, or a section's key); this
finds it in the head, where a reviewer reads the change, or in the base when the head no
longer has it (a profile removed), and asks that side's Source for the line, the way
validation locates its problems. A section's key (`settings`, `policy`, `defaults`) is
always looked for in the head; one it does not write (a setting back at its default) is
located at what holds it, as Source.locate does for any missing node.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from compiler.model.roster import Roster
from compiler.pipeline import Checked
from compiler.problems import NodePath
from compiler.review.plan.model import Location, Record, Risk

# The roster's lists of named records, by key.
_LISTS = frozenset({"users", "groups", "profiles"})


def locate_risks(
    risks: Iterable[Risk], base: tuple[str, Checked], head: tuple[str, Checked]
) -> tuple[Risk, ...]:
    """Return the risks, each with the location of its record (None when it has none).

    `base` and `head` are each side's name (what a location's file says) and its check.
    """
    located = []
    for risk in risks:
        location = None
        for name, checked in (head, base):
            path = _path(risk.record, checked.roster)
            if path is not None and checked.source is not None:
                line, col = checked.source.locate(path)
                location = Location(name, line, col)
                break
        located.append(replace(risk, location=location))
    return tuple(located)


def _path(record: Record, roster: Roster | None) -> NodePath | None:
    """Return where a record sits in a roster's document; None when the roster lacks it."""
    if not record or roster is None:
        return None
    section, *rest = record
    if section not in _LISTS:
        return (section, *rest)
    if not rest:
        return None
    name, *keys = rest
    # A valid roster keeps every record, so its list indexes are the document's.
    for index, entry in enumerate(getattr(roster, section)):
        if entry.name == name:
            return (section, index, *keys)
    return None
