"""kfroster drift: the cluster as kubectl prints it, held to the compiled roster.

Every dump is built the way a cluster holds it: the compiled objects as applied, what the
profile controller makes for each Profile (with its ownerReferences), objects every
Kubeflow cluster has, and the fields the API server adds (tests/fake_cluster.py). In sync,
that is no drift; then each kind of drift alone, all of them together, in YAML and JSON,
in one file and in several.
"""

from __future__ import annotations

import dataclasses
import json
import random
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from compiler import pipeline
from compiler.drift import compare as drift
from compiler.drift.model import Drift, Entry
from compiler.forked import Forked
from compiler.importer import ClusterInputInvalid
from compiler.model.keys import Manifest
from compiler.model.roster import Roster
from compiler.render.common import MANAGED_BY
from compiler.render.protection import PROTECTION
from compiler.yamlio import emitter
from tests.conftest import REPO, golden_cases
from tests.fake_cluster import (
    cluster_of,
    cluster_role_binding,
    contributor,
    kubectl_list,
    namespace,
    owner_references,
    profile,
    role_binding,
    user,
)

ROSTER = """\
version: 1
defaults:
  limitRange: {default: {cpu: "1", memory: 1Gi}}
users:
  - {name: alice, email: alice@example.com}
  - {name: bob, email: bob@example.com}
  - {name: root, email: root@example.com, clusterRole: admin}
profiles:
  - name: team
    owner: alice
    contributors:
      - {user: bob, role: edit}
  - {name: solo, owner: bob}
"""


def load(text: str) -> Roster:
    checked = pipeline.check_text(text, "users.yaml")
    assert checked.roster is not None, checked.problems
    return checked.roster


def dump(manifests: Sequence[Manifest], form: str = "yaml") -> str:
    """Print objects as `kubectl get … -o yaml` (or `-o json`) does."""
    listing = kubectl_list(manifests)
    return emitter.dumps(listing) if form == "yaml" else json.dumps(listing, indent=4)


def compare(
    tmp_path: Path, roster: str, manifests: Sequence[Manifest], form: str = "yaml"
) -> Drift:
    path = tmp_path / "users.yaml"
    path.write_text(roster, encoding="utf-8")
    return drift.compare([(f"cluster.{form}", dump(manifests, form))], path).drift


def drifting(found: Drift) -> list[Entry]:
    return [entry for entry in found.entries if entry.kind != "info"]


def summary(entries: Sequence[Entry]) -> list[tuple[str, str, str]]:
    return [(entry.kind, entry.severity, entry.subject) for entry in entries]


def in_sync(text: str) -> list[Manifest]:
    return cluster_of(load(text))


def named(manifests: list[Manifest], kind: str, name: str) -> Manifest:
    return next(m for m in manifests if m["kind"] == kind and m["metadata"]["name"] == name)


# --------------------------------------------------------------------------------------------
# In sync: nothing to report
# --------------------------------------------------------------------------------------------

ROSTERS = [REPO / "users.yaml", *(case / "users.yaml" for case in golden_cases())]


@pytest.mark.parametrize("path", ROSTERS, ids=lambda p: p.parent.name or "repo")
@pytest.mark.parametrize("form", ["yaml", "json"])
def test_a_cluster_in_sync_with_a_golden_roster_has_no_drift(
    path: Path, form: str, tmp_path: Path
) -> None:
    text = path.read_text(encoding="utf-8")
    found = compare(tmp_path, text, cluster_of(load(text)), form)
    assert drifting(found) == []
    assert not found.has_drift
    assert found.problems == ()
    assert found.failing(None) == ()
    # What the controller made is counted, never listed as drift.
    made = [entry for entry in found.entries if entry.subject == "the profile controller's objects"]
    assert len(made) == (1 if load(text).profiles else 0)


def test_in_sync_is_no_drift_when_applied_server_side(tmp_path: Path) -> None:
    # Flux and the profile controller apply server side: managed fields list every field.
    text = (REPO / "users.yaml").read_text(encoding="utf-8")
    path = tmp_path / "users.yaml"
    path.write_text(text, encoding="utf-8")
    listing = kubectl_list(cluster_of(load(text)), server_side=True)
    found = drift.compare([("cluster.json", json.dumps(listing, indent=4))], path).drift
    assert drifting(found) == []


