"""Issue 12, reproduced as the attacks were made: a pull request against a real git repository.

Each test builds the repository the attack needs (the roster on main, its compiled out/, a
branch with the change, history where the attack relies on it), runs `kfroster diff --base
main` as the workflow does, and asserts that the plan shows the change with a risk that
`--fail-on` blocks.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from benchmarks.generate_roster import fan_out
from compiler import pipeline
from compiler.output import tree
from tests.conftest import invoke
from tests.gitrepo import git

BASE = """\
version: 1
users:
  - {name: alice, email: alice@example.com}
  - {name: bob, email: bob@example.com}
  - {name: carol, email: carol@example.com}
profiles:
  - name: alice
    owner: alice
    contributors: [{user: bob, role: edit}, {user: carol, role: view}]
  - {name: bob, owner: bob}
"""


def commit_roster(repo: Path, text: str, message: str) -> None:
    """Write the roster (and, as CI demands, its compiled out/) and commit both."""
    (repo / "users.yaml").write_text(text, encoding="utf-8")
    tree.write_tree(pipeline.compile_roster(repo / "users.yaml").files, repo / "out")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A roster repository: BASE and its out/ on main, a feature branch checked out."""
    root = tmp_path / "roster"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    commit_roster(root, BASE, "roster")
    git(root, "checkout", "-q", "-b", "feature")
    return root


def with_user(text: str, name: str) -> str:
    """Add a user (name@example.com) to roster text."""
    last = "  - {name: carol, email: carol@example.com}\n"
    return text.replace(last, f"{last}  - {{name: {name}, email: {name}@example.com}}\n")


def plan(runner: CliRunner, repo: Path, *options: str) -> Result:
    """Run the workflow's plan: `kfroster diff --base main users.yaml` (plus options)."""
    return invoke(runner, "diff", "--base", "main", *options, repo / "users.yaml")


def risk_lines(result: Result) -> str:
    """Return the risks part of a text plan, joined into one line per risk."""
    text = result.stdout.split("Risks (", 1)[1].split("\n\n", 1)[0]
    risks: list[str] = []
    for line in text.splitlines()[1:]:
        if line.startswith("  ") and not line.startswith("   "):
            risks.append(line.strip())
        else:
            risks[-1] += " " + line.strip()
    return "\n".join(" ".join(risk.split()) for risk in risks)


# --------------------------------------------------------------------------------------------
# Item 3: plugins give every workload of a namespace a cloud identity
# --------------------------------------------------------------------------------------------

WORKLOAD_IDENTITY = (
    "    plugins:\n"
    "      - kind: WorkloadIdentity\n"
    "        spec: {gcpServiceAccount: ml-prod@proj-123.iam.gserviceaccount.com}\n"
)
AWS_ROLE = (
    "    plugins:\n"
    "      - kind: AwsIamForServiceAccount\n"
    "        spec: {{awsIamRole: 'arn:aws:iam::123456789012:role/{role}'}}\n"
)


def with_plugin(text: str, plugin: str) -> str:
    return text.replace(
        "    contributors: [{user: bob, role: edit}, {user: carol, role: view}]\n",
        "    contributors: [{user: bob, role: edit}, {user: carol, role: view}]\n" + plugin,
    )


def test_a_new_workload_identity_is_a_high_privilege_risk(runner: CliRunner, repo: Path) -> None:
    commit_roster(repo, with_plugin(BASE, WORKLOAD_IDENTITY), "give alice's profile GCP access")
    result = plan(runner, repo, "--fail-on", "privilege:high")
    assert result.exit_code == 1, result.stdout
    risks = risk_lines(result)
    assert "HIGH privilege" in risks
    assert "ml-prod@proj-123.iam.gserviceaccount.com" in risks
    assert "profile alice" in risks
    assert "No risks" not in result.stdout


def test_a_changed_aws_role_is_high_and_a_removed_plugin_is_a_warning(
    runner: CliRunner, repo: Path
) -> None:
    commit_roster(repo, with_plugin(BASE, AWS_ROLE.format(role="reader")), "aws reader")
    git(repo, "branch", "-f", "main")
    commit_roster(repo, with_plugin(BASE, AWS_ROLE.format(role="admin")), "aws admin")
    changed = plan(runner, repo, "--fail-on", "high")
    assert changed.exit_code == 1
    assert "arn:aws:iam::123456789012:role/admin" in risk_lines(changed)
    assert "arn:aws:iam::123456789012:role/reader" in risk_lines(changed)
    commit_roster(repo, BASE, "drop the plugin")
    removed = plan(runner, repo, "--fail-on", "high")
    assert removed.exit_code == 0
    assert "WARNING privilege" in risk_lines(removed)
    assert plan(runner, repo, "--fail-on", "privilege").exit_code == 1


