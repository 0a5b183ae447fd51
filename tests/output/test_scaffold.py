"""`kfroster init`: the scaffold validates and compiles as created, and never clobbers files."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from compiler import pipeline
from compiler.model.roster import Engine, Profile, Settings
from compiler.output import scaffold
from compiler.roster.schema import dumps_schema
from tests.conftest import invoke, read_tree

MODELINE = "# yaml-language-server: $schema=schemas/users.schema.json\n"
# What the scaffolds of these tests pin (the dev install is editable: nothing to pin).
PIN = "kfroster @ git+https://git.example.com/kfroster.git@" + "0123456789" * 4


def kfroster(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a directory, as a person would."""
    return subprocess.run(
        [sys.executable, "-m", "compiler", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stderr


def test_scaffold_holds_every_file_of_a_roster_repository() -> None:
    files = scaffold.scaffold("flux", requirement=PIN)
    assert list(files) == sorted(files)
    assert set(files) == {
        "users.yaml",
        "schemas/users.schema.json",
        ".github/workflows/roster-review.yml",
        ".pre-commit-config.yaml",
        ".kfroster/requirements.txt",
        ".kfroster/hook.py",
        "README.md",
        "deploy/kubeflow-users.yaml",
        "out/profiles/alice.yaml",
        "out/cluster-role-bindings/admin.yaml",
    }
    assert files["users.yaml"].startswith(MODELINE)
    assert files["schemas/users.schema.json"] == dumps_schema()
    assert "kind: Kustomization" in files["deploy/kubeflow-users.yaml"]
    assert "kfroster compile --check" in files[".pre-commit-config.yaml"]
    assert "kfroster validate" in files[".github/workflows/roster-review.yml"]
    assert "Flux" in files["README.md"] and "kfroster explain" in files["README.md"]
    assert scaffold.scaffold("flux", requirement=PIN) == files  # deterministic


@pytest.mark.parametrize(
    ("engine", "repo_url"),
    [("flux", None), ("argocd", "git@git.example.com:platform/users.git")],
)
def test_the_engine_lives_in_the_roster_and_deploy_is_what_it_compiles_to(
    engine: Engine, repo_url: str | None
) -> None:
    files = scaffold.scaffold(engine, repo_url, requirement=PIN)
    document = YAML(typ="safe").load(files["users.yaml"])
    expected = {"engine": engine}
    if repo_url is not None:
        expected["argocd"] = {"repoURL": repo_url}  # type: ignore[assignment]
    assert document["settings"] == {"deploy": expected}
    checked = pipeline.check_text(files["users.yaml"], "users.yaml")
    assert checked.roster is not None and checked.problems == ()
    deployed = pipeline.render_deploy(checked.roster, Path("users.yaml"))
    assert deployed is not None
    assert {f"deploy/{path}": text for path, text in deployed.files.items()} == {
        path: text for path, text in files.items() if path.startswith("deploy/")
    }


def test_the_hook_and_the_workflow_check_deploy_with_out() -> None:
    # One command checks both (compile --check); both run when either changes.
    hooks = YAML(typ="safe").load(scaffold.template("pre-commit-config.yaml"))
    (check,) = [h for h in hooks["repos"][0]["hooks"] if h["id"] == "kfroster-compile-check"]
    assert check["entry"] == "python .kfroster/hook.py compile --check"
    files = re.compile(check["files"])
    assert all(files.search(path) for path in ("users.yaml", "out/a.yaml", "deploy/b.yaml"))
    assert not files.search("README.md")
    workflow = YAML(typ="safe").load(scaffold.template("roster-review.yml"))
    paths = workflow["on"]["pull_request"]["paths"]
    assert {"users.yaml", "out/**", "deploy/**"} <= set(paths)
    steps = [step.get("run", "") for step in workflow["jobs"]["review"]["steps"]]
    assert any('kfroster compile "$ROSTER" --out "$OUT_DIR" --check' in run for run in steps)
    # deploy/ is checked on its own too, so one that no settings.deploy describes fails.
    deploy_checks = [run for run in steps if "kfroster deploy" in run]
    assert len(deploy_checks) == 1
    assert 'kfroster deploy "$ROSTER" "${options[@]}" --check;' in deploy_checks[0]


@pytest.mark.parametrize("drift", [False, True])
def test_one_file_says_which_kfroster_ci_and_the_hooks_install(drift: bool) -> None:
    files = scaffold.scaffold("flux", requirement=PIN, drift=drift)
    requirements = files[".kfroster/requirements.txt"]
    assert [line for line in requirements.splitlines() if not line.startswith("#")] == [PIN]
    # No other file names a kfroster to install: there is one place to change it.
    elsewhere = [
        path
        for path, text in files.items()
        if path != ".kfroster/requirements.txt" and re.search(r"kfroster ?(==|@ )", text)
    ]
    assert elsewhere == []
    workflows = [path for path in files if path.startswith(".github/workflows/")]
    assert len(workflows) == (2 if drift else 1)
    for path in workflows:
        document = YAML(typ="safe").load(files[path])
        envs = [document.get("env", {})] + [job.get("env", {}) for job in document["jobs"].values()]
        assert [e["KFROSTER_REQUIREMENTS"] for e in envs if "KFROSTER_REQUIREMENTS" in e] == [
            ".kfroster/requirements.txt"
        ]
        installs = [
            step["run"]
            for job in document["jobs"].values()
            for step in job["steps"]
            if step.get("name") == "Install kfroster"
        ]
        assert installs and all('--requirement "$KFROSTER_REQUIREMENTS"' in run for run in installs)
    hooks = YAML(typ="safe").load(files[".pre-commit-config.yaml"])["repos"][0]["hooks"]
    assert {hook["entry"].split()[:2][1] for hook in hooks} == {".kfroster/hook.py"}
    assert all("additional_dependencies" not in hook for hook in hooks)
    assert files[".kfroster/hook.py"].count('with_name("requirements.txt")') == 1


def test_without_an_engine_no_deploy_manifests_and_the_readme_says_how() -> None:
    files = scaffold.scaffold(requirement=PIN)
    assert not any(path.startswith("deploy/") for path in files)
    assert "set `settings.deploy` in `users.yaml`" in files["README.md"]
    assert "#   deploy:" in files["users.yaml"]


def test_starter_roster_is_valid_without_a_single_warning() -> None:
    checked = pipeline.check_text(scaffold.starter_roster(), "users.yaml")
    assert checked.roster is not None
    assert checked.problems == ()
    roster = checked.roster
    assert [(u.name, u.cluster_role) for u in roster.users] == [("admin", "admin"), ("alice", None)]
    assert [(p.name, p.owner) for p in roster.profiles] == [("alice", "alice")]


def test_every_commented_example_is_valid_when_uncommented() -> None:
    text = scaffold.starter_roster(examples=True)
    checked = pipeline.check_text(text, "users.yaml")
    assert checked.roster is not None, checked.problems
    assert {p.level for p in checked.problems} <= {"warning"}
    document = YAML(typ="safe").load(text)
    assert set(document) == {
        "version",
        "settings",
        "policy",
        "defaults",
        "users",
        "groups",
        "profiles",
        "clusters",
    }
    (profile,) = document["profiles"]
    # Every key a profile and the settings can have is shown.
    assert set(profile) == {field.alias for field in Profile.model_fields.values()}
    assert set(document["settings"]) >= {
        field.alias for field in Settings.model_fields.values()
    } - {"ingressGatewayPrincipal", "pipelinesUiPrincipal", "namespaceLabels"}
    assert {plugin["kind"] for plugin in profile["plugins"]} == {
        "WorkloadIdentity",
        "AwsIamForServiceAccount",
    }
    assert {"user", "group"} <= {key for c in profile["contributors"] for key in c}
    # Commented out, the same lines read as comments: nothing of them is live.
    live = YAML(typ="safe").load(scaffold.starter_roster())
    assert set(live) == {"version", "defaults", "users", "profiles"}


def test_init_then_validate_compile_edit_compile_end_to_end(tmp_path: Path) -> None:
    repo = tmp_path / "roster"
    said = ok(kfroster(tmp_path, "init", "roster", "--flux", "--kfroster", PIN))
    assert said.startswith(
        "initialised roster: 10 created, 0 overwritten, 0 merged, 0 skipped, 0 unchanged"
    )
    assert read_tree(repo) == {
        path: text.encode() for path, text in scaffold.scaffold("flux", requirement=PIN).items()
    }
    assert ok(kfroster(repo, "validate")).endswith("users.yaml: valid (0 warnings)\n")
    ok(kfroster(repo, "compile", "--check"))
    ok(kfroster(repo, "deploy", "--check"))
    ok(kfroster(repo, "schema", "--check"))

    roster = repo / "users.yaml"
    roster.write_text(
        roster.read_text(encoding="utf-8")
        .replace(
            "  - name: alice\n",
            "  - name: bob\n    email: bob@example.com\n  - name: alice\n",
        )
        .replace(
            "profiles:\n",
            "profiles:\n  - name: bob\n    owner: bob\n"
            "    contributors: [{user: alice, role: view}]\n",
        ),
        encoding="utf-8",
    )
    stale = kfroster(repo, "compile", "--check")
    assert stale.returncode == 1
    assert "missing  out/profiles/bob.yaml" in stale.stderr
    ok(kfroster(repo, "compile"))
    ok(kfroster(repo, "compile", "--check"))
    ok(kfroster(repo, "deploy", "--check"))

    alice = kfroster(repo, "explain", "alice")
    assert "bob" in ok(alice) + alice.stdout
    assert "user-alice-example-com-clusterrole-view" in (repo / "out/profiles/bob.yaml").read_text(
        encoding="utf-8"
    )

    # applyUnits changes: deploy/ is stale until compiled, then follows.
    roster.write_text(
        roster.read_text(encoding="utf-8").replace(
            "    engine: flux ", "    engine: flux\n  applyUnits: 3\n   "
        ),
        encoding="utf-8",
    )
    stale = kfroster(repo, "compile", "--check")
    assert stale.returncode == 1
    assert "deploy/ is not what users.yaml compiles to:" in stale.stderr
    assert "  extra    deploy/kubeflow-users.yaml" in stale.stderr
    ok(kfroster(repo, "compile"))
    assert all(name.startswith("kubeflow-users-unit-") for name in read_tree(repo / "deploy"))
    ok(kfroster(repo, "compile", "--check"))


def test_init_for_argo_cd_writes_an_application_set_deploy_accepts(tmp_path: Path) -> None:
    url = "https://git.example.com/platform/kubeflow-users.git"
    ok(kfroster(tmp_path, "init", "--argocd", "--repo-url", url, "--kfroster", PIN))
    deploy = (tmp_path / "deploy/kubeflow-users.yaml").read_text(encoding="utf-8")
    assert "kind: ApplicationSet" in deploy and url in deploy
    assert "Argo CD" in (tmp_path / "README.md").read_text(encoding="utf-8")
    assert f'repoURL: "{url}"' in (tmp_path / "users.yaml").read_text(encoding="utf-8")
    ok(kfroster(tmp_path, "deploy", "--check"))
    ok(kfroster(tmp_path, "compile", "--check"))


def test_init_refuses_every_existing_file_and_writes_nothing(
    runner: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "users.yaml").write_text("version: 1\n", encoding="utf-8")
    (tmp_path / "README.md").write_text("# mine\n", encoding="utf-8")
    result = invoke(runner, "init", tmp_path, "--kfroster", PIN)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: {tmp_path}: 2 files exist already, nothing written"
        " (--force overwrites them, showing a diff of each; --skip-existing leaves them alone):",
        f"  exists   {tmp_path / 'README.md'}",
        f"  exists   {tmp_path / 'users.yaml'}",
    ]
    assert read_tree(tmp_path) == {"README.md": b"# mine\n", "users.yaml": b"version: 1\n"}


def test_force_overwrites_with_a_diff_and_leaves_identical_files_alone(
    runner: CliRunner, tmp_path: Path
) -> None:
    files = scaffold.scaffold(requirement=PIN)
    (tmp_path / "users.yaml").write_text("version: 1\nusers: []\n", encoding="utf-8")
    (tmp_path / "schemas").mkdir()
    schema = tmp_path / "schemas/users.schema.json"
    schema.write_text(files["schemas/users.schema.json"], encoding="utf-8")
    before = schema.stat().st_mtime_ns
    os.utime(schema, ns=(before - 10**9, before - 10**9))
    result = invoke(runner, "init", tmp_path, "--force", "--kfroster", PIN)
    assert result.exit_code == 0, result.stderr
    diff = result.stdout.splitlines()
    assert diff[:2] == ["--- a/users.yaml", "+++ b/users.yaml"]
    assert "-users: []" in diff and " version: 1" in diff
    assert f"+{MODELINE.rstrip()}" in diff
    assert result.stderr.startswith(
        f"initialised {tmp_path}: {len(files) - 2} created, 1 overwritten, 0 merged, 0 skipped, "
        "1 unchanged"
    )
    assert read_tree(tmp_path) == {path: text.encode() for path, text in files.items()}
    assert schema.stat().st_mtime_ns == before - 10**9  # identical: not rewritten


def test_a_path_blocked_by_a_file_refuses_even_with_force(
    runner: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "out").write_text("not a directory\n", encoding="utf-8")
    result = invoke(runner, "init", tmp_path, "--force", "--kfroster", PIN)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == f"error: {tmp_path}: cannot overwrite, nothing written:"
    assert (
        f"  blocked  {tmp_path / 'out/profiles/alice.yaml'}: {tmp_path / 'out'} is not a directory"
        in (result.stderr.splitlines())
    )
    assert read_tree(tmp_path) == {"out": b"not a directory\n"}


def test_init_never_writes_through_a_symlink(runner: CliRunner, tmp_path: Path) -> None:
    """A `.github` that points elsewhere would put the workflow outside the repository."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / ".github").symlink_to(elsewhere, target_is_directory=True)
    result = invoke(runner, "init", tmp_path / "repo", "--force", "--kfroster", PIN)
    assert result.exit_code == 1
    link = tmp_path / "repo" / ".github"
    workflow = link / "workflows" / "roster-review.yml"
    assert f"  blocked  {workflow}: {link} is a symlink" in result.stderr.splitlines()
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--flux", "--argocd"], "choose one engine"),
        (["--argocd"], "--argocd needs --repo-url"),
        (["--repo-url", "https://git.example.com/x.git"], "--repo-url applies to --argocd only"),
        (["--argocd", "--repo-url", "https://git.example.com/{{.x}}"], "Go template"),
        (["--argocd", "--repo-url", 'x"\n    engine: flux'], "--repo-url: settings.deploy"),
    ],
)
def test_usage_errors_exit_2_and_write_nothing(
    runner: CliRunner, tmp_path: Path, args: list[str], message: str
) -> None:
    result = invoke(runner, "init", tmp_path / "new", *args, "--kfroster", PIN)
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("drift", [False, True])
@pytest.mark.parametrize(
    ("engine", "repo_url"), [(None, None), ("flux", None), ("argocd", "https://git.example.com/r")]
)
def test_the_starter_roster_aligns_its_comments(
    engine: Engine | None, repo_url: str | None, drift: bool
) -> None:
    """Every trailing comment after short content starts in one column, live or example."""
    columns = {}
    for line in scaffold.starter_roster(engine, repo_url, drift=drift).splitlines():
        found = re.match(r"^(?P<content>.*?\S) {2,}# ", line)
        if found and len(found["content"]) < 35:
            columns[line] = found.end() - 2
    assert set(columns.values()) == {37}, columns
