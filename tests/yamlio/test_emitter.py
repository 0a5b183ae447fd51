"""The YAML emitter: exact text, and loss-free reading under YAML 1.1 and 1.2 rules."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from compiler.model.keys import Manifest
from compiler.yamlio.emitter import GENERATED_MARK, dumps, dumps_file, header


def load_12(text: str) -> Any:
    """Read like a YAML 1.2 tool (ruamel's pure-Python safe loader)."""
    return YAML(typ="safe", pure=True).load(text)


def load_11(text: str) -> Any:
    """Read with YAML 1.1 rules, as Kubernetes does (PyYAML's safe loader)."""
    return yaml.safe_load(text)


def assert_same(loaded: Any, expected: Any) -> None:
    """Compare values and exact types all the way down: "8" must stay a str, True a bool."""
    assert type(loaded) is type(expected), (loaded, expected)
    if isinstance(expected, dict):
        assert list(loaded) == list(expected)  # key order survives too
        for key in expected:
            assert_same(loaded[key], expected[key])
    elif isinstance(expected, list):
        assert len(loaded) == len(expected)
        for got, want in zip(loaded, expected, strict=True):
            assert_same(got, want)
    else:
        assert loaded == expected


TRAP_WORDS = (
    # YAML 1.1 booleans, nulls and their case variants
    *("y", "Y", "n", "N", "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off"),
    *("OFF", "true", "True", "TRUE", "false", "False", "FALSE", "null", "Null", "NULL", "~", ""),
    # integers: decimal, octal (1.1 and 1.2), hex, binary, underscores, sexagesimal
    *("8", "-8", "+8", "0", "0755", "0o755", "0x1F", "0b101", "1_000", "12:30", "1:20:30", "-1:20"),
    # floats
    *("1e3", "1E3", "1.5", ".5", "-.5", "1.", "1_0.5", "1:20.5", "6.8523015e+5", "1e-3"),
    *(".inf", "-.inf", "+.inf", ".Inf", ".NaN", ".nan", ".NAN"),
    # dates and timestamps (YAML 1.1 readers return date/datetime objects)
    *("2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5", "2002-1-2"),
    # merge key, value key, document markers, indicators
    *("<<", "=", "---", "...", "- x", "? x", ": x", "x:", "a: b", "a #b", "#a", "&a", "*a", "!a"),
    *("|", ">", "'", '"', "%", "@a", "`a", "[a]", "{a}", ",a", "a ", " a", "a\tb", "-", "?", ":"),
    # line breaks and invisible characters
    *("a\nb", "a\rb", "a\x85b", "a\u2028b", "a\u2029b", "\ufeffa", "a\x00b", "a\x7fb", "a\u200bb"),
    *("\u202eevil", "nbsp\xa0", "a\\b", "\U0001f600", "\U000e0001", "\ufffe", "\uffff"),
)

KEEP_PLAIN = (
    "alice@example.com",
    "Alice.Smith+ml@Example.COM",
    "kubeflow.org/v1",
    "rbac.authorization.k8s.io",
    "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account",
    "app.kubernetes.io/managed-by",
    "500Gi",
    "800m",
    "2",
    "v1",
    "user-alice-example-com-clusterrole-edit",
    "Prune=false,Delete=false",
    "ghcr.io/kubeflow/notebook:v1.8.0",
    "Alice Smith",
    "yesterday",
    "nothing",
)


@pytest.mark.parametrize("word", TRAP_WORDS)
def test_trap_words_read_back_as_strings(word: str) -> None:
    text = dumps({word: word, "list": [word]})
    assert_same(load_11(text), {word: word, "list": [word]})
    assert_same(load_12(text), {word: word, "list": [word]})


@pytest.mark.parametrize("word", KEEP_PLAIN)
def test_ordinary_kubernetes_strings_stay_plain(word: str) -> None:
    if word == "2":  # the one number-looking string in the list, to show the contrast
        assert dumps({"a": word}) == "a: '2'\n"
    else:
        assert dumps({word: word}) == f"{word}: {word}\n"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("8", "'8'"),
        ("true", "'true'"),
        ("1e3", "'1e3'"),
        ("0755", "'0755'"),
        ("12:30", "'12:30'"),
        ("y", "'y'"),
        ("Off", "'Off'"),
        ("~", "'~'"),
        ("", "''"),
        ("it's", "'it''s'"),
        (" padded ", "' padded '"),
        ("a: b", "'a: b'"),
        ("x #y", "'x #y'"),
        ("-x", "'-x'"),
        ("@x", "'@x'"),
        ("2001-12-14", "'2001-12-14'"),
        ("élan", "'élan'"),
        ("two\nlines", '"two\\nlines"'),
        ("tab\there", '"tab\\there"'),
        ('q"b\\s\n', '"q\\"b\\\\s\\n"'),
        ("nel\x85ls\u2028ps\u2029bom\ufeff", '"nel\\x85ls\\u2028ps\\u2029bom\\ufeff"'),
        ("nul\x00esc\x1b", '"nul\\x00esc\\x1b"'),
        ("tag\U000e0041", '"tag\\U000e0041"'),
        (True, "true"),
        (False, "false"),
        (None, "null"),
        (0, "0"),
        (-42, "-42"),
        ({}, "{}"),
        ([], "[]"),
    ],
)
def test_scalar_styles(value: object, expected: str) -> None:
    assert dumps({"k": value}) == f"k: {expected}\n"


