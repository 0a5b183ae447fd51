"""What compiled objects grant, read back from the objects, and the risks judged from it.

These rules read objects, not roster fields, so several tests change the objects alone
(as a default setting, a release target or another kfroster would) and expect the risk.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from compiler.model.keys import Manifest, ResourceKey
from compiler.render import render_objects
from compiler.review import diff
from compiler.review.compare import View, compare
from compiler.review.plan.model import Risk, plain
from compiler.review.reach import ANY_SOURCE, Entry, Identity, reach_of, workload_of
from compiler.review.reach_risks import cloud_identity, header_trust, sidecar
from compiler.review.risks import assess

ROSTER = """\
version: 1
users:
  - {name: ana, email: ana@example.com, clusterRole: view}
  - {name: bo, email: bo@example.com}
  - {name: cy, email: Cy@example.com}
profiles:
  - name: ana
    owner: ana
    contributors: [{user: bo, role: edit}, {user: cy, role: view}]
    plugins:
      - kind: AwsIamForServiceAccount
        spec: {awsIamRole: 'arn:aws:iam::123456789012:role/ana', annotateOnly: true}
  - {name: bo, owner: bo}
"""
GATEWAY = "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"
PIPELINES = "cluster.local/ns/kubeflow/sa/ml-pipeline-ui"


def roster_view(text: str = ROSTER) -> View:
    side = diff.load_text(text, "users.yaml")
    assert side.checked.roster is not None, side.checked.problems
    return View(side.checked.roster, render_objects(side.checked.roster))


def with_objects(view: View, edit: Any) -> View:
    """The same roster with objects changed as `edit(objects)` says."""
    objects: dict[ResourceKey, Manifest] = copy.deepcopy(dict(view.objects))
    edit(objects)
    return View(view.roster, objects)


def judged(old: View, new: View) -> list[Risk]:
    return list(assess(compare(old, new)))


def kind_of(objects: dict[ResourceKey, Manifest], kind: str) -> list[Manifest]:
    return [manifest for key, manifest in sorted(objects.items()) if key.kind == kind]


# --------------------------------------------------------------------------------------------
# Reading objects
# --------------------------------------------------------------------------------------------


def test_compiled_objects_read_back_as_the_roster_grants() -> None:
    reach = reach_of(roster_view().objects.values())
    assert reach.roles == {
        ("", "ana@example.com"): frozenset({"kubeflow-view"}),
        ("ana", "bo@example.com"): frozenset({"kubeflow-edit"}),
        ("ana", "Cy@example.com"): frozenset({"kubeflow-view"}),
    }
    assert reach.owners == {"ana": "ana@example.com", "bo": "bo@example.com"}
    assert reach.identities == {
        "ana": frozenset(
            {Identity("AwsIamForServiceAccount", "arn:aws:iam::123456789012:role/ana", False)}
        ),
        "bo": frozenset(),
    }
    assert sorted(reach.entries) == [
        Entry("ana", "Cy@example.com", "kubeflow-userid", "", GATEWAY),
        Entry("ana", "Cy@example.com", "kubeflow-userid", "", PIPELINES),
        Entry("ana", "bo@example.com", "kubeflow-userid", "", GATEWAY),
        Entry("ana", "bo@example.com", "kubeflow-userid", "", PIPELINES),
    ]
    assert reach.labels["ana"]["istio-injection"] == "enabled"


def test_a_policy_without_from_or_with_other_sources_admits_any_source() -> None:
    policy = {
        "kind": "AuthorizationPolicy",
        "metadata": {"name": "p", "namespace": "n", "annotations": {"user": "a@x.io"}},
        "spec": {
            "rules": [
                {"when": [{"key": "request.headers[h]", "values": ["pre:a@x.io"]}]},
                {"from": [{"source": {"namespaces": ["x"]}}], "when": []},
            ]
        },
    }
    assert sorted(reach_of([policy]).entries) == [
        Entry("n", "*", "", "", ANY_SOURCE),
        Entry("n", "a@x.io", "h", "pre:", ANY_SOURCE),
    ]
    denied = {**policy, "spec": {**policy["spec"], "action": "DENY"}}
    assert reach_of([denied]).entries == frozenset()


def test_workload_principals_name_their_namespace_and_service_account() -> None:
    assert workload_of("cluster.local/ns/team/sa/default-editor") == ("team", "default-editor")
    assert workload_of("spiffe-less") is None


# --------------------------------------------------------------------------------------------
# Cloud identities
# --------------------------------------------------------------------------------------------


def test_a_plugin_only_the_objects_carry_is_a_high_privilege_risk() -> None:
    """A default-plugin setting, not the roster's plugins, puts it there: still judged."""
    base = roster_view()

    def add_plugin(objects: dict[ResourceKey, Manifest]) -> None:
        profile = objects[ResourceKey("kubeflow.org", "Profile", "", "bo")]
        profile["spec"]["plugins"] = [
            {
                "kind": "WorkloadIdentity",
                "spec": {"gcpServiceAccount": "ml@p.iam.gserviceaccount.com"},
            }
        ]

    (risk,) = judged(base, with_objects(base, add_plugin))
    assert (risk.kind, risk.severity, risk.subject) == ("privilege", "high", "profile bo")
    message = plain(risk.message)
    assert (
        "workloads in profile bo act as the GCP service account ml@p.iam.gserviceaccount.com"
        in message
    )
    assert "bo <bo@example.com> can do by running a pod there" in message


