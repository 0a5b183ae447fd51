"""Apply units: stable assignment, whole profiles per unit, sizes, the warning, kustomize.

Every unit is built on its own with the real `kubectl kustomize`, the way one Flux
Kustomization builds its directory.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler import pipeline
from compiler.model import units
from compiler.model.resolve import RosterIndex
from compiler.model.roster import MAX_APPLY_UNITS, Roster
from compiler.problems import format_text
from compiler.render import render_all, render_profile_file
from tests.conftest import CASES, REPO, compile_into
from tests.strategies import rosters
from tests.system.test_kubernetes import kubectl

APPLY_UNITS_CASE = CASES / "apply-units"
NAMES = st.from_regex(r"[a-z][a-z0-9-]{0,20}[a-z0-9]", fullmatch=True)
UNIT_COUNTS = st.integers(min_value=1, max_value=MAX_APPLY_UNITS)


def roster_of(data: dict[str, Any], apply_units: int) -> Roster:
    """Validate roster data (as tests/strategies.py draws it) with this many units."""
    settings_ = {**data.get("settings", {}), "applyUnits": apply_units}
    return Roster.model_validate({**data, "settings": settings_})


def unit_of_path(path: str) -> str:
    """Return the unit directory a path of out/ is in ("" for a one-unit layout)."""
    first = path.split("/", 1)[0]
    return first if first.startswith(units.UNIT_PREFIX) else ""


def by_unit(files: dict[str, tuple[Any, ...]]) -> dict[str, list[Any]]:
    """Group the rendered manifests of out/ by unit directory."""
    grouped: dict[str, list[Any]] = {}
    for path, manifests in files.items():
        grouped.setdefault(unit_of_path(path), []).extend(manifests)
    return grouped


def placement(files: dict[str, Any]) -> dict[str, str]:
    """Map each file name (profiles/x.yaml, cluster-role-bindings/y.yaml) to its unit."""
    return {path.split("/", 1)[1] if unit_of_path(path) else path: path for path in files}


# --------------------------------------------------------------------------------------------
# Assignment: stable, independent of the process, spread evenly
# --------------------------------------------------------------------------------------------


@given(name=NAMES, count=UNIT_COUNTS)
def test_a_name_lands_in_one_of_the_units(name: str, count: int) -> None:
    unit = units.unit_of(name, count)
    assert 0 <= unit < count
    assert units.unit_name(unit) == f"unit-{unit:03d}"


@given(names=st.lists(NAMES, min_size=1, max_size=50, unique=True), n=UNIT_COUNTS, m=UNIT_COUNTS)
def test_more_units_only_move_names_into_the_new_units(names: list[str], n: int, m: int) -> None:
    fewer, more = sorted((n, m))
    for name in names:
        before, after = units.unit_of(name, fewer), units.unit_of(name, more)
        assert after == before or after >= fewer, (name, fewer, more)


def test_growing_the_unit_count_moves_about_the_new_share() -> None:
    names = [f"user{number:06d}" for number in range(10_000)]
    moved = sum(units.unit_of(name, 16) != units.unit_of(name, 20) for name in names)
    # Jump hashing moves (20 - 16) / 20 = 20% of the names; mod-N hashing would move ~80%.
    assert 0.17 < moved / len(names) < 0.23


def test_names_spread_evenly_over_the_units() -> None:
    names = [f"user{number:06d}" for number in range(16_000)]
    sizes = Counter(units.unit_of(name, 16) for name in names)
    assert sorted(sizes) == list(range(16))
    assert all(850 <= size <= 1150 for size in sizes.values()), sizes


def test_assignment_does_not_depend_on_the_process_hash_seed() -> None:
    script = (
        "from compiler.model.units import unit_of\n"
        "print([unit_of(f'name-{i}', 37) for i in range(300)])\n"
    )

    def run(seed: str) -> str:
        environment = {**os.environ, "PYTHONHASHSEED": seed}
        return subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            env=environment,
            cwd=REPO,
        ).stdout

    assert run("1") == run("2") == run("12345")


def test_a_unit_count_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        units.unit_of("alice", 0)


# --------------------------------------------------------------------------------------------
# Rendering: adding or removing people moves nobody else
# --------------------------------------------------------------------------------------------


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(data=rosters(), count=UNIT_COUNTS, removed=st.integers(min_value=0))
def test_removing_a_profile_moves_no_other_file(
    data: dict[str, Any], count: int, removed: int
) -> None:
    full = placement(render_all(roster_of(data, count)))
    if not data["profiles"]:
        return
    profiles = list(data["profiles"])
    del profiles[removed % len(profiles)]
    smaller = placement(render_all(roster_of({**data, "profiles": profiles}, count)))
    assert {name: full[name] for name in smaller} == smaller


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(data=rosters(), count=UNIT_COUNTS, newcomer=NAMES)
def test_adding_a_person_moves_no_other_file(
    data: dict[str, Any], count: int, newcomer: str
) -> None:
    taken = {user["name"] for user in data["users"]} | {p["name"] for p in data["profiles"]}
    if newcomer in taken:
        return
    users = [*data["users"], {"name": newcomer, "email": "new@example.com", "clusterRole": "admin"}]
    profiles = [*data["profiles"], {"name": newcomer, "owner": newcomer}]
    before = placement(render_all(roster_of(data, count)))
    after = placement(render_all(roster_of({**data, "users": users, "profiles": profiles}, count)))
    assert set(after) - set(before) == {
        f"profiles/{newcomer}.yaml",
        f"cluster-role-bindings/{newcomer}.yaml",
    }
    assert {name: after[name] for name in before} == before


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(data=rosters(), count=UNIT_COUNTS)
def test_every_unit_holds_whole_profiles_with_their_namespaces(
    data: dict[str, Any], count: int
) -> None:
    roster = roster_of(data, count)
    files = render_all(roster)
    for path in files:
        unit = unit_of_path(path)
        assert (unit != "") == (count > 1), path
    for unit, manifests in by_unit(files).items():
        namespaces = {m["metadata"]["name"] for m in manifests if m["kind"] == "Namespace"}
        used = {m["metadata"]["namespace"] for m in manifests if "namespace" in m["metadata"]}
        if roster.settings.manage_namespaces:
            assert used <= namespaces, f"{unit} uses namespaces it does not create"
    assert tuple(sorted(by_unit(files))) == units.occupied(roster)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(data=rosters(), count=st.integers(min_value=1, max_value=8))
def test_unit_sizes_count_exactly_the_rendered_objects(data: dict[str, Any], count: int) -> None:
    roster = roster_of(data, count)
    index = RosterIndex.build(roster)
    for profile in roster.profiles:
        assert units.profile_objects(profile, index) == len(render_profile_file(profile, index))
    rendered = by_unit(render_all(roster))
    expected = [
        len(rendered.get(units.unit_name(u) if count > 1 else "", [])) for u in range(count)
    ]
    assert units.unit_sizes(units.weigh(index), count) == expected


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(data=rosters(), stop=st.integers(min_value=0, max_value=40))
def test_the_object_count_is_exact_up_to_where_it_stops(data: dict[str, Any], stop: int) -> None:
    roster = roster_of(data, 1)
    total = sum(len(manifests) for manifests in render_all(roster).values())
    counted = units.count_objects(RosterIndex.build(roster), stop_above=stop)
    assert counted == total if total <= stop else counted > stop


def test_one_unit_is_todays_layout_byte_for_byte(tmp_path: Path) -> None:
    text = (REPO / "users.yaml").read_text(encoding="utf-8")
    explicit = text.replace("settings:\n", "settings:\n  applyUnits: 1\n", 1)
    assert explicit != text
    (tmp_path / "users.yaml").write_text(explicit, encoding="utf-8")
    committed = {
        path.relative_to(REPO / "out").as_posix(): path.read_bytes()
        for path in sorted((REPO / "out").rglob("*.yaml"))
    }
    assert compile_into(tmp_path / "users.yaml", tmp_path / "out") == committed


# --------------------------------------------------------------------------------------------
# The warning: which unit is too large, and a setting that really fixes it
# --------------------------------------------------------------------------------------------


def admins_roster(count: int, apply_units: int | None = None) -> str:
    """Return roster text with `count` cluster-wide administrators (one object each)."""
    lines = ["version: 1"]
    if apply_units is not None:
        lines += ["settings:", f"  applyUnits: {apply_units}"]
    lines.append("users:")
    lines += [
        f"  - {{name: a{n:05d}, email: a{n:05d}@example.com, clusterRole: admin}}"
        for n in range(count)
    ]
    return "\n".join(lines) + "\n"


def unit_warnings(text: str) -> list[str]:
    checked = pipeline.check_text(text, "users.yaml")
    assert checked.roster is not None
    return [format_text(p) for p in checked.problems if p.rule == "apply-unit-too-large"]


def suggested(warning: str) -> int:
    return int(warning.split("set settings.applyUnits to ")[1].split(" ", maxsplit=1)[0])


def test_no_warning_up_to_the_limit() -> None:
    assert unit_warnings(admins_roster(units.MAX_UNIT_OBJECTS)) == []


def test_the_suggested_unit_count_brings_every_unit_under_the_limit() -> None:
    warnings = unit_warnings(admins_roster(5_000, apply_units=2))
    assert len(warnings) == 1
    assert warnings[0].startswith("users.yaml:3:15: warning: apply unit unit-00")
    count = suggested(warnings[0])
    assert count >= 5
    assert unit_warnings(admins_roster(5_000, apply_units=count)) == []


def test_the_warning_names_the_unit_count_when_it_is_not_written() -> None:
    (warning,) = unit_warnings(admins_roster(1_500))
    assert warning.startswith("users.yaml:1:1: warning: out/ (a single apply unit) holds 1,500")
    assert unit_warnings(admins_roster(1_500, apply_units=suggested(warning))) == []


def test_a_profile_too_large_for_any_unit_is_named() -> None:
    members = [f"m{n:04d}" for n in range(520)]
    text = "\n".join(
        [
            "version: 1",
            "users:",
            "  - {name: owner, email: owner@example.com}",
            *[f"  - {{name: {m}, email: {m}@example.com}}" for m in members],
            "groups:",
            f"  - {{name: everyone, members: [{', '.join(members)}]}}",
            "profiles:",
            "  - name: everyone",
            "    owner: owner",
            "    contributors: [{group: everyone, role: view}]",
        ]
    )
    unit, profile = unit_warnings(text + "\n")  # sorted by line: the root comes first
    assert unit.startswith("users.yaml:1:1: warning: out/ (a single apply unit) holds 1,042")
    assert f"no settings.applyUnits up to {MAX_APPLY_UNITS} keeps every unit" in unit
    profile_line = 2 + 1 + len(members) + 2 + 1 + 1  # the line of "- name: everyone"
    assert profile.startswith(
        f"users.yaml:{profile_line}:11: warning: profile 'everyone' alone renders to 1,042"
    )


# --------------------------------------------------------------------------------------------
# kustomize builds every unit on its own, as one Flux Kustomization does
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", [APPLY_UNITS_CASE], ids=lambda p: p.name)
def test_kustomize_builds_every_unit_on_its_own(case: Path, tmp_path: Path) -> None:
    roster = pipeline.validate(case / "users.yaml").roster
    tree = compile_into(case / "users.yaml", tmp_path / "out")
    rendered = by_unit(render_all(roster))
    occupied = units.occupied(roster)
    assert len(occupied) >= 2
    assert set(occupied) == {unit_of_path(path) for path in tree}
    for unit in occupied:
        directory = tmp_path / "out" / unit
        resources = sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*.yaml"))
        kustomization = {
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "resources": resources,
        }
        (directory / "kustomization.yaml").write_text(
            yaml.safe_dump(kustomization, sort_keys=False), encoding="utf-8"
        )
        result = subprocess.run(
            [kubectl(), "kustomize", str(directory)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, f"kubectl kustomize {unit} failed:\n{result.stderr}"
        built = [doc for doc in yaml.safe_load_all(result.stdout) if doc is not None]
        assert sorted(map(identity, built)) == sorted(map(identity, rendered[unit]))
        # kustomize orders Namespaces first, so the unit creates them before what lives there.
        kinds = [doc["kind"] for doc in built]
        if "Namespace" in kinds:
            assert kinds.index("Namespace") == 0


def identity(manifest: dict[str, Any]) -> tuple[str, str, str, str]:
    meta = manifest["metadata"]
    return (manifest["apiVersion"], manifest["kind"], meta.get("namespace", ""), meta["name"])
