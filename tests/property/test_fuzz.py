"""Fuzzing: generated rosters that use every feature, and hostile mutations of them.

A generated roster must validate without errors and compile to manifests that every schema
accepts (Kubernetes' own, strict, for built-in kinds) and that a YAML 1.1 reader (as
Kubernetes reads) and a YAML 1.2 reader read back exactly as rendered. A mutated roster (a
key deleted, a type changed, a name duplicated, look-alike, invisible or injected text, a
huge number, a broken line) must get located problems, each printed on one line, and
never an exception; when it still validates, it must compile just as well.

The everyday suite runs a few dozen examples of each; a long campaign runs many more:

    HYPOTHESIS_PROFILE=fuzz FUZZ_EXAMPLES=5000 \\
        python -m pytest tests/property/test_fuzz.py --hypothesis-show-statistics
"""

from __future__ import annotations

import copy
import io
import random
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from compiler import pipeline
from compiler.model.roster import Roster
from compiler.output import deploy, tree
from compiler.problems import Problem, format_github, format_text
from compiler.render import render_all
from compiler.yamlio import emitter
from tests.conftest import REPO, read_tree
from tests.kubernetes_schemas import (
    BUILTIN_KINDS,
    KUBERNETES_VERSION,
    builtin_errors,
    manifest_errors,
)
from tests.strategies import examples, full_rosters

# PyYAML's resolver (YAML 1.1, as Kubernetes reads), on libyaml's parser when it is built.
YAML_1_1 = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def fuzzed(everyday: int) -> settings:
    """Settings of a property: `everyday` examples in the suite, no deadline."""
    return settings(
        max_examples=examples(everyday), deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )


def dump(data: Any) -> str:
    """Write data as block-style YAML.

    Block style, because in flow style ruamel writes `{role: arn:aws:iam::1:role/x}`, which
    YAML 1.2 allows but libyaml (kfroster's parser, and go-yaml's ancestor) refuses.
    """
    stream = io.StringIO()
    writer = YAML(typ="safe", pure=True)
    writer.default_flow_style = False
    writer.dump(data, stream)
    return stream.getvalue()


def assert_compiles(roster: Roster) -> dict[str, str]:
    """Render and write a valid roster; check every file against readers and schemas."""
    rendered = render_all(roster)
    files = {
        rel: emitter.dumps_file(manifests, "users.yaml") for rel, manifests in rendered.items()
    }
    yaml_1_2 = YAML(typ="safe")
    for rel, text in files.items():
        assert tuple(yaml.load_all(text, YAML_1_1)) == rendered[rel], f"YAML 1.1 misreads {rel}"
        assert tuple(yaml_1_2.load_all(text)) == rendered[rel], f"YAML 1.2 misreads {rel}"
        for manifest in rendered[rel]:
            errors = manifest_errors(manifest)
            assert not errors, f"{rel}: {manifest['kind']}:\n" + "\n".join(errors)
    with tempfile.TemporaryDirectory() as directory:
        out = Path(directory) / "out"
        tree.write_tree(files, out)
        assert read_tree(out) == {rel: text.encode("utf-8") for rel, text in files.items()}
    if roster.settings.deploy is not None:
        assert_deploys(roster, files)
    return files


def assert_deploys(roster: Roster, files: dict[str, str]) -> None:
    """Check the deploy manifests: both YAML readers agree, and they point at out/'s units."""
    setting = roster.settings.deploy
    assert setting is not None
    yaml_1_2 = YAML(typ="safe")
    manifests = []
    for rel, text in deploy.render(roster, "users.yaml").items():
        (read,) = [doc for doc in yaml.load_all(text, YAML_1_1) if doc is not None]
        assert [doc for doc in yaml_1_2.load_all(text) if doc is not None] == [read], rel
        manifests.append(read)
    units = {rel.split("/", 1)[0] for rel in files if "/" in rel and rel.startswith("unit-")}
    if setting.engine == "flux":
        expected = {f"./{setting.path}/{unit}" for unit in units} or (
            {f"./{setting.path}"} if files else set()
        )
        assert {m["spec"]["path"] for m in manifests} == expected
    else:
        (application_set,) = manifests
        assert application_set["spec"]["template"]["spec"]["source"]["repoURL"] == (
            setting.argocd.repo_url if setting.argocd else None
        )


