"""How a pull request could hide a grant behind `clusters`, and the risk that shows it.

Each test makes a roster change that grants (or exposes) something in some clusters only,
and asserts that the plan carries a blocking risk naming exactly the clusters it holds in,
in every format a reviewer or a workflow reads.
"""

from __future__ import annotations

import json

import pytest

from compiler.review import diff
from compiler.review.plan.json_plan import format_json
from compiler.review.plan.markdown import format_markdown
from compiler.review.plan.model import Plan, Risk, plain
from compiler.review.plan.text import format_text

BASE = """\
version: 1
settings: {userIdPrefix: "accounts.google.com:"}
clusters:
  - name: prod-eu
  - name: staging
users:
  - {name: alice, email: alice@example.com}
  - {name: bob, email: bob@example.com}
  - {name: chen, email: chen@example.com, clusterRole: admin, clusters: [staging]}
profiles:
  - {name: team-a, owner: bob, contributors: [{user: alice, role: view}]}
  - {name: team-b, owner: alice, clusters: [staging], namespaceOwnedByProfile: true}
"""


def plan_of(old: str, new: str) -> Plan:
    made = diff.make_plan(diff.load_text(old, "base.yaml"), diff.load_text(new, "head.yaml"))
    assert made.valid, made.problems
    return made


def where(found: Plan, kind: str, *words: str) -> list[tuple[str, ...]]:
    """Return the clusters of each blocking risk of a kind whose message has every word."""
    return [
        risk.clusters
        for risk in found.risks
        if risk.kind == kind and risk.blocking and all(w in plain(risk.message) for w in words)
    ]


def named(risk: Risk) -> str:
    return plain(risk.message)


def test_a_prefix_override_on_one_cluster_is_a_privilege_risk_there_only() -> None:
    head = BASE.replace(
        "  - name: prod-eu\n", '  - name: prod-eu\n    settings: {userIdPrefix: ""}\n'
    )
    found = plan_of(BASE, head)
    risks = [r for r in found.risks if r.blocking]
    assert risks, format_text(found)
    assert {(r.kind, r.clusters) for r in risks} == {("privilege", ("prod-eu",))}
    assert all(named(r).startswith("in prod-eu: ") for r in risks)


def test_a_deploy_override_on_one_cluster_is_a_risk_naming_it() -> None:
    deployed = BASE.replace(
        'settings: {userIdPrefix: "accounts.google.com:"}\n',
        'settings:\n  userIdPrefix: "accounts.google.com:"\n'
        "  deploy:\n    engine: argocd\n"
        '    argocd: {repoURL: "https://git.example.com/roster.git"}\n',
    )
    base = deployed.replace(
        "  - name: prod-eu\n",
        "  - name: prod-eu\n    settings: {deploy: {argocd: {destination: {name: prod-eu}}}}\n",
    ).replace(
        "  - name: staging\n",
        "  - name: staging\n    settings: {deploy: {argocd: {destination: {name: staging}}}}\n",
    )
    head = base.replace("destination: {name: staging}", "destination: {name: prod-us}")
    found = plan_of(base, head)
    risks = [r for r in found.risks if "deploy" in named(r) or "destination" in named(r)]
    assert risks, format_text(found)
    assert all(r.kind == "privilege" and r.clusters == ("staging",) for r in risks)


def test_a_wider_user_restriction_names_the_cluster_the_role_arrives_in() -> None:
    head = BASE.replace(
        "{name: chen, email: chen@example.com, clusterRole: admin, clusters: [staging]}",
        "{name: chen, email: chen@example.com, clusterRole: admin, clusters: [staging, prod-eu]}",
    )
    assert head != BASE
    found = plan_of(BASE, head)
    assert where(found, "privilege", "chen", "ADMIN") == [("prod-eu",)]


def test_dropping_a_user_restriction_grants_the_role_everywhere_it_did_not_hold() -> None:
    head = BASE.replace(
        "{name: chen, email: chen@example.com, clusterRole: admin, clusters: [staging]}",
        "{name: chen, email: chen@example.com, clusterRole: admin}",
    )
    found = plan_of(BASE, head)
    assert where(found, "privilege", "chen", "ADMIN") == [("prod-eu",)]


