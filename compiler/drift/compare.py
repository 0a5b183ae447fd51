"""Compare a cluster dump with the roster: the report, and what adopt and revoke need."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from compiler import pipeline
from compiler.drift.find import find, kinds_read
from compiler.drift.judge import judge
from compiler.drift.model import Drift
from compiler.drift.present import shown
from compiler.forked import Forked
from compiler.importer import ClusterInputInvalid, read_cluster, read_json
from compiler.importer.read import ClusterObject
from compiler.model.keys import Manifest, ResourceKey
from compiler.model.roster import Roster
from compiler.problems import Invalid, RosterInvalid
from compiler.render import render_objects
from compiler.roster import source as roster_source
from compiler.roster.source import Source
from compiler.text import counted

if TYPE_CHECKING:
    from compiler.drift.adopt import Adopted


__all__ = [
    "ClusterInputInvalid",
    "Compared",
    "RosterUnusable",
    "adoption_report",
    "compare",
    "revoke_script",
]


# Dumps of at least this many bytes are read while a child compiles the roster: below it,
# the fork and the pickled roster cost more than they save (1,000 users print 28 MB).
PARALLEL_ABOVE: Final = 8_000_000


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
    """Read the dump, compile the roster (for `cluster`, when it names clusters), compare them.

    Raises ClusterInputInvalid for input that is not kubectl output, RosterUnusable for a
    roster with errors, pipeline.UnknownCluster when `cluster` is not one the roster names
    (or is missing while it names some, or given while it names none).
    """
    if sum(len(content) for _name, content in inputs) < PARALLEL_ABOVE:
        roster = _compiled(roster_path, cluster)  # first: a roster error costs no read
        return _judged(read_cluster(inputs), roster, inputs, cluster)

    # A large dump: a child compiles the roster, then checks what only the checked JSON
    # read refuses (a key written twice, an escaped surrogate), while this process reads
    # the dump without those checks (the machines have two cores). A roster error is then
    # reported once the dump is read.
    def compile_roster() -> _Compiled:
        return _compiled(roster_path, cluster)

    def check_text() -> bool:
        return all(read_json.same_unchecked(content) for _name, content in inputs)

    with Forked(compile_roster, check_text) as child:
        objects = read_cluster(inputs, unchecked=True)
        roster = child.result(compile_roster)
        compared = _judged(objects, roster, inputs, cluster)
        if child.result(check_text):
            return compared
    # What only the checked read refuses: read again as every dump is read, which says
    # where (or hands the text to the YAML reader).
    return _judged(read_cluster(inputs), roster, inputs, cluster)


def _judged(
    objects: list[ClusterObject],
    roster: _Compiled,
    inputs: Sequence[tuple[str, bytes | str]],
    cluster: str | None,
) -> Compared:
    """Compare the objects read with the compiled roster and judge what differs."""
    found = find(objects, roster.compiled, roster.there)
    drift = judge(
        found,
        roster.compiled,
        roster.there,
        roster.source,
        inputs=[name for name, _content in inputs],
        read=kinds_read(objects),
        cluster=cluster,
        written=roster.written,
    )
    return Compared(drift, tuple(objects), roster.there, roster.source)


@dataclass(frozen=True)
class _Compiled:
    """The roster as written, the one its cluster gets, and what that compiles to."""

    source: Source
    written: Roster
    there: Roster
    compiled: dict[ResourceKey, Manifest]


def _compiled(roster_path: Path, cluster: str | None) -> _Compiled:
    """Load, check and compile the roster for `cluster`; raise as compare() says."""
    try:
        loaded = roster_source.load(roster_path, str(roster_path))
    except RosterInvalid as err:
        raise RosterUnusable(err.problems) from None
    checked = pipeline.check_source(loaded)
    if checked.roster is None:
        raise RosterUnusable(checked.problems)
    there = pipeline.cluster_roster(checked.roster, cluster)
    return _Compiled(loaded, checked.roster, there, render_objects(there))


def revoke_script(compared: Compared) -> str:
    """Return the kubectl commands that remove what the cluster grants outside the roster."""
    # Imported here: only --revoke needs it.
    from compiler.drift import revoke  # noqa: PLC0415

    namespaces = {o.name: o for o in compared.objects if o.kind == "Namespace" and not o.group}
    return revoke.script(compared.drift, namespaces)


def adoption_report(adopted: Adopted, roster: str) -> list[str]:
    """Return the lines --adopt prints on stderr: what it wrote, what it could not."""
    lines = [
        f"adopted into {roster}: {counted(len(adopted.added), 'grant')}"
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