def assert_located(problems: tuple[Problem, ...], text: str | bytes) -> None:
    """Check that a refused roster's problems point into it and print on one line each."""
    assert any(problem.level == "error" for problem in problems)
    lines = (text.decode("utf-8", "replace") if isinstance(text, bytes) else text).splitlines()
    for problem in problems:
        assert problem.file == "users.yaml"
        assert 1 <= problem.line <= len(lines) + 1, problem
        assert problem.col >= 1, problem
        assert problem.rule and problem.message, problem
        # Quoted roster text is shortened: a 10,000-character name must not flood a PR.
        assert len(problem.message) <= 1000, problem
        for printed in (format_text(problem), format_github(problem)):
            # A line break or a terminal escape echoed from the roster could forge a line of
            # output ("users.yaml: valid") or a workflow command in CI.
            controls = [
                char for char in printed if unicodedata.category(char) in ("Cc", "Zl", "Zp")
            ]
            assert not controls, f"control characters {controls} in {printed!r}"


# --------------------------------------------------------------------------------------------
# Valid rosters
# --------------------------------------------------------------------------------------------


@fuzzed(25)
@given(roster=full_rosters())
def test_every_generated_roster_compiles_to_objects_kubernetes_accepts(
    roster: dict[str, Any],
) -> None:
    text = dump(roster)
    checked = pipeline.check_text(text, "users.yaml")
    errors = [format_text(problem) for problem in checked.problems if problem.level == "error"]
    assert checked.roster is not None and not errors, "\n".join(errors) + "\n---\n" + text
    files = assert_compiles(checked.roster)
    # What the run covered, shown by --hypothesis-show-statistics.
    event(f"files: {'0' if not files else '1-9' if len(files) < 10 else '10+'}")
    event(f"applyUnits: {checked.roster.settings.apply_units > 1}")
    event(f"plugins: {any(p.plugins for p in checked.roster.profiles)}")
    event(f"warnings: {bool(checked.problems)}")


def reordered(data: Any, rng: random.Random) -> Any:
    """Return data with every mapping's keys and the roster's lists in another order."""
    if isinstance(data, dict):
        items = [(key, reordered(value, rng)) for key, value in data.items()]
        rng.shuffle(items)
        return dict(items)
    if isinstance(data, list):
        items = [reordered(item, rng) for item in data]
        if not any(isinstance(item, dict) and "kind" in item for item in items):  # not plugins
            rng.shuffle(items)
        return items
    return data


@fuzzed(15)
@given(roster=full_rosters(), seed=st.integers(0, 2**32))
def test_a_generated_roster_in_any_order_compiles_to_the_same_bytes(
    roster: dict[str, Any], seed: int
) -> None:
    # Lists of users, groups, members, contributors, scopes, values, and the keys of every
    # mapping: none of their orders may show in the output. Plugins keep theirs (a list the
    # profile controller applies in order).
    first = pipeline.check_text(dump(roster), "users.yaml").roster
    again = pipeline.check_text(dump(reordered(roster, random.Random(seed))), "users.yaml").roster
    assert first is not None and again is not None
    files = {rel: emitter.dumps_file(ms, "users.yaml") for rel, ms in render_all(first).items()}
    assert files == {
        rel: emitter.dumps_file(ms, "users.yaml") for rel, ms in render_all(again).items()
    }


