"""Plans of rosters with clusters: naming clusters changes where a risk holds, never what it says.

Two clusters that hold the same roster (no overrides, no restrictions) each get exactly the
plan of the roster without clusters: the plan with clusters must therefore say every risk,
fact and object change of the one-cluster plan once, naming both clusters, and nothing else.
This checks the per-cluster comparison and the merging against the one-cluster plan for
random pull requests (tests/property/test_differential.py's rosters and edits).
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from compiler.review import diff
from compiler.review.plan.model import Plan, plain
from tests.property.test_differential import edited, rosters, side
from tests.strategies import examples

CLUSTERS = ("east", "west")
PREFIX = "in every cluster (2: east and west): "


def with_two_clusters(roster: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(roster)
    data["clusters"] = [{"name": name} for name in CLUSTERS]
    return data


def risks_of(plan: Plan) -> list[tuple[str, str, str, str, tuple[str, ...]]]:
    return sorted(
        (r.kind, r.severity, r.subject, plain(r.message), tuple(sorted(r.users)))
        for r in plan.risks
    )


@settings(
    max_examples=examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(data=st.data(), base=rosters())
def test_two_alike_clusters_plan_what_one_does_once_naming_both(
    data: st.DataObject, base: dict[str, Any]
) -> None:
    head = data.draw(edited(base))
    one = diff.make_plan(side(base, "base"), side(head, "head"))
    assume(one.valid)
    many = diff.make_plan(
        side(with_two_clusters(base), "base"), side(with_two_clusters(head), "head")
    )
    assert many.valid and many.clusters == CLUSTERS
    assert all(risk.clusters == CLUSTERS for risk in many.risks)
    assert all(plain(risk.message).startswith(PREFIX) for risk in many.risks)
    unprefixed = [
        replace(r, message=(plain(r.message).removeprefix(PREFIX),), clusters=())
        for r in many.risks
    ]
    assert risks_of(replace(many, risks=tuple(unprefixed))) == risks_of(one)
    assert all(change.clusters == CLUSTERS for change in many.objects)
    assert [replace(c, clusters=()) for c in many.objects] == list(one.objects)
    assert [
        (c.type, c.name, c.status, [replace(f, clusters=()) for f in c.facts]) for c in many.changes
    ] == [(c.type, c.name, c.status, list(c.facts)) for c in one.changes]
    assert many.moves == ()