# --------------------------------------------------------------------------------------------
# Item 4: handing over a namespace that exists
# --------------------------------------------------------------------------------------------


def test_re_adding_a_removed_profile_with_a_new_owner_is_a_high_owner_risk(
    runner: CliRunner, repo: Path
) -> None:
    git(repo, "checkout", "-q", "main")
    commit_roster(repo, BASE.replace("  - {name: bob, owner: bob}\n", ""), "bob leaves")
    git(repo, "checkout", "-q", "feature")
    git(repo, "reset", "-q", "--hard", "main")
    mallory = with_user(BASE, "mallory").replace(
        "{name: bob, owner: bob}", "{name: bob, owner: mallory}"
    )
    commit_roster(repo, mallory, "a profile for mallory")
    result = plan(runner, repo, "--fail-on", "owner:high")
    assert result.exit_code == 1, result.stdout
    risks = risk_lines(result)
    assert "HIGH owner profile bob" in risks
    assert "was in the roster before" in risks
    assert "mallory <mallory@example.com>" in risks


def test_routine_onboarding_passes_the_recommended_setting(runner: CliRunner, repo: Path) -> None:
    dana = with_user(BASE, "dana") + "  - {name: dana, owner: dana}\n"
    commit_roster(repo, dana, "onboard dana")
    result = plan(runner, repo, "--fail-on", "high")
    assert result.exit_code == 0, result.stdout
    risks = risk_lines(result)
    assert "WARNING owner profile dana" in risks
    assert "everything already in it" in risks


def test_a_profile_named_like_a_system_namespace_is_refused(runner: CliRunner, repo: Path) -> None:
    for name in ("monitoring", "ingress-nginx", "gatekeeper-system", "kserve", "vault-system"):
        text = BASE + f"  - {{name: {name}, owner: carol}}\n"
        (repo / "users.yaml").write_text(text, encoding="utf-8")
        result = invoke(runner, "validate", repo / "users.yaml")
        assert result.exit_code == 1, name
        assert "[reserved-namespace]" in result.stderr


def test_an_allowed_system_namespace_is_a_high_owner_risk(runner: CliRunner, repo: Path) -> None:
    allowed = BASE.replace("version: 1\n", "version: 1\npolicy: {allowNamespaces: [monitoring]}\n")
    commit_roster(repo, allowed + "  - {name: monitoring, owner: carol}\n", "monitoring")
    result = plan(runner, repo, "--fail-on", "high")
    assert result.exit_code == 1
    risks = risk_lines(result)
    assert "HIGH owner profile monitoring" in risks
    assert "policy.allowNamespaces" in risks


# --------------------------------------------------------------------------------------------
# Item 5: settings every AuthorizationPolicy depends on
# --------------------------------------------------------------------------------------------


def with_settings(text: str, settings: str) -> str:
    return text.replace("version: 1\n", f"version: 1\nsettings:\n{settings}")


def test_a_workload_principal_lets_that_workload_impersonate_contributors(
    runner: CliRunner, repo: Path
) -> None:
    principal = "  pipelinesUiPrincipal: cluster.local/ns/bob/sa/default-editor\n"
    commit_roster(repo, with_settings(BASE, principal), "pipelines ui")
    result = plan(runner, repo, "--fail-on", "privilege:high")
    assert result.exit_code == 1, result.stdout
    risks = risk_lines(result)
    assert "HIGH privilege" in risks
    assert "cluster.local/ns/bob/sa/default-editor" in risks
    assert "impersonate" in risks
    assert "bob <bob@example.com>" in risks and "carol <carol@example.com>" in risks


@pytest.mark.parametrize(
    "settings",
    ["  userIdHeader: x-forwarded-email\n", "  userIdPrefix: 'oidc:'\n"],
    ids=["header", "prefix"],
)
def test_a_header_or_prefix_change_is_a_high_privilege_risk(
    runner: CliRunner, repo: Path, settings: str
) -> None:
    commit_roster(repo, with_settings(BASE, settings), "settings")
    result = plan(runner, repo, "--fail-on", "high")
    assert result.exit_code == 1
    assert "HIGH privilege" in risk_lines(result)
    assert "impersonate" in risk_lines(result)


