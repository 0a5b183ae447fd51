"""kfroster import: a cluster's objects in, the roster that grants the same access out.

The round trip is the main property: compile a roster, add what the profile controller
would have created and the noise a real API server adds, import it, and compile the
imported roster again: the same access and the same objects, with nothing to report.
"""

from __future__ import annotations

import json
import random
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from typer.testing import CliRunner

from compiler import importer, pipeline
from compiler.importer import report as import_report
from compiler.importer.read import read_objects
from compiler.model.keys import Manifest, ResourceKey
from compiler.model.resolve import RosterIndex, grants
from compiler.model.roster import Roster, Settings
from compiler.problems import format_text
from compiler.render.protection import PROTECTION
from compiler.review.diff import plan_between
from compiler.roster import source
from compiler.yamlio import emitter
from tests.conftest import CASES, REPO, golden_cases, invoke, updating_golden
from tests.fake_cluster import (
    OWNER,
    RBAC,
    cluster_of,
    cluster_role_binding,
    compiled,
    contributor,
    controller_objects,
    kubectl_list,
    limit_range,
    namespace,
    owned_namespaces,
    policy,
    profile,
    role_binding,
    user,
)
from tests.kfam import binding_name
from tests.strategies import rosters

IMPORT_CASES = CASES / "import"

Access = frozenset[tuple[str, str, str]]


def access(roster: Roster) -> Access:
    """Return who may do what where: (email, namespace or '*', owner|edit|view|cluster-<role>)."""
    index = RosterIndex.build(roster)
    found: set[tuple[str, str, str]] = set()
    for each in roster.profiles:
        found.add((index.users[each.owner].email, each.name, "owner"))
        found.update((g.user.email, each.name, g.role) for g in grants(each, index))
    found.update(
        (person.email, "*", f"cluster-{person.cluster_role}")
        for person in roster.users
        if person.cluster_role is not None
    )
    return frozenset(found)


def without_policy_api_version(manifest: Manifest) -> Manifest:
    """Return a manifest without its apiVersion if it is an AuthorizationPolicy."""
    if manifest["kind"] != "AuthorizationPolicy":
        return manifest
    return {key: value for key, value in manifest.items() if key != "apiVersion"}


def load_roster(path: Path) -> Roster:
    return pipeline.validate(path).roster


def run_import(text: str | bytes, name: str = "cluster.yaml") -> importer.Imported:
    return importer.import_cluster([(name, text)], "users.yaml")


def assert_round_trip(roster: Roster, text: str) -> importer.Imported:
    """Import a compiled cluster; check it grants the same access through the same objects."""
    imported = run_import(text)
    assert pipeline.check_text(imported.text, "users.yaml").roster is not None
    # Nothing to report but the namespaces whose Profile owns them, which the roster marks.
    owned = owned_namespaces(roster)
    assert sorted(p.message.split(":")[0] for p in imported.findings) == [
        f"Namespace {name}" for name in sorted(owned)
    ]
    assert {p.rule for p in imported.findings} <= {"namespace-owned-by-profile"}
    assert {p.name for p in imported.roster.profiles if p.namespace_owned_by_profile} == owned
    assert len(imported.switch.releases) == len(owned)
    assert access(imported.roster) == access(roster)
    before, after = compiled(roster), compiled(imported.roster)
    assert sorted(after) == sorted(before)
    for key, manifest in before.items():
        assert without_policy_api_version(after[key]) == without_policy_api_version(manifest), key
    # kubectl prints the API server's preferred version, so the one a roster asked for cannot
    # be read back: import keeps the default (objects pair by group, kind and name).
    default = Settings().authorization_policy_api_version
    assert imported.roster.settings.authorization_policy_api_version == default
    assert imported.switch.changes == ()
    assert imported.switch.routine == ()
    return imported


ROSTERS = [REPO / "users.yaml", *(case / "users.yaml" for case in golden_cases())]


@pytest.mark.parametrize("path", ROSTERS, ids=lambda p: p.parent.name or "repo")
def test_round_trip_of_every_golden_roster(path: Path) -> None:
    roster = load_roster(path)
    # kubectl's YAML List, and the same objects as JSON (`-o json`): both are read.
    listing = kubectl_list(cluster_of(roster))
    assert_round_trip(roster, emitter.dumps(listing))
    assert_round_trip(roster, json.dumps(listing, indent=2))


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=rosters())
def test_round_trip_of_generated_rosters(data: dict[str, Any]) -> None:
    checked = pipeline.check_text(json.dumps(data), "users.yaml")
    assume(checked.roster is not None)
    assert checked.roster is not None
    roster = checked.roster
    # Several documents instead of a List, as `kubectl get -o yaml` per kind and `cat` give.
    documents = kubectl_list(cluster_of(roster))["items"]
    text = "".join(f"---\n{emitter.dumps(document)}" for document in documents)
    assert_round_trip(roster, text)


def test_user_names_come_back_from_cluster_role_binding_names() -> None:
    roster = load_roster(CASES / "cluster-roles" / "users.yaml")
    imported = assert_round_trip(roster, emitter.dumps(kubectl_list(cluster_of(roster))))
    assert {(u.name, u.email) for u in imported.roster.users} == {
        (u.name, u.email) for u in roster.users
    }


def test_the_same_objects_in_any_order_give_the_same_bytes() -> None:
    roster = load_roster(REPO / "users.yaml")
    items = kubectl_list(cluster_of(roster))["items"]
    texts = set()
    for seed in range(4):
        random.Random(seed).shuffle(items)
        listing = {"apiVersion": "v1", "kind": "List", "items": items}
        texts.add(run_import(emitter.dumps(listing)).text)
    assert len(texts) == 1


def test_several_files_are_one_cluster() -> None:
    roster = load_roster(REPO / "users.yaml")
    items = kubectl_list(cluster_of(roster))["items"]
    half = len(items) // 2
    whole = run_import(emitter.dumps({"kind": "List", "apiVersion": "v1", "items": items}))
    split = importer.import_cluster(
        [
            ("a.yaml", emitter.dumps({"kind": "List", "apiVersion": "v1", "items": items[:half]})),
            ("b.json", json.dumps({"kind": "List", "apiVersion": "v1", "items": items[half:]})),
        ],
        "users.yaml",
    )
    assert split.text == whole.text
    assert split.findings == ()


# --------------------------------------------------------------------------------------------
# A hand-run cluster: renamed bindings, groups, several subjects, orphans
# --------------------------------------------------------------------------------------------

