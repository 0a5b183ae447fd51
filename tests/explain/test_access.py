"""`kfroster explain`: what one person can do, and that it matches what compile emits."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from compiler import pipeline
from compiler.explain import access as explain
from compiler.explain import presentation
from compiler.model.roster import Roster
from compiler.render import render_all
from compiler.review import diff
from compiler.review.plan.model import plain
from compiler.terminal import Palette, strip_colour
from tests.conftest import REPO, golden_cases, invoke

WriteRoster = Callable[..., Path]

TEAM = """\
version: 1
defaults:
  resourceQuota: {hard: {cpu: "8", memory: 32Gi}}
  limitRange: {default: {cpu: 800m, memory: 1Gi}}
users:
  - {name: ann, email: Ann.Lee@example.com}
  - {name: bob, email: bob@example.com}
  - {name: cai, email: cai@example.com, clusterRole: edit}
  - {name: dee, email: dee@example.com}
groups:
  - {name: vision, members: [ann, bob, cai]}
  - {name: readers, members: [bob]}
profiles:
  - name: ann
    owner: ann
    contributors:
      - {group: vision, role: edit}
      - {user: bob, role: view}
      - {group: readers, role: view}
  - name: lab
    owner: bob
    resourceQuota: {}
    limitRange: {max: {cpu: "4"}}
    contributors:
      - {user: cai, role: view}
      - {user: ann, role: edit}
