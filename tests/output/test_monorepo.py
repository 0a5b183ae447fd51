"""`kfroster init PATH` in the repository a team already has: the roster under PATH, CI at the
root working on PATH, hooks merged into the existing pre-commit configuration, Flux paths from
the repository's root, and a GitRepository of its own when Flux was bootstrapped elsewhere."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from ruamel.yaml import YAML

from compiler.output import precommit, scaffold
from tests import gitops_schemas
from tests.conftest import read_tree
from tests.system.test_integration_files import BIN, Job, git

PIN = "kfroster @ git+https://git.example.com/kfroster.git@" + "0123456789" * 4
TEAM = "teams/kubeflow"
EXISTING_HOOKS = """\
# Our checks. Keep this comment.
default_stages: [pre-commit]
repos:
  - repo: local
    hooks:
      - id: no-tabs  # ours
        name: no tabs
        entry: "grep -L '\\t'"
        language: system

# Settings of pre-commit.ci, after the list.
ci:
  autofix_prs: false
"""
TEMPLATE = scaffold.template("pre-commit-config.yaml")


def kfroster(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "kfroster"), *args], cwd=cwd, capture_output=True, text=True, check=False
    )


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """A team's repository: a README, its own pre-commit hooks, one commit."""
    root = tmp_path / "platform"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "README.md").write_text("# Platform\n", encoding="utf-8")
    (root / ".pre-commit-config.yaml").write_text(EXISTING_HOOKS, encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "platform")
    return root