HAND_MADE = IMPORT_CASES / "hand-made"


@pytest.fixture(scope="module")
def hand_made() -> importer.Imported:
    text = (HAND_MADE / "cluster.yaml").read_bytes()
    return importer.import_cluster([("cluster.yaml", text)], "users.yaml")


def test_hand_made_cluster_gives_the_reviewed_roster(hand_made: importer.Imported) -> None:
    expected = HAND_MADE / "expected.yaml"
    if updating_golden():
        expected.write_text(hand_made.text, encoding="utf-8")
    assert hand_made.text == expected.read_text(encoding="utf-8")
    assert pipeline.check_text(hand_made.text, "users.yaml").roster is not None


def test_hand_made_cluster_grants_what_could_be_expressed(hand_made: importer.Imported) -> None:
    assert access(hand_made.roster) == {
        ("alice@example.com", "*", "cluster-admin"),  # alice-admin, and the weaker alice-view
        ("audit@example.com", "*", "cluster-view"),
        ("carol@example.com", "*", "cluster-view"),  # kubeflow-viewers, split per person
        ("erin@example.com", "*", "cluster-view"),
        ("alice@example.com", "alice", "owner"),
        ("Bob.Smith@Example.com", "alice", "view"),  # the hand-named bob-can-view
        ("Bob.Smith@Example.com", "bob", "owner"),
        ("alice@example.com", "bob", "edit"),  # helpers: two subjects
        ("erin@example.com", "bob", "edit"),
        ("carol@example.com", "carol", "owner"),
        ("alice@example.com", "team-ml", "owner"),
        ("Bob.Smith@Example.com", "team-ml", "edit"),  # a KFAM pair
        ("carol@example.com", "team-ml", "view"),  # a RoleBinding without its policy
    }
    # A name in a `kubeflow-<role>-<user>` binding is kept; others come from the email.
    assert {u.email: u.name for u in hand_made.roster.users} == {
        "alice@example.com": "alice",
        "audit@example.com": "auditor",
        "Bob.Smith@Example.com": "bob-smith",
        "carol@example.com": "carol",
        "erin@example.com": "erin",
    }


def test_hand_made_cluster_reports_what_it_could_not_express(
    hand_made: importer.Imported,
) -> None:
    text = (HAND_MADE / "cluster.yaml").read_text(encoding="utf-8").splitlines()
    found = {(p.rule, p.message.split(":")[0]) for p in hand_made.findings}
    assert found == {
        ("profile-not-imported", "Profile kube-tools"),
        ("subject-not-email", "Profile legacy"),
        ("namespace-owner-mismatch", "Namespace carol"),
        ("cluster-role-merged", "ClusterRoleBinding alice-admin"),
        ("other-cluster-binding", "ClusterRoleBinding carol-cluster-admin"),
        ("multi-subject-binding", "ClusterRoleBinding kubeflow-viewers"),
        ("unexpressed-subject", "ClusterRoleBinding ml-admins"),
        ("multi-subject-binding", "RoleBinding bob/helpers"),
        ("binding-outside-profile", "RoleBinding kubeflow/dave-kubeflow-edit"),
        ("admin-contributor", "RoleBinding team-ml/frank-admin"),
        ("unexpressed-subject", "RoleBinding team-ml/ml-team"),
        ("non-kubeflow-role", "RoleBinding team-ml/pipeline-runner"),
        ("binding-without-policy", "RoleBinding team-ml/user-carol-example-com-clusterrole-view"),
        ("limit-range-not-imported", "LimitRange team-ml/limits"),
        ("unexpressed-policy", "AuthorizationPolicy alice/grafana-access"),
        (
            "policy-without-binding",
            "AuthorizationPolicy team-ml/user-dave-example-com-clusterrole-view",
        ),
    }
    for problem in hand_made.findings:
        # Located at the first line of the object it is about, in kubectl's List.
        kind, name = problem.message.split(":")[0].split(" ")
        assert text[problem.line - 1] == "- apiVersion: " + (
            text[problem.line - 1].removeprefix("- apiVersion: ")
        )
        following = "\n".join(text[problem.line : problem.line + 8])
        assert f"kind: {kind}" in following
        assert f"name: {name.rpartition('/')[2]}" in following
    # System objects are left alone, and said so, but never listed as findings.
    assert hand_made.left_alone["objects the profile controller owns"]
    assert "ClusterRoleBinding cluster-admin" in hand_made.left_alone["Kubernetes' own bindings"]


def test_hand_made_cluster_switch_over_lists_every_renamed_object(
    hand_made: importer.Imported,
) -> None:
    changes = {(c.action, c.key.describe()): c.detail for c in hand_made.switch.changes}
    crb = "ClusterRoleBinding"
    assert changes[("create", f"{crb} kubeflow-admin-alice")] == (
        f"replaces {crb} alice-admin, {crb} alice-view"
    )
    assert changes[("create", f"{crb} kubeflow-view-carol")] == f"replaces {crb} kubeflow-viewers"
    assert changes[("create", "RoleBinding alice/user-bob-smith-example-com-clusterrole-view")] == (
        "replaces RoleBinding alice/bob-can-view"
    )
    assert changes[
        ("create", "AuthorizationPolicy team-ml/user-carol-example-com-clusterrole-view")
    ] == ("the RoleBinding of the same name had none")
    assert changes[("change", "Namespace carol")] == (
        'metadata.annotations.owner: (none) → "carol@example.com"'
    )
    assert changes[("keep", f"{crb} alice-view")].startswith(
        "grants kubeflow-view cluster-wide to alice@example.com; kfroster does not manage it"
    )
    # The other LimitRange holds Pod limits the roster cannot: change it, don't delete it.
    assert "change it rather than delete it" in changes[("keep", "LimitRange team-ml/limits")]
    kept = {key for action, key in changes if action == "keep"}
    assert kept == {
        f"{crb} alice-admin",
        f"{crb} alice-view",
        f"{crb} kubeflow-viewers",
        "RoleBinding alice/bob-can-view",
        "RoleBinding bob/helpers",
        "LimitRange team-ml/limits",
    }
    assert not any(action == "prune" for action, _key in changes)
    assert dict(hand_made.switch.routine) == {
        "gain prune protection (what holds data)": 4,
        "gain the label app.kubernetes.io/managed-by: kfroster": 14,
        "get spec.owner.apiGroup written out (the same owner)": 4,
    }
    # Once the listed objects are deleted, the cluster is exactly the compiled roster.
    assert hand_made.switch.count("create") == 11


