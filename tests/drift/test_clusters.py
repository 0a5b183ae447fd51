"""`kfroster drift --cluster`: a dump is held to exactly the tree of the cluster it is from.

The dumps are built from one-cluster rosters written out by hand (what each cluster of
ROSTER is meant to hold), not from kfroster's own split of ROSTER, so a split that put a
profile or a role in the wrong cluster would show as drift here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from compiler.drift import compare as drift
from compiler.drift.model import Drift
from compiler.pipeline import UnknownCluster
from tests.conftest import invoke
from tests.drift.test_drift import ROSTER as ONE_CLUSTER
from tests.drift.test_drift import dump, in_sync, summary

ROSTER = """\
version: 1
settings:
  userIdPrefix: "accounts.google.com:"
clusters:
  - name: prod
    settings: {userIdPrefix: ""}
  - name: staging
users:
  - {name: alice, email: alice@example.com}
  - {name: bob, email: bob@example.com}
  - {name: root, email: root@example.com, clusterRole: admin, clusters: [staging]}
profiles:
  - {name: sandbox, owner: bob, clusters: [staging]}
  - name: team
    owner: alice
    contributors:
      - {user: bob, role: edit}
  - {name: vision, owner: alice, clusters: [prod]}
"""

# What each cluster of ROSTER holds, as a roster of one cluster.
PROD = """\
version: 1
users:
  - {name: alice, email: alice@example.com}
  - {name: bob, email: bob@example.com}
  - {name: root, email: root@example.com}
profiles:
  - name: team
    owner: alice
    contributors:
      - {user: bob, role: edit}
  - {name: vision, owner: alice}
"""
STAGING = """\
version: 1
settings:
  userIdPrefix: "accounts.google.com:"
users:
  - {name: alice, email: alice@example.com}
  - {name: bob, email: bob@example.com}
  - {name: root, email: root@example.com, clusterRole: admin}
profiles:
  - {name: sandbox, owner: bob}
  - name: team
    owner: alice
    contributors:
      - {user: bob, role: edit}
"""
CLUSTERS = {"prod": PROD, "staging": STAGING}


def compare(tmp_path: Path, dumped: str, cluster: str | None, roster: str = ROSTER) -> Drift:
    path = tmp_path / "users.yaml"
    path.write_text(roster, encoding="utf-8")
    return drift.compare([("cluster.yaml", dump(in_sync(dumped)))], path, cluster=cluster).drift


@pytest.mark.parametrize("cluster", sorted(CLUSTERS))
def test_a_cluster_in_sync_with_its_own_tree_has_no_drift(tmp_path: Path, cluster: str) -> None:
    found = compare(tmp_path, CLUSTERS[cluster], cluster)
    assert not found.has_drift, summary(found.entries)
    assert found.cluster == cluster


def test_the_dump_of_one_cluster_compared_as_another_shows_every_difference(
    tmp_path: Path,
) -> None:
    """Staging's dump held to prod's tree: root's admin and the sandbox are not prod's."""
    found = compare(tmp_path, STAGING, "prod")
    entries = [(kind, subject) for kind, _severity, subject in summary(found.entries)]
    # root's cluster-wide admin holds in staging only: in prod it is access outside the roster.
    assert ("granted", "User root@example.com cluster-wide") in entries
    # sandbox is staging's; vision is prod's and staging has none of it.
    assert ("unmanaged", "profile sandbox") in entries
    assert any(kind == "missing" and "vision" in subject for kind, subject in entries)
    # The header prefix differs: every contributor AuthorizationPolicy of team changed.
    assert any(kind == "changed" and "team" in subject for kind, subject in entries)
    assert found.has_drift


def test_an_entry_is_located_at_its_record_in_the_roster_as_written(tmp_path: Path) -> None:
    """Prod's roster lacks sandbox (profiles[0]): team is still profiles[1] of the text."""
    dumped = [m for m in in_sync(PROD) if m["metadata"].get("namespace") != "team"]
    path = tmp_path / "users.yaml"
    path.write_text(ROSTER, encoding="utf-8")
    found = drift.compare([("cluster.yaml", dump(dumped))], path, cluster="prod").drift
    missing = [entry for entry in found.entries if entry.kind == "missing"]
    assert missing
    team_line = ROSTER.splitlines().index("  - name: team") + 1
    for entry in missing:
        assert entry.roster_path is not None
        assert entry.roster_path[:2] == ("profiles", 1)
        assert entry.roster_position is not None
        assert entry.roster_position[0] >= team_line


