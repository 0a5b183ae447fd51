"""The plan of a roster change: object pairing, roster terms, and every risk kind.

Each risk kind has changes that must raise it and changes that must not. Rosters are
written as plain data and varied per test, so each test shows the one edit it makes.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from compiler.model.keys import ResourceKey, key_of
from compiler.render import render_objects
from compiler.render.protection import PROTECTION
from compiler.review import diff
from compiler.review.compare import diff_objects, field_changes
from compiler.review.plan.model import ABSENT, Plan, Risk, plain, summary_line
from compiler.review.plan.text import format_text

BASE: dict[str, Any] = {
    "version": 1,
    "policy": {
        "emailDomains": ["example.com"],
        "clusterWideRoles": "warn",
        "maxQuota": {"cpu": "64"},
        "reservedNamespaces": ["ml-platform"],
    },
    "defaults": {
        "resourceQuota": {"hard": {"cpu": "8", "memory": "32Gi"}},
        "limitRange": {
            "default": {"cpu": "800m", "memory": "1Gi"},
            "defaultRequest": {"cpu": "200m", "memory": "256Mi"},
            "max": {"cpu": "8"},
        },
    },
    "users": [
        {"name": "ana", "email": "ana@example.com", "clusterRole": "admin"},
        {"name": "bo", "email": "bo@example.com"},
        {"name": "cy", "email": "cy@example.com", "clusterRole": "view"},
        {"name": "di", "email": "di@example.com"},
        {"name": "ed", "email": "ed@example.com"},
    ],
    "groups": [{"name": "team", "members": ["bo", "cy"]}],
    "profiles": [
        {"name": "bo", "owner": "bo", "contributors": [{"user": "di", "role": "view"}]},
        {"name": "shared", "owner": "cy", "contributors": [{"group": "team", "role": "view"}]},
        {"name": "ed", "owner": "ed"},
    ],
}

Edit = Callable[[dict[str, Any]], None]


def roster_text(data: dict[str, Any]) -> str:
    """Dump roster data as users.yaml text."""
    return yaml.safe_dump(data, sort_keys=False)


def changed(edit: Edit, base: dict[str, Any] = BASE) -> dict[str, Any]:
    """Return a copy of base with one edit applied."""
    data = copy.deepcopy(base)
    edit(data)
    return data


def plan_of(head: dict[str, Any], base: dict[str, Any] = BASE) -> Plan:
    """Plan base → head, named as `kfroster diff --base main users.yaml` names them."""
    return diff.make_plan(
        diff.load_text(roster_text(base), "users.yaml@main"),
        diff.load_text(roster_text(head), "users.yaml"),
    )


def user(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(u for u in data["users"] if u["name"] == name)


def profile(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in data["profiles"] if p["name"] == name)


def risks(plan: Plan, kind: str) -> list[Risk]:
    return [risk for risk in plan.risks if risk.kind == kind]


def blocking(plan: Plan, kind: str) -> list[str]:
    return [plain(risk.message) for risk in risks(plan, kind) if risk.blocking]


# --------------------------------------------------------------------------------------------
# Keys and objects
# --------------------------------------------------------------------------------------------


def test_resource_key_ignores_the_api_version_and_sorts() -> None:
    old = {"apiVersion": "kubeflow.org/v1beta1", "kind": "Profile", "metadata": {"name": "a"}}
    new = {**old, "apiVersion": "kubeflow.org/v1"}
    assert key_of(old) == key_of(new) == ResourceKey("kubeflow.org", "Profile", "", "a")
    core = {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "x", "namespace": "a"}}
    assert key_of(core) == ResourceKey("", "LimitRange", "a", "x")
    assert sorted([key_of(new), key_of(core)]) == [key_of(core), key_of(new)]
    assert key_of(core).describe() == "LimitRange a/x"


def test_field_changes_name_precise_paths_with_old_and_new_values() -> None:
    old = {"metadata": {"labels": {"a.b/c": "1", "gone": "x"}}, "spec": {"list": [1, 2]}}
    new = {"metadata": {"labels": {"a.b/c": "2", "new": "y"}}, "spec": {"list": [1, 3, 4]}}
    found = {change.path: (change.old, change.new) for change in diff_fields(old, new)}
    assert found == {
        ("metadata", "labels", "a.b/c"): ("1", "2"),
        ("metadata", "labels", "gone"): ("x", ABSENT),
        ("metadata", "labels", "new"): (ABSENT, "y"),
        ("spec", "list", 1): (2, 3),
        ("spec", "list", 2): (ABSENT, 4),
    }


def diff_fields(old: dict[str, Any], new: dict[str, Any]) -> list[Any]:
    return list(field_changes(old, new))


def test_api_version_change_is_a_change_not_a_replacement() -> None:
    old = {"apiVersion": "kubeflow.org/v1beta1", "kind": "Profile", "metadata": {"name": "a"}}
    new = {**old, "apiVersion": "kubeflow.org/v1"}
    (change,) = diff_objects({key_of(old): old}, {key_of(new): new})
    assert change.action == "change"
    assert [(f.path, f.old, f.new) for f in change.fields] == [
        (("apiVersion",), "kubeflow.org/v1beta1", "kubeflow.org/v1")
    ]


BINDINGS = {
    ("RoleBinding", "user-di-example-com-clusterrole-view"): "delete",
    ("AuthorizationPolicy", "user-di-example-com-clusterrole-view"): "delete",
}


def test_a_removed_profile_prunes_what_grants_and_leaves_the_namespace() -> None:
    plan = plan_of(changed(lambda d: d["profiles"].remove(profile(d, "bo"))))
    actions = {(c.key.kind, c.key.name): c.action for c in plan.objects}
    assert actions == {
        ("Namespace", "bo"): "orphan",
        ("Profile", "bo"): "delete",
        ("LimitRange", "kf-limit-range"): "delete",
        **BINDINGS,
    }


def test_a_removed_profile_keeps_its_profile_where_deleting_it_deletes_the_namespace() -> None:
    owned = changed(lambda d: profile(d, "bo").update({"namespaceOwnedByProfile": True}))
    plan = plan_of(changed(lambda d: d["profiles"].remove(profile(d, "bo")), owned), owned)
    actions = {(c.key.kind, c.key.name): c.action for c in plan.objects}
    assert actions == {
        ("Namespace", "bo"): "orphan",
        ("Profile", "bo"): "orphan",
        ("LimitRange", "kf-limit-range"): "orphan",
        **BINDINGS,
    }
    # Without kfroster's Namespace, the controller makes it: the Profile is kept, like above.
    unmanaged = changed(lambda d: d.update({"settings": {"manageNamespaces": False}}))
    plan = plan_of(changed(lambda d: d["profiles"].remove(profile(d, "bo")), unmanaged), unmanaged)
    actions = {(c.key.kind, c.key.name): c.action for c in plan.objects}
    assert actions == {
        ("Profile", "bo"): "orphan",
        ("LimitRange", "kf-limit-range"): "orphan",
        **BINDINGS,
    }


# Flux's kustomize-controller never prunes an object carrying this annotation
# (fluxcd/kustomize-controller 186fb3b, internal/controller/kustomization_controller.go:1411,
# deleteObjects; api/v1/kustomization_types.go:32 DisabledValue). Written out here, not
# imported, so the plan is checked against Flux rather than against the code's own constant.
FLUX_PRUNE_DISABLED = ("kustomize.toolkit.fluxcd.io/prune", "disabled")


def test_the_plan_orphans_exactly_what_flux_will_not_prune() -> None:
    head = changed(lambda d: [d.pop(records) for records in ("users", "groups", "profiles")])
    plan = plan_of(head)
    rendered = render_objects(diff.load_text(roster_text(BASE), "users.yaml").checked.roster)
    annotation, disabled = FLUX_PRUNE_DISABLED

    def kept_by_flux(manifest: dict[str, Any]) -> bool:
        return manifest["metadata"].get("annotations", {}).get(annotation) == disabled

    expected = {key: "orphan" if kept_by_flux(m) else "delete" for key, m in rendered.items()}
    assert {change.key: change.action for change in plan.objects} == expected
    # With manageNamespaces on, only the Namespace holds data: the Profile is pruned.
    assert {key.kind for key, action in expected.items() if action == "orphan"} == {"Namespace"}


def test_plan_counts_users_profiles_and_objects() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["users"].append({"name": "fay", "email": "fay@example.com"})
        data["profiles"].append({"name": "fay", "owner": "fay"})
        data["users"].remove(user(data, "di"))
        profile(data, "bo")["contributors"] = []

    plan = plan_of(changed(edit))
    assert [(c.type, c.name, c.status) for c in plan.changes] == [
        ("user", "di", "removed"),
        ("user", "fay", "added"),
        ("profile", "bo", "changed"),
        ("profile", "fay", "added"),
    ]
    assert (plan.count_objects("add"), plan.count_objects("delete")) == (3, 2)
    assert summary_line(plan) == (
        "Plan: 1 user added, 0 changed, 1 removed · 1 profile added, 1 changed, 0 removed"
        " · 3 objects to add, 0 to change, 2 to delete."
    )


def test_reordering_the_roster_changes_nothing() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["users"].reverse()
        data["profiles"].reverse()
        data["groups"][0]["members"].reverse()

    plan = plan_of(changed(edit))
    assert (plan.has_changes, plan.risks) == (False, ())


# --------------------------------------------------------------------------------------------
# privilege
# --------------------------------------------------------------------------------------------


def test_new_cluster_admin_is_critical_and_first() -> None:
    def edit(data: dict[str, Any]) -> None:
        user(data, "di")["clusterRole"] = "admin"
        profile(data, "ed")["contributors"] = [{"user": "bo", "role": "edit"}]

    plan = plan_of(changed(edit))
    first = plan.risks[0]
    assert (first.kind, first.severity, first.users) == ("privilege", "critical", ("di",))
    assert "gains cluster-wide ADMIN" in plain(first.message)


@pytest.mark.parametrize(
    ("before", "after", "severity"),
    [(None, "edit", "high"), (None, "view", "high"), ("view", "edit", "high")],
)
def test_cluster_role_gained_or_raised_is_flagged(
    before: str | None, after: str, severity: str
) -> None:
    base = changed(lambda d: user(d, "di").update({"clusterRole": before} if before else {}))
    plan = plan_of(changed(lambda d: user(d, "di").update({"clusterRole": after}), base), base)
    (risk,) = risks(plan, "privilege")
    assert (risk.severity, risk.users) == (severity, ("di",))
    assert f"cluster-wide {after}" in plain(risk.message)


def test_contributor_gaining_edit_and_view_to_edit_are_flagged() -> None:
    def edit(data: dict[str, Any]) -> None:
        profile(data, "ed")["contributors"] = [{"user": "bo", "role": "edit"}]
        profile(data, "bo")["contributors"] = [{"user": "di", "role": "edit"}]

    messages = blocking(plan_of(changed(edit)), "privilege")
    assert messages == [
        "di <di@example.com> gains edit in profile bo (was view): it reads the Secrets there, "
        "execs into pods and changes notebooks, pipelines and jobs",
        "bo <bo@example.com> gains edit in profile ed: it reads the Secrets there, execs into "
        "pods and changes notebooks, pipelines and jobs",
    ]


def shown(plan: Plan) -> dict[tuple[str, str, str], str]:
    """Return where the dashboard shows each access granted: (subject, field, name) -> label."""
    return {
        (change.name, str(fact.path[0]), str(fact.path[-1])): fact.shown
        for change in plan.changes
        for fact in change.facts
        if fact.shown
    }


def test_each_access_granted_says_where_the_dashboard_shows_it() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["settings"] = {"kubeflowVersion": "1.8"}
        user(data, "ed")["email"] = "ed+ml@example.com"  # the 1.7/1.8 check refuses '+'
        user(data, "di")["clusterRole"] = "edit"
        profile(data, "bo")["contributors"] = [
            {"user": "di", "role": "view"},
            {"user": "ed", "role": "edit"},
        ]
        profile(data, "ed")["contributors"] = [{"user": "bo", "role": "edit"}]
        profile(data, "shared")["contributors"] = [{"user": "ed", "role": "view"}]

    plan = plan_of(changed(edit))
    assert shown(plan) == {
        ("bo", "contributor", "ed"): "in Manage Contributors, not removable",
        ("ed", "contributor", "bo"): "in Manage Contributors",
        ("shared", "contributor", "ed"): "not in Manage Contributors",
        ("bo", "access", "ed"): "in Manage Contributors",
        ("di", "clusterRole", "clusterRole"): "kubectl only",
        ("ed", "access", "bo"): "in Manage Contributors, not removable",
        ("ed", "access", "shared"): "not in Manage Contributors",
    }
    text = format_text(plan)
    assert "+ contributor ed: none → view (directly; not in Manage Contributors)" in text
    assert "+ cluster-wide role: none → edit (kubectl only)" in text


def test_group_change_names_everyone_whose_access_widens() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["groups"][0]["members"] += ["di", "ed"]
        profile(data, "shared")["contributors"] = [{"group": "team", "role": "edit"}]

    plan = plan_of(changed(edit))
    gained = [plain(r.message).split(":")[0] for r in risks(plan, "privilege") if r.blocking]
    assert gained == [
        "bo <bo@example.com> gains edit in profile shared (was view), through group team",
        "di <di@example.com> and ed <ed@example.com> gain edit in profile shared, through "
        "group team",
    ]
    assert [r.users for r in risks(plan, "privilege")] == [("bo",), ("di", "ed")]


def test_email_change_moves_access_to_a_new_identity() -> None:
    plan = plan_of(changed(lambda d: user(d, "di").update({"email": "dee@example.com"})))
    (message,) = blocking(plan, "privilege")
    assert "changes identity from di@example.com to dee@example.com" in message
    assert "view in bo" in message


def test_privilege_lost_is_information_only() -> None:
    def edit(data: dict[str, Any]) -> None:
        user(data, "ana")["clusterRole"] = "view"
        profile(data, "bo")["contributors"] = []
        user(data, "cy").pop("clusterRole")

    plan = plan_of(changed(edit))
    assert plan.blocking_kinds() == ()
    lost = sorted(plain(r.message) for r in risks(plan, "privilege"))
    assert lost == [
        "ana <ana@example.com> loses cluster-wide admin, keeping cluster-wide view",
        "cy <cy@example.com> loses cluster-wide view",
        "di <di@example.com> loses view in profile bo",
    ]
    assert {risk.severity for risk in plan.risks} == {"info"}


def test_unrelated_changes_raise_no_privilege_risk() -> None:
    plan = plan_of(changed(lambda d: profile(d, "ed").update({"resourceQuota": {}})))
    assert risks(plan, "privilege") == []


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------


def without_bo(base: dict[str, Any] = BASE) -> Plan:
    """Plan removing profile bo (owner bo, contributor di) from `base`."""
    return plan_of(changed(lambda d: d["profiles"].remove(profile(d, "bo")), base), base)


def flagged(*names: str, base: dict[str, Any] = BASE) -> dict[str, Any]:
    """Return base with namespaceOwnedByProfile on the named profiles."""

    def edit(data: dict[str, Any]) -> None:
        for name in names:
            profile(data, name)["namespaceOwnedByProfile"] = True

    return changed(edit, base)


UNMANAGED = changed(lambda d: d.update({"settings": {"manageNamespaces": False}}))


def test_profile_leaving_revokes_owner_and_contributors_and_keeps_the_namespace() -> None:
    plan = without_bo()
    (risk,) = risks(plan, "data")
    assert risk.severity == "high"
    assert plain(risk.message) == (
        "profile bo leaves the roster: the access of its owner bo <bo@example.com> and 1 "
        "contributor (di <di@example.com>) is "
        "revoked on the next apply (the Profile, its LimitRange and the contributors' bindings "
        "are pruned, and the garbage collector deletes what the profile controller made for "
        "the Profile); namespace bo and its data stay. To delete them: kubectl delete namespace bo"
    )
    # The owner keeps nothing: no owner risk.
    assert risks(plan, "owner") == []


@pytest.mark.parametrize(
    ("base", "why"),
    [
        (
            flagged("bo"),
            "namespace bo has an ownerReference to its Profile (namespaceOwnedByProfile)",
        ),
        (UNMANAGED, "with manageNamespaces: false the profile controller created namespace bo"),
    ],
    ids=["namespaceOwnedByProfile", "manageNamespaces-false"],
)
def test_profile_leaving_with_its_profile_kept_is_critical_and_says_how_to_keep_the_data(
    base: dict[str, Any], why: str
) -> None:
    plan = without_bo(base)
    (risk,) = risks(plan, "data")
    assert risk.severity == "critical"
    message = plain(risk.message)
    assert why in message
    assert "so the Profile and its LimitRange are kept (prune is disabled on them)" in message
    assert (
        "The access of di <di@example.com> is revoked on the next apply; the owner "
        "bo <bo@example.com> keeps theirs." in message
    )
    # The commands, in the order that keeps the data.
    release = "kubectl patch namespace bo --type=json -p "
    release += """'[{"op":"remove","path":"/metadata/ownerReferences"}]'"""
    positions = [
        message.index(release),
        message.index("kubectl delete profile bo"),
        message.index("kubectl delete namespace bo"),
    ]
    assert positions == sorted(positions)
    (owner_risk,) = risks(plan, "owner")
    assert owner_risk.severity == "high" and owner_risk.users == ("bo",)
    assert plain(owner_risk.message) == (
        "bo <bo@example.com> keeps kubeflow-admin in namespace bo (RoleBinding namespaceAdmin) "
        "and its web apps (AuthorizationPolicy ns-owner-access-istio) after profile bo leaves "
        "the roster: its Profile is kept, and the profile controller recreates these for the "
        "owner for as long as it exists. kubectl delete profile bo revokes them (first keep "
        "the data: see the data risk)"
    )


def test_an_owner_who_keeps_a_profile_keeps_its_plugins_cloud_identity() -> None:
    wi = {
        "kind": "WorkloadIdentity",
        "spec": {"gcpServiceAccount": "bo-kubeflow@p.iam.gserviceaccount.com"},
    }
    base = flagged("bo")
    profile(base, "bo")["plugins"] = [wi]
    (message,) = blocking(without_bo(base), "owner")
    assert "the cloud identity its plugins give the namespace's default-editor" in message


def test_profile_rename_warns_that_data_does_not_move() -> None:
    plan = plan_of(changed(lambda d: profile(d, "ed").update({"name": "ed-2"})))
    (message,) = blocking(plan, "data")
    assert "If this renames it to ed-2" in message


def test_dropping_namespace_owned_by_profile_is_critical() -> None:
    base = flagged("bo", "ed")
    plan = plan_of(changed(lambda d: profile(d, "bo").pop("namespaceOwnedByProfile"), base), base)
    (risk,) = risks(plan, "data")
    assert (risk.severity, risk.subject) == ("critical", "profile bo")
    assert "profile bo drops namespaceOwnedByProfile: its Profile and LimitRange lose prune " in (
        plain(risk.message)
    )
    assert "kubectl get namespace bo -o jsonpath='{.metadata.ownerReferences}'" in plain(
        risk.message
    )
    # What the cluster is told changes: the Profile loses its protection annotations.
    changes = {c.key.kind: c.fields for c in plan.objects}
    assert changes.keys() == {"Profile", "LimitRange"}
    for fields in changes.values():
        assert [(f.path, f.old, f.new) for f in fields] == [
            (("metadata", "annotations"), dict(PROTECTION), ABSENT)
        ]


def test_dropping_the_flag_while_the_controller_makes_namespaces_is_no_data_risk() -> None:
    base = flagged("bo", base=UNMANAGED)
    plan = plan_of(changed(lambda d: profile(d, "bo").pop("namespaceOwnedByProfile"), base), base)
    assert risks(plan, "data") == []
    assert plan.objects == ()  # still protected: manageNamespaces is false


def test_managing_namespaces_the_controller_made_is_critical_unless_every_profile_is_flagged() -> (
    None
):
    head = changed(lambda d: d["settings"].update({"manageNamespaces": True}), UNMANAGED)
    (risk,) = risks(plan_of(head, UNMANAGED), "data")
    assert (risk.severity, risk.subject) == ("critical", "settings.manageNamespaces")
    assert plain(risk.message).startswith(
        "settings manageNamespaces turns on, and profiles bo, ed and shared lose prune "
        "protection on their Profile and LimitRange."
    )
    partly = flagged("bo", "shared", base=UNMANAGED)
    head = changed(lambda d: d["settings"].update({"manageNamespaces": True}), partly)
    (risk,) = risks(plan_of(head, partly), "data")
    assert "and profile ed loses prune protection" in plain(risk.message)
    every = flagged("bo", "ed", "shared", base=UNMANAGED)
    head = changed(lambda d: d["settings"].update({"manageNamespaces": True}), every)
    assert risks(plan_of(head, every), "data") == []


def test_no_data_risk_without_a_profile_leaving() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["groups"][0]["members"].remove("bo")
        profile(data, "bo")["contributors"] = []

    assert risks(plan_of(changed(edit)), "data") == []


# --------------------------------------------------------------------------------------------
# owner
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("manage", [True, False])
def test_owner_change_says_what_to_do_by_hand(manage: bool) -> None:
    base = changed(lambda d: d.update({"settings": {"manageNamespaces": manage}}))
    plan = plan_of(changed(lambda d: profile(d, "shared").update({"owner": "ana"}), base), base)
    (message,) = blocking(plan, "owner")
    assert "changes owner from cy <cy@example.com> to ana <ana@example.com>" in message
    assert "kubectl -n shared delete rolebinding namespaceAdmin" in message
    assert "kubectl -n shared delete authorizationpolicy ns-owner-access-istio" in message
    annotate = "kubectl annotate namespace shared owner=ana@example.com --overwrite"
    assert (annotate in message) is (not manage)


def test_owner_email_change_is_an_owner_change() -> None:
    plan = plan_of(changed(lambda d: user(d, "ed").update({"email": "edward@example.com"})))
    (message,) = blocking(plan, "owner")
    assert "profile ed changes owner" in message


def test_contributor_changes_are_no_owner_change() -> None:
    plan = plan_of(changed(lambda d: profile(d, "bo").update({"contributors": []})))
    assert risks(plan, "owner") == []


# --------------------------------------------------------------------------------------------
# quota
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda d: profile(d, "ed").update({"resourceQuota": {"hard": {"cpu": "4"}}}),
            "quota cpu lowered from 8 to 4 in profile ed",
        ),
        (
            lambda d: d["defaults"]["resourceQuota"]["hard"].update({"pods": "20"}),
            "quota pods now limited to 20 (was unlimited) in profiles bo, ed and shared",
        ),
        (
            lambda d: d["defaults"]["limitRange"]["max"].update({"cpu": "4"}),
            "LimitRange max.cpu from 8 to 4 in profiles bo, ed and shared",
        ),
        (
            lambda d: d["defaults"]["limitRange"]["default"].update({"memory": "512Mi"}),
            "LimitRange default.memory from 1Gi to 512Mi",
        ),
        (
            lambda d: profile(d, "ed").update({"limitRange": {"max": {"cpu": "8"}}}),
            "lose the LimitRange defaults for cpu or memory while the quota still limits them",
        ),
        (
            lambda d: profile(d, "ed").update(
                {"resourceQuota": {"hard": {"cpu": "8"}, "scopes": ["NotBestEffort"]}}
            ),
            "quota scopes change in profile ed from none to NotBestEffort",
        ),
    ],
)
def test_quota_and_limit_reductions_are_flagged(edit: Edit, expected: str) -> None:
    messages = blocking(plan_of(changed(edit)), "quota")
    assert any(expected in message for message in messages), messages


@pytest.mark.parametrize(
    ("resource", "consequence"),
    [
        ("cpu", "new pods (restarts and rollouts included) are refused"),
        ("requests.nvidia.com/gpu", "new pods (restarts and rollouts included) are refused"),
        ("persistentvolumeclaims", "new PersistentVolumeClaims (notebook workspaces"),
        ("requests.storage", "new PersistentVolumeClaims (notebook workspaces"),
        ("fast.storageclass.storage.k8s.io/requests.storage", "new PersistentVolumeClaims"),
        ("services", "existing services are kept, but new ones are refused"),
        ("count/deployments.apps", "existing deployments.apps are kept, but new ones"),
    ],
)
def test_a_quota_reduction_says_what_it_stops_in_that_resource_s_terms(
    resource: str, consequence: str
) -> None:
    base = changed(lambda d: d["defaults"]["resourceQuota"]["hard"].update({resource: "10"}))
    head = changed(lambda d: d["defaults"]["resourceQuota"]["hard"].update({resource: "5"}), base)
    (message,) = blocking(plan_of(head, base), "quota")
    assert f"quota {resource} lowered from 10 to 5" in message
    assert consequence in message, message
    assert ("new pods" in message) is consequence.startswith("new pods"), message


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d["defaults"]["resourceQuota"]["hard"].update({"cpu": "16"}),
        lambda d: profile(d, "ed").update({"resourceQuota": {}}),
        lambda d: d["defaults"]["limitRange"]["max"].update({"cpu": "16"}),
        lambda d: d["defaults"]["limitRange"]["defaultRequest"].update({"cpu": "100m"}),
    ],
    ids=["quota-raised", "quota-removed", "max-raised", "request-lowered"],
)
def test_quota_and_limit_increases_are_not_flagged(edit: Edit) -> None:
    assert risks(plan_of(changed(edit)), "quota") == []


# --------------------------------------------------------------------------------------------
# settings and policy
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"namespaceLabels": {"istio-injection": "enabled"}}, "app.kubernetes.io/part-of removed"),
        ({"manageNamespaces": False}, "manageNamespaces turns off: 3 Namespaces leave out/"),
        ({"applyUnits": 3}, "applyUnits changes from 1 to 3: 3 of 3 profiles"),
    ],
)
def test_settings_that_touch_every_profile_are_flagged(
    settings: dict[str, Any], expected: str
) -> None:
    messages = blocking(plan_of(changed(lambda d: d.update({"settings": settings}))), "settings")
    assert len(messages) == 1 and expected in messages[0], messages


TWO_UNITS = changed(lambda d: d.update({"settings": {"applyUnits": 2}}))


def four_units(data: dict[str, Any]) -> None:
    data["settings"]["applyUnits"] = 4


def test_apply_unit_change_names_the_profiles_that_move_and_who_loses_access_meanwhile() -> None:
    # From 2 to 4 units, jump hashing moves bo (unit-000 → unit-003) and nobody else.
    (risk,) = risks(plan_of(changed(four_units, TWO_UNITS), TWO_UNITS), "settings")
    assert plain(risk.message) == (
        "settings applyUnits changes from 2 to 4: 1 of 3 profiles (bo) and 0 ClusterRoleBindings "
        "move to another apply unit (Flux Kustomization or Argo CD Application). Unless the new "
        "unit applies them before the old one prunes, a moved Profile and its bindings are "
        "deleted and created again: its owner and contributors lose access for the moment "
        "between. Namespaces, and the data in them, stay: they are never pruned"
    )
    assert risks(plan_of(changed(four_units, TWO_UNITS), TWO_UNITS), "data") == []


def test_apply_unit_change_says_protected_profiles_are_kept() -> None:
    base = flagged("bo", base=TWO_UNITS)
    (message,) = blocking(plan_of(changed(four_units, base), base), "settings")
    assert message.endswith("; the Profiles of bo are kept too (prune is disabled on them)")


def test_a_profile_protected_in_the_change_that_moves_it_is_critical() -> None:
    head = flagged("bo", base=changed(four_units, TWO_UNITS))
    critical = [r for r in risks(plan_of(head, TWO_UNITS), "data") if r.severity == "critical"]
    (risk,) = critical
    assert risk.subject == "profile bo"
    assert plain(risk.message).startswith(
        "profile bo gains namespaceOwnedByProfile in the change that moves it to another apply"
    )
    # Flagged without moving (a warning only), or moved once flagged: nothing critical.
    flagged_only = risks(plan_of(flagged("bo", base=TWO_UNITS), TWO_UNITS), "data")
    assert [r.severity for r in flagged_only] == ["warning"]
    base = flagged("bo", base=TWO_UNITS)
    assert risks(plan_of(changed(four_units, base), base), "data") == []


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (
            {"userIdHeader": "x-email"},
            "now trust the header x-email instead of kubeflow-userid: unless the ingress sets it",
        ),
        (
            {"userIdPrefix": "oidc:"},
            "now let in kubeflow-userid: oidc:<email> instead of <email>: whoever the ingress "
            "passes on as oidc:<email> can impersonate",
        ),
        (
            {"ingressGatewayPrincipal": "cluster.local/ns/gw/sa/gw"},
            "now admit requests from cluster.local/ns/gw/sa/gw: any pod running as "
            "ServiceAccount gw in namespace gw can send kubeflow-userid: <email> and "
            "impersonate",
        ),
        (
            {"pipelinesUiPrincipal": "cluster.local/ns/ed/sa/default-editor"},
            "any pod running as ServiceAccount default-editor in profile ed, which ed "
            "<ed@example.com> can start, can send kubeflow-userid: <email> and impersonate",
        ),
    ],
)
def test_who_may_send_the_user_id_header_is_a_high_privilege_risk(
    settings: dict[str, Any], expected: str
) -> None:
    plan = plan_of(changed(lambda d: d.update({"settings": settings})))
    (risk,) = [risk for risk in plan.risks if risk.severity == "high"]
    message = plain(risk.message)
    assert risk.kind == "privilege" and expected in message, message
    assert "profiles bo and shared" in message
    assert "bo <bo@example.com> and di <di@example.com>" in message
    assert risk.users == ("bo", "di")
    assert risks(plan, "settings") == []


def test_a_trust_setting_without_contributors_is_a_settings_warning() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["settings"] = {"userIdHeader": "x-email"}
        for record in data["profiles"]:
            record.pop("contributors", None)

    base = changed(lambda d: [p.pop("contributors", None) for p in d["profiles"]])
    plan = plan_of(changed(edit), base)
    assert [(r.kind, r.severity) for r in plan.risks] == [("settings", "warning")]
    assert "no contributor's AuthorizationPolicy uses it yet" in plain(plan.risks[0].message)


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ({"emailDomains": []}, "emailDomains loosens: emails may now be in any domain"),
        ({"emailDomains": ["example.com", "x.io"]}, "in example.com and x.io"),
        ({"clusterWideRoles": "allow"}, "clusterWideRoles loosens from warn to allow"),
        ({"maxQuota": {}}, "maxQuota loosens for cpu"),
        ({"maxQuota": {"cpu": "128"}}, "maxQuota loosens for cpu"),
        ({"reservedNamespaces": []}, "no longer reserves ml-platform"),
    ],
)
def test_looser_policy_is_flagged(policy: dict[str, Any], expected: str) -> None:
    plan = plan_of(changed(lambda d: d["policy"].update(policy)))
    messages = blocking(plan, "settings")
    assert len(messages) == 1 and expected in messages[0], messages


@pytest.mark.parametrize(
    "policy",
    [
        {"emailDomains": ["example.com"], "clusterWideRoles": "deny"},
        {"maxQuota": {"cpu": "32", "memory": "64Gi"}},
        {"reservedNamespaces": ["ml-platform", "prod"]},
    ],
    ids=["stricter-roles", "lower-max", "more-reserved"],
)
def test_stricter_policy_is_not_flagged(policy: dict[str, Any]) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["policy"].update(policy)
        user(data, "cy").pop("clusterRole")  # deny would refuse it

    plan = plan_of(changed(edit))
    assert risks(plan, "settings") == []


# --------------------------------------------------------------------------------------------
# settings.deploy: where the engine reads what it applies
# --------------------------------------------------------------------------------------------

REPO = "https://git.example.com/platform/users.git"
ARGO = changed(
    lambda d: d.update(
        {
            "settings": {
                "deploy": {
                    "engine": "argocd",
                    "argocd": {"repoURL": REPO, "targetRevision": "main"},
                }
            }
        }
    )
)
FLUXED = changed(lambda d: d.update({"settings": {"deploy": {"engine": "flux"}}}))


def deploy_edit(*path: str, value: Any) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        node = data["settings"]["deploy"]
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value

    return edit


def deploy_risks(plan: Plan) -> list[tuple[str, str, str]]:
    return [
        (risk.kind, risk.severity, plain(risk.message))
        for risk in plan.risks
        if risk.subject.startswith("settings.deploy")
    ]


@pytest.mark.parametrize(
    ("base", "edit", "what"),
    [
        (ARGO, deploy_edit("argocd", "repoURL", value="https://evil.example.com/u.git"), "repoURL"),
        (ARGO, deploy_edit("argocd", "targetRevision", value="feature"), "targetRevision"),
        (ARGO, deploy_edit("path", value="other/out"), "path from out to other/out"),
        (ARGO, deploy_edit("directory", value="gitops"), "directory from deploy to gitops"),
        (ARGO, deploy_edit("argocd", "destination", value={"name": "prod"}), "destination"),
        (FLUXED, deploy_edit("flux", "sourceRef", "name", value="fork"), "sourceRef.name"),
        (FLUXED, deploy_edit("flux", "sourceRef", "kind", value="Bucket"), "sourceRef.kind"),
        (FLUXED, deploy_edit("flux", "sourceRef", "namespace", value="x"), "sourceRef.namespace"),
        (ARGO, lambda d: d.update(settings=FLUXED["settings"]), "engine from argocd to flux"),
    ],
)
def test_changing_where_the_engine_reads_is_a_high_privilege_risk(
    base: dict[str, Any], edit: Edit, what: str
) -> None:
    plan = plan_of(changed(edit, base), base)
    ((kind, severity, message),) = deploy_risks(plan)
    assert (kind, severity) == ("privilege", "high")
    assert message.startswith("settings deploy changes where the engine reads what it applies: ")
    assert what in message
    if what.startswith("directory"):
        assert message.endswith(
            "; compile no longer writes or checks deploy/: delete it in this change, or what it "
            "holds stays applied, unchecked"
        )
    else:
        assert message.endswith("this points the cluster at content no check has read")
    assert "privilege" in plan.blocking_kinds()


def test_setting_and_removing_deploy_are_high_privilege_risks() -> None:
    ((kind, severity, message),) = deploy_risks(plan_of(ARGO))
    assert (kind, severity) == ("privilege", "high")
    assert message == (
        "settings deploy is set: compile now writes deploy/, which makes Argo CD apply the "
        f"directory out of {REPO} at main to the cluster https://kubernetes.default.svc: whatever "
        "it reads there is applied to the cluster, so check that it is this repository and the "
        "reviewed branch"
    )
    ((kind, severity, message),) = deploy_risks(plan_of(BASE, FLUXED))  # removed
    assert (kind, severity) == ("privilege", "high")
    assert "compile no longer writes or checks deploy/, but Flux keeps applying" in message


@pytest.mark.parametrize(
    ("base", "edit", "expected"),
    [
        (FLUXED, deploy_edit("name", value="people"), "deploy.name changes from kubeflow-users"),
        (FLUXED, deploy_edit("namespace", value="ops"), "deploy.namespace changes from flux-"),
        (FLUXED, deploy_edit("flux", "interval", value="1h"), "interval changes from 10m to 1h"),
        (ARGO, deploy_edit("argocd", "project", value="kubeflow"), "deploy.argocd.project"),
    ],
)
def test_other_deploy_changes_are_warnings(base: dict[str, Any], edit: Edit, expected: str) -> None:
    ((kind, severity, message),) = deploy_risks(plan_of(changed(edit, base), base))
    assert (kind, severity) == ("settings", "warning")
    assert expected in message


@pytest.mark.parametrize(
    "edit",
    [
        deploy_edit("flux", value={}),
        deploy_edit("flux", value={"interval": "10m", "sourceRef": {"name": "flux-system"}}),
        deploy_edit("namespace", value="flux-system"),
        deploy_edit("path", value="out"),
    ],
    ids=["empty-block", "defaults-written-out", "default-namespace", "default-path"],
)
def test_writing_out_a_default_is_no_deploy_risk(edit: Edit) -> None:
    assert deploy_risks(plan_of(changed(edit, FLUXED), FLUXED)) == []


# --------------------------------------------------------------------------------------------
# Sides
# --------------------------------------------------------------------------------------------


def test_invalid_side_yields_a_plan_that_says_so() -> None:
    broken = changed(lambda d: profile(d, "bo").update({"owner": "nobody"}))
    plan = plan_of(BASE, broken)
    assert (plan.valid, plan.invalid, plan.changes) == (False, ("users.yaml@main",), ())
    (problem,) = [problem for problem in plan.problems if problem.level == "error"]
    assert (problem.file, problem.rule) == ("users.yaml@main", "unknown-user")


def test_unreadable_file_is_a_usage_error(tmp_path: Any) -> None:
    with pytest.raises(diff.UnreadableRoster, match="cannot read the roster"):
        diff.load_file(tmp_path / "missing.yaml")


def test_a_default_workload_identity_is_privilege_for_every_profile_without_one() -> None:
    account = "kubeflow-default@ml-prod.iam.gserviceaccount.com"

    def edit(data: dict[str, Any]) -> None:
        data["settings"] = {"defaultWorkloadIdentity": account}
        profile(data, "ed")["plugins"] = [
            {
                "kind": "WorkloadIdentity",
                "spec": {"gcpServiceAccount": "ed-own-sa@p.iam.gserviceaccount.com"},
            }
        ]

    plan = plan_of(changed(edit))
    (risk,) = [r for r in plan.risks if r.subject == "settings.defaultWorkloadIdentity"]
    assert (risk.kind, risk.severity) == ("privilege", "high")
    assert plain(risk.message).startswith(
        f"settings defaultWorkloadIdentity is now {account}: the 2 Profiles without a "
        "WorkloadIdentity plugin of their own give their namespace's default-editor"
    )
    # The Profiles that get it show the plugin in the plan's objects.
    plugins = {
        c.key.name: [f.new for f in c.fields if f.path[:2] == ("spec", "plugins")]
        for c in plan.objects
        if c.key.kind == "Profile"
    }
    default = [{"kind": "WorkloadIdentity", "spec": {"gcpServiceAccount": account}}]
    assert plugins["bo"] == plugins["shared"] == [default]


def test_marking_a_namespace_owned_shows_in_the_profile_section() -> None:
    plan = plan_of(flagged("bo"))
    # Keeping a Profile keeps its owner's access after an offboarding: worth a warning.
    (risk,) = risks(plan, "data")
    assert (risk.severity, risk.users) == ("warning", ("bo",))
    assert plain(risk.message).startswith(
        "profile bo gains namespaceOwnedByProfile: its Profile and LimitRange are no longer "
        "pruned, so removing the profile later keeps its owner bo's access"
    )
    (section,) = [c for c in plan.changes if c.name == "bo"]
    assert [(f.path, f.old, f.new) for f in section.facts] == [
        (("namespaceOwnedByProfile",), "false", "true")
    ]