def load(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(text)


def test_init_path_puts_the_roster_under_it_and_ci_at_the_root(repository: Path) -> None:
    (repository / "teams").mkdir()  # run from a subdirectory, as a person might
    done = kfroster(repository / "teams", "init", "kubeflow", "--flux", "--kfroster", PIN)
    assert done.returncode == 0, done.stderr
    assert f"inside the Git repository at {repository}: the roster goes to {TEAM}/" in done.stderr
    assert f"initialised {repository} ({TEAM}/): 9 created, 0 overwritten, 1 merged, 0 skipped" in (
        done.stderr
    )
    tree = {p: t for p, t in read_tree(repository).items() if not p.startswith(".git/")}
    assert tree["README.md"] == b"# Platform\n"  # the team's own, untouched
    roster_files = {path for path in tree if path.startswith(f"{TEAM}/")}
    assert {f"{TEAM}/users.yaml", f"{TEAM}/.kfroster/requirements.txt", f"{TEAM}/README.md"} <= (
        roster_files
    )
    assert {path for path in tree if not path.startswith(f"{TEAM}/")} == {
        "README.md",
        ".pre-commit-config.yaml",
        ".github/workflows/roster-review.yml",
    }

    readme = tree[f"{TEAM}/README.md"].decode()
    assert "| `.github/workflows/roster-review.yml` (repository root) |" in readme
    assert "| `.pre-commit-config.yaml` (repository root) |" in readme

    # The workflow at the root works on the roster's directory.
    workflow = load(tree[".github/workflows/roster-review.yml"].decode())
    assert workflow["on"]["pull_request"]["paths"] == [
        f"{TEAM}/users.yaml",
        f"{TEAM}/out/**",
        f"{TEAM}/deploy/**",
        f"{TEAM}/schemas/**",
        f"{TEAM}/.kfroster/**",
        ".github/workflows/roster-review.yml",
    ]
    env = workflow["jobs"]["review"]["env"]
    assert (env["ROSTER"], env["OUT_DIR"], env["KFROSTER_REQUIREMENTS"]) == (
        f"{TEAM}/users.yaml",
        f"{TEAM}/out",
        f"{TEAM}/.kfroster/requirements.txt",
    )

    # Flux reads out/ at its path from the repository's root, and compile agrees.
    roster = load(tree[f"{TEAM}/users.yaml"].decode())
    assert roster["settings"]["deploy"]["path"] == f"{TEAM}/out"
    (kustomization,) = yaml.safe_load_all(tree[f"{TEAM}/deploy/kubeflow-users.yaml"])
    assert kustomization["spec"]["path"] == f"./{TEAM}/out"
    assert gitops_schemas.errors([kustomization]) == [""]

    # The workflow's checks pass, run from the root as a runner runs them.
    job = Job(
        repository, "http://127.0.0.1:9", {}, repository / ".github/workflows/roster-review.yml"
    )
    for step in (
        "Validate the roster",
        "Check that out/ is compiled from the roster",
        "Check that deploy/ is what kfroster deploy writes",
    ):
        result = job.run(step)
        assert result.returncode == 0, f"{step}:\n{result.stdout}{result.stderr}"

    # The hooks: the team's config kept byte for byte, kfroster's entry working on TEAM.
    hooks_text = tree[".pre-commit-config.yaml"].decode()
    head, tail = EXISTING_HOOKS.split("\n# Settings of pre-commit.ci")
    assert hooks_text.startswith(head)
    assert hooks_text.endswith("\n# Settings of pre-commit.ci" + tail)
    config = load(hooks_text)
    assert config["ci"] == {"autofix_prs": False}
    assert [hook["id"] for repo in config["repos"] for hook in repo["hooks"]] == [
        "no-tabs",
        "kfroster-validate",
        "kfroster-compile-check",
    ]
    for hook in config["repos"][1]["hooks"]:
        assert re.search(hook["files"], f"{TEAM}/users.yaml")
        assert not re.search(hook["files"], "users.yaml")
        words = shlex.split(hook["entry"])
        assert words[:2] == ["python", f"{TEAM}/.kfroster/hook.py"]
        # What the hook runs, with the kfroster installed here, from the root as pre-commit does.
        ran = subprocess.run(
            [str(BIN / "kfroster"), *words[2:]], cwd=repository, capture_output=True, check=False
        )
        assert ran.returncode == 0, ran.stderr
    assert re.search(config["repos"][1]["hooks"][1]["files"], f"{TEAM}/out/profiles/alice.yaml")


def test_a_stale_out_under_path_fails_the_check_from_the_root(repository: Path) -> None:
    assert kfroster(repository, "init", TEAM, "--flux", "--kfroster", PIN).returncode == 0
    roster = repository / TEAM / "users.yaml"
    roster.write_text(
        roster.read_text(encoding="utf-8").replace("  deploy:", "  applyUnits: 2\n  deploy:"),
        encoding="utf-8",
    )
    job = Job(
        repository, "http://127.0.0.1:9", {}, repository / ".github/workflows/roster-review.yml"
    )
    stale = job.run("Check that out/ is compiled from the roster")
    assert stale.returncode == 1
    lines = stale.stderr.splitlines()
    assert f"  extra    {TEAM}/deploy/kubeflow-users.yaml" in lines
    # The command it suggests writes out/ where it is, from where the check ran.
    assert f"run `kfroster compile {TEAM}/users.yaml --out {TEAM}/out` and commit" in lines[-1]


def test_drift_workflow_works_on_path_too(repository: Path) -> None:
    done = kfroster(repository, "init", TEAM, "--flux", "--drift", "--kfroster", PIN)
    assert done.returncode == 0, done.stderr
    drift = load((repository / ".github/workflows/kfroster-drift.yml").read_text("utf-8"))
    assert (drift["env"]["ROSTER"], drift["env"]["OUT_DIR"]) == (
        f"{TEAM}/users.yaml",
        f"{TEAM}/out",
    )
    assert drift["env"]["KFROSTER_REQUIREMENTS"] == f"{TEAM}/.kfroster/requirements.txt"


def test_at_the_root_of_a_repository_nothing_moves(repository: Path) -> None:
    done = kfroster(repository, "init", ".", "--flux", "--kfroster", PIN, "--skip-existing")
    assert done.returncode == 0, done.stderr
    assert (repository / "users.yaml").is_file()
    assert "path: out" not in (repository / "users.yaml").read_text("utf-8").replace("# path", "")
    # The team's README stays; their pre-commit configuration is left, the entry printed.
    assert (repository / "README.md").read_text("utf-8") == "# Platform\n"
    assert "  skipped  README.md: exists, left as it is" in done.stderr.splitlines()
    assert (repository / ".pre-commit-config.yaml").read_text("utf-8") == EXISTING_HOOKS
    assert "not changed (--skip-existing); add this entry" in done.stderr
    assert done.stdout == precommit.entry(TEMPLATE)


def test_force_and_skip_existing_contradict(tmp_path: Path) -> None:
    done = kfroster(tmp_path, "init", "--force", "--skip-existing", "--kfroster", PIN)
    assert done.returncode == 2
    assert "contradict" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_directory_name_the_workflow_cannot_hold_is_refused(repository: Path) -> None:
    done = kfroster(repository, "init", "team one", "--kfroster", PIN)
    assert done.returncode == 2
    assert "the roster's directory inside the repository must be a path" in done.stderr
    assert not (repository / "team one").exists()


# --- merging into an existing .pre-commit-config.yaml -----------------------------------------


def test_merge_keeps_every_byte_and_adds_exactly_the_entry() -> None:
    merged = precommit.merge(EXISTING_HOOKS, TEMPLATE)
    assert merged.text is not None
    before, after = EXISTING_HOOKS.split("\n# Settings")
    assert merged.text.startswith(before + "  # kfroster: the roster's checks")
    assert merged.text.endswith("\n# Settings" + after)
    assert load(merged.text)["repos"][1] == load(TEMPLATE)["repos"][0]


def test_merge_follows_the_files_indentation() -> None:
    flat = "repos:\n- repo: local\n  hooks:\n  - {id: a, name: a, entry: a, language: system}\n"
    merged = precommit.merge(flat, TEMPLATE)
    assert merged.text is not None and merged.text.startswith(flat + "# kfroster:")
    assert "\n- repo: local\n  hooks:\n    - id: kfroster-validate\n" in merged.text
    assert load(merged.text)["repos"][1] == load(TEMPLATE)["repos"][0]


@pytest.mark.parametrize(
    ("existing", "why"),
    [
        ("repos: [{repo: local, hooks: []}]\n", "not written one entry per line"),
        ("repos: []\n", "not written one entry per line"),
        ("default_stages: [pre-commit]\n", "no 'repos:' list"),
        ("repos:\n  - repo: local\n   hooks: [\n", "not YAML pre-commit reads"),
        (
            "repos:\n  - repo: local\n    hooks:\n      - {id: kfroster-validate, entry: x}\n",
            "hooks kfroster-validate configured otherwise",
        ),
    ],
)
def test_what_cannot_be_merged_safely_is_left_for_a_person(existing: str, why: str) -> None:
    merged = precommit.merge(existing, TEMPLATE)
    assert merged.text is None and not merged.present
    assert why in merged.why


def test_hooks_already_there_leave_the_file_as_it_is() -> None:
    once = precommit.merge(EXISTING_HOOKS, TEMPLATE).text
    assert once is not None
    again = precommit.merge(once, TEMPLATE)
    assert again.present and again.text is None


def test_init_again_with_skip_existing_changes_nothing(repository: Path) -> None:
    assert kfroster(repository, "init", TEAM, "--flux", "--kfroster", PIN).returncode == 0
    before = read_tree(repository / TEAM), read_tree(repository / ".github")
    again = kfroster(repository, "init", TEAM, "--flux", "--kfroster", PIN, "--skip-existing")
    assert again.returncode == 0, again.stderr
    assert "0 created, 0 overwritten, 0 merged, 0 skipped, 9 unchanged" in again.stderr
    assert "by hand" not in again.stderr  # the hooks are there already
    assert (read_tree(repository / TEAM), read_tree(repository / ".github")) == before


def test_a_hook_config_that_cannot_be_merged_is_printed_and_kept(repository: Path) -> None:
    config = repository / ".pre-commit-config.yaml"
    config.write_text("repos: []  # filled by a generator\n", encoding="utf-8")
    done = kfroster(repository, "init", TEAM, "--kfroster", PIN)
    assert done.returncode == 0, done.stderr
    assert config.read_text(encoding="utf-8") == "repos: []  # filled by a generator\n"
    assert "not written one entry per line); add this entry to its 'repos:' list" in done.stderr
    printed = load("repos:\n" + done.stdout)["repos"]
    assert (
        printed[0]["hooks"][0]["entry"]
        == f"python {TEAM}/.kfroster/hook.py validate {TEAM}/users.yaml"
    )


# --- a GitRepository of its own ----------------------------------------------------------------


def test_git_url_writes_the_git_repository_flux_reads(repository: Path) -> None:
    url = "ssh://git@git.example.com/platform/platform.git"
    done = kfroster(
        repository, "init", TEAM, "--flux", "--git-url", url, "--git-branch", "prod",
        "--kfroster", PIN,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    deploy = repository / TEAM / "deploy"
    manifests = [
        document
        for path in sorted(deploy.iterdir())
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8"))
    ]
    assert [m["kind"] for m in manifests] == ["GitRepository", "Kustomization"]
    source, kustomization = manifests
    assert source["spec"]["url"] == url and source["spec"]["ref"] == {"branch": "prod"}
    assert kustomization["spec"]["sourceRef"] == {"kind": "GitRepository", "name": "kubeflow-users"}
    assert source["metadata"]["name"] == "kubeflow-users"
    assert gitops_schemas.errors(manifests) == ["", ""]
    # compile writes it: the check holds it like the Kustomizations.
    check = kfroster(repository, "compile", f"{TEAM}/users.yaml", "--out", f"{TEAM}/out", "--check")
    assert check.returncode == 0, check.stderr
    assert "GitRepository in `deploy/`" in (repository / TEAM / "README.md").read_text("utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--argocd", "--repo-url", "https://git.example.com/r.git", "--git-url", "https://g.example.com/r"],
         "--git-url applies to --flux only"),
        (["--git-url", "https://git.example.com/r.git"], "--git-url applies to --flux only"),
        (["--flux", "--git-url", "http://git.example.com/r.git"], "--git-url/--git-branch:"),
        (["--flux", "--git-url", "https://git.example.com/r.git", "--git-branch", "a..b"],
         "--git-url/--git-branch:"),
    ],
)  # fmt: skip
def test_a_git_source_flux_cannot_use_is_a_usage_error(
    tmp_path: Path, args: list[str], message: str
) -> None:
    done = kfroster(tmp_path, "init", "new", *args, "--kfroster", PIN)
    assert done.returncode == 2
    assert message in done.stderr
    assert not (tmp_path / "new").exists()


def test_the_roster_names_the_source_it_writes() -> None:
    text = scaffold.starter_roster("flux", git=scaffold.GitSource("https://git.example.com/r.git"))
    flux = load(text)["settings"]["deploy"]["flux"]
    assert flux == {
        "sourceRef": {"kind": "GitRepository", "name": "kubeflow-users"},
        "gitRepository": {"url": "https://git.example.com/r.git", "branch": "main"},
    }


def test_skip_existing_says_the_pin_it_kept_not_the_one_it_was_given(repository: Path) -> None:
    assert kfroster(repository, "init", TEAM, "--flux", "--kfroster", PIN).returncode == 0
    requirements = repository / TEAM / ".kfroster" / "requirements.txt"
    before = requirements.read_text(encoding="utf-8")
    other = "kfroster==9.9.9"
    again = kfroster(repository, "init", TEAM, "--flux", "--kfroster", other, "--skip-existing")
    assert again.returncode == 0, again.stderr
    assert requirements.read_text(encoding="utf-8") == before
    assert other not in again.stderr
    assert f"install what {requirements} names (left as it was)" in again.stderr
