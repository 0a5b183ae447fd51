"""docs/clusters.md's worked example: it compiles, to what the page shows, the same every time."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from compiler.yamlio.round_trip import dump, round_trip
from tests.conftest import REPO, invoke
from tests.fake_cluster import cluster_of, kubectl_list

PAGE = REPO / "docs" / "clusters.md"
EXAMPLE = REPO / "docs" / "examples" / "clusters" / "users.yaml"

# What staging holds, as a roster of one cluster, written out by hand from the example.
STAGING = """\
version: 1
settings:
  userIdPrefix: "accounts.google.com:"
  kubeflowVersion: "1.10"
policy:
  emailDomains: [example.com]
defaults:
  resourceQuota: {hard: {cpu: "4", memory: 16Gi}}
  limitRange:
    default: {cpu: "1", memory: 2Gi}
    defaultRequest: {cpu: 250m, memory: 512Mi}
users:
  - {name: alice, email: alice@example.com, clusterRole: admin}
  - {name: bob, email: bob@example.com}
  - {name: chen, email: chen@example.com}
  - {name: dana, email: dana@example.com}
groups:
  - {name: vision, members: [bob, chen]}
profiles:
  - name: vision
    owner: bob
    contributors:
      - {group: vision, role: edit}
      - {user: dana, role: view}
  - {name: sandbox, owner: alice}
"""


def shown_after(marker: str) -> str:
    """Return the code block that follows a marker comment on the page."""
    text = PAGE.read_text(encoding="utf-8")
    pattern = "<!-- " + re.escape(marker) + r"[^>]*-->\n```[a-z ]*\n(.*?)```"
    found = re.search(pattern, text, flags=re.DOTALL)
    assert found is not None, marker
    return found.group(1)


def compiled(runner: CliRunner, directory: Path, text: str) -> dict[str, bytes]:
    """Compile roster text in a directory of its own; return every file written, by path."""
    directory.mkdir()
    (directory / "users.yaml").write_text(text, encoding="utf-8")
    result = invoke(runner, "compile", directory / "users.yaml", "--out", directory / "out")
    assert result.exit_code == 0, result.stderr
    assert "warning" not in result.stderr
    return tree(directory)


def tree(directory: Path) -> dict[str, bytes]:
    return {
        path.relative_to(directory).as_posix(): path.read_bytes()
        for path in sorted(directory.rglob("*.yaml"))
        if path.name != "users.yaml"
    }


def test_the_example_compiles_to_the_tree_the_page_shows(runner: CliRunner, tmp_path: Path) -> None:
    files = compiled(runner, tmp_path / "example", EXAMPLE.read_text(encoding="utf-8"))
    assert sorted(files) == shown_after("the example's compiled tree").split()
    (application_set,) = [v for k, v in files.items() if k.startswith("deploy/")]
    document = list(yaml.safe_load_all(application_set))[-1]
    elements = document["spec"]["generators"][0]["list"]["elements"]
    assert elements == yaml.safe_load(shown_after("the example's ApplicationSet elements"))


def test_the_example_is_deterministic(runner: CliRunner, tmp_path: Path) -> None:
    """The same bytes again, with every list but clusters reversed, and under another hash seed."""
    text = EXAMPLE.read_text(encoding="utf-8")
    first = compiled(runner, tmp_path / "first", text)
    loader, _document, _reformatted = round_trip(text)
    document = loader.load(text)
    for key in ("users", "groups", "profiles"):
        document[key].reverse()
    reordered = dump(loader, document, text, ())
    assert reordered != text
    assert compiled(runner, tmp_path / "second", reordered) == first
    third = tmp_path / "third"
    third.mkdir()
    shutil.copy(EXAMPLE, third / "users.yaml")
    environment = {**os.environ, "PYTHONHASHSEED": "12345", "LC_ALL": "C"}
    subprocess.run(
        [sys.executable, "-m", "compiler", "compile", "users.yaml"],
        cwd=third,
        env=environment,
        check=True,
        capture_output=True,
    )
    assert tree(third) == first


def test_the_example_staging_tree_is_its_one_cluster_roster(
    runner: CliRunner, tmp_path: Path
) -> None:
    files = compiled(runner, tmp_path / "example", EXAMPLE.read_text(encoding="utf-8"))
    alone = compiled(runner, tmp_path / "staging", STAGING)
    staging = {k.removeprefix("out/staging/"): v for k, v in files.items() if "/staging/" in k}
    assert staging == {k.removeprefix("out/"): v for k, v in alone.items()}


def test_the_import_report_is_what_the_page_shows(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.importer.test_into import A, B, load  # noqa: PLC0415  (the page's rosters)

    monkeypatch.chdir(tmp_path)
    Path("users.yaml").write_text(A, encoding="utf-8")
    listing = kubectl_list(cluster_of(load(B)))
    Path("b.json").write_text(json.dumps(listing, indent=4), encoding="utf-8")
    command, *report = shown_after("import --into's report").splitlines()
    arguments = shlex.split(command.removeprefix("$ kfroster "))
    result = invoke(runner, *arguments)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == report
