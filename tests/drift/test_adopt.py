"""`kfroster drift --adopt`: the roster edited in place to grant what the cluster grants.

The round trip: drift → --adopt → compile → drift on the same dump reports nothing left to
adopt (but what the roster's own rules refuse, listed), and the roster's text diff is
exactly the added lines: every comment and every untouched line stays as it was.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from compiler import pipeline
from compiler.drift import compare as drift
from compiler.drift.adopt import Adopted, adopt
from compiler.model.keys import Manifest
from tests.conftest import REPO, golden_cases, invoke
from tests.drift.test_drift import ROSTER, dump, in_sync, load
from tests.fake_cluster import (
    cluster_of,
    cluster_role_binding,
    contributor,
    namespace,
    owner_references,
    profile,
    role_binding,
    user,
)

MARK = "# adopted by kfroster drift:"


def self_registered(name: str, email: str) -> list[Manifest]:
    """A Profile as the registration flow makes it, and the namespace the controller makes."""
    space = namespace(name, email)
    space["metadata"]["ownerReferences"] = owner_references(name)
    return [profile(name, email), space]


def run(tmp_path: Path, roster: str, manifests: list[Manifest]) -> tuple[drift.Compared, Adopted]:
    path = tmp_path / "users.yaml"
    path.write_text(roster, encoding="utf-8")
    compared = drift.compare([("cluster.yaml", dump(manifests))], path)
    return compared, adopt(compared)


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """Return the lines the edit removed and those it added."""
    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    return [d[2:] for d in diff if d.startswith("- ")], [d[2:] for d in diff if d.startswith("+ ")]


def adoptable_left(tmp_path: Path, text: str, manifests: list[Manifest]) -> set[str]:
    """Write the adopted roster, compare the same dump again: what could still be adopted."""
    path = tmp_path / "users.yaml"
    path.write_text(text, encoding="utf-8")
    again = drift.compare([("cluster.yaml", dump(manifests))], path).drift
    return {entry.subject for entry in again.entries if entry.adoption is not None}


def test_the_round_trip_adopts_everything_a_roster_can_hold(tmp_path: Path) -> None:
    manifests = [
        *in_sync(ROSTER),
        *contributor("mallory@example.com", namespace="team"),
        role_binding("carol-view", "kubeflow-view", user("carol@example.com")),
        cluster_role_binding("dave-edit", "kubeflow-edit", user("dave@example.com")),
        *self_registered("zed", "zed@example.com"),
        *contributor("alice@example.com", namespace="zed"),
        cluster_role_binding("eve-admin", "cluster-admin", user("eve@example.com")),
    ]
    compared, adopted = run(tmp_path, ROSTER, manifests)
    assert adopted.refused == ()
    assert adopted.added == (
        "users: dave@example.com gets clusterRole edit (made with kubectl)",
        "profiles: zed owned by zed@example.com (self-registered)",
        "profiles: team gains contributor carol@example.com (view; made with kubectl)",
        "profiles: team gains contributor mallory@example.com (edit; made in the dashboard)",
    )
    assert adopted.not_adoptable == (
        "User eve@example.com cluster-wide: a roster grants kubeflow-admin, -edit or -view "
        "cluster-wide only",
    )
    removed, added = changed_lines(ROSTER, adopted.text)
    assert removed == []
    assert all(MARK in line for line in added if line.lstrip().startswith(("- {", "- name")))
    assert added == [
        "  - {name: dave, email: dave@example.com, clusterRole: edit}  "
        f"{MARK} made with kubectl, ClusterRoleBinding dave-edit at "
        f"cluster.yaml:{_line(compared, 'dave-edit')}",
        f"  - {{name: zed, email: zed@example.com}}  {MARK} self-registered, Profile zed at "
        f"cluster.yaml:{_line(compared, 'zed', 'Profile')}",
        f"  - {{name: carol, email: carol@example.com}}  {MARK} made with kubectl, RoleBinding "
        f"carol-view at cluster.yaml:{_line(compared, 'carol-view')}",
        f"  - {{name: mallory, email: mallory@example.com}}  {MARK} made in the dashboard, "
        "RoleBinding user-mallory-example-com-clusterrole-edit, AuthorizationPolicy "
        "user-mallory-example-com-clusterrole-edit at "
        f"cluster.yaml:{_line(compared, 'user-mallory-example-com-clusterrole-edit')}",
        f"      - {{user: carol, role: view}}  {MARK} made with kubectl, RoleBinding carol-view "
        f"at cluster.yaml:{_line(compared, 'carol-view')}",
        f"      - {{user: mallory, role: edit}}  {MARK} made in the dashboard, RoleBinding "
        "user-mallory-example-com-clusterrole-edit, AuthorizationPolicy "
        "user-mallory-example-com-clusterrole-edit at "
        f"cluster.yaml:{_line(compared, 'user-mallory-example-com-clusterrole-edit')}",
        f"  - name: zed  {MARK} self-registered, Profile zed at "
        f"cluster.yaml:{_line(compared, 'zed', 'Profile')}",
        "    owner: zed",
        "    resourceQuota: {}  # no quota in the cluster",
        "    limitRange: {}  # no LimitRange in the cluster",
        "    contributors:",
        f"      - {{user: alice, role: edit}}  {MARK} made in the dashboard, RoleBinding "
        "user-alice-example-com-clusterrole-edit, AuthorizationPolicy "
        "user-alice-example-com-clusterrole-edit at "
        f"cluster.yaml:{_line(compared, 'user-alice-example-com-clusterrole-edit')}",
        "    namespaceOwnedByProfile: true  # the namespace has an ownerReference to its Profile",
    ]
    assert pipeline.check_text(adopted.text, "users.yaml").roster is not None
    assert adoptable_left(tmp_path, adopted.text, manifests) == set()


def _line(compared: drift.Compared, name: str, kind: str = "") -> int:
    return next(o.line for o in compared.objects if o.name == name and (not kind or o.kind == kind))


ROSTERS = [REPO / "users.yaml", *(case / "users.yaml" for case in golden_cases())]


@pytest.mark.parametrize("path", ROSTERS, ids=lambda p: p.parent.name or "repo")
def test_the_round_trip_keeps_every_line_of_every_golden_roster(path: Path, tmp_path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    roster = load(text)
    manifests = [*cluster_of(roster), *self_registered("self-made", "new.person@example.com")]
    if roster.profiles:
        first = roster.profiles[0].name
        manifests += contributor("helper@example.com", "view", namespace=first)
    _compared, adopted = run(tmp_path, text, manifests)
    removed, added = changed_lines(text, adopted.text)
    # Only a profile or a list of contributors written on one line, which gains a
    # contributor, becomes a block.
    one_line = [
        line for line in removed if line.lstrip().startswith(("- {name: ", "contributors: ["))
    ]
    assert removed == one_line, "a line of the roster changed"
    assert len(one_line) <= 1
    assert not adopted.reformatted
    assert added, "nothing was adopted"
    if "self-made" in adopted.text:
        # A profile is written as a block, each line under its own key.
        assert any(line.startswith("  - name: self-made  # adopted by") for line in added)
    assert pipeline.check_text(adopted.text, "users.yaml").roster is not None
    # What is left to adopt is exactly what the roster's own rules refused, and said so.
    refused = {line.split(":")[0] for line in adopted.refused}
    assert adoptable_left(tmp_path, adopted.text, manifests) == refused


def test_a_stronger_cluster_role_changes_only_that_users_line(tmp_path: Path) -> None:
    roster = ROSTER.replace(
        "  - {name: bob, email: bob@example.com}",
        "  - {name: bob, email: bob@example.com, clusterRole: view}",
    )
    manifests = [
        *in_sync(roster),
        cluster_role_binding("bob-admin", "kubeflow-admin", user("bob@example.com")),
    ]
    _compared, adopted = run(tmp_path, roster, manifests)
    removed, added = changed_lines(roster, adopted.text)
    assert removed == ["  - {name: bob, email: bob@example.com, clusterRole: view}"]
    assert added[0].startswith(
        f"  - {{name: bob, email: bob@example.com, clusterRole: admin}}  {MARK}"
    )
    assert len(added) == 1


def test_what_the_roster_refuses_is_dropped_and_listed(tmp_path: Path) -> None:
    roster = ROSTER.replace("version: 1\n", "version: 1\npolicy:\n  emailDomains: [example.com]\n")
    manifests = [
        *in_sync(roster),
        *contributor("outsider@elsewhere.org", namespace="team"),
        *contributor("mallory@example.com", namespace="team"),
    ]
    _compared, adopted = run(tmp_path, roster, manifests)
    assert [line.split(":")[0] for line in adopted.refused] == [
        "User outsider@elsewhere.org in team"
    ]
    assert "[email-domain]" in adopted.refused[0]
    assert "mallory" in adopted.text and "outsider" not in adopted.text


def test_a_hostile_name_in_a_comment_stays_a_comment(tmp_path: Path) -> None:
    manifests = [
        *in_sync(ROSTER),
        role_binding("x\nprofiles: []\n#", "kubeflow-edit", user("carol@example.com")),
    ]
    _compared, adopted = run(tmp_path, ROSTER, manifests)
    checked = pipeline.check_text(adopted.text, "users.yaml")
    assert checked.roster is not None
    assert [p.name for p in checked.roster.profiles] == ["team", "solo"]
    assert "RoleBinding x\\u000aprofiles: []\\u000a#" in adopted.text


def test_nothing_to_adopt_leaves_the_roster_as_it_was(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    path.write_text(ROSTER, encoding="utf-8")
    cluster = tmp_path / "cluster.yaml"
    cluster.write_text(
        dump([*in_sync(ROSTER), cluster_role_binding("x", "cluster-admin", user("e@x.io"))]),
        encoding="utf-8",
    )
    before = path.stat()
    result = invoke(runner, "drift", cluster, "--roster", path, "--adopt")
    assert result.exit_code == 1
    assert path.read_text(encoding="utf-8") == ROSTER
    assert path.stat().st_mtime_ns == before.st_mtime_ns
    assert "nothing to adopt; the roster is unchanged" in result.stderr
    assert "User e@x.io cluster-wide: a roster grants kubeflow-admin" in result.stderr


def test_the_cli_writes_the_roster_and_says_what_it_did(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    path.write_text(ROSTER, encoding="utf-8")
    cluster = tmp_path / "cluster.yaml"
    cluster.write_text(
        dump([*in_sync(ROSTER), *contributor("mallory@example.com", namespace="team")]),
        encoding="utf-8",
    )
    result = invoke(runner, "drift", cluster, "--roster", path, "--adopt")
    assert result.exit_code == 1  # drift was found; it is in the roster now
    assert "{user: mallory, role: edit}" in path.read_text(encoding="utf-8")
    assert result.stderr.splitlines()[:2] == [
        f"adopted into {path}: 1 grant",
        "  + profiles: team gains contributor mallory@example.com (edit; made in the dashboard)",
    ]
    assert f"next: kfroster compile {path}" in result.stderr