# --------------------------------------------------------------------------------------------
# A cluster onboarded by hand: the controller made the namespaces, with an ownerReference
# --------------------------------------------------------------------------------------------

ONBOARDED = IMPORT_CASES / "hand-onboarded"


@pytest.fixture(scope="module")
def onboarded() -> importer.Imported:
    text = (ONBOARDED / "cluster.yaml").read_bytes()
    return importer.import_cluster([("cluster.yaml", text)], "users.yaml")


def test_onboarded_cluster_gives_the_reviewed_roster(onboarded: importer.Imported) -> None:
    expected = ONBOARDED / "expected.yaml"
    if updating_golden():
        expected.write_text(onboarded.text, encoding="utf-8")
    assert onboarded.text == expected.read_text(encoding="utf-8")


def test_onboarded_cluster_reports_each_namespace_its_profile_owns(
    onboarded: importer.Imported,
) -> None:
    lines = (ONBOARDED / "cluster.yaml").read_text(encoding="utf-8").splitlines()
    found = [p for p in onboarded.findings if p.rule == "namespace-owned-by-profile"]
    assert [p.message.split(":")[0] for p in found] == ["Namespace ada", "Namespace ml-team"]
    for problem in found:
        # Located at the object: its item starts on the reported line.
        assert lines[problem.line - 1] == "- apiVersion: v1"
        assert lines[problem.line] == "  kind: Namespace"
        assert "deleting the Profile deletes the namespace and all its data" in problem.message
    # cleo's namespace was made by hand first and adopted: no ownerReference, no finding.
    assert {p.name: p.namespace_owned_by_profile for p in onboarded.roster.profiles} == {
        "ada": True,
        "cleo": False,
        "ml-team": True,
    }


def test_onboarded_cluster_switch_over_prints_the_command_that_releases_each_namespace(
    onboarded: importer.Imported,
) -> None:
    assert onboarded.switch.releases == (
        "kubectl patch namespace ada --type=json -p '["
        '{"op":"test","path":"/metadata/ownerReferences/0/uid",'
        '"value":"3b9d0001-0000-4000-8000-000000000000"},'
        '{"op":"remove","path":"/metadata/ownerReferences/0"}]\'',
        "kubectl patch namespace ml-team --type=json -p '["
        '{"op":"test","path":"/metadata/ownerReferences/0/uid",'
        '"value":"3b9d0002-0000-4000-8000-000000000000"},'
        '{"op":"remove","path":"/metadata/ownerReferences/0"}]\'',
    )
    report = import_report.format_text(
        import_report.Report(onboarded, ["cluster.yaml"], "users.yaml")
    ).splitlines()
    assert report[-3:] == [
        "Namespaces their Profile owns go with it: the roster keeps those Profiles "
        "(namespaceOwnedByProfile). To let removing a profile revoke its owner's access and "
        "keep the data, remove the ownerReference, then drop namespaceOwnedByProfile:",
        f"  {onboarded.switch.releases[0]}",
        f"  {onboarded.switch.releases[1]}",
    ]
    # The uid each command tests is the one of the Profile that owns the namespace.
    cluster = yaml.safe_load((ONBOARDED / "cluster.yaml").read_text(encoding="utf-8"))
    uids = {
        item["metadata"]["name"]: item["metadata"]["uid"]
        for item in cluster["items"]
        if item["kind"] == "Profile"
    }
    for name, command in zip(("ada", "ml-team"), onboarded.switch.releases, strict=True):
        patch = json.loads(command.split(" -p ", 1)[1].strip("'"))
        assert patch[0]["value"] == uids[name]


def test_onboarded_roster_compiles_to_kept_profiles_where_the_namespace_is_owned(
    onboarded: importer.Imported,
) -> None:
    objects = compiled(onboarded.roster)

    def annotations(kind: str, namespace: str, name: str) -> dict[str, str]:
        group = "kubeflow.org" if kind == "Profile" else ""
        found: dict[str, str] = objects[ResourceKey(group, kind, namespace, name)]["metadata"].get(
            "annotations", {}
        )
        return found

    for name in ("ada", "ml-team"):
        assert annotations("Profile", "", name).items() >= PROTECTION.items()
        assert annotations("LimitRange", name, "kf-limit-range").items() >= PROTECTION.items()
    assert annotations("Profile", "", "cleo") == {}
    assert annotations("LimitRange", "cleo", "kf-limit-range") == {}
    for name in ("ada", "cleo", "ml-team"):
        assert annotations("Namespace", "", name).items() >= PROTECTION.items()


def test_removing_an_onboarded_profile_is_critical_and_keeps_its_profile(
    onboarded: importer.Imported, tmp_path: Path
) -> None:
    old = tmp_path / "old.yaml"
    old.write_text(onboarded.text, encoding="utf-8")
    data = yaml.safe_load(onboarded.text)
    data["profiles"] = [p for p in data["profiles"] if p["name"] != "ada"]
    data["profiles"] = [
        {**p, "contributors": [c for c in p.get("contributors", []) if c["user"] != "ada"]}
        for p in data["profiles"]
    ]
    new = tmp_path / "new.yaml"
    new.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    plan = plan_between(old, new)
    data_risks = [r for r in plan.risks if r.kind == "data"]
    assert [(r.severity, r.subject) for r in data_risks] == [("critical", "profile ada")]
    actions = {(c.key.kind, c.key.namespace, c.key.name): c.action for c in plan.objects}
    assert actions[("Profile", "", "ada")] == "orphan"
    assert actions[("Namespace", "", "ada")] == "orphan"
    assert actions[("LimitRange", "ada", "kf-limit-range")] == "orphan"


def test_the_docs_list_every_rule_of_the_report() -> None:
    readme = (REPO / "docs" / "import.md").read_text(encoding="utf-8")
    rules_ = (*importer.INPUT_RULES, *importer.REPORT_RULES)
    assert [rule for rule in rules_ if f"`{rule}`" not in readme] == []


# --------------------------------------------------------------------------------------------
# Each report category, on the smallest cluster that shows it
# --------------------------------------------------------------------------------------------


def import_objects(*objects: Manifest) -> importer.Imported:
    return run_import(emitter.dumps({"apiVersion": "v1", "kind": "List", "items": list(objects)}))


def findings(imported: importer.Imported) -> list[tuple[str, str]]:
    return [(p.rule, p.message) for p in imported.findings]


