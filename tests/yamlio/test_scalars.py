"""yamlio.scalars: what a plain scalar means (YAML 1.2 core); quotes read alike by 1.1 and 1.2."""

from __future__ import annotations

import math
import sys
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from ruamel.yaml import YAML

from compiler.yamlio.scalars import NumberTooLong, quote, resolve_plain, scalar
from tests.yamlio.test_emitter import KEEP_PLAIN, TRAP_WORDS, assert_same, strings

# The YAML 1.2 core schema (yaml.org/spec/1.2.2, 10.3.2 "Tag Resolution"), written out.
CORE_SCHEMA: list[tuple[str, Any]] = [
    ("", None),
    ("~", None),
    ("null", None),
    ("NULL", None),
    ("nULL", "nULL"),
    ("true", True),
    ("False", False),
    ("yes", "yes"),  # a YAML 1.1 boolean only
    ("on", "on"),
    ("0", 0),
    ("-17", -17),
    ("+17", 17),
    ("0755", 755),  # decimal in 1.2
    ("0o17", 15),
    ("0x1F", 31),
    ("0b101", "0b101"),  # 1.1 only
    ("1_000", "1_000"),  # 1.1 only
    ("12:30", "12:30"),  # sexagesimal: 1.1 only
    ("1234567890123456789012", 1234567890123456789012),  # no 18-digit cap
    ("1.5", 1.5),
    (".5", 0.5),
    ("1.", 1.0),
    ("1e3", 1000.0),
    ("-1E-3", -0.001),
    (".inf", math.inf),
    ("-.Inf", -math.inf),
    ("+.INF", math.inf),
    ("2001-12-14", "2001-12-14"),  # a timestamp in 1.1 only
    ("alice", "alice"),
    ("-x", "-x"),
]


@pytest.mark.parametrize(("text", "expected"), CORE_SCHEMA)
def test_plain_scalars_resolve_under_the_yaml_12_core_schema(text: str, expected: Any) -> None:
    assert_same(resolve_plain(text), expected)


@pytest.mark.parametrize("text", [".nan", ".NaN", ".NAN"])
def test_nan(text: str) -> None:
    value = resolve_plain(text)
    assert isinstance(value, float) and math.isnan(value)


def test_a_number_python_will_not_convert_is_refused_not_stalled() -> None:
    digits = sys.get_int_max_str_digits() or 4300
    assert resolve_plain("9" * digits) == int("9" * digits)
    with pytest.raises(NumberTooLong):
        resolve_plain("9" * (digits + 1))
    with pytest.raises(NumberTooLong):
        resolve_plain("-" + "9" * (digits + 1))


@pytest.mark.parametrize("word", TRAP_WORDS + KEEP_PLAIN)
def test_what_quote_leaves_plain_resolves_to_itself(word: str) -> None:
    for flow in (False, True):
        written = quote(word, flow=flow)
        if written == word:
            assert resolve_plain(word) == word


def load_11(text: str) -> Any:
    return yaml.safe_load(text)


def load_12(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(text)


@settings(max_examples=400, deadline=None)
@given(strings, strings)
def test_flow_collections_read_back_under_both_rules(key: str, value: str) -> None:
    # The imported roster writes short records as {key: value} and lists as [a, b].
    text = (
        f"m: {{{quote(key, flow=True)}: {quote(value, flow=True)}}}\n"
        f"s: [{quote(value, flow=True)}, {quote(key, flow=True)}]\n"
    )
    expected = {"m": {key: value}, "s": [value, key]}
    assert_same(load_12(text), expected)
    assert_same(load_11(text), expected)


@pytest.mark.parametrize("text", ["x, y", "a:b", "ghcr.io/kubeflow/notebook:v1.8.0", "a,b"])
def test_commas_and_colons_are_quoted_only_in_flow_context(text: str) -> None:
    assert quote(text) == text
    assert quote(text, flow=True) == f"'{text}'"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("x", "x"), ("", "''"), ("8", "'8'"), (True, "true"), (False, "false"), (None, "null")],
)
def test_scalar_writes_strings_booleans_numbers_and_null(value: object, expected: str) -> None:
    assert scalar(value) == expected


def test_scalar_refuses_what_yaml_would_not_read_back_alike() -> None:
    with pytest.raises(TypeError):
        scalar(1.5)