def test_a_role_that_mutates_its_trust_policy_now_is_a_changed_identity() -> None:
    old = roster_view()
    new = roster_view(ROSTER.replace(", annotateOnly: true", ""))
    (risk,) = list(cloud_identity(compare(old, new)))
    assert risk.severity == "high"
    message = plain(risk.message)
    assert "also adds that ServiceAccount to the role's trust policy" in message
    assert "ana <ana@example.com> and bo <bo@example.com> can do" in message  # owner, editor
    assert "It replaces" not in message  # the same role, now with its trust policy edited


def test_another_identity_says_the_old_one_is_not_revoked() -> None:
    old = roster_view()
    new = roster_view(ROSTER.replace("role/ana'", "role/ana-admin'"))
    (risk,) = list(cloud_identity(compare(old, new)))
    message = plain(risk.message)
    assert "act as the AWS IAM role arn:aws:iam::123456789012:role/ana-admin" in message
    assert "It replaces the AWS IAM role arn:aws:iam::123456789012:role/ana, which" in message


def test_a_dropped_plugin_is_a_warning_that_says_nothing_is_revoked() -> None:
    old = roster_view()
    new = roster_view(ROSTER.split("    plugins:", maxsplit=1)[0] + "  - {name: bo, owner: bo}\n")
    (risk,) = list(cloud_identity(compare(old, new)))
    assert (risk.kind, risk.severity) == ("privilege", "warning")
    assert "revokes a plugin only when the Profile is deleted" in plain(risk.message)


def test_a_new_profile_with_a_plugin_is_high() -> None:
    old = roster_view(
        ROSTER.replace("  - name: ana\n", "  - name: zz\n", 1).replace(
            "owner: ana\n", "owner: ana\n"
        )
    )
    new = roster_view()
    found = [r for r in cloud_identity(compare(old, new)) if r.subject == "profile ana"]
    assert [r.severity for r in found] == ["high"]


# --------------------------------------------------------------------------------------------
# Who may send the header
# --------------------------------------------------------------------------------------------


def drop_from(objects: dict[ResourceKey, Manifest]) -> None:
    """What a Kubeflow 1.7 release target writes: contributor policies without `from`."""
    for policy in kind_of(objects, "AuthorizationPolicy"):
        for rule in policy["spec"]["rules"]:
            rule.pop("from")


def test_policies_that_drop_from_let_every_workload_impersonate() -> None:
    base = roster_view()
    risks = judged(base, with_objects(base, drop_from))
    (risk,) = [r for r in risks if r.subject == f"principal {ANY_SOURCE}"]
    assert (risk.kind, risk.severity) == ("privilege", "high")
    message = plain(risk.message)
    assert "now admit requests from any source: every workload in the mesh" in message
    assert "impersonate bo <bo@example.com> and cy <Cy@example.com> there" in message
    assert risk.users == ("bo", "cy")


def test_the_same_policies_in_another_order_are_no_risk() -> None:
    base = roster_view()

    def reorder(objects: dict[ResourceKey, Manifest]) -> None:
        for policy in kind_of(objects, "AuthorizationPolicy"):
            principals = policy["spec"]["rules"][0]["from"][0]["source"]["principals"]
            principals.reverse()

    assert judged(base, with_objects(base, reorder)) == []
    assert list(header_trust(compare(base, with_objects(base, reorder)))) == []


# --------------------------------------------------------------------------------------------
# Sidecar enforcement
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("labels", "warned"),
    [
        ({}, True),
        ({"istio-injection": "disabled"}, True),
        ({"istio.io/rev": "1-28"}, False),
        ({"istio-injection": "disabled", "istio.io/rev": "1-28"}, True),
        ({"istio.io/dataplane-mode": "ambient"}, False),
    ],
)
def test_namespaces_that_lose_the_sidecar_are_warned(labels: dict[str, str], warned: bool) -> None:
    text = yaml.safe_dump({"settings": {"namespaceLabels": {"a": "b", **labels}}})
    old, new = roster_view(), roster_view(ROSTER.replace("version: 1\n", "version: 1\n" + text))
    found = list(sidecar(compare(old, new)))
    assert bool(found) is warned
    if warned:
        assert "not enforced" in plain(found[0].message)
        assert found[0].subject == "settings.namespaceLabels"