def test_the_fast_kubernetes_validator_agrees_with_kubernetes_validate() -> None:
    # builtin_errors builds kubernetes-validate's validators once instead of on every call.
    checked = pipeline.validate(REPO / "users.yaml").roster
    manifests = [m for ms in render_all(checked).values() for m in ms if m["kind"] in BUILTIN_KINDS]
    assert {m["kind"] for m in manifests} == BUILTIN_KINDS
    broken = copy.deepcopy(manifests)
    for manifest in broken:
        manifest["metadata"]["nmae"] = "typo"
    for manifest in manifests + broken:
        try:
            kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
            accepted = True
        except kubernetes_validate.ValidationError:
            accepted = False
        assert accepted == (builtin_errors(manifest) == []), manifest
    assert all(builtin_errors(manifest) for manifest in broken)


# --------------------------------------------------------------------------------------------
# Mutated rosters: structure
# --------------------------------------------------------------------------------------------

Path_ = tuple[str | int, ...]

# Values of the wrong type or out of range, for any place in the roster.
_ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([-1, 0, 2**63 - 1, 2**63, 2**64, 10**30, 10**400, -(10**400)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", " ", "~", "null", "yes", "1e400", "-0", "0x10", "1_000", "1.5", "-1"]),
    st.sampled_from(["1e30", "9223372036854775808", "0.0001", "1n", "1u", "100Ei", ".5", "+1"]),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=6), st.integers(), max_size=2),
)

_LOOKALIKES = {
    "a": "\u0430",
    "e": "\u0435",
    "o": "\u03bf",
    "@": "\uff20",
    ".": "\u3002",
    "-": "\u2010",
}
_INVISIBLE = ["\u200b", "\u200d", "\u200e", "\u202e", "\u2066", "\ufeff", "\u00ad", "\u00a0"]
_CONTROL = ["\x00", "\x07", "\x1b[2K", "\x7f", "\x85", "\u2028", "\r", "\t", "\n"]
_INJECTED = [
    "\nclusterRole: admin",
    "\n- {name: x, email: x@example.com, clusterRole: admin}",
    "'",
    '"',
    ": x",
    " #comment",
    "*",
    "&anchor",
    "!!python/object/apply:os.system ['true']",
    "{{ .Values.x }}",
    "${HOME}",
    "\n---\nkind: ClusterRoleBinding",
    "\\",
    "%0A::error::forged",
]


@st.composite
def hostile(draw: st.DrawFn, text: str) -> str:
    """Return text made hostile: look-alikes, invisible or control characters, injections."""
    how = draw(
        st.sampled_from(
            [
                "lookalike",
                "invisible",
                "control",
                "inject",
                "space",
                "case",
                "long",
                "path",
                "unicode",
                "empty",
            ]
        )
    )
    event(f"hostile text: {how}")
    at = draw(st.integers(0, len(text)))
    if how == "lookalike":
        found = [i for i, char in enumerate(text) if char in _LOOKALIKES]
        if not found:
            return text + "\u0430"
        i = draw(st.sampled_from(found))
        return text[:i] + _LOOKALIKES[text[i]] + text[i + 1 :]
    if how == "invisible":
        return text[:at] + draw(st.sampled_from(_INVISIBLE)) + text[at:]
    if how == "control":
        return text[:at] + draw(st.sampled_from(_CONTROL)) + text[at:]
    if how == "inject":
        return text + draw(st.sampled_from(_INJECTED))
    if how == "space":
        return draw(st.sampled_from([f" {text}", f"{text} ", f"{text}\n", f"\t{text}"]))
    if how == "case":
        return text.upper() if text != text.upper() else text.lower() + "A"
    if how == "long":
        return text * draw(st.sampled_from([50, 300])) + "x" * draw(st.sampled_from([0, 10_000]))
    if how == "path":
        return draw(st.sampled_from([f"../{text}", f"{text}/../..", "/etc/passwd", f"{text}/x"]))
    if how == "unicode":
        return text + draw(st.sampled_from(["\u00df", "\u0130", "\ufb03", "\u212a", "\U0001f600"]))
    return ""


