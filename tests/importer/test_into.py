"""`kfroster import FILE --cluster NAME --into users.yaml`: one more cluster in a roster.

The round trip: cluster B's compiled tree, as a cluster holds it, imported into the roster
of cluster A; compiling the result gives B exactly the objects it was imported from and A
exactly what it had, and every comment of A's roster is still there. The rosters of each
cluster are written out by hand, so the test does not lean on kfroster's own split.
"""

from __future__ import annotations

import copy
import json
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from compiler import importer, pipeline
from compiler.importer.into import MergeRefused
from compiler.model.keys import Manifest, ResourceKey
from compiler.model.roster import Roster
from compiler.render import render_objects
from compiler.yamlio import emitter
from tests.conftest import invoke
from tests.fake_cluster import cluster_of, kubectl_list
from tests.importer.test_import import without_policy_api_version
from tests.strategies import rosters

A = """\
# The platform team's roster: cluster a.
version: 1
settings:
  userIdPrefix: ""  # the ingress sends bare emails
defaults:
  resourceQuota: {hard: {cpu: "8", memory: 16Gi}}
users:
  - {name: alice, email: alice@example.com, clusterRole: admin}  # on call
  - {name: bob, email: bob@example.com}
  - {name: carol, email: carol@example.com}
  - {name: erin, email: erin@example.com, clusterRole: view}
groups:
  - {name: ml, members: [bob, carol]}
profiles:
  # The team's shared namespace.
  - name: team
    owner: alice
    contributors:
      - {group: ml, role: edit}  # the whole ML group
  - {name: bob, owner: bob}
  - name: carol
    owner: carol
    namespaceOwnedByProfile: true  # made by the controller first
"""

B = """\
version: 1
settings:
  userIdPrefix: "accounts.google.com:"
defaults:
  resourceQuota: {hard: {cpu: "2", memory: 4Gi}}
users:
  - {name: alice, email: alice@example.com}
  - {name: bob, email: bob@example.com, clusterRole: view}
  - {name: carol, email: carol@example.com}
  - {name: dan, email: dan@example.com}
  - {name: erin, email: erin@example.com, clusterRole: view}
profiles:
  - name: team
    owner: alice
    contributors:
      - {user: bob, role: edit}
      - {user: carol, role: edit}
  - {name: carol, owner: carol}
  - name: dan
    owner: dan
    limitRange: {default: {cpu: "1"}}
"""


def load(text: str) -> Roster:
    checked = pipeline.check_text(text, "users.yaml")
    assert checked.roster is not None, checked.problems
    return checked.roster


def dump_of(text: str) -> str:
    """What `kubectl get ... -o yaml` prints in a cluster that applied this roster's out/."""
    return emitter.dumps(kubectl_list(cluster_of(load(text))))


def objects(roster: Roster) -> dict[ResourceKey, Manifest]:
    return {key: without_policy_api_version(m) for key, m in render_objects(roster).items()}


def merge(
    tmp_path: Path, roster: str, cluster_text: str, cluster: str, existing: str | None
) -> importer.Merged:
    path = tmp_path / "users.yaml"
    path.write_text(roster, encoding="utf-8")
    _imported, merged = importer.import_into(
        [("cluster.yaml", dump_of(cluster_text))], path, cluster, existing
    )
    return merged


def comments(text: str) -> list[str]:
    return [match.group(0).strip() for match in re.finditer(r"#[^\n]*", text)]


def test_round_trip_b_is_its_tree_and_a_is_unchanged(tmp_path: Path) -> None:
    merged = merge(tmp_path, A, B, "b", "a")
    roster = load(merged.text)
    assert [cluster.name for cluster in roster.clusters] == ["a", "b"]
    assert objects(pipeline.cluster_roster(roster, "b")) == objects(load(B))
    assert objects(pipeline.cluster_roster(roster, "a")) == objects(load(A))
    # Nothing A's author wrote is lost: every comment, in order, and the order of records.
    assert [c for c in comments(merged.text) if "kfroster" not in c] == comments(A)
    # ... each still two spaces after its line's text, as a roster writes them.
    for line in merged.text.splitlines():
        code, _, comment = line.partition("#")
        assert not comment or not code.strip() or code.endswith("  "), line
    assert [p.name for p in roster.profiles][:3] == ["team", "bob", "carol"]
    assert [u.name for u in roster.users][:4] == ["alice", "bob", "carol", "erin"]