"""


def parse(text: str) -> Roster:
    checked = pipeline.check_text(text, "users.yaml")
    assert checked.roster is not None, checked.problems
    return checked.roster


@pytest.fixture(scope="module")
def team() -> Roster:
    return parse(TEAM)


def test_owner_gets_kubeflow_admin_through_namespace_admin(team: Roster) -> None:
    found = explain.explain(team, "bob")
    lab = next(a for a in found.namespaces if a.namespace == "lab")
    assert (lab.role, lab.cluster_role, lab.binding) == (
        "owner",
        "kubeflow-admin",
        "namespaceAdmin",
    )
    assert lab.sources == (explain.Source("owner", "owner"),)
    assert [owned.name for owned in found.owned] == ["lab"]


def test_every_source_is_listed_and_the_strongest_role_wins(team: Roster) -> None:
    found = explain.explain(team, "bob")
    ann = next(a for a in found.namespaces if a.namespace == "ann")
    assert ann.role == "edit"
    assert ann.binding == "user-bob-example-com-clusterrole-edit"
    assert ann.sources == (
        explain.Source("direct", "view"),
        explain.Source("group", "view", "readers"),
        explain.Source("group", "edit", "vision"),
    )
    assert found.groups == ("readers", "vision")


def test_group_entries_reaching_the_owner_are_shown_as_not_bound(team: Roster) -> None:
    found = explain.explain(team, "ann")
    own = next(a for a in found.namespaces if a.namespace == "ann")
    assert own.sources == (
        explain.Source("owner", "owner"),
        explain.Source("group", "edit", "vision", bound=False),
    )
    assert any("group vision makes the owner a contributor" in note for note in found.notes)


def test_a_stronger_cluster_wide_role_is_the_effective_one(team: Roster) -> None:
    found = explain.explain(team, "cai")
    assert found.cluster is not None
    assert (found.cluster.cluster_role, found.cluster.binding) == (
        "kubeflow-edit",
        "kubeflow-edit-cai",
    )
    assert "kube-system" in found.cluster.exposes and "secret" in found.cluster.exposes
    lab = next(a for a in found.namespaces if a.namespace == "lab")
    assert (lab.role, lab.effective) == ("view", "edit")
    assert any("cluster-wide edit role is stronger" in note for note in found.notes)


def test_each_grant_says_where_the_dashboard_shows_it(team: Roster) -> None:
    # Manage Contributors lists edit contributors only (api_workgroup.ts getContributors);
    # ClusterRoleBindings are never read by the dashboard.
    bob = explain.explain(team, "bob")
    shown = {a.namespace: a.visibility.label for a in bob.namespaces}
    assert shown == {"ann": "in Manage Contributors", "lab": "as owner"}
    (lab,) = bob.owned
    assert [(c.user, c.visibility.label) for c in lab.contributors] == [
        ("ann", "in Manage Contributors"),
        ("cai", "not in Manage Contributors"),
    ]
    cai = explain.explain(team, "cai")
    assert cai.cluster is not None and cai.cluster.visibility.label == "kubectl only"
    assert [a.visibility.label for a in cai.namespaces] == [
        "in Manage Contributors",
        "not in Manage Contributors",
    ]
    assert any(
        note.startswith("in lab, the person's namespace list shows it") for note in cai.notes
    )
    data = json.loads(presentation.format_json(cai))
    assert data["clusterWide"]["visibility"]["label"] == "kubectl only"
    words = " ".join(presentation.format_text(cai).split())  # the text wraps long lines
    assert "the dashboard shows no ClusterRoleBinding: only kubectl shows this grant" in words


def test_an_edit_contributor_the_releases_dashboard_refuses_is_not_removable() -> None:
    roster = parse(TEAM.replace("version: 1\n", 'version: 1\nsettings: {kubeflowVersion: "1.8"}\n'))
    ann = explain.explain(roster, "ann")
    lab = next(a for a in ann.namespaces if a.namespace == "lab")
    # The 1.7/1.8 check takes 'Ann.Lee@example.com'; a '+' it would refuse.
    assert lab.visibility.label == "in Manage Contributors"
    plus = parse(
        TEAM.replace("Ann.Lee@", "ann+lee@").replace(
            "version: 1\n", 'version: 1\nsettings: {kubeflowVersion: "1.8"}\n'
        )
    )
    lab = next(a for a in explain.explain(plus, "ann").namespaces if a.namespace == "lab")
    assert lab.visibility.label == "in Manage Contributors, not removable"
    assert "'+'" in lab.visibility.detail
    latest = parse(TEAM.replace("Ann.Lee@", "ann+lee@"))
    lab = next(a for a in explain.explain(latest, "ann").namespaces if a.namespace == "lab")
    assert lab.visibility.label == "in Manage Contributors"


def test_someone_without_access_is_told_so(team: Roster) -> None:
    found = explain.explain(team, "dee")
    assert found.namespaces == () and found.cluster is None and found.owned == ()
    assert any(note.startswith("no access") for note in found.notes)


def test_owned_profiles_carry_effective_quota_and_limits(team: Roster) -> None:
    (ann,) = explain.explain(team, "ann").owned
    assert ann.quota_is_default and ann.limit_range_is_default
    assert ann.quota.hard == {"cpu": "8", "memory": "32Gi"}
    (lab,) = explain.explain(team, "bob").owned
    assert not lab.quota_is_default and lab.quota.is_empty
    assert lab.limit_range.max == {"cpu": "4"} and lab.limit_range.default == {}
    assert presentation.quota_text(lab.quota).startswith("none")
    assert [c.user for c in lab.contributors] == ["ann", "cai"]


@pytest.mark.parametrize("who", ["ann.lee@example.com", "ANN.LEE@EXAMPLE.COM"])
def test_email_matches_whatever_the_case_and_the_mismatch_is_flagged(
    team: Roster, who: str
) -> None:
    found = explain.explain(team, who)
    assert found.user.name == "ann" and found.matched_by == "email"
    assert "case-sensitively" in found.notes[0] and "'Ann.Lee@example.com'" in found.notes[0]


def test_exact_email_raises_no_case_mismatch_but_capitals_are_pointed_out(team: Roster) -> None:
    assert explain.explain(team, "bob@example.com").notes == ()
    note = explain.explain(team, "Ann.Lee@example.com").notes[0]
    assert "capital letters" in note


def test_unknown_person_gets_close_suggestions_only(team: Roster) -> None:
    with pytest.raises(explain.UnknownPerson) as raised:
        explain.explain(team, "bobb")
    assert raised.value.suggestions == ("bob",)
    with pytest.raises(explain.UnknownPerson) as raised:
        explain.explain(team, "ann.le@example.com")
    assert raised.value.suggestions == ("Ann.Lee@example.com",)
    with pytest.raises(explain.UnknownPerson) as raised:
        explain.explain(team, "zzzzzz")
    assert raised.value.suggestions == ()


def _bindings(roster: Roster) -> tuple[set[tuple[str, str, str, str]], set[tuple[str, str, str]]]:
    """Return the compiled (namespace, name, clusterrole, subject) RoleBindings and CRBs."""
    role_bindings: set[tuple[str, str, str, str]] = set()
    cluster_bindings: set[tuple[str, str, str]] = set()
    for manifests in render_all(roster).values():
        for manifest in manifests:
            if manifest["kind"] == "RoleBinding":
                (subject,) = manifest["subjects"]
                meta = manifest["metadata"]
                role = manifest["roleRef"]["name"]
                role_bindings.add((meta["namespace"], meta["name"], role, subject["name"]))
            elif manifest["kind"] == "ClusterRoleBinding":
                (subject,) = manifest["subjects"]
                name = manifest["metadata"]["name"]
                cluster_bindings.add((name, manifest["roleRef"]["name"], subject["name"]))
    return role_bindings, cluster_bindings


def _rosters() -> list[Path]:
    return [REPO / "users.yaml", *(case / "users.yaml" for case in golden_cases())]


@pytest.mark.parametrize("path", _rosters(), ids=lambda path: path.parent.name)
def test_explanations_match_the_compiled_bindings(path: Path) -> None:
    roster = pipeline.check(path).roster
    assert roster is not None
    role_bindings, cluster_bindings = _bindings(roster)
    explained_roles: set[tuple[str, str, str, str]] = set()
    explained_clusters: set[tuple[str, str, str]] = set()
    owners = {profile.name: profile.owner for profile in roster.profiles}
    for user in roster.users:
        found = explain.explain(roster, user.name)
        by_email = explain.explain(roster, user.email.upper())
        assert (by_email.user, by_email.namespaces) == (user, found.namespaces)
        if found.cluster is not None:
            explained_clusters.add((found.cluster.binding, found.cluster.cluster_role, user.email))
        for access in found.namespaces:
            if access.role == "owner":
                assert owners[access.namespace] == user.name
            else:
                explained_roles.add(
                    (access.namespace, access.binding, access.cluster_role, user.email)
                )
        assert {owned.name for owned in found.owned} == {
            name for name, owner in owners.items() if owner == user.name
        }
    assert explained_roles == role_bindings
    assert explained_clusters == cluster_bindings


def test_text_is_aligned_and_plain_unless_coloured(team: Roster) -> None:
    found = explain.explain(team, "bob")
    text = presentation.format_text(found)
    assert "\x1b" not in text
    lines = text.splitlines()
    assert lines[0] == "bob <bob@example.com>"
    assert all(line == line.rstrip() for line in lines)
    header = lines.index(
        "  NAMESPACE  ROLE   CLUSTERROLE     FROM"
        "                                                      DASHBOARD"
    )
    assert lines[header + 1 : header + 3] == [
        "  ann        edit   kubeflow-edit   "
        "direct (view), group readers (view), group vision (edit)  in Manage Contributors",
        "  lab        owner  kubeflow-admin  owns the profile"
        "                                          as owner",
    ]
    coloured = presentation.format_text(found, Palette(True))
    assert "\x1b[" in coloured and strip_colour(coloured) == text


def test_markdown_and_json_say_the_same(team: Roster) -> None:
    found = explain.explain(team, "bob")
    markdown = presentation.format_markdown(found)
    assert markdown.startswith("### bob (`bob@example.com`)\n")
    assert "| `ann` | edit | `kubeflow-edit` |" in markdown
    data = json.loads(presentation.format_json(found))
    assert data["user"] == {"name": "bob", "email": "bob@example.com", "clusterRole": None}
    assert [(n["namespace"], n["role"]) for n in data["namespaces"]] == [
        ("ann", "edit"),
        ("lab", "owner"),
    ]
    (lab,) = data["ownedProfiles"]
    assert lab["resourceQuota"] == {} and lab["resourceQuotaFrom"] == "profile"
    assert lab["limitRange"] == {"max": {"cpu": "4"}}


def test_cli_explain_prints_to_stdout(runner: CliRunner, roster_file: WriteRoster) -> None:
    roster = roster_file(TEAM)
    result = invoke(runner, "explain", "BOB@example.com", roster)
    assert result.exit_code == 0
    assert result.stderr == ""
    team = parse(TEAM)
    assert result.stdout == presentation.format_text(explain.explain(team, "BOB@example.com"))
    as_json = invoke(runner, "explain", "bob", roster, "--format", "json")
    assert json.loads(as_json.stdout)["user"]["name"] == "bob"


def test_cli_explain_writes_its_file_product_with_dash_o(
    runner: CliRunner, roster_file: WriteRoster, tmp_path: Path
) -> None:
    roster, target = roster_file(TEAM), tmp_path / "bob.md"
    result = invoke(runner, "explain", "bob", roster, "-f", "markdown", "-o", target)
    assert result.exit_code == 0, result.stderr
    assert (result.stdout, result.stderr) == ("", f"wrote the explanation to {target}\n")
    team = parse(TEAM)
    assert target.read_text(encoding="utf-8") == presentation.format_markdown(
        explain.explain(team, "bob")
    )


def test_cli_explain_unknown_person_exits_1_with_a_suggestion(
    runner: CliRunner, roster_file: WriteRoster
) -> None:
    roster = roster_file(TEAM)
    result = invoke(runner, "explain", "bobb", roster)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"error: {roster}: 'bobb' is neither a user name nor an email in the roster;"
        " did you mean 'bob'?\n"
    )


def test_cli_explain_invalid_roster_lists_problems_and_exits_1(
    runner: CliRunner, roster_file: WriteRoster
) -> None:
    roster = roster_file("version: 1\nusers:\n  - {name: ann}\n")
    result = invoke(runner, "explain", "ann", roster)
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{roster}:3:") and lines[0].endswith("[required]")
    assert lines[-1] == f"{roster}: invalid (1 error)"


# --------------------------------------------------------------------------------------------
# Profiles that leave the roster: explain --base says what the plan says
# --------------------------------------------------------------------------------------------

LEAVING = """\
version: 1
settings: {manageNamespaces: MANAGE}
users:
  - {name: ann, email: ann@example.com}
  - {name: bob, email: bob@example.com}