def rules(imported: importer.Imported) -> list[str]:
    found = [p.rule for p in imported.findings]
    assert set(found) <= set(importer.REPORT_RULES), "a rule missing from REPORT_RULES"
    return found


def test_a_profile_alone_imports_silently() -> None:
    imported = import_objects(profile(), namespace(), *controller_objects_of_team())
    assert findings(imported) == []
    assert imported.roster.profiles[0].name == "team"
    assert [(u.name, u.email) for u in imported.roster.users] == [("owner", OWNER)]
    assert imported.left_alone == {
        "objects the profile controller owns": (
            "AuthorizationPolicy team/ns-owner-access-istio",
            "ResourceQuota team/kf-resource-quota",
            "RoleBinding team/default-editor",
            "RoleBinding team/default-viewer",
            "RoleBinding team/namespaceAdmin",
            "ServiceAccount team/default-editor",
            "ServiceAccount team/default-viewer",
        )
    }


def controller_objects_of_team() -> list[Manifest]:
    roster = pipeline.check_text(
        "version: 1\nusers: [{name: owner, email: owner@example.com}]\n"
        "defaults: {resourceQuota: {hard: {cpu: '1'}}}\n"
        "profiles: [{name: team, owner: owner}]\n",
        "users.yaml",
    ).roster
    assert roster is not None
    return [
        m
        for m in controller_objects(roster)
        if m["metadata"]["name"] != "ml-pipeline-visualizationserver"
    ]


def test_group_and_service_account_subjects_are_reported_not_imported() -> None:
    group = {"apiGroup": RBAC, "kind": "Group", "name": "ml-team"}
    account = {"kind": "ServiceAccount", "name": "ci", "namespace": "team"}
    imported = import_objects(
        profile(),
        namespace(),
        role_binding("ml-team", "kubeflow-edit", group),
        cluster_role_binding("kubeflow-admins", "kubeflow-admin", account),
    )
    assert rules(imported) == ["unexpressed-subject", "unexpressed-subject"]
    assert "Group ml-team" in imported.findings[0].message
    assert "ServiceAccount team/ci" in imported.findings[1].message
    assert imported.roster.profiles[0].contributors == ()
    assert [u.email for u in imported.roster.users] == [OWNER]
    assert imported.switch.changes == ()  # nothing of theirs was imported, so nothing to replace


def test_a_binding_with_several_people_becomes_one_grant_each() -> None:
    imported = import_objects(
        profile(),
        role_binding("readers", "kubeflow-view", user("ann@example.com"), user("ben@example.com")),
    )
    assert rules(imported) == ["multi-subject-binding"]
    assert {(c.user, c.role) for c in imported.roster.profiles[0].contributors} == {
        ("ann", "view"),
        ("ben", "view"),
    }
    changes = [(c.action, c.key.describe()) for c in imported.switch.changes]
    assert ("keep", "RoleBinding team/readers") in changes
    assert ("create", "RoleBinding team/user-ann-example-com-clusterrole-view") in changes
    assert ("create", "AuthorizationPolicy team/user-ben-example-com-clusterrole-view") in changes


def test_a_mixed_binding_is_kept_with_a_warning_not_to_delete_it() -> None:
    group = {"apiGroup": RBAC, "kind": "Group", "name": "ml-team"}
    imported = import_objects(
        profile(), role_binding("mixed", "kubeflow-edit", user("ann@example.com"), group)
    )
    assert sorted(rules(imported)) == ["multi-subject-binding", "unexpressed-subject"]
    keep = [c for c in imported.switch.changes if c.action == "keep"]
    assert [c.key.name for c in keep] == ["mixed"]
    assert keep[0].detail.endswith("change it rather than delete it")


def test_an_orphan_authorization_policy_is_reported_not_imported() -> None:
    orphan = contributor("dave@example.com", "view")[1]
    imported = import_objects(profile(), orphan)
    assert rules(imported) == ["policy-without-binding"]
    assert "'dave@example.com'" in imported.findings[0].message
    assert [u.email for u in imported.roster.users] == [OWNER]


def test_a_contributor_binding_without_its_policy_is_imported_and_completed() -> None:
    binding = contributor("carol@example.com", "view")[0]
    imported = import_objects(profile(), namespace(), binding)
    assert rules(imported) == ["binding-without-policy"]
    assert [(c.user, c.role) for c in imported.roster.profiles[0].contributors] == [
        ("carol", "view")
    ]
    assert [(c.action, c.key.kind, c.detail) for c in imported.switch.changes] == [
        ("create", "AuthorizationPolicy", "the RoleBinding of the same name had none")
    ]


def test_a_complete_kfam_pair_imports_without_findings_or_changes() -> None:
    imported = import_objects(profile(), *contributor("Bob.Smith+ml@Example.COM", "edit"))
    assert findings(imported) == []
    assert [(c.user, c.role) for c in imported.roster.profiles[0].contributors] == [
        ("bob-smith-ml", "edit")
    ]
    assert [c.action for c in imported.switch.changes] == ["create"]  # only the Namespace
    assert imported.switch.changes[0].key.kind == "Namespace"


@pytest.mark.parametrize("email", ["_ann@example.com", "ann-@example.com", "Ann_@x.io"])
def test_a_kfam_pair_of_an_email_with_separators_at_its_ends_is_genuine(email: str) -> None:
    # KFAM's second pass drops the '-' a leading or trailing separator leaves: this is the
    # name the dashboard itself wrote, not a mismatch to delete.
    pair = contributor(email, "edit")
    assert pair[0]["metadata"]["name"].startswith("user-ann-")
    imported = import_objects(profile(), *pair)
    assert findings(imported) == []
    assert [c.role for c in imported.roster.profiles[0].contributors] == ["edit"]
    assert [c.action for c in imported.switch.changes] == ["create"]  # only the Namespace


def without_from(pair: list[Manifest]) -> list[Manifest]:
    """Return a KFAM pair as KFAM 1.7 writes it: the policy's rule has no `from` clause."""
    del pair[1]["spec"]["rules"][0]["from"]
    return pair


def test_a_kubeflow_1_7_cluster_imports_as_1_7_and_keeps_its_policies() -> None:
    imported = import_objects(
        profile(),
        namespace(),
        *without_from(contributor("ann@example.com", "edit")),
        *without_from(contributor("ben@example.com", "view")),
    )
    assert findings(imported) == []
    assert imported.roster.settings.kubeflow_version == "1.7"
    assert "kubeflowVersion: '1.7'" in imported.text  # quoted: 1.7 alone reads as a number
    assert imported.switch.changes == ()  # not one policy gains a `from` clause