def test_what_differs_is_restricted_or_overridden(tmp_path: Path) -> None:
    roster = load(merge(tmp_path, A, B, "b", "a").text)
    users = {user.name: user for user in roster.users}
    profiles = {profile.name: profile for profile in roster.profiles}
    (a, b) = roster.clusters
    assert a.settings.model_fields_set == set()
    assert b.settings.user_id_prefix == "accounts.google.com:"
    assert b.defaults.resource_quota is not None
    assert str(b.defaults.resource_quota.hard["cpu"]) == "2"
    # Roles: alice's only in a, bob's only in b, erin's shared (no restriction).
    assert (users["alice"].cluster_role, users["alice"].clusters) == ("admin", ("a",))
    assert (users["bob"].cluster_role, users["bob"].clusters) == ("view", ("b",))
    assert (users["erin"].cluster_role, users["erin"].clusters) == ("view", None)
    # Profiles: team shared, bob only in a, dan only in b; carol's namespace owned in a only.
    assert profiles["team"].clusters is None
    assert profiles["bob"].clusters == ("a",)
    assert profiles["dan"].clusters == ("b",)
    assert profiles["carol"].namespace_owned_by_profile == ("a",)
    assert "dan" in users


def test_a_third_cluster_joins_the_restrictions_it_shares(tmp_path: Path) -> None:
    """Importing a again, as c, into the two-cluster roster: c shares all of a's."""
    first = merge(tmp_path, A, B, "b", "a").text
    merged = merge(tmp_path, first, A, "c", None)
    roster = load(merged.text)
    assert [cluster.name for cluster in roster.clusters] == ["a", "b", "c"]
    for name, text in (("a", A), ("b", B), ("c", A)):
        assert objects(pipeline.cluster_roster(roster, name)) == objects(load(text)), name
    users = {user.name: user for user in roster.users}
    profiles = {profile.name: profile for profile in roster.profiles}
    assert users["alice"].clusters == ("a", "c")
    assert profiles["bob"].clusters == ("a", "c")
    assert profiles["carol"].namespace_owned_by_profile == ("a", "c")
    # c has the top-level settings: it overrides nothing.
    assert roster.clusters[2].settings.model_fields_set == set()


def test_a_profile_that_differs_is_not_granted_in_the_new_cluster(tmp_path: Path) -> None:
    """Attack: B's team has another owner. The merged roster must not make alice owner in B."""
    other = B.replace("  - name: team\n    owner: alice", "  - name: team\n    owner: dan")
    merged = merge(tmp_path, A, other, "b", "a")
    roster = load(merged.text)
    in_b = objects(pipeline.cluster_roster(roster, "b"))
    assert not [key for key in in_b if key.namespace == "team" or key.name == "team"]
    assert any("team differs in b (owner dan@example.com" in line for line in merged.not_imported)
    assert objects(pipeline.cluster_roster(roster, "a")) == objects(load(A))


def test_two_cluster_wide_roles_are_reported_and_none_granted_in_the_new_cluster(
    tmp_path: Path,
) -> None:
    other = B.replace(
        "{name: erin, email: erin@example.com, clusterRole: view}",
        "{name: erin, email: erin@example.com, clusterRole: edit}",
    )
    merged = merge(tmp_path, A, other, "b", "a")
    users = {user.name: user for user in load(merged.text).users}
    assert (users["erin"].cluster_role, users["erin"].clusters) == ("view", ("a",))
    assert any("erin@example.com is cluster-wide edit in b" in line for line in merged.not_imported)


@pytest.mark.parametrize(
    ("roster", "cluster", "existing", "says"),
    [
        (A, "b", None, "--existing-cluster NAME"),
        (A, "a", "a", "both name 'a'"),
        ("CLUSTERED", "a", None, "has a cluster 'a' already"),
        ("CLUSTERED", "c", "x", "--existing-cluster is only for a roster without clusters"),
    ],
)
def test_names_that_do_not_fit_are_refused(
    tmp_path: Path, roster: str, cluster: str, existing: str | None, says: str
) -> None:
    text = merge(tmp_path, A, B, "b", "a").text if roster == "CLUSTERED" else roster
    with pytest.raises(MergeRefused, match=re.escape(says)):
        merge(tmp_path, text, A, cluster, existing)


def test_cli_writes_the_roster_in_place(runner: CliRunner, tmp_path: Path) -> None:
    roster = tmp_path / "users.yaml"
    roster.write_text(A, encoding="utf-8")
    dumped = tmp_path / "b.yaml"
    dumped.write_text(dump_of(B), encoding="utf-8")
    args = ("import", dumped, "--into", roster, "--cluster", "b", "--existing-cluster", "a")
    result = invoke(runner, *args)
    assert result.exit_code == 0, result.stderr
    assert f"imported cluster b into {roster}" in result.stderr
    assert "  + profiles: dan added, in b only" in result.stderr
    merged = load(roster.read_text(encoding="utf-8"))
    assert objects(pipeline.cluster_roster(merged, "b")) == objects(load(B))


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (("--cluster", "b"), "--into ROSTER and --cluster NAME go together"),
        (("--into", "ROSTER"), "--into ROSTER and --cluster NAME go together"),
        (("--into", "ROSTER", "--cluster", "b"), "--existing-cluster NAME"),
        (("--into", "ROSTER", "--cluster", "b", "--force"), "--into writes ROSTER in place"),
        (("--into", "ROSTER", "--cluster", "B_", "--existing-cluster", "a"), "clusters"),
    ],
)
def test_cli_refuses_and_leaves_the_roster_alone(
    runner: CliRunner, tmp_path: Path, extra: tuple[str, ...], says: str
) -> None:
    roster = tmp_path / "users.yaml"
    roster.write_text(A, encoding="utf-8")
    dumped = tmp_path / "b.yaml"
    dumped.write_text(dump_of(B), encoding="utf-8")
    args = [str(roster) if part == "ROSTER" else part for part in extra]
    result = invoke(runner, "import", dumped, *args)
    assert result.exit_code != 0
    assert says in result.stderr
    assert roster.read_text(encoding="utf-8") == A