def paths(data: Any, prefix: Path_ = ()) -> list[Path_]:
    """Return the path of every node under data (not data itself), depth first."""
    found: list[Path_] = []
    items = (
        list(data.items())
        if isinstance(data, dict)
        else list(enumerate(data))
        if isinstance(data, list)
        else []
    )
    for key, value in items:
        found.append((*prefix, key))
        found += paths(value, (*prefix, key))
    return found


def parent_of(data: Any, path: Path_) -> Any:
    """Return the container that holds the node at path."""
    for part in path[:-1]:
        data = data[part]
    return data


def _non_empty_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value)


@st.composite
def mutation(draw: st.DrawFn, roster: dict[str, Any]) -> str:
    """Change roster in place in one way; return what was done."""
    everything = paths(roster)
    kind = draw(
        st.sampled_from(["hostile", "retype", "duplicate", "delete", "hostile-key", "unknown-key"])
    )
    if kind == "duplicate":
        # An earlier mutation may have retyped a list into a scalar.
        lists = [key for key in ("users", "groups", "profiles") if _non_empty_list(roster.get(key))]
        if lists:
            records = roster[draw(st.sampled_from(lists))]
            first = draw(st.sampled_from(records))
            if len(records) > 1 and draw(st.booleans()):
                second = draw(st.sampled_from(records))
                if isinstance(first, dict) and isinstance(second, dict):
                    for field in ("name", "email"):
                        if isinstance(first.get(field), str):
                            same = first[field]
                            second[field] = draw(hostile(same)) if draw(st.booleans()) else same
                return "duplicate: a name or email of another record"
            records.append(copy.deepcopy(first))
            return "duplicate: a whole record"
        kind = "retype"
    if not everything:
        return "nothing to mutate"
    path = draw(st.sampled_from(everything))
    container = parent_of(roster, path)
    key: str | int = path[-1]
    if kind == "delete":
        del container[key]
    elif kind == "retype":
        container[key] = draw(_ODD_VALUES)
    elif kind == "hostile":
        strings = [p for p in everything if isinstance(parent_of(roster, p)[p[-1]], str)]
        if strings:
            path = draw(st.sampled_from(strings))
            container, key = parent_of(roster, path), path[-1]
            container[key] = draw(hostile(container[key]))
        else:
            container[key] = draw(hostile("x"))
    elif isinstance(container, dict) and isinstance(key, str):
        value = container.pop(key)
        if kind == "hostile-key":
            container[draw(hostile(key))] = value
        else:  # a typo: one letter dropped, or its case changed
            i = draw(st.integers(0, len(key) - 1))
            typo = key[:i] + key[i + 1 :] if draw(st.booleans()) else key.swapcase()
            container[typo or "x"] = value
    else:
        container[key] = draw(hostile(str(container[key])))
    return kind


@st.composite
def mutated_rosters(draw: st.DrawFn) -> tuple[str, list[str]]:
    """Draw a valid roster, change it in one to three ways; return its text and the changes."""
    roster = draw(full_rosters())
    done = [draw(mutation(roster)) for _ in range(draw(st.integers(1, 3)))]
    return dump(roster), done


def check_mutant(text: str | bytes) -> str:
    """Check a mutated roster: located problems, or a roster that compiles; say which."""
    checked = pipeline.check_text(text, "users.yaml")  # must not raise
    if checked.roster is None:
        assert_located(checked.problems, text)
        return "outcome: refused with located problems"
    assert_compiles(checked.roster)
    return "outcome: still valid, compiled"


@fuzzed(40)
@given(mutant=mutated_rosters())
def test_a_mutated_roster_gets_located_problems_or_compiles(mutant: tuple[str, list[str]]) -> None:
    text, done = mutant
    for kind in done:
        event(f"mutation: {kind}")
    event(check_mutant(text))


# --------------------------------------------------------------------------------------------
# Mutated rosters: text
# --------------------------------------------------------------------------------------------

_INDICATORS = list(":-{}[]#&*!|>'\"%@`,?\\\t")