def test_one_policy_with_from_keeps_the_default_and_the_others_gain_it() -> None:
    # The 1.7 shape lets in any workload that sends the header: import never loosens a
    # policy that has `from`, whatever the majority.
    imported = import_objects(
        profile(),
        namespace(),
        *without_from(contributor("ann@example.com", "edit")),
        *without_from(contributor("ben@example.com", "view")),
        *contributor("cat@example.com", "edit"),
    )
    assert rules(imported) == ["settings-inconsistent"]
    assert "shape of contributor AuthorizationPolicies here is that of Kubeflow 1.7" in (
        imported.findings[0].message
    )
    assert imported.roster.settings.kubeflow_version is None
    assert "kubeflowVersion" not in imported.text
    assert [(c.action, c.key.name) for c in imported.switch.changes] == [
        ("change", "user-ann-example-com-clusterrole-edit"),
        ("change", "user-ben-example-com-clusterrole-view"),
    ]
    details = [change.detail for change in imported.switch.changes]
    assert all(detail.startswith("spec.rules[0].from: (none) → ") for detail in details)


def test_a_contributor_with_role_admin_is_reported() -> None:
    imported = import_objects(
        profile(),
        role_binding("frank-admin", "kubeflow-admin", user("frank@example.com")),
        role_binding("owner-admin", "kubeflow-admin", user(OWNER)),
    )
    assert rules(imported) == ["admin-contributor"]
    assert "frank@example.com" in imported.findings[0].message
    assert "owners' bindings in their own profile (ownership grants as much)" in imported.left_alone


def test_bindings_to_other_roles_are_reported_where_people_get_access() -> None:
    account = {"kind": "ServiceAccount", "name": "runner", "namespace": "team"}
    imported = import_objects(
        profile(),
        role_binding("runner", "edit", account),
        role_binding("dave", "kubeflow-edit", user("dave@example.com"), namespace="kubeflow"),
        role_binding("pipelines", "ml-pipeline", account, namespace="kubeflow"),
        cluster_role_binding("carol-root", "cluster-admin", user("carol@example.com")),
        cluster_role_binding("ml-pipeline", "ml-pipeline", account),
    )
    assert sorted(rules(imported)) == [
        "binding-outside-profile",
        "non-kubeflow-role",
        "other-cluster-binding",
    ]
    assert imported.left_alone == {
        "ClusterRoleBindings of service accounts to other roles": (
            "ClusterRoleBinding ml-pipeline",
        ),
        "bindings of service accounts outside profiles": ("RoleBinding kubeflow/pipelines",),
    }


def test_the_strongest_cluster_role_wins_and_the_others_are_kept() -> None:
    imported = import_objects(
        cluster_role_binding("zed-view", "kubeflow-view", user("zed@example.com")),
        cluster_role_binding("zed-edit", "kubeflow-edit", user("zed@example.com")),
    )
    assert rules(imported) == ["cluster-role-merged"]
    assert [(u.name, u.cluster_role) for u in imported.roster.users] == [("zed", "edit")]
    assert [(c.action, c.key.name) for c in imported.switch.changes] == [
        ("create", "kubeflow-edit-zed"),
        ("keep", "zed-edit"),
        ("keep", "zed-view"),
    ]


def test_a_contributor_with_two_roles_keeps_edit() -> None:
    imported = import_objects(
        profile(),
        *contributor("ann@example.com", "edit"),
        *contributor("ann@example.com", "view"),
    )
    assert rules(imported) == ["contributor-merged"]
    assert [(c.user, c.role) for c in imported.roster.profiles[0].contributors] == [("ann", "edit")]
    assert [
        (c.action, c.key.describe()) for c in imported.switch.changes if c.action == "keep"
    ] == [("keep", "RoleBinding team/user-ann-example-com-clusterrole-view")]


def test_kfam_objects_that_disagree_are_reported() -> None:
    binding, policy_ = contributor("ann@example.com", "edit")
    binding["metadata"]["annotations"]["role"] = "view"
    policy_["spec"]["rules"][0]["when"][0]["values"] = ["someone-else@example.com"]
    imported = import_objects(profile(), binding, policy_)
    assert rules(imported) == ["kfam-mismatch", "kfam-mismatch"]
    assert "annotation role is 'view'" in imported.findings[0].message
    assert "user-id header" in imported.findings[1].message
    # The contributor is what the binding grants: edit.
    assert [(c.user, c.role) for c in imported.roster.profiles[0].contributors] == [("ann", "edit")]


def test_a_namespace_the_controller_would_not_adopt_is_reported() -> None:
    imported = import_objects(profile(), namespace(owner="someone@example.com"))
    assert rules(imported) == ["namespace-owner-mismatch"]
    change = imported.switch.changes[0]
    assert (change.action, change.key.describe()) == ("change", "Namespace team")
    assert (
        change.detail == 'metadata.annotations.owner: "someone@example.com" → "owner@example.com"'
    )


def test_settings_come_from_the_policies_and_disagreement_is_reported() -> None:
    principals = (
        "cluster.local/ns/gateways/sa/public",
        "cluster.local/ns/kubeflow/sa/pipelines-ui",
    )
    custom: dict[str, Any] = {
        "prefix": "accounts.google.com:",
        "header": "x-user",
        "principals": principals,
    }
    imported = import_objects(
        profile(),
        *contributor("ann@example.com", **custom),
        *contributor("ben@example.com", **custom),
        *contributor("cat@example.com", **{**custom, "prefix": "oidc:"}),
    )
    assert rules(imported) == ["settings-inconsistent"]
    assert "user-cat-example-com-clusterrole-edit: the user-id prefix here is oidc:" in (
        imported.findings[0].message
    )
    settings_ = imported.roster.settings
    assert (settings_.user_id_header, settings_.user_id_prefix) == (
        "x-user",
        "accounts.google.com:",
    )
    assert (settings_.ingress_gateway_principal, settings_.pipelines_ui_principal) == principals
    changed = [c.key.name for c in imported.switch.changes if c.action == "change"]
    assert changed == ["user-cat-example-com-clusterrole-edit"]


def test_namespace_labels_shared_by_every_profile_become_a_setting() -> None:
    labels = {"istio-injection": "enabled", "team": "ml"}
    imported = import_objects(
        profile("a"), namespace("a", **labels), profile("b"), namespace("b", **labels)
    )
    assert findings(imported) == []
    assert imported.roster.settings.namespace_labels == labels
    assert "namespaceLabels: {istio-injection: enabled, team: ml}" in imported.text