def test_in_sync_is_no_drift_for_generated_rosters_too(tmp_path: Path) -> None:
    from benchmarks.generate_roster import generate  # noqa: PLC0415  (a roster of many kinds)

    text = generate(300)
    found = compare(tmp_path, text, cluster_of(load(text)), "json")
    assert drifting(found) == []


# --------------------------------------------------------------------------------------------
# Each kind alone
# --------------------------------------------------------------------------------------------


def test_a_contributor_added_in_the_dashboard_is_granted_and_adoptable(tmp_path: Path) -> None:
    manifests = [*in_sync(ROSTER), *contributor("mallory@example.com", namespace="team")]
    found = compare(tmp_path, ROSTER, manifests)
    [entry] = drifting(found)
    assert summary([entry]) == [("granted", "high", "User mallory@example.com in team")]
    assert entry.made_by == "dashboard"
    assert entry.adoption is not None
    assert (entry.adoption.kind, entry.adoption.profile, entry.adoption.role) == (
        "contributor",
        "team",
        "edit",
    )
    # Located at the RoleBinding in the dump, and at the profile in the roster.
    assert [o.key.kind for o in entry.objects] == ["RoleBinding", "AuthorizationPolicy"]
    assert entry.roster_path == ("profiles", 0)
    assert entry.roster_position == (9, 5)
    assert {key.kind for key in entry.revoke} == {"RoleBinding", "AuthorizationPolicy"}


def test_a_cluster_admin_binding_for_a_person_is_critical_and_made_with_kubectl(
    tmp_path: Path,
) -> None:
    manifests = [
        *in_sync(ROSTER),
        cluster_role_binding("eve-admin", "cluster-admin", user("eve@example.com")),
    ]
    [entry] = drifting(compare(tmp_path, ROSTER, manifests))
    assert summary([entry]) == [("granted", "critical", "User eve@example.com cluster-wide")]
    assert entry.made_by == "kubectl"
    assert entry.adoption is None
    assert "kubeflow-admin, -edit or -view cluster-wide only" in entry.not_adopted


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ({"kind": "Group", "name": "ml-team"}, ("granted", "high", "Group ml-team in team")),
        (
            {"kind": "ServiceAccount", "name": "runner", "namespace": "team"},
            ("granted", "high", "ServiceAccount team/runner in team"),
        ),
    ],
)
def test_groups_and_service_accounts_are_granted_never_adopted(
    subject: Manifest, expected: tuple[str, str, str], tmp_path: Path
) -> None:
    manifests = [*in_sync(ROSTER), role_binding("hand", "kubeflow-edit", subject)]
    [entry] = drifting(compare(tmp_path, ROSTER, manifests))
    assert summary([entry]) == [expected]
    assert entry.adoption is None


def test_a_service_account_of_a_profile_with_cluster_admin_is_critical(tmp_path: Path) -> None:
    account = {"kind": "ServiceAccount", "name": "default-editor", "namespace": "team"}
    manifests = [*in_sync(ROSTER), cluster_role_binding("escalate", "cluster-admin", account)]
    [entry] = drifting(compare(tmp_path, ROSTER, manifests))
    assert summary([entry]) == [
        ("granted", "critical", "ServiceAccount team/default-editor cluster-wide")
    ]
    assert "whoever can run pods in team acts as it" in _text(entry)