@st.composite
def broken_text(draw: st.DrawFn) -> tuple[str | bytes, list[str]]:
    """Draw a valid roster's text and break it as an editor or an attacker might."""
    text = dump(draw(full_rosters()))
    done = []
    for _ in range(draw(st.integers(1, 3))):
        lines = text.split("\n")
        i = draw(st.integers(0, len(lines) - 1))
        at = draw(st.integers(0, len(text)))
        how = draw(
            st.sampled_from(
                [
                    "indicator",
                    "drop-line",
                    "repeat-line",
                    "swap-lines",
                    "indent",
                    "dedent",
                    "tab",
                    "truncate",
                    "document",
                    "alias",
                    "crlf",
                    "bom",
                    "nul",
                    "duplicate-key",
                ]
            )
        )
        done.append(how)
        if how == "drop-line":
            del lines[i]
        elif how == "repeat-line":
            lines.insert(i, lines[i])
        elif how == "swap-lines":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif how == "indent":
            lines[i] = " " + lines[i]
        elif how == "dedent":
            lines[i] = lines[i][1:]
        elif how == "tab":
            lines[i] = "\t" + lines[i].lstrip(" ")
        elif how == "document":
            lines.insert(i, draw(st.sampled_from(["---", "...", "--- !!map", "%YAML 1.1"])))
        elif how == "alias":
            lines.insert(i, draw(st.sampled_from(["x: &a [1]", "y: *a", "<<: *a", "&a z: 1"])))
        elif how == "duplicate-key":
            lines.append(draw(st.sampled_from(["users: []", "version: 1", "profiles: []"])))
        if how in ("indicator", "truncate", "crlf", "bom", "nul"):
            if how == "indicator":
                text = text[:at] + draw(st.sampled_from(_INDICATORS)) + text[at:]
            elif how == "truncate":
                text = text[:at]
            elif how == "crlf":
                text = text.replace("\n", "\r\n")
            elif how == "bom":
                text = "\ufeff" + text
            else:
                text = text[:at] + "\x00" + text[at:]
        else:
            text = "\n".join(lines)
    if draw(st.integers(0, 9)) == 9:
        done.append("invalid-utf-8")
        raw = text.encode("utf-8")
        at = draw(st.integers(0, len(raw)))
        return raw[:at] + b"\xff\xfe" + raw[at:], done
    return text, done


@fuzzed(40)
@given(mutant=broken_text())
def test_a_broken_roster_text_gets_located_problems_or_compiles(
    mutant: tuple[str | bytes, list[str]],
) -> None:
    text, done = mutant
    for how in done:
        event(f"text change: {how}")
    event(check_mutant(text))


@pytest.mark.parametrize(
    "value",
    [10**400, float("inf"), float("nan"), "\x1b[2K", "a\u2028b"],
    ids=["10^400", "inf", "nan", "escape", "line-separator"],
)
def test_hostile_values_in_every_kind_of_field_are_refused_or_compile(value: object) -> None:
    # A fixed sweep next to the random ones: each value in each field of a full roster.
    base = {
        "version": 1,
        "settings": {"userIdPrefix": "p:", "namespaceLabels": {"team": "a"}, "applyUnits": 2},
        "policy": {"emailDomains": ["example.com"], "maxQuota": {"cpu": "64"}},
        "defaults": {
            "resourceQuota": {"hard": {"cpu": "8"}},
            "limitRange": {"default": {"cpu": 1}},
        },
        "users": [{"name": "ana", "email": "ana@example.com", "clusterRole": "view"}],
        "groups": [{"name": "team", "members": ["ana"]}],
        "profiles": [
            {
                "name": "team",
                "owner": "ana",
                "contributors": [{"group": "team", "role": "edit"}],
                "plugins": [
                    {
                        "kind": "AwsIamForServiceAccount",
                        "spec": {"awsIamRole": "arn:aws:iam::123456789012:role/t"},
                    }
                ],
            }
        ],
    }
    for path in paths(base):
        roster = copy.deepcopy(base)
        parent_of(roster, path)[path[-1]] = value
        check_mutant(dump(roster))