profiles:
  - {name: ann, owner: ann, contributors: [{user: bob, role: view}]}
  - {name: owned, owner: ann, namespaceOwnedByProfile: true}
  - {name: bob, owner: bob}
"""


def leaving(manage: bool) -> tuple[Roster, Roster]:
    """Return (base, head): head drops ann's two profiles."""
    base = LEAVING.replace("MANAGE", "true" if manage else "false")
    head = base.replace(
        "  - {name: ann, owner: ann, contributors: [{user: bob, role: view}]}\n", ""
    )
    head = head.replace("  - {name: owned, owner: ann, namespaceOwnedByProfile: true}\n", "")
    return parse(base), parse(head)


def test_explain_with_a_base_says_what_happens_to_each_profile_that_leaves() -> None:
    base, head = leaving(manage=True)
    ann = explain.explain(head, "ann", base)
    assert [(d.namespace, d.role, d.kept) for d in ann.leaving] == [
        ("ann", "owner", False),  # kfroster applied the namespace: the Profile is pruned
        ("owned", "owner", True),  # the controller made it: the Profile is kept
    ]
    assert ann.leaving[0].describe() == (
        "revoked on the next apply; namespace ann and its data stay "
        "(to delete them: kubectl delete namespace ann)"
    )
    kept = ann.leaving[1].describe()
    assert kept.startswith("kept: the Profile stays (namespaceOwnedByProfile: its namespace")
    assert "kubectl delete profile owned" in kept
    bob = explain.explain(head, "bob", base)
    assert [(d.namespace, d.role, d.kept) for d in bob.leaving] == [("ann", "view", False)]
    # Without a base, nothing is said about what left.
    assert explain.explain(head, "ann").leaving == ()