def test_everyone_is_never_the_platform(tmp_path: Path) -> None:
    everyone = {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group"}
    manifests = [
        *in_sync(ROSTER),
        cluster_role_binding(
            "open", "kubeflow-admin", {**everyone, "name": "system:authenticated"}
        ),
        cluster_role_binding("masters", "cluster-admin", {**everyone, "name": "system:masters"}),
    ]
    found = compare(tmp_path, ROSTER, manifests)
    assert summary(drifting(found)) == [
        ("granted", "critical", "Group system:authenticated cluster-wide")
    ]


def test_a_subject_added_to_the_controllers_owner_binding_is_granted(tmp_path: Path) -> None:
    manifests = in_sync(ROSTER)
    owner_binding = next(
        m
        for m in manifests
        if m["metadata"]["name"] == "namespaceAdmin" and m["metadata"]["namespace"] == "team"
    )
    owner_binding["subjects"].append(user("mallory@example.com"))
    [entry] = drifting(compare(tmp_path, ROSTER, manifests))
    assert summary([entry]) == [("granted", "high", "User mallory@example.com in team")]
    assert entry.adoption is None  # kubeflow-admin is the owner's alone
    assert "deleting it also removes what it rightly grants" in entry.revoke_note


def test_a_binding_named_like_the_controllers_with_another_subject_is_no_controllers(
    tmp_path: Path,
) -> None:
    manifests = [m for m in in_sync(ROSTER) if not _is(m, "RoleBinding", "solo", "namespaceAdmin")]
    forged = role_binding(
        "namespaceAdmin", "kubeflow-admin", user("x@example.com"), namespace="solo"
    )
    found = compare(tmp_path, ROSTER, [*manifests, forged])
    assert summary(drifting(found)) == [("granted", "high", "User x@example.com in solo")]


def test_an_object_of_out_deleted_by_hand_is_missing(tmp_path: Path) -> None:
    manifests = [m for m in in_sync(ROSTER) if not _is(m, "RoleBinding", "team", binding("bob"))]
    [entry] = drifting(compare(tmp_path, ROSTER, manifests))
    assert summary([entry]) == [("missing", "warning", f"RoleBinding team/{binding('bob')}")]
    text = _text(entry)
    assert "bob@example.com does not have kubeflow-edit in team" in text
    assert "deleted in the cluster or its apply failed" in text
    assert entry.roster_path == ("profiles", 0, "contributors", 0)
    assert entry.objects == ()


def test_a_profile_not_applied_yet_is_missing_and_says_so(tmp_path: Path) -> None:
    manifests = [
        m
        for m in in_sync(ROSTER)
        if m["metadata"].get("namespace") != "solo" and m["metadata"]["name"] != "solo"
    ]
    found = compare(tmp_path, ROSTER, manifests)
    assert sorted(e.subject for e in drifting(found)) == [
        "LimitRange solo/kf-limit-range",
        "Namespace solo",
        "Profile solo",
    ]
    assert all("not applied yet" in _text(e) for e in drifting(found))


def test_a_kind_the_dump_does_not_list_is_said_not_reported_missing(tmp_path: Path) -> None:
    manifests = [m for m in in_sync(ROSTER) if m["kind"] != "LimitRange"]
    found = compare(tmp_path, ROSTER, manifests)
    assert drifting(found) == []
    [problem] = found.problems
    assert problem.rule == "drift-kind-not-listed"
    assert "the dump holds no LimitRange: out/'s 2 LimitRange are not compared" in problem.message


def test_a_field_changed_in_the_cluster_is_changed(tmp_path: Path) -> None:
    manifests = in_sync(ROSTER)
    limits = named(manifests, "LimitRange", "kf-limit-range")
    limits["spec"]["limits"][0]["default"]["cpu"] = "4"
    [entry] = drifting(compare(tmp_path, ROSTER, manifests))
    assert summary([entry]) == [
        ("changed", "warning", f"LimitRange {limits['metadata']['namespace']}/kf-limit-range")
    ]
    [field] = entry.fields
    assert (field.path, field.have, field.want) == (
        "spec.limits[0].default.cpu",
        '"4"',
        '"1"',
    )


def test_the_same_amount_written_otherwise_is_no_change(tmp_path: Path) -> None:
    # The API server prints a LimitRange's quantities in canonical form.
    roster = ROSTER.replace('{cpu: "1", memory: 1Gi}', "{cpu: 1000m, memory: 1024Mi}")
    manifests = in_sync(roster)
    for each in manifests:
        if each["kind"] == "LimitRange":
            each["spec"]["limits"][0]["default"] = {"cpu": "1", "memory": "1Gi"}
    assert drifting(compare(tmp_path, roster, manifests)) == []


def test_removing_prune_protection_of_a_managed_namespace_is_high(tmp_path: Path) -> None:
    manifests = in_sync(ROSTER)
    team = named(manifests, "Namespace", "team")
    for key in PROTECTION:
        del team["metadata"]["annotations"][key]
    [entry] = drifting(compare(tmp_path, ROSTER, manifests))
    assert summary([entry]) == [("changed", "high", "Namespace team")]
    assert "removing it from the roster deletes it" in _text(entry)


def test_a_self_registered_profile_is_unmanaged_high_and_adoptable(tmp_path: Path) -> None:
    # What the registration flow makes: owner without apiGroup, no labels, no quota, named
    # after the email's local part; the controller then makes its namespace.
    made = profile("zed-ng", "Zed.Ng@example.com")
    space = namespace("zed-ng", "Zed.Ng@example.com")
    space["metadata"]["ownerReferences"] = owner_references("zed-ng")
    found = compare(tmp_path, ROSTER, [*in_sync(ROSTER), made, space])
    [entry] = drifting(found)
    assert summary([entry]) == [("unmanaged", "high", "profile zed-ng")]
    assert entry.made_by == "registration"
    assert "named as the dashboard's registration flow makes a Profile" in _text(entry)
    assert entry.adoption is not None and entry.adoption.email == "Zed.Ng@example.com"
    assert "ownerReferences/0/uid" in _text(entry)


def test_a_profile_that_left_the_roster_and_is_kept_is_never_adopted(tmp_path: Path) -> None:
    left = profile("gone", "alice@example.com")
    left["metadata"]["labels"] = dict(MANAGED_BY)
    left["metadata"]["annotations"] = dict(PROTECTION)
    [entry] = drifting(compare(tmp_path, ROSTER, [*in_sync(ROSTER), left]))
    assert summary([entry]) == [("unmanaged", "warning", "profile gone")]
    assert entry.made_by == "kfroster"
    assert entry.adoption is None
    assert "left the roster and is kept" in _text(entry)


def test_a_namespace_kept_after_offboarding_is_information_only(tmp_path: Path) -> None:
    kept = namespace("former")
    kept["metadata"]["labels"].update(MANAGED_BY)
    kept["metadata"]["annotations"].update(PROTECTION)
    found = compare(tmp_path, ROSTER, [*in_sync(ROSTER), kept])
    assert drifting(found) == []
    [entry] = [e for e in found.entries if e.subject == "namespaces kept"]
    assert entry.names == ("former",)
    assert entry.adoption is None


def test_a_namespace_its_profile_owns_is_information_saying_what_pruning_deletes(
    tmp_path: Path,
) -> None:
    manifests = in_sync(ROSTER)
    named(manifests, "Namespace", "team")["metadata"]["ownerReferences"] = owner_references("team")
    found = compare(tmp_path, ROSTER, manifests)
    assert drifting(found) == []
    [entry] = [e for e in found.entries if e.subject == "namespace team"]
    assert entry.kind == entry.severity == "info"
    assert "removing the profile from the roster deletes the namespace and all its data" in _text(
        entry
    )
    marked = ROSTER.replace(
        "  - name: team\n", "  - name: team\n    namespaceOwnedByProfile: true\n"
    )
    manifests = cluster_of(load(marked))
    found = compare(tmp_path, marked, manifests)
    assert drifting(found) == []
    assert [e.names for e in found.entries if e.subject == "namespaces owned by their Profile"] == [
        ("team",)
    ]


def test_a_workload_identity_the_controller_appends_is_information(tmp_path: Path) -> None:
    manifests = in_sync(ROSTER)
    appended = {
        "kind": "WorkloadIdentity",
        "spec": {"gcpServiceAccount": "kf@p.iam.gserviceaccount.com"},
    }
    for each in manifests:
        if each["kind"] == "Profile":
            each["spec"]["plugins"] = [appended]
    found = compare(tmp_path, ROSTER, manifests)
    assert drifting(found) == []
    [entry] = [e for e in found.entries if e.subject.startswith("WorkloadIdentity")]
    assert entry.names == ("solo", "team")


def test_objects_of_out_made_by_someone_else_are_taken_over(tmp_path: Path) -> None:
    manifests = in_sync(ROSTER)
    for each in manifests:
        if _is(each, "RoleBinding", "team", binding("bob")) or _is(
            each, "AuthorizationPolicy", "team", binding("bob")
        ):
            del each["metadata"]["labels"]
    found = compare(tmp_path, ROSTER, manifests)
    assert drifting(found) == []
    [entry] = [e for e in found.entries if e.subject == "objects to take over"]
    assert len(entry.names) == 2


# --------------------------------------------------------------------------------------------
# Together: YAML and JSON, one file and several
# --------------------------------------------------------------------------------------------


def everything() -> list[Manifest]:
    """Every kind of drift at once on ROSTER's cluster."""
    manifests = [m for m in in_sync(ROSTER) if not _is(m, "LimitRange", "solo", "kf-limit-range")]
    named(manifests, "LimitRange", "kf-limit-range")["spec"]["limits"][0]["default"]["cpu"] = "3"
    manifests += contributor("mallory@example.com", namespace="team")
    manifests.append(cluster_role_binding("eve-admin", "cluster-admin", user("eve@example.com")))
    manifests.append(profile("selfmade", "zed@example.com"))
    return manifests


@pytest.mark.parametrize("form", ["yaml", "json"])
def test_every_kind_together(form: str, tmp_path: Path) -> None:
    found = compare(tmp_path, ROSTER, everything(), form)
    assert summary(drifting(found)) == [
        ("granted", "critical", "User eve@example.com cluster-wide"),
        ("granted", "high", "User mallory@example.com in team"),
        ("unmanaged", "high", "profile selfmade"),
        ("missing", "warning", "LimitRange solo/kf-limit-range"),
        ("changed", "warning", "LimitRange team/kf-limit-range"),
    ]


def test_several_files_are_one_cluster(tmp_path: Path) -> None:
    manifests = everything()
    path = tmp_path / "users.yaml"
    path.write_text(ROSTER, encoding="utf-8")
    whole = drift.compare([("cluster.yaml", dump(manifests))], path).drift
    third = len(manifests) // 3
    parts = [manifests[:third], manifests[third : 2 * third], manifests[2 * third :]]
    split = drift.compare(
        [
            ("a.yaml", dump(parts[0])),
            ("b.json", dump(parts[1], "json")),
            ("c.yaml", dump(parts[2])),
        ],
        path,
    ).drift
    assert [(e.kind, e.severity, e.message) for e in split.entries] == [
        (e.kind, e.severity, e.message) for e in whole.entries
    ]
    assert {o.file for e in split.entries for o in e.objects} <= {"a.yaml", "b.json", "c.yaml"}


def _located_by_key(found: Drift) -> list[Entry]:
    """The entries with their objects named by key alone: lines move when the order does."""
    return [
        dataclasses.replace(entry, objects=tuple(o.key for o in entry.objects))  # type: ignore[misc]
        for entry in found.entries
    ]


@pytest.mark.parametrize("seed", range(6))
def test_the_report_is_the_same_whatever_the_order_of_the_dump(seed: int, tmp_path: Path) -> None:
    manifests = everything()
    manifests += contributor("trent@example.com", namespace="team", role="view")
    manifests.append(role_binding("eve-too", "kubeflow-edit", user("eve@example.com")))
    copy = json.loads(json.dumps(named(manifests, "RoleBinding", "eve-too")))
    copy["subjects"].append(user("walter@example.com"))  # the same object, read differently
    manifests.append(copy)
    for name in ("former", "earlier"):  # kept after offboarding: located in an info entry
        kept = namespace(name)
        kept["metadata"]["labels"].update(MANAGED_BY)
        kept["metadata"]["annotations"].update(PROTECTION)
        manifests.append(kept)
    for each in manifests:  # made by someone else with out/'s content: taken over
        if _is(each, "RoleBinding", "team", binding("bob")) or _is(
            each, "AuthorizationPolicy", "team", binding("bob")
        ):
            del each["metadata"]["labels"]
    path = tmp_path / "users.yaml"
    path.write_text(ROSTER, encoding="utf-8")
    first = drift.compare([("cluster.json", dump(manifests, "json"))], path).drift
    shuffled = (
        list(reversed(manifests))
        if seed == 0
        else random.Random(seed).sample(manifests, len(manifests))
    )
    half = len(shuffled) // 2
    second = drift.compare(
        [("b.yaml", dump(shuffled[half:])), ("a.json", dump(shuffled[:half], "json"))], path
    ).drift
    assert len(drifting(first)) >= 7
    subjects = {entry.subject for entry in first.entries}
    assert {"namespaces kept", "objects to take over"} <= subjects
    assert _located_by_key(second) == _located_by_key(first)
    assert [p.rule for p in second.problems] == [p.rule for p in first.problems]


def test_json_and_yaml_locate_the_same_object_at_its_own_line(tmp_path: Path) -> None:
    manifests = [*in_sync(ROSTER), cluster_role_binding("eve", "cluster-admin", user("e@x.io"))]
    for form in ("yaml", "json"):
        [entry] = drifting(compare(tmp_path, ROSTER, manifests, form))
        text = dump(manifests, form).splitlines()
        line = entry.objects[0].line
        # The object's line: its first key (YAML) or its opening brace (JSON).
        window = "\n".join(text[line - 1 : line + 12])
        assert '"name": "eve"' in window or "name: eve" in window


def _is(manifest: Manifest, kind: str, namespace: str, name: str) -> bool:
    metadata = manifest["metadata"]
    return bool(
        manifest["kind"] == kind
        and metadata.get("namespace", "") == namespace
        and metadata["name"] == name
    )


def binding(who: str, role: str = "edit") -> str:
    return f"user-{who}-example-com-clusterrole-{role}"


def _text(entry: Entry) -> str:
    return "".join(part if isinstance(part, str) else part.text for part in entry.message)


@pytest.mark.parametrize(
    "roster",
    [ROSTER, ROSTER.replace("bob@example.com", "not an email"), "clusters: [{name: prod}]\n"],
    ids=["valid", "invalid", "names-clusters"],
)
def test_a_large_dump_read_beside_the_compile_gives_what_one_read_after_it_gives(
    roster: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Above PARALLEL_ABOVE a forked child compiles the roster while the dump is read:
    # the report, and each error, must be exactly those of the plain path.
    path = tmp_path / "users.yaml"
    path.write_text(roster, encoding="utf-8")
    inputs = [("cluster.json", dump(everything(), "json"))]

    def outcome() -> object:
        try:
            return drift.compare(inputs, path).drift
        except Exception as err:  # the error is the outcome compared
            return (type(err), str(err), getattr(err, "problems", None))

    plain = outcome()
    forks: list[bool] = []

    def forking(*steps: Callable[[], object]) -> Forked:
        running = Forked(*steps)
        forks.append(running.forked)
        return running

    monkeypatch.setattr(drift, "PARALLEL_ABOVE", 0)
    monkeypatch.setattr(drift, "Forked", forking)
    assert outcome() == plain
    assert forks == [sys.platform.startswith("linux")]
    assert isinstance(plain, Drift) == (roster == ROSTER)


@pytest.mark.parametrize("where", ['"roleRef": {', '"metadata": {', '"items": ['])
def test_a_key_written_twice_is_refused_where_it_is_also_when_read_beside_the_compile(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The large-dump path reads JSON without checking keys while a child checks them: a
    # duplicate (here the first value, which a plain JSON reader would silently lose) must
    # still be refused, located, exactly as the plain path refuses it.
    path = tmp_path / "users.yaml"
    path.write_text(ROSTER, encoding="utf-8")
    text = dump(everything(), "json")
    duplicate = {'"roleRef": {': '"name": "cluster-admin", ', '"metadata": {': '"uid": "x", '}
    if where == '"items": [':
        text = text.replace('"items": [', '"kind": "List", "items": [', 1)
    else:
        text = text.replace(where, where + duplicate[where], 1)
    inputs = [("cluster.json", text)]

    def refused() -> list[tuple[str, int, str]]:
        with pytest.raises(ClusterInputInvalid) as caught:
            drift.compare(inputs, path)
        return [(p.file, p.line, p.message) for p in caught.value.problems]

    plain = refused()
    monkeypatch.setattr(drift, "PARALLEL_ABOVE", 0)
    assert refused() == plain
    assert any("duplicate key" in message for _file, _line, message in plain)


def test_an_escaped_surrogate_pair_is_read_as_the_plain_path_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The unchecked read lets json join \ud83d\ude00 where the checked one hands the text
    # to the YAML reader: the child's check must send the large-dump path there too.
    path = tmp_path / "users.yaml"
    path.write_text(ROSTER, encoding="utf-8")
    manifests = everything()
    manifests[0]["metadata"].setdefault("annotations", {})["note"] = "\ud83d\ude00"
    text = json.dumps(kubectl_list(manifests), indent=4)
    assert "\\ud83d\\ude00" in text
    inputs = [("cluster.json", text)]

    def outcome() -> object:
        try:
            return drift.compare(inputs, path).drift
        except ClusterInputInvalid as err:
            return [(p.file, p.line, p.message) for p in err.problems]

    plain = outcome()
    monkeypatch.setattr(drift, "PARALLEL_ABOVE", 0)
    assert outcome() == plain
