"""The drift example the README shows: one cluster with drift of every kind, every format.

`UPDATE_GOLDEN=1` writes tests/cases/drift/example/cluster.yaml from the builders below and the
expected reports next to it; review them like code.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from compiler.model.keys import Manifest
from compiler.render.common import MANAGED_BY
from compiler.render.protection import PROTECTION
from compiler.yamlio import emitter
from tests.conftest import CASES, invoke, updating_golden
from tests.drift.test_drift import in_sync
from tests.fake_cluster import (
    cluster_role_binding,
    contributor,
    kubectl_list,
    namespace,
    owner_references,
    profile,
    role_binding,
    user,
)

CASE = CASES / "drift" / "example"
OUTPUTS = {
    "report.txt": ["--format", "text"],
    "report.md": ["--format", "markdown"],
    "report.json": ["--format", "json"],
    "report.github": ["--format", "github"],
    "revoke.sh": ["--revoke"],
}


def cluster() -> list[Manifest]:
    """The example roster's cluster, with drift of every kind and what is none."""
    roster = (CASE / "users.yaml").read_text(encoding="utf-8")
    manifests = [
        m
        for m in in_sync(roster)
        if not (m["kind"] == "LimitRange" and m["metadata"]["namespace"] == "amara")
    ]
    for each in manifests:
        if each["kind"] == "LimitRange":
            each["spec"]["limits"][0]["default"]["memory"] = "8Gi"
    manifests += contributor("mallory@example.com", namespace="team-vision")
    manifests.append(
        role_binding("helper", "kubeflow-view", user("sam@example.com"), namespace="amara")
    )
    manifests.append(cluster_role_binding("eve-admin", "cluster-admin", user("eve@example.com")))
    made = profile("zoe", "zoe@example.com")
    space = namespace("zoe", "zoe@example.com")
    space["metadata"]["ownerReferences"] = owner_references("zoe")
    kept = namespace("former", "former@example.com")
    kept["metadata"]["labels"].update(MANAGED_BY)
    kept["metadata"]["annotations"].update(PROTECTION)
    return [*manifests, made, space, kept]


@pytest.fixture
def case(monkeypatch: pytest.MonkeyPatch) -> Path:
    dump = CASE / "cluster.yaml"
    if updating_golden():
        dump.write_text(emitter.dumps(kubectl_list(cluster())), encoding="utf-8")
    monkeypatch.chdir(CASE)
    return CASE


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_every_format_of_the_example(case: Path, runner: CliRunner, name: str) -> None:
    result = invoke(runner, "drift", "cluster.yaml", "--roster", "users.yaml", *OUTPUTS[name])
    assert result.exit_code == 1
    assert result.stderr == ""
    expected = case / "expected" / name
    if updating_golden():
        expected.parent.mkdir(exist_ok=True)
        expected.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == expected.read_text(encoding="utf-8")
    if name == "report.json":
        assert json.loads(result.stdout)["format"] == "kfroster-drift/1"


def test_the_readme_shows_the_example_as_it_is() -> None:
    readme = (CASE.parents[3] / "README.md").read_text(encoding="utf-8")
    start = readme.index("A real run on [`tests/cases/drift/example/cluster.yaml`]")
    block = readme[readme.index("```text\n", start) + len("```text\n") :]
    block = block[: block.index("```\n")]
    assert block == (CASE / "expected" / "report.txt").read_text(encoding="utf-8")
    # Every command the README shows of --revoke is one the script prints.
    script = (CASE / "expected" / "revoke.sh").read_text(encoding="utf-8").splitlines()
    shown = readme[readme.index("**`--revoke`**") : readme.index("### Every day, in CI")]
    commands = [line for line in shown.splitlines() if line.startswith("kubectl ")]
    assert len(commands) == 5
    assert all(command in script for command in commands)