ROLE_BINDING: Manifest = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "RoleBinding",
    "metadata": {
        "name": "user-alice-example-com-clusterrole-edit",
        "namespace": "team-a",
        "annotations": {"role": "edit", "user": "alice@example.com"},
        "labels": {"app.kubernetes.io/managed-by": "kfroster", "enabled": "true"},
    },
    "roleRef": {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "kubeflow-edit",
    },
    "subjects": [
        {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice@example.com"}
    ],
}

ROLE_BINDING_YAML = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: user-alice-example-com-clusterrole-edit
  namespace: team-a
  annotations:
    role: edit
    user: alice@example.com
  labels:
    app.kubernetes.io/managed-by: kfroster
    enabled: 'true'
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: kubeflow-edit
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: alice@example.com
"""


def test_typical_manifest_exact_text() -> None:
    assert dumps(ROLE_BINDING) == ROLE_BINDING_YAML


def test_nested_collections_exact_text() -> None:
    manifest: Manifest = {
        "z": 1,
        "a": {"empty": {}, "none": [], "deep": {"x": [1, "2"]}},
        "rows": [[1, [2, {}]], [], {"k": [True, None], "m": {"p": "o"}}, {}],
    }
    assert dumps(manifest) == (
        "z: 1\n"
        "a:\n"
        "  empty: {}\n"
        "  none: []\n"
        "  deep:\n"
        "    x:\n"
        "    - 1\n"
        "    - '2'\n"
        "rows:\n"
        "- - 1\n"
        "  - - 2\n"
        "    - {}\n"
        "- []\n"
        "- k:\n"
        "  - true\n"
        "  - null\n"
        "  m:\n"
        "    p: o\n"
        "- {}\n"
    )
    assert_same(load_11(dumps(manifest)), manifest)
    assert_same(load_12(dumps(manifest)), manifest)


def test_empty_manifest() -> None:
    assert dumps({}) == "{}\n"


def test_keys_keep_insertion_order() -> None:
    assert dumps({"kind": "A", "apiVersion": "v1", "b": 1, "a": 2}) == (
        "kind: A\napiVersion: v1\nb: 1\na: 2\n"
    )


def test_header_is_one_line() -> None:
    line = header("users.yaml")
    assert line == (
        "# Generated by kfroster from users.yaml. "
        "Do not edit: change users.yaml and run kfroster compile.\n"
    )
    assert line.startswith(GENERATED_MARK)


@pytest.mark.parametrize("name", ["", "a/users.yaml", "/abs/users.yaml", "users\n.yaml"])
def test_header_refuses_anything_but_a_bare_file_name(name: str) -> None:
    with pytest.raises(ValueError, match="bare file name"):
        header(name)


def test_dumps_file_exact_text() -> None:
    docs: list[Manifest] = [{"kind": "A"}, {"kind": "B", "size": 1}]
    text = dumps_file(docs, "users.yaml")
    assert text == header("users.yaml") + "---\nkind: A\n---\nkind: B\nsize: 1\n"
    assert list(yaml.safe_load_all(text)) == docs
    assert list(YAML(typ="safe", pure=True).load_all(text)) == docs


def test_dumps_file_without_manifests_is_the_header() -> None:
    assert dumps_file([], "users.yaml") == header("users.yaml")


@pytest.mark.parametrize("value", [1.5, b"bytes", {1, 2}, object()])
def test_unsupported_values_are_refused(value: object) -> None:
    with pytest.raises(TypeError, match="cannot write"):
        dumps({"k": value})


def test_non_string_keys_are_refused() -> None:
    with pytest.raises(TypeError, match="keys must be str"):
        dumps({1: "x"})  # type: ignore[dict-item]


def test_lone_surrogates_are_refused() -> None:
    with pytest.raises(ValueError, match="surrogate"):
        dumps({"k": "a\ud800"})


def test_overlong_keys_are_refused_not_mangled() -> None:
    # 1,024 characters is the implicit-key limit of libyaml, go-yaml, PyYAML and ruamel.
    fits = "k" * 1024
    assert_same(load_11(dumps({fits: 1})), {fits: 1})
    assert_same(load_12(dumps({fits: 1})), {fits: 1})
    with pytest.raises(ValueError, match="longer than 1024"):
        dumps({"k" * 1025: 1})


# --- properties -------------------------------------------------------------------------------

# Every code point but lone surrogates, which no UTF-8 file (and no Kubernetes object) can hold.
any_char = st.characters(codec="utf-8")
# Characters that make YAML interesting, so short strings often hit a trap.
yaml_chars = st.sampled_from(list("yYnNoOfFtTeEx0123456789:._-+~=<>#'\"\\@`!&*|%?,[]{} \t\n\r\x85"))
strings = st.one_of(
    st.sampled_from(TRAP_WORDS + KEEP_PLAIN),
    st.text(any_char),
    st.text(yaml_chars, max_size=8),
)
# Keys are bounded so that even fully escaped (10 characters per code point, `\U0001f600`)
# they stay under the 1,024-character implicit-key limit that every YAML reader enforces;
# test_overlong_keys_are_refused_not_mangled covers the limit itself.
keys = st.one_of(
    st.sampled_from(TRAP_WORDS + KEEP_PLAIN),
    st.text(any_char, max_size=100),
    st.text(yaml_chars, max_size=8),
)
scalars = st.one_of(strings, st.integers(), st.booleans(), st.none())
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=25,
)
manifests = st.dictionaries(keys, values, max_size=6)


@settings(max_examples=400, deadline=None)
@given(manifests)
def test_yaml_11_reader_gets_the_input_back(manifest: Manifest) -> None:
    assert_same(load_11(dumps(manifest)), manifest)


@settings(max_examples=400, deadline=None)
@given(manifests)
def test_yaml_12_reader_gets_the_input_back(manifest: Manifest) -> None:
    assert_same(load_12(dumps(manifest)), manifest)


@settings(max_examples=100, deadline=None)
@given(st.lists(manifests, max_size=4))
def test_whole_files_read_back_under_both_rules(docs: list[Manifest]) -> None:
    text = dumps_file(docs, "users.yaml")
    assert text.endswith("\n") and not text.endswith("\n\n")
    assert "\r" not in text
    assert_same(list(yaml.safe_load_all(text)), docs)
    assert_same(list(YAML(typ="safe", pure=True).load_all(text)), docs)


@settings(max_examples=200, deadline=None)
@given(manifests)
def test_same_input_same_bytes(manifest: Manifest) -> None:
    first = dumps_file([manifest], "users.yaml").encode("utf-8")
    assert dumps_file([copy.deepcopy(manifest)], "users.yaml").encode("utf-8") == first