def test_a_profile_moved_to_a_new_cluster_is_data_where_it_leaves_owner_where_it_arrives() -> None:
    head = BASE.replace("  - name: staging\n", "  - name: staging\n  - name: shadow\n").replace(
        "{name: team-a, owner: bob,", "{name: team-a, owner: bob, clusters: [shadow],"
    )
    found = plan_of(BASE, head)
    assert where(found, "data", "team-a", "leaves this cluster") == [("prod-eu", "staging")]
    assert where(found, "owner", "team-a", "arrives") == [("shadow",)]
    # alice's view arrives with it: a grant in the new cluster, named there.
    assert where(found, "privilege", "alice", "team-a") == [("shadow",)]
    assert where(found, "settings", "shadow", "is added") == [("shadow",)]
    (layout,) = [c for c in found.changes if c.type == "clusters"]
    assert [(f.path, f.old, f.new) for f in layout.facts] == [
        (("cluster", "shadow"), None, "out/shadow/")
    ]


def test_a_cluster_renamed_is_everything_leaving_one_and_arriving_in_another() -> None:
    head = BASE.replace("name: prod-eu", "name: prod-eu2")
    found = plan_of(BASE, head)
    assert ("prod-eu2",) in where(found, "owner", "team-a")
    assert ("prod-eu",) in where(found, "data", "team-a")


def test_dropping_namespace_ownership_in_one_cluster_names_that_cluster() -> None:
    base = BASE.replace(
        "{name: team-a, owner: bob,", "{name: team-a, owner: bob, namespaceOwnedByProfile: true,"
    )
    head = base.replace(
        "namespaceOwnedByProfile: true, contributors",
        "namespaceOwnedByProfile: [staging], contributors",
    )
    found = plan_of(base, head)
    assert where(found, "data", "team-a", "namespaceOwnedByProfile") == [("prod-eu",)]


def test_a_quota_override_on_one_cluster_names_it() -> None:
    base = BASE.replace(
        'settings: {userIdPrefix: "accounts.google.com:"}\n',
        'settings: {userIdPrefix: "accounts.google.com:"}\n'
        'defaults: {resourceQuota: {hard: {cpu: "8"}}}\n',
    )
    head = base.replace(
        "  - name: staging\n",
        '  - name: staging\n    defaults: {resourceQuota: {hard: {cpu: "2"}}}\n',
    )
    found = plan_of(base, head)
    assert where(found, "quota") == [("staging",)]


def test_a_default_workload_identity_on_one_cluster_is_a_privilege_risk_there() -> None:
    head = BASE.replace(
        "  - name: staging\n",
        "  - name: staging\n"
        "    settings: {defaultWorkloadIdentity: kubeflow@my-project.iam.gserviceaccount.com}\n",
    )
    found = plan_of(BASE, head)
    risks = [
        r
        for r in found.risks
        if "kubeflow@my-project.iam.gserviceaccount.com" in named(r) and r.blocking
    ]
    assert risks, format_text(found)
    assert {(r.kind, r.clusters) for r in risks} == {("privilege", ("staging",))}


def test_reordering_clusters_changes_nothing() -> None:
    head = BASE.replace(
        "  - name: prod-eu\n  - name: staging\n", "  - name: staging\n  - name: prod-eu\n"
    )
    assert head != BASE
    found = plan_of(BASE, head)
    assert not found.risks and not found.has_changes


def test_one_change_in_twenty_clusters_is_one_risk_naming_twenty() -> None:
    names = [f"c{n:02}" for n in range(20)]
    base = BASE.replace(
        "  - name: prod-eu\n  - name: staging\n", "".join(f"  - name: {n}\n" for n in names)
    ).replace("clusters: [staging]", "clusters: [c00]")
    head = base.replace(
        "contributors: [{user: alice, role: view}]", "contributors: [{user: alice, role: edit}]"
    )
    found = plan_of(base, head)
    assert where(found, "privilege", "alice", "team-a") == [tuple(names)]
    text = format_text(found)
    assert sum("alice" in line and "team-a" in line for line in text.splitlines()) <= 3