# --------------------------------------------------------------------------------------------
# The property: any roster A, and a cluster B that shares some of it and differs in the rest
# --------------------------------------------------------------------------------------------


@st.composite
def two_clusters(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """Draw roster A and cluster B's roster: some of A's profiles, some changed, some new."""
    first = draw(rosters())
    second = copy.deepcopy(first)
    names = [user["name"] for user in first["users"]]
    for user in second["users"]:
        role = draw(st.sampled_from([None, "keep", "keep", "admin", "view"]))
        if role is None:
            user.pop("clusterRole", None)
        elif role != "keep":
            user["clusterRole"] = role
    kept = []
    for profile in second["profiles"]:
        fate = draw(st.sampled_from(["same", "same", "gone", "new owner", "renamed"]))
        if fate == "gone":
            continue
        if fate == "new owner":
            profile["owner"] = draw(st.sampled_from(names))
            profile.pop("contributors", None)
        if fate == "renamed":
            profile["name"] = "n" + profile["name"]
        kept.append(profile)
    second["profiles"] = kept
    if draw(st.booleans()):
        second.setdefault("settings", {})["userIdPrefix"] = "b-prefix:"
    return first, second


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(pair=two_clusters())
def test_import_into_keeps_a_and_never_grants_in_b_what_b_did_not_hold(
    pair: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    first, second = pair
    a_roster = pipeline.check_text(json.dumps(first), "users.yaml").roster
    b_roster = pipeline.check_text(json.dumps(second), "users.yaml").roster
    assume(a_roster is not None and b_roster is not None)
    assert a_roster is not None and b_roster is not None
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "users.yaml"
        path.write_text(emitter.dumps(first), encoding="utf-8")
        dumped = emitter.dumps(kubectl_list(cluster_of(b_roster)))
        imported, merged = importer.import_into([("b.yaml", dumped)], path, "b", "a")
    roster = load(merged.text)
    assert objects(pipeline.cluster_roster(roster, "a")) == objects(a_roster)
    in_b, held = objects(pipeline.cluster_roster(roster, "b")), objects(imported.roster)
    event("everything imported" if not merged.not_imported else "some not imported")
    if not merged.not_imported:
        assert in_b == held
    else:  # what is not imported is left out, never granted otherwise
        assert set(in_b) <= set(held)
        for key, manifest in in_b.items():
            assert manifest == held[key], key


def test_with_argo_cd_the_new_cluster_gets_a_destination_of_its_own(tmp_path: Path) -> None:
    """Two clusters on one Argo CD destination is an error: the new one is named, and said."""
    deploy = "  deploy: {engine: argocd, argocd: {repoURL: 'https://git.example.com/u.git'}}\n"
    roster_text = A.replace("settings:\n", f"settings:\n{deploy}", 1)
    merged = merge(tmp_path, roster_text, B, "b", "a")
    roster = load(merged.text)
    b_deploy = roster.clusters[1].settings.deploy
    assert b_deploy is not None and b_deploy.argocd is not None
    assert b_deploy.argocd.destination is not None
    assert b_deploy.argocd.destination.name == "b"
    assert any("change it if Argo CD knows the cluster" in line for line in merged.written)


def test_a_merged_roster_that_does_not_validate_is_not_written(
    runner: CliRunner, tmp_path: Path
) -> None:
    """A's policy refuses B's people (another email domain): located in the merged text."""
    strict = A.replace("version: 1\n", "version: 1\npolicy: {emailDomains: [example.org]}\n")
    strict = strict.replace("@example.com", "@example.org")
    roster = tmp_path / "users.yaml"
    roster.write_text(strict, encoding="utf-8")
    dumped = tmp_path / "b.yaml"
    dumped.write_text(dump_of(B), encoding="utf-8")
    args = ("import", dumped, "--into", roster, "--cluster", "b", "--existing-cluster", "a")
    result = invoke(runner, *args)
    assert result.exit_code == 1
    assert f"{roster} (as merged):" in result.stderr
    assert f"nothing written: {roster} is unchanged" in result.stderr
    assert roster.read_text(encoding="utf-8") == strict