def test_limit_ranges_the_roster_cannot_hold_are_reported() -> None:
    container = {"type": "Container", "default": {"cpu": "1"}}
    imported = import_objects(
        profile(),
        limit_range("kf-limit-range", container, {"type": "Pod", "max": {"cpu": "4"}}),
        limit_range("extra", container),
    )
    assert rules(imported) == ["limit-range-not-imported", "limit-range-not-imported"]
    assert "type Pod" in imported.findings[0].message
    assert "second LimitRange" in imported.findings[1].message
    assert imported.roster.defaults.limit_range.default == {"cpu": "1"}


def test_profiles_the_roster_cannot_hold_are_reported() -> None:
    group_owned = profile("shared")
    group_owned["spec"]["owner"] = {"kind": "Group", "name": "ml"}
    imported = import_objects(
        group_owned,
        profile("kube-tools"),
        profile("legacy", "legacy-admin"),
        profile("team", resourceQuotaSpec={"hard": {"cpu": "-1"}}),
    )
    assert sorted(rules(imported)) == [
        "profile-not-imported",
        "profile-not-imported",
        "profile-not-imported",
        "subject-not-email",
    ]
    assert imported.roster.profiles == ()


def test_emails_that_differ_only_in_case_are_one_user() -> None:
    imported = import_objects(
        profile(owner="Ann@example.com"),
        *contributor("ann@example.com", "view"),
    )
    assert rules(imported) == ["email-case-collision"]
    assert [u.email for u in imported.roster.users] == ["Ann@example.com"]


def test_a_user_policy_that_is_no_contributor_is_reported() -> None:
    imported = import_objects(profile(), policy("grafana", "grafana@example.com"))
    assert rules(imported) == ["unexpressed-policy"]


def test_the_same_object_twice_with_different_content_is_reported() -> None:
    first = cluster_role_binding("zed", "kubeflow-view", user("zed@example.com"))
    second = cluster_role_binding("zed", "kubeflow-edit", user("zed@example.com"))
    imported = importer.import_cluster(
        [("a.yaml", emitter.dumps(first)), ("b.yaml", emitter.dumps(second))], "users.yaml"
    )
    assert [(p.file, p.rule) for p in imported.findings] == [("b.yaml", "import-duplicate-object")]
    assert [u.cluster_role for u in imported.roster.users] == ["view"]


def test_a_person_the_roster_refuses_is_dropped_with_every_grant() -> None:
    # Valid for RBAC, but the contributor object name would pass Kubernetes' 253 characters.
    long = "a" * 230 + "@example.com"
    imported = import_objects(
        profile("mine", long),
        profile(),
        role_binding("long-view", "kubeflow-view", user(long)),
        cluster_role_binding("long-admin", "kubeflow-admin", user(long)),
    )
    assert sorted(rules(imported)) == [
        "profile-not-imported",
        "subject-not-imported",
        "subject-not-imported",
    ]
    assert all("[name-too-long]" in p.message for p in imported.findings)
    assert [u.email for u in imported.roster.users] == [OWNER]
    assert [p.name for p in imported.roster.profiles] == ["team"]


def test_a_setting_the_roster_refuses_falls_back_to_the_default() -> None:
    imported = import_objects(profile(), *contributor("ann@example.com", header="x user"))
    assert rules(imported) == ["setting-not-imported"]
    assert imported.findings[0].file == "cluster.yaml"  # at the policy the header came from
    assert imported.roster.settings.user_id_header == "kubeflow-userid"
    change = [c for c in imported.switch.changes if c.action == "change"]
    assert [c.key.kind for c in change] == ["AuthorizationPolicy"]
    assert "request.headers[x user]" in change[0].detail


def test_contributors_whose_kfam_names_clash_keep_the_first() -> None:
    imported = import_objects(
        profile(),
        role_binding("ab-dot", "kubeflow-edit", user("a.b@x.io")),
        role_binding("ab-dash", "kubeflow-edit", user("a-b@x.io")),
    )
    assert rules(imported) == ["contributor-name-collision"]
    assert [c.user for c in imported.roster.profiles[0].contributors] == ["a-b"]


# --------------------------------------------------------------------------------------------
# Defaults and names
# --------------------------------------------------------------------------------------------


def test_the_most_common_quota_and_limit_range_become_defaults() -> None:
    small = {"hard": {"cpu": "4"}}
    limits = {"type": "Container", "default": {"cpu": "500m"}}
    imported = import_objects(
        profile("a", resourceQuotaSpec=small),
        profile("b", resourceQuotaSpec=small),
        profile("c", resourceQuotaSpec={"hard": {"cpu": "32"}}),
        profile("d"),
        limit_range("kf-limit-range", limits, namespace="a"),
        limit_range("kf-limit-range", limits, namespace="c"),
    )
    roster = imported.roster
    assert roster.defaults.resource_quota.hard == {"cpu": "4"}
    assert roster.defaults.limit_range.default == {"cpu": "500m"}
    own = {p.name: (p.resource_quota, p.limit_range) for p in roster.profiles}
    assert own["a"] == (None, None)
    assert own["c"][0] is not None and own["c"][0].hard == {"cpu": "32"}
    # Without a LimitRange or quota in the cluster, `{}`: compiling adds none.
    assert own["b"][1] is not None and own["b"][1].is_empty
    assert own["d"][0] is not None and own["d"][0].is_empty
    assert "limitRange: {}  # no LimitRange in the cluster" in imported.text


def test_user_names_are_unique_dns_labels_from_the_email() -> None:
    imported = import_objects(
        cluster_role_binding("a", "kubeflow-view", user("alice@a.example.com")),
        cluster_role_binding("b", "kubeflow-view", user("Alice@b.example.com")),
        cluster_role_binding("c", "kubeflow-view", user("__.__@c.example.com")),
        cluster_role_binding("kubeflow-view-alice", "kubeflow-view", user("zz@d.example.com")),
    )
    assert {u.email: u.name for u in imported.roster.users} == {
        "zz@d.example.com": "alice",  # from its kubeflow-<role>-<name> binding
        "alice@a.example.com": "alice-2",
        "Alice@b.example.com": "alice-3",
        "__.__@c.example.com": "user",
    }


