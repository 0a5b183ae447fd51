"""Properties: same bytes whatever the order, hash seed or locale; any input is checked.

Whatever the input, the result is one of two: located problems, or a roster that compiles
into files every YAML reader and schema accepts (`check_mutant`).
"""

from __future__ import annotations

import gc
import io
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from compiler import pipeline
from compiler.problems import RosterInvalid
from compiler.roster.source import Source, loads
from tests.conftest import REPO, read_tree
from tests.property.test_fuzz import assert_compiles, assert_located, check_mutant
from tests.strategies import examples, rosters

_SETTINGS = settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def _dump(data: Any) -> str:
    stream = io.StringIO()
    YAML(typ="safe", pure=True).dump(data, stream)
    return stream.getvalue()


def _compile_text(text: str, directory: Path) -> dict[str, str]:
    directory.mkdir(parents=True, exist_ok=True)
    roster = directory / "users.yaml"
    roster.write_text(text, encoding="utf-8")
    return pipeline.compile_roster(roster).files


def _shuffled(roster: dict[str, Any], seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    copy = json.loads(json.dumps(roster))
    for key in ("users", "groups", "profiles"):
        rng.shuffle(copy.get(key, []))
    for group in copy.get("groups", []):
        rng.shuffle(group["members"])
    for profile in copy.get("profiles", []):
        rng.shuffle(profile.get("contributors", []))
    return copy


@_SETTINGS
@given(roster=rosters(), seed=st.integers(0, 2**32))
def test_same_roster_any_order_gives_the_same_bytes(
    roster: dict[str, Any], seed: int, tmp_path_factory: Any
) -> None:
    base = tmp_path_factory.mktemp("roster")
    first = _compile_text(_dump(roster), base / "a")
    again = _compile_text(_dump(roster), base / "b")
    shuffled = _compile_text(_dump(_shuffled(roster, seed)), base / "c")
    assert first == again == shuffled


@_SETTINGS
@given(roster=rosters())
def test_every_generated_roster_is_valid_and_compiles(roster: dict[str, Any]) -> None:
    checked = pipeline.check_text(_dump(roster), "users.yaml")
    assert checked.roster is not None, [str(p) for p in checked.problems]
    assert_compiles(checked.roster)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=examples(200), deadline=None)
@given(data=_JSON)
def test_arbitrary_yaml_gets_located_problems_or_compiles(data: Any) -> None:
    check_mutant(_dump(data))


@settings(max_examples=examples(150), deadline=None)
@given(roster=rosters(), path_seed=st.integers(0, 2**32), value=_JSON)
def test_mutated_rosters_get_located_problems_or_compile(
    roster: dict[str, Any], path_seed: int, value: Any
) -> None:
    rng = random.Random(path_seed)
    node: Any = roster
    for _ in range(rng.randint(1, 4)):
        if isinstance(node, dict) and node:
            key = rng.choice(sorted(node, key=str))
            if rng.random() < 0.4 or not isinstance(node[key], dict | list):
                node[key] = value
                break
            node = node[key]
        elif isinstance(node, list) and node:
            index = rng.randrange(len(node))
            if rng.random() < 0.4 or not isinstance(node[index], dict | list):
                node[index] = value
                break
            node = node[index]
    check_mutant(_dump(roster))


@settings(max_examples=examples(100), deadline=None)
@given(text=st.text(max_size=200))
def test_arbitrary_text_gets_located_problems_or_compiles(text: str) -> None:
    try:
        loads(text, "users.yaml")
    except RosterInvalid as err:
        assert_located(tuple(err.problems), text)  # the loader alone: located too
    check_mutant(text)


def test_same_bytes_whatever_the_hash_seed_and_locale(tmp_path: Path) -> None:
    trees = []
    for number, (seed, locale) in enumerate(
        [("0", "C.UTF-8"), ("12345", "POSIX"), ("random", "C")]
    ):
        work = tmp_path / str(number)
        work.mkdir()
        shutil.copy(REPO / "users.yaml", work / "users.yaml")
        env = {**os.environ, "PYTHONHASHSEED": seed, "LC_ALL": locale, "LANG": locale}
        subprocess.run(
            [sys.executable, "-m", "compiler", "compile", "users.yaml", "--out", "out"],
            cwd=work,
            env=env,
            check=True,
            capture_output=True,
        )
        trees.append(read_tree(work / "out"))
    assert trees[0] == trees[1] == trees[2]
    assert trees[0] == read_tree(REPO / "out")


def _paths(node: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every path into the data, and beside each one a path just past its end."""
    found = [path, (*path, "missing"), (*path, 0)]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*path, index))
    return found


@settings(max_examples=examples(100), deadline=None)
@given(roster=rosters(), flow=st.booleans())
def test_positions_recorded_while_loading_are_those_of_the_text(
    roster: dict[str, Any], flow: bool
) -> None:
    # loads() records every node's position as it parses; a Source made by hand finds
    # them by reading its text again. Both must locate every path alike.
    dumper = YAML(typ="safe", pure=True)
    dumper.default_flow_style = flow
    stream = io.StringIO()
    dumper.dump(roster, stream)
    loaded = loads(stream.getvalue(), "users.yaml")
    by_hand = Source(loaded.name, loaded.text, loaded.data)
    for path in _paths(loaded.data):
        for key in (False, True):
            assert loaded.locate(path, key=key) == by_hand.locate(path, key=key), (path, key)


@pytest.mark.parametrize("enabled", [True, False])
def test_checking_and_rendering_leave_the_cycle_collector_as_they_found_it(
    enabled: bool, tmp_path: Path
) -> None:
    # The pipeline pauses Python's cycle collector while it works (see pipeline.py).
    roster = tmp_path / "users.yaml"
    shutil.copy(REPO / "users.yaml", roster)
    was_enabled = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        assert pipeline.compile_roster(roster).files
        assert pipeline.check_text("version: 2\n", "users.yaml").roster is None
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was_enabled else gc.disable)()


@pytest.mark.parametrize(("alive", "frozen"), [(10_000, False), (1_500_000, True)])
def test_a_paused_stage_leaving_millions_alive_has_them_frozen(alive: int, frozen: bool) -> None:
    # Otherwise the collector's first pass after the pause walks all of them (drift at
    # 10,000 users: 1.6 s); a small stage leaves its objects to the collector as usual.
    was_enabled = gc.isenabled()
    gc.enable()
    gc.collect()
    gc.unfreeze()
    try:
        with pipeline.cycle_collection_paused():
            kept = [[] for _ in range(alive)]
        assert (gc.get_freeze_count() >= alive) is frozen
        assert gc.isenabled()
        del kept
    finally:
        gc.unfreeze()
        (gc.enable if was_enabled else gc.disable)()
