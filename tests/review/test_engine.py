"""What the engine applies before and after: committed out/ and deploy/ at the base revision.

Real repositories: main holds a roster with its out/ (and a deploy/); the branch changes
what the engine would apply without changing the roster, or changes the roster too.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from compiler import pipeline
from compiler.output import tree
from compiler.review import diff
from compiler.review.engine import blob_id
from compiler.review.plan.model import Plan, plain
from compiler.review.plan.text import format_text
from tests.review.test_diff_cli import git

ROSTER = """\
version: 1
users:
  - {name: ana, email: ana@example.com}
  - {name: bo, email: bo@example.com}
profiles:
  - {name: ana, owner: ana, contributors: [{user: bo, role: view}]}
"""
KUSTOMIZATION = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {{name: {name}, namespace: flux-system}}
spec:
  interval: 10m
  path: {path}
  prune: true
  sourceRef: {{kind: GitRepository, name: flux-system}}
"""


def compile_out(repo: Path) -> None:
    tree.write_tree(pipeline.compile_roster(repo / "users.yaml").files, repo / "out")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "users.yaml").write_text(ROSTER, encoding="utf-8")
    compile_out(root)
    (root / "deploy").mkdir()
    kustomization = KUSTOMIZATION.format(name="kubeflow-users", path="./out")
    (root / "deploy" / "kubeflow-users.yaml").write_text(kustomization, encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "roster")
    git(root, "checkout", "-q", "-b", "feature")
    return root


def plan(repo: Path) -> Plan:
    return diff.plan_against(repo / "users.yaml", "main")


def test_blob_id_is_gits(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"kfroster\n")
    done = subprocess.run(
        ["git", "hash-object", str(tmp_path / "f")], capture_output=True, text=True, check=True
    )
    assert blob_id(b"kfroster\n") == done.stdout.strip()


def test_nothing_to_say_when_out_and_deploy_are_what_they_were(repo: Path) -> None:
    found = plan(repo)
    assert (found.engine, found.notes, found.risks, found.has_changes) == ((), (), (), False)


def test_a_hand_edit_on_main_shows_as_a_change_no_roster_change_explains(repo: Path) -> None:
    git(repo, "checkout", "-q", "main")
    policy = repo / "out" / "profiles" / "ana.yaml"
    policy.write_text(
        policy.read_text(encoding="utf-8").replace("bo@example.com\n", "eve@example.com\n"),
        encoding="utf-8",
    )
    git(repo, "commit", "-q", "-am", "hand edit")
    git(repo, "checkout", "-q", "feature")
    git(repo, "reset", "-q", "--hard", "main")
    compile_out(repo)  # the branch repairs out/; the roster is unchanged
    found = plan(repo)
    assert found.has_changes and not found.changes
    keys = sorted(change.key.describe() for change in found.engine)
    assert keys == [
        "AuthorizationPolicy ana/user-bo-example-com-clusterrole-view",
        "RoleBinding ana/user-bo-example-com-clusterrole-view",
    ]
    # Back from eve to bo: bo gets in (again), which no roster change explains.
    assert {(r.kind, r.severity) for r in found.risks} == {("privilege", "high")}
    assert all(
        plain(r.message).startswith("out/ at main against this compile: ") for r in found.risks
    )
    assert "Changes no roster change explains (2 objects)" in format_text(found)


def test_a_missing_out_at_the_base_is_noted(repo: Path) -> None:
    git(repo, "rm", "-q", "-r", "out")
    git(repo, "commit", "-q", "-m", "no out")
    git(repo, "branch", "-f", "main")
    compile_out(repo)
    found = plan(repo)
    assert found.engine == ()
    assert found.notes == (
        f"{repo / 'out'}/ does not exist at main: the engine applies nothing of it yet",
    )


def test_what_is_no_manifest_at_the_base_is_noted_not_trusted(repo: Path) -> None:
    git(repo, "checkout", "-q", "main")
    (repo / "out" / "profiles" / "ana.yaml").write_text("a: [\n", encoding="utf-8")
    git(repo, "commit", "-q", "-am", "broken")
    git(repo, "checkout", "-q", "feature")
    git(repo, "reset", "-q", "--hard", "main")
    (repo / "out" / "profiles" / "ana.yaml").unlink()  # compile never replaces a foreign file
    compile_out(repo)
    found = plan(repo)
    assert len(found.notes) == 1 and found.notes[0].startswith(
        "out/profiles/ana.yaml at the base is no manifest"
    )
    # Unread, its objects count as new: every grant in them is judged.
    assert {change.action for change in found.engine} == {"add"}
    assert any(r.severity == "high" for r in found.risks)


# --------------------------------------------------------------------------------------------
# deploy/
# --------------------------------------------------------------------------------------------


def deploy(repo: Path, name: str, text: str) -> None:
    (repo / "deploy" / name).write_text(text, encoding="utf-8")


def test_a_kustomization_that_points_elsewhere_is_a_high_privilege_risk(repo: Path) -> None:
    deploy(repo, "kubeflow-users.yaml", KUSTOMIZATION.format(name="kubeflow-users", path="./other"))
    (risk,) = plan(repo).risks
    assert (risk.kind, risk.severity) == ("privilege", "high")
    assert plain(risk.message).startswith(
        "deploy/ changes Kustomization flux-system/kubeflow-users (spec.path)"
    )


def test_patches_in_a_kustomization_are_a_high_privilege_risk(repo: Path) -> None:
    patched = KUSTOMIZATION.format(name="kubeflow-users", path="./out") + (
        "  patches:\n  - patch: '[{op: add, path: /subjects/-, value: {kind: User, name: eve}}]'\n"
        "    target: {kind: RoleBinding}\n"
    )
    deploy(repo, "kubeflow-users.yaml", patched)
    (risk,) = plan(repo).risks
    assert (risk.kind, risk.severity) == ("privilege", "high")
    assert "spec.patches" in plain(risk.message)


def test_one_more_apply_unit_is_a_warning_and_a_removed_one_too(repo: Path) -> None:
    deploy(
        repo,
        "unit.yaml",
        KUSTOMIZATION.format(name="kubeflow-users-unit-001", path="./out/unit-001"),
    )
    (risk,) = plan(repo).risks
    assert (risk.kind, risk.severity) == ("settings", "warning")
    assert "one more apply unit" in plain(risk.message)
    (repo / "deploy" / "unit.yaml").unlink()
    (repo / "deploy" / "kubeflow-users.yaml").unlink()
    (risk,) = plan(repo).risks
    assert (risk.kind, risk.severity) == ("settings", "warning")
    assert plain(risk.message).startswith(
        "deploy/ removes Kustomization flux-system/kubeflow-users"
    )


def test_a_new_kustomization_elsewhere_is_high(repo: Path) -> None:
    deploy(repo, "extra.yaml", KUSTOMIZATION.format(name="extra", path="./elsewhere"))
    (risk,) = plan(repo).risks
    assert (risk.kind, risk.severity) == ("privilege", "high")


def test_a_submodule_in_out_at_the_base_is_noted(repo: Path) -> None:
    commit = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{commit},out/vendor")
    git(repo, "commit", "-q", "-m", "a submodule the engine would fetch")
    git(repo, "branch", "-f", "main")
    found = plan(repo)
    assert found.notes == ("out/vendor at the base is no file (mode 160000): not compared",)
