"""The fast reader of kubectl's YAML List gives what the full reader gives, or steps aside.

Differential: every text is read by both; where the full reader refuses it the fast one
must have stepped aside, and where the fast one reads it, the objects, their values (types
included: `repr`, so True is not 1 and 1.0 is not 1), key order and lines are the same.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from compiler import importer
from compiler.importer.read import ClusterInputInvalid, ClusterObject, read_objects
from compiler.importer.read_yaml import read_list
from compiler.yamlio import emitter
from tests.conftest import REPO, golden_cases
from tests.fake_cluster import cluster_of, kubectl_list
from tests.importer.test_import import load_roster

ROSTERS = [REPO / "users.yaml", *(case / "users.yaml" for case in golden_cases())]


def assert_same_or_stepped_aside(text: str) -> list[ClusterObject] | None:
    """Read text both ways; return what the fast reader read (None: it stepped aside)."""
    fast = read_list(text, "c.yaml")
    try:
        full = read_objects(text, "c.yaml")
    except ClusterInputInvalid:
        assert fast is None, "the fast reader read what the full reader refuses"
        return None
    if fast is not None:
        assert repr(fast) == repr(full)
    return fast


@pytest.mark.parametrize("path", ROSTERS, ids=lambda p: p.parent.name or "repo")
@pytest.mark.parametrize("server_side", [False, True])
def test_the_same_objects_at_the_same_lines(path: Path, server_side: bool) -> None:
    text = emitter.dumps(kubectl_list(cluster_of(load_roster(path)), server_side=server_side))
    fast = read_list(text.encode("utf-8"), "cluster.yaml")
    assert fast is not None
    assert repr(fast) == repr(read_objects(text.encode("utf-8"), "cluster.yaml"))


# Scalars YAML readers disagree on, or that a line reader could get wrong.
TRICKY = [
    "",
    " ",
    " leading",
    "trailing ",
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "True",
    "true",
    "FALSE",
    "null",
    "Null",
    "~",
    "0",
    "-0",
    "007",
    "0o17",
    "0x1F",
    "0b101",
    "+1",
    "-1",
    "1_000",
    "1e3",
    "-.5",
    ".inf",
    "-.Inf",
    "1:20",
    "12:30:45",
    "2024-01-01",
    "2024-01-01T10:00:00Z",
    "2001-12-14 21:59:43.10 -5",
    "a: b",
    "a:b",
    "a #b",
    "a#b",
    "#a",
    "- a",
    "-a",
    "--- a",
    "...",
    "? a",
    ":a",
    "a:",
    "[a]",
    "{a: 1}",
    "a, b",
    "&anchor",
    "*alias",
    "!tag",
    "!!str",
    "|",
    ">",
    "'",
    "''",
    '"',
    "'quoted'",
    '"quoted"',
    "back\\slash",
    "tab\there",
    "line\nbreak",
    "ends with break\n",
    "two breaks\n\n",
    "\nleading break",
    "cr\rhere",
    "nel\x85here",
    "ls\u2028here",
    "bom\ufeffhere",
    "bell\x07",
    "del\x7f",
    "é",
    "日本語",
    "emoji \U0001f600",
    "\u00a0nbsp",
    "%percent",
    "@at",
    "`tick",
    'k:{"name":"x"}',
    "f:metadata",
    "x" * 200,
    "word " * 40,
    '{"apiVersion":"v1","kind":"Namespace"}',
]

_KEY_CHARS = st.sampled_from([*"abkf.:-_/{}\"' #&*!|>?%@`,[]\tü", "\U0001f600"])
_KEYS = st.one_of(
    st.sampled_from(["name", "f:metadata", ".", 'k:{"uid":"1"}', "a b", "yes", "1", "~"]),
    st.text(_KEY_CHARS, min_size=1, max_size=8),
    st.sampled_from(TRICKY),
    st.integers(1020, 1030).map(lambda n: "k" * n),
)
_SCALARS = st.one_of(
    st.sampled_from(TRICKY),
    st.text(max_size=12),
    st.integers(),
    st.sampled_from([10**30, -(10**30), 10**700]),
    st.booleans(),
    st.none(),
)
# kfroster's emitter writes no floats (no manifest holds one); PyYAML writes them.
_WITH_FLOATS = _SCALARS | st.floats(allow_nan=False) | st.sampled_from([-0.0, 1e300, 1.5])


def _values(scalars: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=3),
        max_leaves=8,
    )


_NAMES = st.one_of(st.sampled_from(TRICKY), st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True))


@st.composite
def kubectl_objects(draw: st.DrawFn, scalars: st.SearchStrategy[Any] = _SCALARS) -> dict[str, Any]:
    """A kubectl-shaped object: apiVersion, kind, metadata, then anything."""
    metadata: dict[str, Any] = {"name": draw(_NAMES)}
    if draw(st.booleans()):
        metadata["namespace"] = draw(_NAMES)
    for part in ("annotations", "labels"):
        if draw(st.booleans()):
            metadata[part] = draw(st.dictionaries(_KEYS, scalars, max_size=4))
    body = {
        "apiVersion": draw(st.sampled_from(["v1", "rbac.authorization.k8s.io/v1", "yes"])),
        "kind": draw(st.sampled_from(["Namespace", "RoleBinding", "Profile", "List", "on"])),
        "metadata": metadata,
    }
    parts = st.sampled_from(["spec", "subjects", "data"])
    body.update(draw(st.dictionaries(parts, _values(scalars))))
    return body


# Dumps are built and read twice per example; a loaded machine must not fail the health check.
RELAXED = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _listing(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}


def _pyyaml(listing: dict[str, Any], style: str | None, width: int, unicode: bool) -> str:
    # Another emitter's choices: quoting styles, folded long lines, escapes, `? ` keys.
    return yaml.safe_dump(
        listing,
        default_style=style,  # type: ignore[arg-type]
        width=width,
        allow_unicode=unicode,
        default_flow_style=False,
    )


@RELAXED
@given(st.lists(kubectl_objects(), max_size=3))
def test_kubectl_shaped_dumps_read_alike(items: list[dict[str, Any]]) -> None:
    try:
        text = emitter.dumps(_listing(items))
    except ValueError:  # a key too long for any reader: the emitter refuses it
        return
    assert_same_or_stepped_aside(text)


@RELAXED
@given(
    st.lists(kubectl_objects(_WITH_FLOATS), max_size=3),
    st.sampled_from([None, "'", '"']),
    st.integers(20, 200),
    st.booleans(),
)
def test_another_emitters_dumps_read_alike(
    items: list[dict[str, Any]], style: str | None, width: int, unicode: bool
) -> None:
    assert_same_or_stepped_aside(_pyyaml(_listing(items), style, width, unicode))


_INSERTS = ["\t", "\r", "\u2028", "\ufeff", "\x85", "\x00", " ", "  ", "# c", " #", ": ", ":",
            "- ", "-", "? ", "&a ", "*a", "!t ", "|", "|2", ">", "'", '"', "\\", "%", "@", "`",
            "[", "]", "{", "}", ",", "---", "...", "\n", "\n\n", "\n  ", "é", "0", "~"]  # fmt: skip


@st.composite
def mutated_dumps(draw: st.DrawFn) -> str:
    """A dump kfroster's emitter wrote, then edited line by line."""
    items = draw(st.lists(kubectl_objects(), min_size=1, max_size=3))
    try:
        text = emitter.dumps(_listing(items))
    except ValueError:  # a key too long for any reader: the emitter refuses it
        assume(False)
    lines = text.split("\n")
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(lines) - 1))
        line = lines[at]
        edits = ["insert", "indent", "dedent", "copy", "drop", "swap", "long key"]
        edit = draw(st.sampled_from(edits))
        if edit == "long key":  # libyaml refuses an implicit key beyond 1,024 characters
            indent = line[: len(line) - len(line.lstrip(" -"))]
            lines.insert(at, indent + "k" * draw(st.integers(1020, 1030)) + ": v")
        elif edit == "insert":
            cut = draw(st.integers(0, len(line)))
            lines[at] = line[:cut] + draw(st.sampled_from(_INSERTS)) + line[cut:]
        elif edit == "indent":
            lines[at] = " " * draw(st.integers(1, 3)) + line
        elif edit == "dedent":
            lines[at] = line[draw(st.integers(1, 3)) :]
        elif edit == "copy":
            lines.insert(at, line)
        elif edit == "drop":
            del lines[at]
        elif at + 1 < len(lines):
            lines[at], lines[at + 1] = lines[at + 1], line
    return "\n".join(lines)