def test_a_profile_of_another_cluster_is_named_as_not_in_this_one(tmp_path: Path) -> None:
    found = compare(tmp_path, STAGING, "prod")
    (sandbox,) = [e for e in found.entries if e.subject == "profile sandbox"]
    assert "is not in the roster's cluster prod" in "".join(map(str, sandbox.message))


@pytest.mark.parametrize(
    ("roster", "cluster", "says"),
    [
        (ROSTER, None, "the roster names clusters (prod, staging): choose one with --cluster"),
        (ROSTER, "stagign", "did you mean 'staging'?"),
        (ONE_CLUSTER, "prod", "the roster names no clusters"),
    ],
)
def test_the_cluster_must_be_one_the_roster_names(
    tmp_path: Path, roster: str, cluster: str | None, says: str
) -> None:
    with pytest.raises(UnknownCluster, match=says.replace("(", r"\(").replace(")", r"\)")):
        compare(tmp_path, PROD, cluster, roster)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    roster = tmp_path / "users.yaml"
    roster.write_text(ROSTER, encoding="utf-8")
    paths = {"roster": roster}
    for name, text in CLUSTERS.items():
        paths[name] = tmp_path / f"{name}.yaml"
        paths[name].write_text(dump(in_sync(text)), encoding="utf-8")
    return paths


def test_cli_right_cluster_exits_0_and_names_it(runner: CliRunner, files: dict[str, Path]) -> None:
    args = ("drift", files["staging"], "--roster", files["roster"], "--cluster", "staging")
    result = invoke(runner, *args)
    assert result.exit_code == 0, result.output
    assert "(cluster staging)" in result.stdout


def test_cli_wrong_cluster_exits_1(runner: CliRunner, files: dict[str, Path]) -> None:
    args = ("drift", files["staging"], "--roster", files["roster"], "--cluster", "prod")
    result = invoke(runner, *args)
    assert result.exit_code == 1
    assert "root@example.com" in result.stdout


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        ((), "error: the roster names clusters (prod, staging): choose one with --cluster"),
        (("--cluster", "prd"), "did you mean 'prod'?"),
        (("--cluster", "prod", "--adopt"), "--adopt does not take --cluster"),
    ],
)
def test_cli_refuses_a_cluster_it_cannot_use(
    runner: CliRunner, files: dict[str, Path], extra: tuple[str, ...], says: str
) -> None:
    before = files["roster"].read_text(encoding="utf-8")
    result = invoke(runner, "drift", files["prod"], "--roster", files["roster"], *extra)
    assert result.exit_code == 2
    assert says in result.stderr
    assert result.stdout == ""
    assert files["roster"].read_text(encoding="utf-8") == before


def test_cli_refuses_cluster_for_a_roster_without_clusters(
    runner: CliRunner, tmp_path: Path
) -> None:
    roster = tmp_path / "users.yaml"
    roster.write_text(ONE_CLUSTER, encoding="utf-8")
    dumped = tmp_path / "cluster.yaml"
    dumped.write_text(dump(in_sync(ONE_CLUSTER)), encoding="utf-8")
    result = invoke(runner, "drift", dumped, "--roster", roster, "--cluster", "prod")
    assert result.exit_code == 2
    assert "the roster names no clusters, so there is no cluster 'prod'" in result.stderr
