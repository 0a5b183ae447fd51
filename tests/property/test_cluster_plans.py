"""Plans of rosters with clusters: naming clusters changes where a risk holds, never what it says.

Every access a cluster's compiled tree gains is a blocking risk that names that cluster: the
interpreter of tests/property/test_differential.py reads each cluster's objects on both
sides, for random pull requests that also move profiles and cluster-wide roles between
clusters and override settings per cluster.

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

from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from compiler.model.clusters import Split
from compiler.model.keys import Manifest
from compiler.model.roster import Roster
from compiler.render import render_all
from compiler.review import diff
from compiler.review.plan.model import Plan, plain
from tests.property.test_differential import (
    SETTINGS,
    edited,
    expected,
    grants,
    named,
    rosters,
    side,
    widenings,
)
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


# --------------------------------------------------------------------------------------------
# Every widening in any cluster is a blocking risk naming that cluster
# --------------------------------------------------------------------------------------------


def _some_clusters(draw: st.DrawFn) -> list[str] | None:
    """Draw a restriction: none (every cluster), or one or both clusters."""
    return draw(st.sampled_from([None, ["east"], ["west"], ["east", "west"]]))


@st.composite
def clustered(draw: st.DrawFn, roster: dict[str, Any]) -> dict[str, Any]:
    """Spread a roster over two clusters: per-cluster settings, restricted profiles and roles."""
    data = copy.deepcopy(roster)
    data["clusters"] = []
    for name in CLUSTERS:
        cluster: dict[str, Any] = {"name": name}
        overrides = draw(SETTINGS)
        if overrides:
            cluster["settings"] = overrides
        data["clusters"].append(cluster)
    for record in data["profiles"]:
        if (where := _some_clusters(draw)) is not None:
            record["clusters"] = where
    for user in data["users"]:
        if "clusterRole" in user and (where := _some_clusters(draw)) is not None:
            user["clusters"] = where
    return data


def _objects(roster: Roster, cluster: str) -> list[Manifest]:
    there = Split(roster).roster_of(cluster)
    return [m for ms in render_all(there).values() for m in ms]


@settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(data=st.data(), roster=rosters())
def test_every_widening_in_a_cluster_is_a_blocking_risk_naming_that_cluster(
    data: st.DataObject, roster: dict[str, Any]
) -> None:
    base = data.draw(clustered(roster))
    head = data.draw(clustered(data.draw(edited(roster))))
    old, new = side(base, "base"), side(head, "head")
    assume(old.checked.roster is not None and new.checked.roster is not None)
    plan = diff.make_plan(old, new)
    assert plan.valid
    blocking = [risk for risk in plan.risks if risk.blocking]
    texts = {id(risk): plain(risk.message) for risk in blocking}
    for cluster in CLUSTERS:
        before = grants(_objects(old.checked.roster, cluster))
        after = grants(_objects(new.checked.roster, cluster))
        found = list(widenings(before, after))
        event(f"widenings in {cluster}: {min(len(found), 3)}")
        here = [r for r in blocking if cluster in r.clusters]
        for grant in found:
            if grant[0] == "unenforced":
                assert any(r.kind == "settings" and "not enforced" in texts[id(r)] for r in here)
                continue
            who, profile = expected(grant, head)
            assert any(named(r, texts[id(r)], who, profile) for r in here), (
                cluster,
                grant,
                plan.risks,
            )
