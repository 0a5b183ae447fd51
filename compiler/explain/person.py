"""Explain someone from roster files: the working tree's roster and, with a base, git's.

The wiring `kfroster explain` calls: load and validate the roster (RosterInvalid with
every problem), read the base revision's roster when asked (what the cluster was applied
from), check a --cluster name against the roster, then explain (access.py, pure): in
each cluster the roster names, or the one asked for.
"""

from __future__ import annotations

from pathlib import Path

from compiler import pipeline
from compiler.explain.access import ByCluster, UnknownPerson, explain_clusters
from compiler.problems import CompilerError
from compiler.review import gitrev


def explain_person(
    roster: Path, who: str, base: str | None = None, cluster: str | None = None
) -> ByCluster:
    """Explain what WHO can do under the roster file, per cluster or in `cluster` only.

    With a git revision, also what leaves since. Raises pipeline.UnknownCluster, located at
    the roster, for a cluster name the roster does not name.
    """
    valid = pipeline.validate(roster, str(roster))
    if cluster is not None:
        try:
            pipeline.cluster_roster(valid.roster, cluster)
        except pipeline.UnknownCluster as err:
            raise pipeline.UnknownCluster(f"{roster}: {err}") from None
    before = None
    if base is not None:
        at_base = pipeline.check_text(gitrev.read_at(roster, base), f"{roster}@{base}")
        if at_base.roster is None:
            raise CompilerError(f"{roster}@{base} is invalid; run kfroster diff --base {base}")
        before = at_base.roster
    try:
        return explain_clusters(valid.roster, who, before, cluster)
    except UnknownPerson as err:
        raise UnknownPerson(err.who, err.suggestions, roster=str(roster)) from None
