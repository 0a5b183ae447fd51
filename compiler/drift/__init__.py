"""Hold a live cluster to the roster: access granted outside it, objects missing or changed.

The data flows one way:

  importer.read_cluster     kubectl output → located ClusterObjects, read as `import` reads it
  pipeline.check_source     the roster, validated; render.render_objects compiles it
                            as `compile` does, nothing written
  find.find                 the cluster's objects against the compiled ones → facts
  judge.judge               facts → entries: kind, severity, words, roster line, adoption
  present                   text, markdown (an issue comment), json, github annotations
  adopt.adopt               the roster, edited to grant what the cluster grants and it can say
  revoke.commands           the kubectl commands that remove what it cannot

The dump is compared with one compiled roster: the cluster it comes from, once a roster
names several, is the caller's to choose (`Drift.cluster`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from compiler import pipeline
from compiler.drift.find import find, kinds_read
from compiler.drift.judge import judge
from compiler.drift.model import Drift
from compiler.drift.present import shown
from compiler.importer import ClusterInputInvalid, read_cluster
from compiler.importer.read import ClusterObject
from compiler.model.roster import Roster
from compiler.problems import Invalid, RosterInvalid
from compiler.render import render_objects
from compiler.roster import source as roster_source
from compiler.roster.source import Source

if TYPE_CHECKING:
    from compiler.drift.adopt import Adopted


__all__ = [
    "ClusterInputInvalid",
    "Compared",
    "RosterUnusable",
    "adoption_report",
    "compare",
    "render",
]


class RosterUnusable(Invalid):
    """The roster cannot be compiled, so the cluster cannot be compared with it."""


@dataclass(frozen=True)
class Compared:
    """The report, and what it was made from (adopt edits that roster from those objects)."""

    drift: Drift
    objects: tuple[ClusterObject, ...]
    roster: Roster
    source: Source


@pipeline.cycle_collection_paused()  # a cluster of 100,000 objects, hardly any in a cycle
def compare(
    inputs: Sequence[tuple[str, bytes | str]], roster_path: Path, *, cluster: str | None = None
) -> Compared:
    """Read the dump, compile the roster, compare them.

    Raises ClusterInputInvalid for input that is not kubectl output, RosterUnusable for a
    roster with errors.
    """
    objects = read_cluster(inputs)
    try:
        loaded = roster_source.load(roster_path, str(roster_path))
    except RosterInvalid as err:
        raise RosterUnusable(err.problems) from None
    checked = pipeline.check_source(loaded)
    if checked.roster is None:
        raise RosterUnusable(checked.problems)
    compiled = render_objects(checked.roster)
    found = find(objects, compiled, checked.roster)
    drift = judge(
        found,
        compiled,
        checked.roster,
        loaded,
        inputs=[name for name, _content in inputs],
        read=kinds_read(objects),
        cluster=cluster,
    )
    return Compared(drift, tuple(objects), checked.roster, loaded)


def revoke_script(compared: Compared) -> str:
    """Return the kubectl commands that remove what the cluster grants outside the roster."""
    # Imported here: only --revoke needs it.
    from compiler.drift import revoke  # noqa: PLC0415

    namespaces = {o.name: o for o in compared.objects if o.kind == "Namespace" and not o.group}
    return revoke.script(compared.drift, namespaces)


def adoption_report(adopted: Adopted, roster: str) -> list[str]:
    """Return the lines --adopt prints on stderr: what it wrote, what it could not."""
    lines = [
        f"adopted into {roster}: {len(adopted.added)} grant(s)"
        + ("" if adopted.added else " (nothing to adopt; the roster is unchanged)")
    ]
    lines += [f"  + {shown(line)}" for line in adopted.added]
    if adopted.refused:
        lines.append("refused by the roster's rules (not written):")
        lines += [f"  - {shown(line)}" for line in adopted.refused]
    if adopted.not_adoptable:
        lines.append("not adoptable (no roster can hold it; --revoke prints what removes it):")
        lines += [f"  - {shown(line)}" for line in adopted.not_adoptable]
    if adopted.reformatted:
        lines.append(
            f"note: ruamel.yaml could not keep every untouched line of {roster} as it was "
            "(its indentation is uneven); review the whole diff"
        )
    if adopted.added:
        lines.append(f"next: kfroster compile {roster}, then review and commit both")
    return lines
