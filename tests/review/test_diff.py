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
from compiler.render.common import PRUNE_PROTECTION
from compiler.review import diff
from compiler.review.compare import PRUNE_ANNOTATION, diff_objects, field_changes
from compiler.review.plan.model import ABSENT, Plan, Risk, plain, summary_line

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


def test_a_removed_profile_deletes_bindings_and_leaves_namespace_and_profile() -> None:
    plan = plan_of(changed(lambda d: d["profiles"].remove(profile(d, "bo"))))
    actions = {(c.key.kind, c.key.name): c.action for c in plan.objects}
    assert actions == {
        ("Namespace", "bo"): "orphan",
        ("Profile", "bo"): "orphan",
        ("LimitRange", "kf-limit-range"): "delete",
        ("RoleBinding", "user-di-example-com-clusterrole-view"): "delete",
        ("AuthorizationPolicy", "user-di-example-com-clusterrole-view"): "delete",
    }


def test_prune_annotation_matches_what_the_renderers_write() -> None:
    assert PRUNE_PROTECTION[PRUNE_ANNOTATION] == "disabled"


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


def test_profile_leaving_says_data_is_kept_and_how_to_delete_it() -> None:
    plan = plan_of(changed(lambda d: d["profiles"].remove(profile(d, "bo"))))
    (message,) = blocking(plan, "data")
    assert "the access of di <di@example.com> is revoked (their bindings are pruned)" in message
    assert "the namespace bo are kept, with all their data, because prune is disabled" in message
    assert "its owner bo <bo@example.com> keeps access through the profile controller" in message
    assert "kubectl delete profile bo" in message


def test_profile_rename_warns_that_data_does_not_move() -> None:
    plan = plan_of(changed(lambda d: profile(d, "ed").update({"name": "ed-2"})))
    (message,) = blocking(plan, "data")
    assert "If this renames it to ed-2" in message


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