@RELAXED
@given(mutated_dumps())
def test_edited_dumps_read_alike_or_are_left_to_the_full_reader(text: str) -> None:
    assert_same_or_stepped_aside(text)


def test_tricky_scalars_are_read_fast_as_kfroster_writes_them() -> None:
    # The differential tests pass trivially if the fast reader always steps aside.
    readable = [value for value in TRICKY if value.isprintable() or value.endswith("\n")]
    item = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "tricky", "annotations": {f"k{i}": v for i, v in enumerate(TRICKY)}},
        "data": {f"k{i}": v for i, v in enumerate(readable)},
        "numbers": [0, -1, 10**30, True, False, None, [], {}],
    }
    text = emitter.dumps(_listing([item]))
    fast = assert_same_or_stepped_aside(text)
    assert fast is not None
    assert fast[0].body == item


@pytest.mark.parametrize(
    ("edit", "why"),
    [
        (lambda t: t.replace("kind: Namespace", "kind: !!str Namespace"), "a tag"),
        (lambda t: t.replace("name: team", "name: &a team"), "an anchor"),
        (lambda t: t.replace("name: team", "name: team # a comment"), "a comment"),
        (lambda t: t.replace("  kind: Namespace", "  kind: Namespace\n  kind: Secret"), "dup"),
        (lambda t: t.replace("  kind: Namespace", "  kind: >\n    Namespace"), "folded"),
        (lambda t: t.replace("name: team", "name: 'te\n      am'"), "multi-line quoted"),
        (lambda t: t.replace("name: team", f"name: team\n    {'k' * 1025}: v"), "a long key"),
        (lambda t: "---\n" + t, "a document marker"),
        (lambda t: t.replace("name: team", "name:\tteam"), "a tab"),
        (lambda t: t.replace("\n", "\r\n"), "carriage returns"),
        (lambda t: t.rstrip("\n"), "no final line feed"),
        (lambda t: t.replace("kind: List", "kind: NamespaceList"), "a typed list"),
        (lambda t: t.replace("name: team", 'name: "\\ud83d"'), "an escaped surrogate"),
        (lambda t: t.replace("name: team", 'name: "\\e"'), "an escape it does not know"),
        (lambda t: t.replace("name: team", "name: " + "9" * 5000), "a number too long"),
    ],
)
def test_anything_but_a_plain_list_is_left_to_the_full_reader(edit: Any, why: str) -> None:
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}
    text = emitter.dumps(_listing([namespace]))
    assert read_list(text, "c.yaml") is not None
    edited = edit(text)
    assert edited != text, why
    assert read_list(edited, "c.yaml") is None, why
    assert_same_or_stepped_aside(edited)


def test_a_duplicate_key_is_refused_at_its_line_through_the_full_reader() -> None:
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}
    text = emitter.dumps(_listing([namespace, namespace]))
    text = text.replace("    name: team\n", "    name: team\n    name: other\n", 1)
    assert text.splitlines()[6] == "    name: other"
    with pytest.raises(ClusterInputInvalid) as refused:
        importer.read_cluster([("c.yaml", text.encode("utf-8"))])
    [problem] = refused.value.problems
    assert (problem.line, problem.rule) == (7, "import-yaml")
    assert "duplicate key 'name'" in problem.message