def test_explain_finds_someone_the_roster_no_longer_names_at_the_base() -> None:
    base, head = leaving(manage=False)
    head = parse(
        "version: 1\nsettings: {manageNamespaces: false}\n"
        "users: [{name: bob, email: bob@example.com}]\nprofiles: [{name: bob, owner: bob}]\n"
    )
    with pytest.raises(explain.UnknownPerson):
        explain.explain(head, "ann")
    ann = explain.explain(head, "ann", base)
    assert ann.namespaces == () and ann.cluster is None
    assert [(d.namespace, d.kept) for d in ann.leaving] == [("ann", True), ("owned", True)]
    assert "ann is no longer in the roster" in ann.notes


@pytest.mark.parametrize("manage", [True, False])
def test_explain_and_diff_agree_about_a_removed_profile(manage: bool) -> None:
    base, head = leaving(manage)
    plan = diff.make_plan(
        diff.Side("base", pipeline.Checked(base, ())),
        diff.Side("head", pipeline.Checked(head, ())),
    )
    owners_keeping = {r.subject.removeprefix("profile ") for r in plan.risks if r.kind == "owner"}
    orphaned_profiles = {
        c.key.name for c in plan.objects if c.key.kind == "Profile" and c.action == "orphan"
    }
    ann = explain.explain(head, "ann", base)
    assert {d.namespace for d in ann.leaving if d.kept} == owners_keeping == orphaned_profiles
    # The commands explain gives are the ones the plan's data risk gives.
    for departure in ann.leaving:
        (risk,) = [
            r
            for r in plan.risks
            if r.subject == f"profile {departure.namespace}" and r.kind == "data"
        ]
        for command in departure.commands:
            assert command in plain(risk.message)


def test_cli_explain_base_reads_the_revision(runner: CliRunner, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    base_text = LEAVING.replace("MANAGE", "true")
    (repo / "users.yaml").write_text(base_text, encoding="utf-8")
    for args in (["init", "-q", "-b", "main"], ["add", "users.yaml"], ["commit", "-q", "-m", "r"]):
        subprocess.run(
            ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
            check=True,
        )
    head_text = base_text.replace(
        "  - {name: owned, owner: ann, namespaceOwnedByProfile: true}\n", ""
    )
    (repo / "users.yaml").write_text(head_text, encoding="utf-8")
    result = invoke(runner, "explain", "ann", repo / "users.yaml", "--base", "main", "-f", "json")
    assert result.exit_code == 0, result.stderr
    (departure,) = json.loads(result.stdout)["leaving"]
    assert (departure["namespace"], departure["accessKept"]) == ("owned", True)
    result = invoke(runner, "explain", "ann", repo / "users.yaml", "--base", "nope")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")
