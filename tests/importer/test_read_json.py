"""The fast reader of kubectl's JSON List gives what the YAML reader gives, or steps aside."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compiler import importer
from compiler.importer import read_yaml
from compiler.importer.read import ClusterInputInvalid, read_objects
from compiler.importer.read_json import read_list, same_unchecked
from compiler.yamlio import emitter
from tests.conftest import REPO, golden_cases
from tests.fake_cluster import cluster_of, kubectl_list
from tests.importer.test_import import load_roster

ROSTERS = [REPO / "users.yaml", *(case / "users.yaml" for case in golden_cases())]


@pytest.mark.parametrize("path", ROSTERS, ids=lambda p: p.parent.name or "repo")
@pytest.mark.parametrize("indent", [None, 2, 4])
def test_the_same_objects_at_the_same_lines(path: Path, indent: int | None) -> None:
    listing = kubectl_list(cluster_of(load_roster(path)), server_side=indent == 4)
    text = json.dumps(listing, indent=indent)
    fast = read_list(text.encode("utf-8"), "cluster.json")
    assert fast is not None
    assert fast == read_objects(text.encode("utf-8"), "cluster.json")


@pytest.mark.parametrize("form", ["json", "yaml"])
def test_every_reader_drops_managed_fields_and_keeps_the_rest(form: str) -> None:
    listing = kubectl_list(cluster_of(load_roster(REPO / "users.yaml")))
    assert all("managedFields" in item["metadata"] for item in listing["items"])
    text = json.dumps(listing, indent=4) if form == "json" else emitter.dumps(listing)
    readers = [read_objects(text.encode("utf-8"), "c")]  # the reader of everything
    fast = read_list(text, "c") if form == "json" else read_yaml.read_list(text, "c")
    assert fast is not None
    readers.append(fast)
    expected = []
    for item in listing["items"]:
        metadata = {k: v for k, v in item["metadata"].items() if k != "managedFields"}
        expected.append({**item, "metadata": metadata})
    for objects in readers:
        assert [obj.body for obj in objects] == expected


def _list(*items: object, **top: object) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": list(items), **top}, indent=2)


NAMESPACE = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}


def test_numbers_are_read_as_yaml_reads_them() -> None:
    item = {**NAMESPACE, "spec": {"big": 12345678901234567890, "small": 7, "real": 1.5e3}}
    text = _list(item)
    fast = read_list(text, "c.json")
    assert fast is not None and fast == read_objects(text, "c.json")
    assert fast[0].body["spec"] == {"big": 12345678901234567890, "small": 7, "real": 1500.0}


@pytest.mark.parametrize(
    "text",
    [
        _list(NAMESPACE).replace('"kind": "Namespace"', '"kind": "Namespace", "kind": "Secret"'),
        _list(NAMESPACE).replace('"team"', "NaN"),
        _list(NAMESPACE).replace('"team"', '"\\ud83d\\ude00"'),
        _list(NAMESPACE) + _list(NAMESPACE),
        json.dumps({"apiVersion": "v1", "kind": "NamespaceList", "items": [NAMESPACE]}),
        json.dumps(NAMESPACE),
        _list(_list(NAMESPACE)),
        _list(["not", "an", "object"]),
        _list({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": 5}}),
        "[" * 5000 + "]" * 5000,
    ],
)
def test_anything_but_a_plain_list_is_left_to_the_yaml_reader(text: str) -> None:
    assert read_list(text, "c.json") is None


def test_deep_nesting_is_left_to_the_yaml_reader() -> None:
    text = _list(NAMESPACE).replace('"team"', '"team", "deep": ' + "[" * 5000 + "]" * 5000)
    assert read_list(text, "c.json") is None
    with pytest.raises(ClusterInputInvalid) as refused:
        importer.read_cluster([("c.json", text)])
    assert refused.value.problems[0].rule == "import-yaml"


def test_a_duplicate_key_is_refused_at_its_line_through_the_yaml_reader() -> None:
    text = _list(NAMESPACE).replace('"kind": "Namespace"', '"kind": "Namespace", "kind": "Secret"')
    with pytest.raises(ClusterInputInvalid) as refused:
        importer.read_cluster([("c.json", text)])
    [problem] = refused.value.problems
    assert (problem.line, problem.rule) == (7, "import-yaml")
    assert "duplicate key 'kind'" in problem.message


@pytest.mark.parametrize(
    ("text", "unique"),
    [
        (_list(NAMESPACE), True),
        (_list(NAMESPACE).replace('"kind": "Namespace"', '"kind": "S", "kind": "S"'), False),
        (_list({**NAMESPACE, "spec": {"a": {"b": 1}}}).replace('"b": 1', '"b": 1, "b": 2'), False),
        (_list(NAMESPACE).replace('"kind": "List"', '"kind": "List", "kind": "List"'), False),
        (_list(NAMESPACE).replace('"team"', '"team", "x": NaN, "x": 1'), True),  # not plain
        ("kind: List\n", True),  # YAML: its reader checks keys
        (b"\xff{}", True),  # not UTF-8: the YAML reader's
        (_list(NAMESPACE).replace('"team"', '"te\\ud83d\\ude00am"'), False),  # escaped surrogates
    ],
)
def test_same_unchecked_finds_what_only_the_checked_read_refuses(
    text: str | bytes, unique: bool
) -> None:
    assert same_unchecked(text) is unique
    unchecked = read_list(text, "c.json", unchecked=True)
    checked = read_list(text, "c.json")
    # Where the text is the same unchecked, both reads agree; where not, only the check
    # refuses (the List's own key twice is refused by both: it is looked for either way).
    if unique:
        assert unchecked == checked
    else:
        assert checked is None
        assert unchecked is not None or '"kind": "List", "kind"' in str(text)


def test_invalid_utf8_is_left_to_the_yaml_reader() -> None:
    assert read_list(_list(NAMESPACE).encode("utf-8") + b"\xff", "c.json") is None
