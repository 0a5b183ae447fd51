"""`kfroster explain` on a roster with clusters: access per cluster, `--cluster NAME`, `--base`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from compiler import pipeline
from compiler.explain import access, presentation
from compiler.model.clusters import Split
from compiler.model.roster import Roster
from compiler.render import render_all
from tests.conftest import invoke

ONE = """\
version: 1
users:
  - {name: alice, email: alice@example.com}
  - {name: bob, email: bob@example.com}
  - {name: chen, email: chen@example.com, clusterRole: admin}
profiles:
  - {name: team-a, owner: bob, contributors: [{user: chen, role: edit}]}
  - {name: team-b, owner: alice, contributors: [{user: chen, role: view}]}
"""
ROSTER = """\
version: 1
clusters:
  - name: prod-eu
  - name: staging
  - name: dev
users:
  - {name: alice, email: alice@example.com}
  - {name: bob, email: bob@example.com}
  - {name: chen, email: chen@example.com, clusterRole: admin, clusters: [staging]}
profiles:
  - {name: team-a, owner: bob, clusters: [prod-eu], contributors: [{user: chen, role: edit}]}
  - {name: team-b, owner: alice, contributors: [{user: chen, role: view}]}
"""


def parse(text: str) -> Roster:
    checked = pipeline.check_text(text, "users.yaml")
    assert checked.roster is not None, checked.problems
    return checked.roster


def by_cluster(text: str, who: str, base: str | None = None) -> dict[str, access.Explanation]:
    found = access.explain_clusters(parse(text), who, parse(base) if base else None)
    return dict(found)


def test_each_cluster_explains_what_its_tree_grants() -> None:
    found = by_cluster(ROSTER, "chen")
    assert list(found) == ["prod-eu", "staging", "dev"]
    assert [e.cluster.role if e.cluster else None for e in found.values()] == [None, "admin", None]
    assert [a.namespace for a in found["prod-eu"].namespaces] == ["team-a", "team-b"]
    assert [a.namespace for a in found["dev"].namespaces] == ["team-b"]
    # What each says is what that cluster's compiled tree binds.
    roster = parse(ROSTER)
    for name, explanation in found.items():
        subjects = {
            subject["name"]
            for manifests in render_all(Split(roster).roster_of(name)).values()
            for manifest in manifests
            if manifest["kind"] in ("RoleBinding", "ClusterRoleBinding")
            for subject in manifest.get("subjects", ())
        }
        assert ("chen@example.com" in subjects) == bool(
            explanation.cluster or [a for a in explanation.namespaces if a.role != "owner"]
        )


def test_text_shows_clusters_with_the_same_access_once(tmp_path: Path) -> None:
    roster = tmp_path / "users.yaml"
    roster.write_text(ROSTER)
    result = invoke(CliRunner(), "explain", "alice", roster)
    assert result.exit_code == 0
    # alice's access is the same everywhere: one explanation naming the three clusters.
    assert result.stdout.startswith("== In clusters (3) prod-eu, staging and dev\n")
    assert result.stdout.count("alice <alice@example.com>") == 1
    result = invoke(CliRunner(), "explain", "chen", roster)
    assert "== In clusters (2) prod-eu and dev\n" not in result.stdout  # team-a differs
    assert result.stdout.count("chen <chen@example.com>") == 3


@pytest.mark.parametrize("output", ["text", "markdown", "json"])
def test_cluster_option_explains_one_cluster(tmp_path: Path, output: str) -> None:
    roster = tmp_path / "users.yaml"
    roster.write_text(ROSTER)
    result = invoke(CliRunner(), "explain", "chen", roster, "--cluster", "staging", "-f", output)
    assert result.exit_code == 0
    if output == "json":
        (only,) = json.loads(result.stdout)["clusters"]
        assert only["cluster"] == "staging"
        assert only["clusterWide"]["role"] == "admin"
        return
    assert "staging" in result.stdout and "prod-eu" not in result.stdout


def test_an_unknown_cluster_is_an_error_with_a_suggestion(tmp_path: Path) -> None:
    roster = tmp_path / "users.yaml"
    roster.write_text(ROSTER)
    result = invoke(CliRunner(), "explain", "chen", roster, "--cluster", "prod-ue")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert f"error: {roster}: the roster names no cluster 'prod-ue'" in result.stderr
    assert "did you mean 'prod-eu'?" in result.stderr


def test_a_cluster_option_on_a_roster_without_clusters_is_an_error(tmp_path: Path) -> None:
    roster = tmp_path / "users.yaml"
    roster.write_text(ONE)
    result = invoke(CliRunner(), "explain", "chen", roster, "--cluster", "prod-eu")
    assert result.exit_code == 1
    assert "the roster names no clusters" in result.stderr


def test_without_clusters_the_output_is_the_one_explanation() -> None:
    roster = parse("version: 1\nusers:\n  - {name: ann, email: ann@example.com}\n")
    found = access.explain_clusters(roster, "ann")
    (only,) = found
    assert only[0] == ""
    assert presentation.format_text_clusters(found) == presentation.format_text(only[1])
    assert presentation.format_json_clusters(found) == presentation.format_json(only[1])
    assert presentation.format_markdown_clusters(found) == presentation.format_markdown(only[1])


def test_base_says_what_leaves_each_cluster() -> None:
    # team-a moves from prod-eu to staging: it leaves prod-eu only.
    head = ROSTER.replace("clusters: [prod-eu], contributors", "clusters: [staging], contributors")
    found = by_cluster(head, "bob", base=ROSTER)
    assert [d.namespace for d in found["prod-eu"].leaving] == ["team-a"]
    assert found["staging"].leaving == () and found["dev"].leaving == ()


def test_base_without_clusters_was_applied_to_every_cluster() -> None:
    # Gaining clusters: team-a, applied everywhere before, now exists in prod-eu only.
    found = by_cluster(ROSTER, "bob", base=ONE)
    assert [d.namespace for d in found["staging"].leaving] == ["team-a"]
    assert [d.namespace for d in found["dev"].leaving] == ["team-a"]
    assert found["prod-eu"].leaving == ()


def test_a_head_without_clusters_collects_what_left_every_cluster() -> None:
    head = ONE.replace(
        "  - {name: team-a, owner: bob, contributors: [{user: chen, role: edit}]}\n", ""
    )
    (only,) = access.explain_clusters(parse(head), "bob", parse(ROSTER))
    assert only[0] == ""
    assert [d.namespace for d in only[1].leaving] == ["team-a"]
