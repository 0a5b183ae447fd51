"""The vendored upstream roles: their header, their normal form, and the script refreshing them."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from typer.testing import CliRunner

from compiler.cli import app
from compiler.explain.roles import upstream
from compiler.yamlio import emitter
from tests.conftest import REPO
from tests.gitrepo import git

VENDORED = REPO / "compiler" / "explain" / "roles" / upstream.VENDORED_FILE
SCRIPT = REPO / "scripts" / "refresh_kubeflow_roles.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("refresh_kubeflow_roles", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


refresh = load_script()


def header_fields(text: str) -> dict[str, str]:
    """Read `# key: value` lines of the comment block that opens a file."""
    fields = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        found = re.fullmatch(r"# ([a-z]+): (.+)", line)
        if found:
            fields[found.group(1)] = found.group(2)
    return fields


def test_the_chart_names_the_source_and_commit_of_the_vendored_file() -> None:
    fields = header_fields(VENDORED.read_text(encoding="utf-8"))
    assert fields["source"] == "https://github.com/kubeflow/manifests"
    assert re.fullmatch(r"[0-9a-f]{40}", fields["commit"])
    runner = CliRunner()
    text = runner.invoke(app, ["roles"], catch_exceptions=False).stdout
    before_the_tables = " ".join(text.split("\n\n", 1)[0].split())  # the title and source
    assert f"kubeflow/manifests {fields['commit']}" in before_the_tables
    data = json.loads(runner.invoke(app, ["roles", "-f", "json"], catch_exceptions=False).stdout)
    assert data["upstream"] == f"kubeflow/manifests {fields['commit']}"


def test_the_vendored_file_is_exactly_what_the_script_writes() -> None:
    # Hand edits (a changed verb, a dropped `# from:`, another style) show up here.
    text = VENDORED.read_text(encoding="utf-8")
    commit = header_fields(text)["commit"]
    sources = re.findall(r"^# from: (.+)$", text, flags=re.MULTILINE)
    documents = refresh.events.load_all(text)
    assert len(sources) == len(documents) == len(upstream.vendored().roles)
    assert set(sources) <= set(refresh.SOURCES)
    normal = [
        (path, refresh.normalise(role)) for path, role in zip(sources, documents, strict=True)
    ]
    assert refresh.render(commit, normal) == text


# --- the refresh script, on a made-up checkout ------------------------------------------------

ROLE = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {name}
  labels:
    app: demo
    rbac.authorization.kubeflow.org/aggregate-to-kubeflow-edit: "true"
rules:
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list]
"""
UNRELATED = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: the-operator}
rules: [{apiGroups: [""], resources: [secrets], verbs: ["*"]}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: the-operator}
"""


def checkout(tmp_path: Path) -> Path:
    """Make a checkout holding every source file: one aggregated role each, plus noise."""
    root = tmp_path / "manifests"
    for index, path in enumerate(refresh.SOURCES):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(UNRELATED + "---\n" + ROLE.format(name=f"role-{index}"))
    skipped = root / "experimental" / "ray" / "roles.yaml"
    skipped.parent.mkdir(parents=True)
    skipped.write_text(ROLE.format(name="ray"))
    return root


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )


def test_the_script_keeps_what_the_chart_reads_of_each_aggregated_role(tmp_path: Path) -> None:
    output = tmp_path / "roles.yaml"
    done = run(checkout(tmp_path), "--commit", "a" * 40, "--output", output)
    assert done.returncode == 0, done.stderr
    text = output.read_text(encoding="utf-8")
    assert header_fields(text) == {
        "source": "https://github.com/kubeflow/manifests",
        "commit": "a" * 40,
    }
    first = refresh.SOURCES[0]
    assert (
        f"---\n# from: {first}\n"
        + emitter.dumps(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRole",
                "metadata": {
                    "name": "role-0",
                    "labels": {
                        "rbac.authorization.kubeflow.org/aggregate-to-kubeflow-edit": "true"
                    },
                },
                "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}],
            }
        )
        in text
    )
    assert "the-operator" not in text and "app: demo" not in text and "name: ray" not in text
    assert text.count("kind: ClusterRole") == len(refresh.SOURCES)


def test_the_script_names_the_commit_git_reports(tmp_path: Path) -> None:
    root = checkout(tmp_path)
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "x")
    head = git(root, "rev-parse", "HEAD")
    output = tmp_path / "roles.yaml"
    assert run(root, "--output", output).returncode == 0
    assert header_fields(output.read_text())["commit"] == head.strip()
    (root / refresh.SOURCES[0]).write_text(ROLE.format(name="edited"))
    dirty = run(root, "--output", output)
    assert dirty.returncode != 0 and "local changes" in dirty.stderr


def test_the_script_stops_at_role_files_it_does_not_know(tmp_path: Path) -> None:
    root = checkout(tmp_path)
    new = root / "applications" / "new-app" / "roles.yaml"
    new.parent.mkdir(parents=True)
    new.write_text(ROLE.format(name="new-app-edit"))
    output = tmp_path / "roles.yaml"
    done = run(root, "--commit", "b" * 40, "--output", output)
    assert done.returncode == 1
    assert "applications/new-app/roles.yaml: mentions" in done.stderr
    assert not output.exists()


@pytest.mark.parametrize(
    "rule",
    [
        {"apiGroups": [""], "resources": ["pods"], "resourceNames": ["x"], "verbs": ["get"]},
        {"nonResourceURLs": ["/metrics"], "verbs": ["get"]},
    ],
)
def test_the_script_refuses_rules_the_chart_cannot_show(rule: dict[str, list[str]]) -> None:
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "x", "labels": {refresh.LABEL_PREFIX + "kubeflow-view": "true"}},
        "rules": [rule],
    }
    with pytest.raises(ValueError, match="not understood"):
        refresh.normalise(role)
