"""Widenings the objects show that no roster change explains are reported, never dropped."""

from __future__ import annotations

from compiler.model.keys import Manifest, ResourceKey
from compiler.review.compare import compare
from compiler.review.plan.model import plain
from compiler.review.reach_risks import unexplained
from compiler.review.risks import assess
from tests.corpus.test_diff_golden import CASE_DIRS, plan_case
from tests.review.test_reach import ROSTER, judged, kind_of, roster_view, with_objects


def test_a_binding_the_roster_does_not_explain_is_reported() -> None:
    base = roster_view()

    def add_subject(objects: dict[ResourceKey, Manifest]) -> None:
        (binding,) = [
            b for b in kind_of(objects, "RoleBinding") if b["roleRef"]["name"] == "kubeflow-edit"
        ]
        binding["subjects"].append({"kind": "User", "name": "eve@evil.io"})
        (crb,) = kind_of(objects, "ClusterRoleBinding")
        crb["roleRef"]["name"] = "cluster-admin"

    risks = judged(base, with_objects(base, add_subject))
    assert [(r.kind, r.severity, r.subject, r.users) for r in risks] == [
        ("privilege", "critical", "cluster-wide role", ("ana",)),
        ("privilege", "high", "profile ana", ("eve@evil.io",)),
    ]
    assert "eve@evil.io gains kubeflow-edit in namespace ana, and no roster change" in plain(
        risks[1].message
    )


def test_widenings_a_roster_risk_names_are_not_repeated() -> None:
    old = roster_view()
    new = roster_view(ROSTER.replace("{user: cy, role: view}", "{user: cy, role: edit}"))
    comparison = compare(old, new)
    risks = list(assess(comparison))
    assert [r.subject for r in risks] == ["profile ana"]
    assert list(unexplained(comparison, risks)) == []
    assert [r.subject for r in unexplained(comparison, [])] == ["profile ana"]


def test_an_owner_and_entries_only_the_objects_change_are_reported() -> None:
    base = roster_view()

    def hand_over(objects: dict[ResourceKey, Manifest]) -> None:
        (profile,) = [p for p in kind_of(objects, "Profile") if p["metadata"]["name"] == "bo"]
        profile["spec"]["owner"]["name"] = "ana@example.com"
        policy = kind_of(objects, "AuthorizationPolicy")[0]
        policy["spec"]["rules"].append({"from": [{"source": {"principals": ["p"]}}]})
        policy["spec"]["rules"][0]["when"][0]["values"].append("eve@evil.io")

    risks = judged(base, with_objects(base, hand_over))
    found = {(r.kind, r.severity, r.subject, plain(r.message).split(":")[0]) for r in risks}
    assert found == {
        (
            "owner",
            "high",
            "profile bo",
            "ana <ana@example.com> becomes the owner of profile bo (was bo <bo@example.com>), "
            "an administrator of its namespace through the profile controller, and no roster "
            "change explains it",
        ),
        (
            "privilege",
            "high",
            "profile ana",
            "an AuthorizationPolicy in namespace ana lets in requests from p without any "
            "user-id condition",
        ),
        (
            "privilege",
            "high",
            "profile ana",
            "the AuthorizationPolicies in namespace ana newly let in eve@evil.io (kubeflow-userid",
        ),
    }


def test_no_roster_change_of_the_golden_cases_is_left_unexplained() -> None:
    """The roster-level rules name every widening of the example changes themselves."""
    for case in CASE_DIRS:
        for risk in plan_case(case).risks:
            assert "no roster change explains it" not in plain(risk.message), case.name
