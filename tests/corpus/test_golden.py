"""Golden cases: each tests/cases/<name>/users.yaml compiles to exactly its expected/ tree.

A roster that sets settings.deploy also has expected-deploy/: the deploy manifests compile
writes beside out/; every other roster has none, and compiles to out/ alone.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from compiler import pipeline
from tests.conftest import compile_into, golden_cases, read_tree, updating_golden


@pytest.mark.parametrize("case", golden_cases(), ids=lambda p: p.name)
def test_compiles_to_expected_tree(case: Path, tmp_path: Path) -> None:
    produced = compile_into(case / "users.yaml", tmp_path / "out")
    expected_dir = case / "expected"
    if updating_golden():
        shutil.rmtree(expected_dir, ignore_errors=True)
        expected_dir.mkdir()
        for relative, content in produced.items():
            (expected_dir / relative).parent.mkdir(parents=True, exist_ok=True)
            (expected_dir / relative).write_bytes(content)
        if not produced:
            (expected_dir / ".gitkeep").touch()
    assert produced == read_tree(expected_dir)


@pytest.mark.parametrize("case", golden_cases(), ids=lambda p: p.name)
def test_deploy_manifests_are_the_expected_ones(case: Path) -> None:
    deployed = pipeline.compile_roster(case / "users.yaml").deploy
    produced = {} if deployed is None else deployed.files
    expected_dir = case / "expected-deploy"
    if updating_golden():
        shutil.rmtree(expected_dir, ignore_errors=True)
        for relative, text in produced.items():
            (expected_dir / relative).parent.mkdir(parents=True, exist_ok=True)
            (expected_dir / relative).write_text(text, encoding="utf-8")
    if deployed is None:
        assert not expected_dir.exists()
        return
    assert {path: text.encode() for path, text in produced.items()} == read_tree(expected_dir)


def test_every_case_has_an_expected_tree() -> None:
    cases = golden_cases()
    assert len(cases) >= 8
    for case in cases:
        assert (case / "expected").is_dir(), f"{case.name} has no expected/ tree"
