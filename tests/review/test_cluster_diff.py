"""The plan of a roster with clusters: gaining and dropping clusters, moves, the engine part."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from compiler.review.plan.json_plan import format_json
from compiler.review.plan.markdown import format_markdown
from compiler.review.plan.text import format_text
from tests.conftest import invoke
from tests.review.test_cluster_attacks import plan_of
from tests.review.test_diff_cli import git
from tests.review.test_plan_attacks import commit_roster

ONE = """\
version: 1
settings:
  applyUnits: 2
  deploy: {engine: flux}
users:
  - {name: alice, email: alice@example.com}
  - {name: bob, email: bob@example.com}
profiles:
  - {name: team-a, owner: bob, contributors: [{user: alice, role: edit}]}
  - {name: team-b, owner: alice, namespaceOwnedByProfile: true}
"""
MANY = ONE.replace("users:\n", "clusters:\n  - {name: prod-eu}\n  - {name: staging}\nusers:\n")


def test_gaining_clusters_is_a_high_settings_risk_and_a_move_per_cluster() -> None:
    found = plan_of(ONE, MANY)
    (risk,) = found.risks
    assert (risk.kind, risk.severity, risk.clusters) == ("settings", "high", ("prod-eu", "staging"))
    # The roster's clusters section is the only change; no object changes, it moves.
    (layout,) = found.changes
    assert (layout.type, layout.status) == ("clusters", "added")
    assert [(f.path, f.new) for f in layout.facts] == [
        (("cluster", "prod-eu"), "out/prod-eu/"),
        (("cluster", "staging"), "out/staging/"),
    ]
    assert not found.objects
    # Each cluster's tree is the old out/ under its name: every object stays, in its unit.
    assert {(m.cluster, m.old, m.new) for m in found.moves} == {
        (cluster, unit, f"{cluster}/{unit}")
        for cluster in ("prod-eu", "staging")
        for unit in ("unit-000", "unit-001")
    }
    total = sum(m.objects for m in found.moves)
    assert total == 2 * 6  # per cluster: 2 Namespaces, 2 Profiles, 1 RoleBinding + policy
    kustomization = "Kustomization kubeflow-users-unit-000"
    assert {(m.old_applier, m.new_applier) for m in found.moves if m.old == "unit-000"} == {
        (f"{kustomization} in deploy/", f"{kustomization} in deploy/{c}/")
        for c in ("prod-eu", "staging")
    }
    data = json.loads(format_json(found))
    assert data["clusters"] == ["prod-eu", "staging"]
    assert sum(move["objects"] for move in data["moves"]) == total
    assert "out/staging/unit-001/" in format_text(found)
    assert "out/staging/unit-001/" in format_markdown(found)


def test_dropping_clusters_is_the_reverse_move() -> None:
    found = plan_of(MANY, ONE)
    (risk,) = found.risks
    assert (risk.kind, risk.severity) == ("settings", "high")
    assert "no longer names clusters" in format_text(found)
    assert {(m.old, m.new) for m in found.moves if m.cluster == "prod-eu"} == {
        ("prod-eu/unit-000", "unit-000"),
        ("prod-eu/unit-001", "unit-001"),
    }


def test_a_change_while_gaining_clusters_is_shown_per_cluster() -> None:
    head = MANY.replace("{name: staging}", "{name: staging, settings: {userIdPrefix: 'x:'}}")
    found = plan_of(ONE, head)
    moved = {
        c: sum(m.objects for m in found.moves if m.cluster == c) for c in ("prod-eu", "staging")
    }
    # In staging alice's policy names another principal: it changes, it does not just move.
    assert moved == {"prod-eu": 6, "staging": 5}
    assert all(change.clusters == ("staging",) for change in found.objects)


def test_a_plan_without_clusters_has_no_cluster_keys() -> None:
    found = plan_of(ONE, ONE.replace("role: edit", "role: view"))
    data = json.loads(format_json(found))
    assert "clusters" not in data and "moves" not in data
    assert all("clusters" not in risk for risk in data["risks"])


def test_the_engine_part_names_the_cluster_whose_committed_tree_differs(tmp_path: Path) -> None:
    repo = tmp_path / "roster"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commit_roster(repo, MANY, "roster")
    # A hand edit of one cluster's committed tree: the engine of prod-eu applies it.
    edited = repo / "out" / "prod-eu"
    (path,) = list(edited.rglob("team-a.yaml"))
    path.write_text(path.read_text().replace("bob@example.com", "mallory@example.com"))
    git(repo, "commit", "-qam", "edit")
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "users.yaml").write_text(MANY.replace("role: edit", "role: view"))
    result = invoke(CliRunner(), "diff", "--base", "main", "-f", "json", repo / "users.yaml")
    data = json.loads(result.stdout)
    assert data["engine"], result.stdout
    assert all(change["clusters"] == ["prod-eu"] for change in data["engine"])
    engine_risks = [r for r in data["risks"] if "mallory" in r["message"]]
    assert engine_risks and all(r["clusters"] == ["prod-eu"] for r in engine_risks)


def test_gaining_clusters_in_a_repository_labels_what_is_in_no_cluster(tmp_path: Path) -> None:
    repo = tmp_path / "roster"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    runner = CliRunner()
    for text, branch in ((ONE, "main"), (MANY, "feature")):
        if branch != "main":
            git(repo, "checkout", "-q", "-b", branch)
        (repo / "users.yaml").write_text(text)
        compiled = invoke(runner, "compile", repo / "users.yaml", "--out", repo / "out")
        assert compiled.exit_code == 0  # out/ and deploy/
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", branch)
    result = invoke(CliRunner(), "diff", "--base", "main", repo / "users.yaml")
    # deploy/ loses its Kustomizations at the top and gains them per cluster.
    assert "    in no cluster's directory:\n    -   Kustomization" in result.stdout
    assert "    in every cluster (2: prod-eu and staging):\n    +   Kustomization" in result.stdout
    assert "in :" not in result.stdout


def test_the_summary_says_what_each_cluster_does_clusters_alike_together() -> None:
    head = MANY.replace("{name: staging}", "{name: staging}\n  - {name: dev}").replace(
        "contributors: [{user: alice, role: edit}]",
        "clusters: [prod-eu, dev], contributors: [{user: alice, role: edit}]",
    )
    base = MANY.replace("{name: staging}", "{name: staging}\n  - {name: dev}")
    found = plan_of(base, head)
    line = (
        "Per cluster: prod-eu and dev: no object changes · "
        "staging: 0 to add, 0 to change, 3 to delete, 1 to leave in place."
    )
    assert line in format_text(found)
    assert line in format_markdown(found)
    counts = json.loads(format_json(found))["summary"]["clusters"]
    assert counts["staging"] == {"add": 0, "change": 0, "delete": 3, "orphan": 1}
    assert counts["dev"] == dict.fromkeys(("add", "change", "delete", "orphan"), 0)
    assert "Per cluster" not in format_text(plan_of(ONE, ONE.replace("edit", "view")))