def test_owners_and_cluster_wide_users_claim_names_first() -> None:
    """Issue 12: alice@a.io, a contributor in bob's profile, took `alice` from its owner."""

    def in_bob(email: str) -> list[Manifest]:
        name, annotations = binding_name(email, "edit"), {"role": "edit", "user": email}
        return [
            role_binding(
                name, "kubeflow-edit", user(email), namespace="bob", annotations=annotations
            ),
            policy(name, email, namespace="bob", annotations=annotations),
        ]

    imported = import_objects(
        profile("alice", "alice@b.example.com"),
        profile("bob", "bob@example.com"),
        *in_bob("alice@a.example.com"),
        cluster_role_binding("x", "kubeflow-view", user("carol@a.example.com")),
        *in_bob("carol@b.example.com"),
    )
    names_by_email = {u.email: u.name for u in imported.roster.users}
    assert names_by_email == {
        "alice@b.example.com": "alice",  # owns profile alice
        "bob@example.com": "bob",
        "alice@a.example.com": "alice-2",
        "carol@a.example.com": "carol",  # cluster-wide before the contributor
        "carol@b.example.com": "carol-2",
    }
    assert imported.derived == {name: email for email, name in names_by_email.items()}
    report = import_report.Report(imported, ["cluster.yaml"], "users.yaml")
    lines = import_report.format_text(report).splitlines()
    (line,) = [line for line in lines if line.startswith("user names derived from emails")]
    assert "alice (alice@b.example.com), alice-2 (alice@a.example.com)" in line
    assert json.loads(import_report.format_json(report))["derivedNames"]["alice-2"] == (
        "alice@a.example.com"
    )


def test_many_people_of_one_local_part_get_numbers_in_order() -> None:
    emails = [f"alice@d{number}.example.com" for number in range(30)]
    imported = import_objects(cluster_role_binding("v", "kubeflow-view", *map(user, emails)))
    names = {u.email: u.name for u in imported.roster.users}
    ordered = sorted(emails, key=str.lower)
    assert [names[email] for email in ordered] == ["alice"] + [f"alice-{n}" for n in range(2, 31)]


# --------------------------------------------------------------------------------------------
# Input that is not kubectl output
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kind: List\nitems: [\n", "cluster.yaml:3:1: error: YAML syntax error"),
        ("kind: &a List\nitems: []\n", "cluster.yaml:1:7: error: YAML tags, anchors and aliases"),
        ("a: !!python/object:os.system x\n", "cluster.yaml:1:4: error: YAML tags, anchors"),
        ("kind: List\nkind: List\n", "cluster.yaml:2:1: error: duplicate key 'kind'"),
        ("- just\n- a list\n", "cluster.yaml:1:1: error: expected a Kubernetes object here"),
        (
            "apiVersion: v1\nkind: List\nitems:\n- kind: Namespace\n  metadata: {}\n",
            "cluster.yaml:4:1: error: not a Kubernetes object",
        ),
        ("# nothing\n", "cluster.yaml:1:1: error: no Kubernetes objects in the input"),
    ],
)
def test_what_is_not_kubectl_output_is_refused_with_its_location(text: str, expected: str) -> None:
    with pytest.raises(importer.ClusterInputInvalid) as raised:
        run_import(text)
    assert format_text(raised.value.problems[0]).startswith(expected)


@pytest.mark.parametrize(
    "plain",
    ["0o17", "0x1F", ".inf", "-.Inf", "1234567890123456789012", "0755", "1e3", "", "~", "yes"],
)
def test_plain_scalars_read_as_the_roster_loader_reads_them(plain: str) -> None:
    # One YAML 1.2 core schema for every reader: no capped integers, no dropped forms.
    text = f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: x}}\ndata: {{k: {plain}}}\n"
    [found] = read_objects(text, "cluster.yaml")
    expected = source.loads(f"k: {plain}\n", "users.yaml").data["k"]
    assert found.body["data"]["k"] == expected
    assert type(found.body["data"]["k"]) is type(expected)


def test_a_number_too_long_to_read_is_refused_where_it_is() -> None:
    text = f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: x}}\ndata: {{k: {'9' * 5000}}}\n"
    with pytest.raises(importer.ClusterInputInvalid) as raised:
        read_objects(text, "cluster.yaml")
    [problem] = raised.value.problems
    assert (problem.line, problem.col, problem.rule) == (4, 11, "import-yaml")
    assert "5,000 digits" in problem.message


def test_every_problem_of_the_input_is_listed_in_one_run() -> None:
    text = "a: &x 1\n? [k]\n: v\nb: *x\na: 2\n"
    with pytest.raises(importer.ClusterInputInvalid) as raised:
        read_objects(text, "cluster.yaml")
    assert [(p.line, p.col) for p in raised.value.problems] == [(1, 4), (2, 3), (4, 4), (5, 1)]


def test_items_of_a_list_in_a_list_are_located_at_their_own_line() -> None:
    text = (
        "apiVersion: v1\nkind: List\nitems:\n"
        "- apiVersion: v1\n  kind: List\n  items:\n"
        "  - {apiVersion: v1, kind: Namespace, metadata: {name: a}}\n"
        "  - {apiVersion: v1, kind: Namespace, metadata: {name: b}}\n"
    )
    assert [(found.name, found.line) for found in read_objects(text, "cluster.yaml")] == [
        ("a", 7),
        ("b", 8),
    ]


def test_invalid_utf8_is_located() -> None:
    with pytest.raises(importer.ClusterInputInvalid) as raised:
        run_import(b"kind: List\nitems: []\nx: \xff\n")
    problem = raised.value.problems[0]
    assert (problem.line, problem.col, problem.rule) == (3, 4, "import-yaml")


def test_typed_lists_and_single_objects_are_read() -> None:
    typed = {
        "apiVersion": f"{RBAC}/v1",
        "kind": "ClusterRoleBindingList",
        "items": [
            {
                k: v
                for k, v in cluster_role_binding(
                    "x", "kubeflow-edit", user("x@example.com")
                ).items()
                if k not in ("apiVersion", "kind")
            }
        ],
    }
    single = cluster_role_binding("y", "kubeflow-view", user("y@example.com"))
    imported = importer.import_cluster(
        [("typed.yaml", emitter.dumps(typed)), ("single.yaml", emitter.dumps(single))], "users.yaml"
    )
    assert {(u.email, u.cluster_role) for u in imported.roster.users} == {
        ("x@example.com", "edit"),
        ("y@example.com", "view"),
    }


