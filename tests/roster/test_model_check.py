"""The fast check of a valid roster never changes a verdict.

`model_check.parse_whole` validates a whole roster in one Pydantic pass, and when it accepts,
jsonschema never sees the roster. That is only sound if it accepts nothing the
schema refuses, and if what it builds is exactly what the per-record `parse` builds.
These properties check both on valid rosters and on rosters mutated near the edge
of validity (nulls, booleans for numbers, integral floats, unknown and missing keys,
over-long or look-alike text).
"""

from __future__ import annotations

import copy
import io
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from compiler import pipeline
from compiler.problems import RosterInvalid
from compiler.roster import model_check, schema
from compiler.roster.source import Source, loads
from tests.strategies import examples, rosters

# Values that sit on either side of some rule of the schema or the models.
_EDGE_VALUES: tuple[Any, ...] = (
    None,
    True,
    False,
    0,
    1,
    -1,
    2,
    1.0,
    0.5,
    2**64,
    "",
    "a",
    "A",
    " a",
    "a\n",
    "x" * 64,
    "x" * 254,
    "8",
    "500m",
    "1e3",
    "32GB",
    "-1",
    "edit",
    "view",
    "admin",
    "allow",
    "deny",
    "In",
    "BestEffort",
    "WorkloadIdentity",
    "AwsIamForServiceAccount",
    "a@example.com",
    "\u0430@example.com",  # a Cyrillic small a
    "example.com",
    "app.kubernetes.io/x",
    "abcdef@p.iam.gserviceaccount.com",
    "arn:aws:iam::123456789012:role/x",
    [],
    {},
    ["a"],
    [None],
    {"a": "b"},
    {"cpu": "1"},
    {"cpu": 1.0},
)
# Keys of the roster's mappings, and near misses of them.
_EDGE_KEYS = (
    "name",
    "email",
    "user",
    "group",
    "role",
    "owner",
    "clusterRole",
    "cluster_role",
    "members",
    "hard",
    "scopes",
    "cpu",
    "memory",
    "default",
    "defaultRequest",
    "resourceQuota",
    "limitRange",
    "contributors",
    "plugins",
    "kind",
    "spec",
    "settings",
    "applyUnits",
    "manageNamespaces",
    "namespaceLabels",
    "emailDomains",
    "version",
    "unknown",
)


# Stands for a node (or key) copied from a place of the same shape in the same roster:
# such copies are often valid where they land (one user's email for another's), so
# about half the mutated rosters stay valid and the fast path's verdict is put to the test.
_FROM_DOCUMENT = object()
_value = (
    st.just(_FROM_DOCUMENT) | st.sampled_from(_EDGE_VALUES) | st.integers() | st.text(max_size=8)
)
# What to do, where (an index into the document's mappings and lists), the index of
# the node or key to copy, the value, and a key (for "add" and "rename").
Mutation = tuple[str, int, int, Any, Any]
_mutation = st.tuples(
    st.sampled_from(["replace"] * 4 + ["delete"] * 2 + ["add", "rename"]),
    st.integers(min_value=0),
    st.integers(min_value=0),
    _value,
    st.sampled_from(_EDGE_KEYS) | st.just(_FROM_DOCUMENT),
)


Shape = tuple[str, ...]  # a node's path, every list index written as "*"


def _nodes(node: Any, shape: Shape = (), found: list[tuple[Shape, Any]] | None = None) -> Any:
    """List every node of the document with its shape, outermost first."""
    found = [] if found is None else found
    found.append((shape, node))
    if isinstance(node, dict):
        for key, child in node.items():
            _nodes(child, (*shape, key), found)
    elif isinstance(node, list):
        for child in node:
            _nodes(child, (*shape, "*"), found)
    return found


def _mutate(roster: dict[str, Any], mutations: list[Mutation]) -> dict[str, Any]:
    document = copy.deepcopy(roster)
    for mutation in mutations:
        _apply(document, mutation)
    return document