@pytest.mark.parametrize("render", ["text", "markdown", "json"])
def test_every_format_names_the_clusters_of_a_risk(render: str) -> None:
    head = BASE.replace(
        "{name: chen, email: chen@example.com, clusterRole: admin, clusters: [staging]}",
        "{name: chen, email: chen@example.com, clusterRole: admin, clusters: [prod-eu, staging]}",
    )
    found = plan_of(BASE, head)
    if render == "json":
        data = json.loads(format_json(found))
        risk = next(r for r in data["risks"] if "chen" in r["message"])
        assert risk["clusters"] == ["prod-eu"]
        assert risk["message"].startswith("in prod-eu: ")
        return
    out = format_text(found) if render == "text" else format_markdown(found)
    line = next(line for line in out.splitlines() if "ADMIN" in line)
    assert ("in `prod-eu`: " if render == "markdown" else "in prod-eu: ") in line


def test_an_added_cluster_says_where_its_tree_lands_whatever_its_name() -> None:
    # "sandbox" sounds harmless; its destination is production's API server.
    base = BASE.replace(
        'settings: {userIdPrefix: "accounts.google.com:"}\n',
        'settings:\n  userIdPrefix: "accounts.google.com:"\n'
        "  deploy:\n    engine: argocd\n"
        '    argocd: {repoURL: "https://git.example.com/roster.git"}\n',
    ).replace(
        "  - name: staging\n",
        "  - name: staging\n    settings: {deploy: {argocd: {destination: {name: staging}}}}\n",
    )
    head = base.replace(
        "  - name: staging\n",
        "  - name: sandbox\n"
        '    settings: {deploy: {argocd: {destination: {server: "https://prod.example.com"}}}}\n'
        "  - name: staging\n",
    )
    found = plan_of(base, head)
    (added,) = [r for r in found.risks if "sandbox" in r.subject]
    assert added.clusters == ("sandbox",)
    assert "https://prod.example.com" in named(added)


def test_two_clusters_applied_to_one_argo_cd_destination_are_refused() -> None:
    head = BASE.replace(
        'settings: {userIdPrefix: "accounts.google.com:"}\n',
        'settings:\n  userIdPrefix: "accounts.google.com:"\n'
        "  deploy:\n    engine: argocd\n"
        '    argocd: {repoURL: "https://git.example.com/roster.git"}\n',
    )
    checked = diff.load_text(head, "head.yaml").checked
    assert checked.roster is None
    assert {p.rule for p in checked.problems} == {"duplicate-destination"}


def test_twenty_clusters_and_many_people_fit_the_comment_budget_with_the_rare_grant_first() -> None:
    names = [f"c{n:02}" for n in range(20)]
    people = [f"u{n:03}" for n in range(200)]
    users = "".join(f"  - {{name: {p}, email: {p}@example.com}}\n" for p in people)
    base = (
        "version: 1\nclusters:\n"
        + "".join(f"  - name: {n}\n" for n in names)
        + "users:\n  - {name: bob, email: bob@example.com}\n"
        + "  - {name: mallory, email: mallory@example.com}\n"
        + users
        + "profiles:\n  - {name: team-a, owner: bob}\n"
    )
    everyone = ", ".join(f"{{user: {p}, role: view}}" for p in people)
    head = base.replace(
        "{name: team-a, owner: bob}",
        f"{{name: team-a, owner: bob, contributors: [{everyone}]}}",
    ).replace(
        "{name: mallory, email: mallory@example.com}",
        "{name: mallory, email: mallory@example.com, clusterRole: edit, clusters: [c13]}",
    )
    found = plan_of(base, head)
    # One risk per distinct change, however many clusters: not 20 of each.
    assert len(found.risks) == 2
    assert where(found, "privilege", "mallory") == [("c13",)]
    assert where(found, "privilege", "u000") == [tuple(names)]
    comment = format_markdown(found, max_chars=4000)
    assert len(comment) <= 4000
    mallory = next(line for line in comment.splitlines() if "mallory" in line)
    assert "in `c13`: " in mallory
    view = next(
        line
        for line in comment.splitlines()
        if "u000" in line or ("more" in line and "view" in line)
    )
    assert "in every cluster (20: `c00`" in view and "`c19`" in view
