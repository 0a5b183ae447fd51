"""The report of `kfroster import`: what was read and found, and what the switch-over does."""

from __future__ import annotations

import json
import shlex
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, NamedTuple

from compiler.formats import Format, Formats
from compiler.problems import Problem
from compiler.problems import format_text as problem_line
from compiler.text import counted, visible

if TYPE_CHECKING:  # types only: the command line imports this module to list its formats
    from compiler.importer import Imported
    from compiler.importer.switch import Change
    from compiler.model.keys import ResourceKey


class Report(NamedTuple):
    """An import, the names of the inputs it read, and where its roster was written."""

    imported: Imported
    inputs: Sequence[str]
    output: str


_NAMED = 20  # derived user names the report spells out; --report's JSON holds them all


def format_text(report: Report) -> str:
    """Write the report as text: what was read, findings, what was left alone, the switch-over."""

    imported, inputs, output = report
    total = sum(imported.read.values())
    kinds = ", ".join(f"{count} {kind}" for kind, count in imported.read.items())
    lines = [f"read {counted(total, 'object')} from {', '.join(inputs)}: {kinds or 'none'}"]
    lines.extend(problem_line(p) for p in imported.findings)
    for category, items in imported.left_alone.items():
        lines.append(f"left alone: {len(items)} {category}")
    roster = imported.roster
    contributors = sum(len(p.contributors) for p in roster.profiles)
    lines.append(
        f"wrote {output}: {counted(len(roster.users), 'user')}, "
        f"{counted(len(roster.profiles), 'profile')}, {counted(contributors, 'contributor')}; "
        f"{counted(len(imported.findings), 'finding')} above"
    )
    lines.extend(problem_line(p) for p in imported.warnings)
    if imported.derived:
        named = [f"{name} ({email})" for name, email in list(imported.derived.items())[:_NAMED]]
        more = len(imported.derived) - len(named)
        lines.append(
            "user names derived from emails (check them; --report lists all): "
            + ", ".join(named)
            + (f" and {more:,} more" if more else "")
        )
    switch = imported.switch
    lines.append("")
    lines.append(f"Switch-over: what applying `kfroster compile {output}` changes in the cluster")
    for change in switch.changes:
        lines.append(f"  {change.action:<6}  {change.key.describe()}: {change.detail}")
    for what, number in switch.routine:
        lines.append(f"  {counted(number, 'existing object')} {what}")
    lines.append(
        f"Plan: {switch.count('create')} to create, {switch.count('change')} to change, "
        f"{switch.count('keep')} to delete by hand, {switch.count('prune')} pruned."
    )
    commands = _delete_commands(switch.changes, imported.partly_expressed)
    if commands:
        lines.append("Once out/ is applied, delete what it replaced:")
        lines.extend(f"  {command}" for command in commands)
    if switch.releases:
        lines.append(
            "Namespaces their Profile owns go with it: the roster keeps those Profiles "
            "(namespaceOwnedByProfile). To let removing a profile revoke its owner's access "
            "and keep the data, remove the ownerReference, then drop namespaceOwnedByProfile:"
        )
        lines.extend(f"  {command}" for command in switch.releases)
    # Names come from the cluster (RBAC names may hold line breaks): one line each, escaped.
    return "".join(visible(line) + "\n" for line in lines)


def _delete_commands(
    changes: Iterable[Change], partly_expressed: frozenset[ResourceKey]
) -> list[str]:
    """Return the kubectl commands that remove the objects the roster replaced."""
    doomed: dict[tuple[str, str], list[str]] = defaultdict(list)
    for change in changes:
        if change.action == "keep" and change.key not in partly_expressed:
            doomed[(change.key.kind.lower(), change.key.namespace)].append(change.key.name)
    # Each word quoted for the shell: a name may hold a space, `;` or `$(...)`.
    return [
        shlex.join(["kubectl", "delete", kind, *(["-n", space] if space else []), *sorted(found)])
        for (kind, space), found in sorted(doomed.items())
    ]


def format_json(report: Report) -> str:
    """Write the whole report as JSON, for bots and for keeping next to the roster."""
    imported = report.imported
    document = {
        "read": dict(imported.read),
        "findings": [_problem_dict(p) for p in imported.findings],
        "validation": [_problem_dict(p) for p in imported.warnings],
        "leftAlone": {k: list(v) for k, v in imported.left_alone.items()},
        "derivedNames": dict(imported.derived),
        "switchOver": {
            "changes": [
                {
                    "action": c.action,
                    "group": c.key[0],
                    "kind": c.key[1],
                    "namespace": c.key[2],
                    "name": c.key[3],
                    "detail": c.detail,
                }
                for c in imported.switch.changes
            ],
            "routine": dict(imported.switch.routine),
            "releases": list(imported.switch.releases),
        },
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _problem_dict(problem: Problem) -> dict[str, Any]:
    found = asdict(problem)
    del found["path"]
    return found


REPORT_FORMATS: Formats[Report] = Formats(
    "the import report",
    {
        Format.TEXT: lambda report, _style: format_text(report),
        Format.JSON: lambda report, _style: format_json(report),
    },
)