# --------------------------------------------------------------------------------------------
# Writing users.yaml
# --------------------------------------------------------------------------------------------


TRICKY = [
    "yes",
    "No",
    "on",
    "0755",
    "1e3",
    "12:30",
    "null",
    "",
    "a: b",
    "o'brien",
    "x, y",
    "[a]",
    "#x",
    "2024-01-01",
    "-1",
    ".inf",
    "~",
    "é",
]


@pytest.mark.parametrize("value", TRICKY)
def test_strings_yaml_would_misread_are_quoted(value: str) -> None:
    text = importer.dumps_roster(
        {"settings": {"namespaceLabels": {value: value}}, "users": [{"name": value}]},
        importer.Comments({}, {}),
    )
    expected = {"settings": {"namespaceLabels": {value: value}}, "users": [{"name": value}]}
    assert yaml.safe_load(text) == expected  # YAML 1.1, as Kubernetes reads it
    assert source.loads(text, "users.yaml").data == expected  # YAML 1.2, as kfroster


# --------------------------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------------------------


def test_cli_writes_a_roster_that_validates_and_reports_on_stderr(
    runner: CliRunner, tmp_path: Path
) -> None:
    output, report = tmp_path / "users.yaml", tmp_path / "report.json"
    result = invoke(runner, "import", HAND_MADE / "cluster.yaml", "-o", output, "--report", report)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert output.read_text(encoding="utf-8") == (HAND_MADE / "expected.yaml").read_text(
        encoding="utf-8"
    )
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"read 69 objects from {HAND_MADE / 'cluster.yaml'}: ")
    assert any(line.endswith("[unexpressed-subject]") for line in lines)
    assert f"wrote {output}: 5 users, 4 profiles, 5 contributors; 16 findings above" in lines
    assert lines[-5:] == [
        "Plan: 11 to create, 1 to change, 6 to delete by hand, 0 pruned.",
        "Once out/ is applied, delete what it replaced:",
        "  kubectl delete clusterrolebinding alice-admin alice-view kubeflow-viewers",
        "  kubectl delete rolebinding -n alice bob-can-view",
        "  kubectl delete rolebinding -n bob helpers",
    ]
    data = json.loads(report.read_text(encoding="utf-8"))
    assert len(data["findings"]) == 16
    assert {c["action"] for c in data["switchOver"]["changes"]} == {"create", "change", "keep"}
    assert invoke(runner, "validate", output).exit_code == 0


def test_cli_refuses_to_overwrite_without_force(runner: CliRunner, tmp_path: Path) -> None:
    output = tmp_path / "users.yaml"
    output.write_text("mine\n", encoding="utf-8")
    result = invoke(runner, "import", HAND_MADE / "cluster.yaml", "-o", output)
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {output} exists; pass --force to replace it, or choose another --output\n"
    )
    assert output.read_text(encoding="utf-8") == "mine\n"
    forced = invoke(runner, "import", HAND_MADE / "cluster.yaml", "-o", output, "--force")
    assert forced.exit_code == 0
    assert output.read_text(encoding="utf-8").startswith("# yaml-language-server: $schema=")


def test_cli_reads_stdin_and_writes_stdout(runner: CliRunner) -> None:
    text = (HAND_MADE / "cluster.yaml").read_text(encoding="utf-8")
    result = invoke(runner, "import", "-", "-o", "-", input=text)
    assert result.exit_code == 0
    assert result.stdout == (HAND_MADE / "expected.yaml").read_text(encoding="utf-8")
    assert result.stderr.startswith("read 69 objects from <stdin>: ")


def test_cli_refuses_malformed_input_with_one_located_line(
    runner: CliRunner, tmp_path: Path
) -> None:
    broken = tmp_path / "cluster.yaml"
    broken.write_text("apiVersion: v1\nkind: List\nitems:\n- kind: [\n", encoding="utf-8")
    result = invoke(runner, "import", broken, "-o", tmp_path / "users.yaml")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{broken}:5:1: error: YAML syntax error: did not find expected node content [import-yaml]",
        "nothing written: give kfroster import what kubectl printed",
    ]
    assert not (tmp_path / "users.yaml").exists()


# --------------------------------------------------------------------------------------------
# Names from the cluster never become roster text
# --------------------------------------------------------------------------------------------

# RBAC names are path segments (anything but '/', '%', '.' and '..': ValidateRBACName calls
# path.IsValidPathSegmentName, kubernetes pkg/apis/rbac/validation/validation.go @1dc8b4f2):
# a profile owner, who may make RoleBindings in their namespace, can name one with a line
# break in it.
INJECTED = "\n  - {name: mallory, email: mallory@example.com, clusterRole: admin}\n"


@pytest.mark.parametrize("kind", ["ClusterRoleBinding", "RoleBinding"])
def test_a_name_with_line_breaks_stays_in_its_comment(kind: str) -> None:
    manifests: list[Manifest] = [profile("team", "alice@example.com"), namespace("team")]
    if kind == "ClusterRoleBinding":
        made = cluster_role_binding("admins" + INJECTED, "kubeflow-admin", user("dave@x.io"))
    else:
        made = role_binding("bob-edit" + INJECTED, "kubeflow-edit", user("bob@example.com"))
    manifests.append(made)
    imported = run_import(emitter.dumps(kubectl_list(manifests)))
    roster = pipeline.check_text(imported.text, "users.yaml").roster
    assert roster is not None
    assert "mallory" not in {u.name for u in roster.users}
    assert "mallory" in imported.text  # shown, escaped, in the comment that names the object
    assert all("# was " in line for line in imported.text.splitlines() if "mallory" in line), (
        imported.text
    )


def test_the_report_shows_a_cluster_name_on_its_own_line_and_quotes_it_for_the_shell() -> None:
    manifests: list[Manifest] = [profile("team", "alice@example.com"), namespace("team")]
    manifests.append(cluster_role_binding("admins" + INJECTED, "kubeflow-admin", user("d@x.io")))
    manifests.append(role_binding("bob; touch pwned", "kubeflow-edit", user("bob@example.com")))
    imported = run_import(emitter.dumps(kubectl_list(manifests)))
    text = import_report.format_text(import_report.Report(imported, ["c.yaml"], "users.yaml"))
    assert not any(line.lstrip().startswith("- {name: mallory") for line in text.splitlines())
    assert "admins\\u000a" in text
    [delete] = [line for line in text.splitlines() if "kubectl delete rolebinding" in line]
    assert shlex.split(delete)[-1] == "bob; touch pwned"