def _apply(document: dict[str, Any], mutation: Mutation) -> None:
    operation, where, copied, drawn, drawn_key = mutation
    nodes: list[tuple[Shape, Any]] = _nodes(document)
    containers = [(shape, node) for shape, node in nodes if isinstance(node, dict | list)]
    shape, container = containers[where % len(containers)]

    def value_at(wanted: Shape) -> Any:
        """The drawn value, or a copy of a node of the same shape (often valid there)."""
        if drawn is not _FROM_DOCUMENT:
            return copy.deepcopy(drawn)
        alike = [node for other, node in nodes if other == wanted] or [n for _, n in nodes]
        return copy.deepcopy(alike[copied % len(alike)])

    if isinstance(container, list):
        if operation == "add" or not container:
            container.append(value_at((*shape, "*")))
        elif operation == "delete":
            del container[where % len(container)]
        else:
            container[where % len(container)] = value_at((*shape, "*"))
        return
    key = drawn_key
    if key is _FROM_DOCUMENT:
        # A key of a mapping of the same shape, else any key of the document.
        alike_keys = sorted(
            {name for other, node in containers if other == shape for name in node}
            or {name for _, node in containers if isinstance(node, dict) for name in node}
        )
        key = alike_keys[copied % len(alike_keys)]
    if operation == "add" or not container:
        container[key] = value_at((*shape, key))
        return
    chosen = sorted(container)[where % len(container)]
    if operation == "delete":
        del container[chosen]
    elif operation == "rename":
        container[key] = container.pop(chosen)
    else:
        container[chosen] = value_at((*shape, chosen))


def _load(document: Any) -> Source:
    stream = io.StringIO()
    YAML(typ="safe", pure=True).dump(document, stream)
    return loads(stream.getvalue(), "users.yaml")


def _checked_the_slow_way(loaded: Source) -> pipeline.Checked:
    """Check as if the fast pass did not exist: jsonschema, then per-record models."""
    with mock.patch.object(model_check, "parse_whole", return_value=None):
        return pipeline.check_source(loaded)


def _assert_same_parse(fast: model_check.Parsed, slow: model_check.Parsed) -> None:
    assert fast.roster == slow.roster
    assert (fast.dropped, fast.incomplete, fast.partial) == (
        slow.dropped,
        slow.incomplete,
        slow.partial,
    )
    assert fast.problems == slow.problems == ()
    for section in ("settings", "policy", "defaults"):
        fast_record, slow_record = getattr(fast.roster, section), getattr(slow.roster, section)
        assert (id(fast_record) in fast.origins) == (id(slow_record) in slow.origins)
        if id(slow_record) in slow.origins:
            assert fast.path_of(fast_record) == slow.path_of(slow_record)
    for kind in ("users", "groups", "profiles"):
        for fast_record, slow_record in zip(
            getattr(fast.roster, kind), getattr(slow.roster, kind), strict=True
        ):
            assert fast.path_of(fast_record) == slow.path_of(slow_record)


@settings(max_examples=examples(100), deadline=None)
@given(roster=rosters())
def test_every_valid_roster_takes_the_fast_path_to_the_same_result(roster: dict[str, Any]) -> None:
    loaded = _load(roster)
    fast = model_check.parse_whole(loaded)
    assert fast is not None
    _assert_same_parse(fast, model_check.parse(loaded))
    assert pipeline.check_source(loaded) == _checked_the_slow_way(loaded)


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(roster=rosters(), mutations=st.lists(_mutation, min_size=1, max_size=2))
@example(roster={"version": 1}, mutations=[("replace", 0, 0, True, "version")])
def test_what_the_fast_path_accepts_the_schema_accepts(
    roster: dict[str, Any], mutations: list[Mutation]
) -> None:
    try:
        loaded = _load(_mutate(roster, mutations))
    except RosterInvalid:
        return  # refused as YAML (a control character): no check runs at all
    fast = model_check.parse_whole(loaded)
    if fast is None:
        return  # the slow path runs, exactly as before the fast one existed
    assert schema.check(loaded) == []
    _assert_same_parse(fast, model_check.parse(loaded))
    assert pipeline.check_source(loaded) == _checked_the_slow_way(loaded)


@pytest.mark.parametrize(
    "text",
    [
        # Pydantic compares a Literal with ==, so true passes for 1, even in strict mode.
        "version: true\n",
        # The models take null for an absent optional field; the schema never takes null.
        "version: 1\nusers:\n- {name: a, email: a@x.io, clusterRole: null}\n",
        "version: 1\nprofiles:\n"
        "- {name: p, owner: a, contributors: [{user: ~, group: g, role: edit}]}\n",
        "version: 1\nprofiles:\n- {name: p, owner: a, resourceQuota: null}\n",
    ],
)
def test_what_only_the_lenient_models_would_take_goes_the_slow_way(text: str) -> None:
    loaded = loads(text, "users.yaml")
    assert model_check.parse_whole(loaded) is None
    assert schema.check(loaded) != []
    assert pipeline.check_source(loaded).roster is None