LABELS_WITHOUT_INJECTION = """\
  namespaceLabels:
    app.kubernetes.io/part-of: kubeflow-profile
    pipelines.kubeflow.org/enabled: "true"
"""


def test_dropping_sidecar_injection_is_warned_like_disabling_it(
    runner: CliRunner, repo: Path
) -> None:
    commit_roster(repo, with_settings(BASE, LABELS_WITHOUT_INJECTION), "labels")
    validated = invoke(runner, "validate", repo / "users.yaml")
    assert "[namespace-label]" in validated.stderr
    assert "without an Istio sidecar" in validated.stderr
    result = plan(runner, repo, "--fail-on", "settings")
    assert result.exit_code == 1
    assert "without an Istio sidecar" in risk_lines(result)
    assert "not enforced" in risk_lines(result)


def test_ambient_mode_needs_no_sidecar_injection(runner: CliRunner, repo: Path) -> None:
    ambient = LABELS_WITHOUT_INJECTION + "    istio.io/dataplane-mode: ambient\n"
    commit_roster(repo, with_settings(BASE, ambient), "ambient")
    validated = invoke(runner, "validate", repo / "users.yaml")
    assert "[namespace-label]" not in validated.stderr
    assert "not enforced" not in risk_lines(plan(runner, repo))


# --------------------------------------------------------------------------------------------
# Item 8: names hide people
# --------------------------------------------------------------------------------------------


def test_one_extra_member_is_named_beside_many_hires(runner: CliRunner, repo: Path) -> None:
    hires = "".join(f"  - {{name: hire{i}, email: hire{i}@example.com}}\n" for i in range(1500))
    members = ", ".join([f"hire{i}" for i in range(1500)] + ["carol"])
    text = (
        BASE.replace(
            "profiles:\n", f"{hires}groups:\n  - name: team\n    members: [{members}]\nprofiles:\n"
        )
        + "  - name: team\n    owner: alice\n    contributors: [{group: team, role: edit}]\n"
    )
    base = BASE + "  - name: team\n    owner: alice\n"
    git(repo, "checkout", "-q", "main")
    commit_roster(repo, base, "team")
    git(repo, "checkout", "-q", "feature")
    git(repo, "reset", "-q", "--hard", "main")
    commit_roster(repo, text, "hires")
    result = plan(runner, repo, "--format", "markdown", "--max-chars", "65000")
    comment = result.stdout
    assert "carol <carol@example.com>" in comment.split("hire", 1)[0]
    assert "1,493 more" in comment
    assert "job summary" in comment


# --------------------------------------------------------------------------------------------
# Item 9: size bombs are refused before they are rendered
# --------------------------------------------------------------------------------------------


def test_the_fan_out_roster_is_refused_at_the_group(runner: CliRunner, tmp_path: Path) -> None:
    roster = tmp_path / "users.yaml"
    roster.write_text(fan_out(1000, 1000), encoding="utf-8")
    result = invoke(runner, "compile", roster, "--check", "--out", tmp_path / "out")
    assert result.exit_code == 1
    (line,) = [line for line in result.stderr.splitlines() if "[max-objects]" in line]
    assert line.startswith(f"{roster}:1004:")  # the group's name
    assert "1,000 members" in line and "1,000 profiles" in line
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------------------------
# Item 10: a change of kfroster shows in the plan
# --------------------------------------------------------------------------------------------


def test_out_that_an_upgrade_changes_is_not_no_changes(runner: CliRunner, repo: Path) -> None:
    # main's out/ was compiled by a kfroster that admitted any source into the policies.
    git(repo, "checkout", "-q", "main")
    policy = repo / "out" / "profiles" / "alice.yaml"
    old = policy.read_text(encoding="utf-8")
    lines = old.splitlines(keepends=True)
    start = lines.index("  - from:\n")
    del lines[start : start + 5]
    assert lines[start] == "    when:\n"
    lines[start] = "  - when:\n"
    policy.write_text("".join(lines), encoding="utf-8")
    git(repo, "commit", "-q", "-am", "out/ of an older kfroster")
    git(repo, "checkout", "-q", "feature")
    git(repo, "reset", "-q", "--hard", "main")
    tree.write_tree(pipeline.compile_roster(repo / "users.yaml").files, repo / "out")
    git(repo, "commit", "-q", "-am", "recompile with this kfroster")
    result = plan(runner, repo, "--out", str(repo / "out"))
    assert "No changes." not in result.stdout
    assert "no roster change explains" in result.stdout
    assert "AuthorizationPolicy alice/user-bob-example-com-clusterrole-edit" in result.stdout
