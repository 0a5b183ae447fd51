"""Tests for compiler.roster.source: what a roster may contain, the data it gives, and locations."""

from __future__ import annotations

import io
import math
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from compiler.problems import Problem, RosterInvalid
from compiler.roster import source
from compiler.roster.source import MAX_ROSTER_BYTES, Source, load, loads
from compiler.yamlio import events

Found = tuple[int, int, str]


def problems(content: str | bytes) -> list[Problem]:
    with pytest.raises(RosterInvalid) as caught:
        loads(content, "users.yaml")
    return caught.value.problems


def found(content: str | bytes) -> list[Found]:
    return [(p.line, p.col, p.rule) for p in problems(content)]


def roster(users: int) -> str:
    """Return a realistic roster: users, then profiles with contributors."""
    lines = ["users:"]
    for i in range(users):
        role = "admin" if i % 50 == 0 else "user"
        lines += [f"  - name: user{i:05d}", f"    email: user{i:05d}@example.com"]
        lines.append(f"    clusterRole: {role}")
    lines.append("profiles:")
    for team in range(users // 10):
        lines += [f"  - name: team-{team:04d}", f"    owner: user{team * 10:05d}"]
        lines.append("    contributors:")
        lines += [f"      - user{team * 10 + c:05d}" for c in range(1, 10)]
    return "\n".join(lines) + "\n"


@pytest.fixture(params=["c", "pure"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with the C parser and again with the pure-Python fallback."""
    if request.param == "pure":
        monkeypatch.setattr(events, "parser_events", events.pure_parser_events)
    return str(request.param)


# --- data ---------------------------------------------------------------------------------


def test_c_parser_is_used() -> None:
    assert events.parser_events is events.c_parser_events


def test_falls_back_to_the_pure_parser_without_the_c_extension() -> None:
    script = (
        "import sys\n"
        "sys.modules['_ruamel_yaml'] = sys.modules['_ruamel_yaml_clibz'] = None\n"
        "from compiler.roster import source\n"
        "from compiler.yamlio import events\n"
        "assert events.parser_events is events.pure_parser_events\n"
        "print(source.loads('a: [1, x]', 'users.yaml').data)\n"
    )
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", script],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).parents[2],
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "{'a': [1, 'x']}\n", "")


def test_roster_data(parser: str) -> None:
    text = (
        "users:\n"
        "  - name: alice  # the first\n"
        "    email: alice@example.com\n"
        "    groups: [a, 'b', \"c\"]\n"
        "profiles: {}\n"
        "<<: {merge: no}\n"
    )
    assert loads(text, "users.yaml").data == {
        "users": [{"name": "alice", "email": "alice@example.com", "groups": ["a", "b", "c"]}],
        "profiles": {},
        "<<": {"merge": "no"},
    }


@pytest.mark.parametrize(
    ("scalar", "expected"),
    [
        ("~", None),
        ("null", None),
        ("Null", None),
        ("NULL", None),
        ("", None),
        ("true", True),
        ("True", True),
        ("TRUE", True),
        ("false", False),
        ("False", False),
        ("FALSE", False),
        ("0", 0),
        ("-0", 0),
        ("+12", 12),
        ("0755", 755),
        ("-17", -17),
        ("123456789012345678901234567890", 123456789012345678901234567890),
        ("0o17", 15),
        ("0x1F", 31),
        ("0xff", 255),
        ("1.5", 1.5),
        ("-.5", -0.5),
        ("+1.", 1.0),
        ("1e3", 1000.0),
        ("1.5E-3", 0.0015),
        ("1e400", math.inf),
        (".inf", math.inf),
        ("+.Inf", math.inf),
        ("-.INF", -math.inf),
        # Not in the core schema: YAML 1.1 words, other bases, dates, sexagesimals.
        ("yes", "yes"),
        ("no", "no"),
        ("on", "on"),
        ("off", "off"),
        ("y", "y"),
        ("nil", "nil"),
        ("0X1F", "0X1F"),
        ("0O17", "0O17"),
        ("0b101", "0b101"),
        ("1_000", "1_000"),
        ("12:30", "12:30"),
        ("2024-01-31", "2024-01-31"),
        ("1.2.3", "1.2.3"),
        (".", "."),
        ("+", "+"),
        ("inf", "inf"),
        ("nan", "nan"),
        ("-.nan", "-.nan"),
        ("tRUE", "tRUE"),
        ("٣", "٣"),
        ("user@example.com", "user@example.com"),
    ],
)
def test_plain_scalars_use_the_core_schema(scalar: str, expected: object) -> None:
    value = loads(f"value: {scalar}\n", "users.yaml").data["value"]
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize("scalar", [".nan", ".NaN", ".NAN"])
def test_nan(scalar: str) -> None:
    assert math.isnan(loads(f"value: {scalar}\n", "users.yaml").data["value"])


@pytest.mark.parametrize(
    ("scalar", "expected"),
    [
        ("'true'", "true"),
        ('"1"', "1"),
        ("''", ""),
        ("'~'", "~"),
        ('"a\\tb"', "a\tb"),
        ('"\\u00e9"', "é"),
        ("|\n  1\n", "1\n"),
        (">-\n  a\n  b\n", "a b"),
    ],
)
def test_quoted_and_block_scalars_are_strings(scalar: str, expected: str) -> None:
    assert loads(f"value: {scalar}\n", "users.yaml").data["value"] == expected


def test_keys_stay_text_as_written() -> None:
    text = "1: a\nnull: b\ntrue: c\n~: d\n'x': e\n0x10: f\n?\n: g\n"
    data = loads(text, "users.yaml").data
    assert list(data) == ["1", "null", "true", "~", "x", "0x10", ""]


def test_root_may_be_any_node() -> None:
    assert loads("- a\n- 1\n", "users.yaml").data == ["a", 1]
    assert loads("~\n", "users.yaml").data is None
    assert loads("''\n", "users.yaml").data == ""


def test_crlf_line_endings(parser: str) -> None:
    text = "users:\r\n  - name: é\r\n    email: x@y\r\n"
    src = loads(text.encode(), "users.yaml")
    assert src.data == loads(text.replace("\r\n", "\n"), "x").data
    assert src.text == text
    assert src.locate(["users", 0, "email"]) == (3, 12)
    assert src.locate(["users", 0, "email"], key=True) == (3, 5)
    assert found("a: 1\r\nb: 2\r\na: 3\r\n") == [(3, 1, "yaml-duplicate-key")]


def test_load_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    path.write_bytes(b"users: []\r\n")
    src = load(path)
    assert (src.name, src.text, src.data) == (str(path), "users: []\r\n", {"users": []})
    assert load(path, name="users.yaml").name == "users.yaml"


# --- locate -------------------------------------------------------------------------------

LOCATED = """\
users:
  - name: alice
    email: "ünï@example.com"
    groups: [a, 😀, c]
  - name: bob
    quota:
      cpu: 8
    empty:
profiles: {team: [x]}
"""


@pytest.mark.parametrize(
    ("path", "key", "position"),
    [
        ((), False, (1, 1)),
        (("users",), False, (2, 3)),
        (("users",), True, (1, 1)),
        (("users", 0), False, (2, 5)),
        (("users", 0), True, (2, 5)),  # a sequence item has no key: the item itself
        (("users", 0, "name"), False, (2, 11)),
        (("users", 0, "name"), True, (2, 5)),
        (("users", 0, "email"), False, (3, 12)),
        (("users", 0, "groups", 2), False, (4, 20)),  # columns count characters
        (("users", 1, "quota"), False, (7, 7)),
        (("users", 1, "quota", "cpu"), False, (7, 12)),
        (("users", 1, "quota", "cpu"), True, (7, 7)),
        (("users", 1, "empty"), False, (8, 11)),
        (("profiles", "team", 0), False, (9, 19)),
        (("profiles", "team"), True, (9, 12)),
        # Missing paths: the deepest node that exists.
        (("users", 1, "quota", "memory"), False, (7, 7)),
        (("users", 1, "quota", "memory"), True, (7, 7)),
        (("users", 9, "name"), False, (2, 3)),
        (("nothing", "here"), False, (1, 1)),
        (("users", "name"), False, (2, 3)),
    ],
)
def test_locate(path: tuple[str | int, ...], key: bool, position: tuple[int, int]) -> None:
    assert loads(LOCATED, "users.yaml").locate(path, key=key) == position


def test_locate_with_the_pure_parser(parser: str) -> None:
    src = loads(LOCATED, "users.yaml")
    assert src.locate(["users", 0, "groups", 2]) == (4, 20)
    assert src.locate(["profiles", "team"], key=True) == (9, 12)


def test_locate_without_valid_text() -> None:
    assert Source("x", "a: [", None).locate(["a", 0]) == (1, 4)
    assert Source("x", "", None).locate(["a"]) == (1, 1)


# --- reading the file ---------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RosterInvalid) as caught:
        load(tmp_path / "nope.yaml", name="users.yaml")
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.col, problem.rule) == (
        "users.yaml",
        1,
        1,
        "file-unreadable",
    )
    assert "No such file or directory" in problem.message


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(RosterInvalid) as caught:
        load(tmp_path)
    [problem] = caught.value.problems
    assert (problem.file, problem.rule) == (str(tmp_path), "file-unreadable")
    assert "Is a directory" in problem.message


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests may run as root, who may read anything: make open() refuse instead.
    def refuse(path: str, flags: int) -> int:
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(source, "_open_no_follow", refuse)
    with pytest.raises(RosterInvalid) as caught:
        load(tmp_path / "users.yaml")
    [problem] = caught.value.problems
    assert problem.rule == "file-unreadable"
    assert "Permission denied" in problem.message


def test_too_large_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    with path.open("wb") as stream:
        stream.truncate(MAX_ROSTER_BYTES + 1)  # sparse: costs no disk and no time
    with pytest.raises(RosterInvalid) as caught:
        load(path)
    assert [(p.line, p.col, p.rule) for p in caught.value.problems] == [(1, 1, "yaml-too-large")]


def test_too_large_content() -> None:
    assert found(b"#" * (MAX_ROSTER_BYTES + 1)) == [(1, 1, "yaml-too-large")]
    assert found("é" * (MAX_ROSTER_BYTES // 2 + 1)) == [(1, 1, "yaml-too-large")]


# --- characters ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"a: 1\nb: x\xffy\n", (2, 5)),
        (b"a: \xc3\xa9\xe9\n", (1, 5)),  # after a two-byte character
        (b"a: 1\r\nb: \xc0\xaf\r\n", (2, 4)),  # an overlong '/'
        (b"a: \xed\xa0\x80\n", (1, 4)),  # an encoded surrogate
        (b"\xef\xbb\xbfa: \x80", (1, 4)),  # the byte-order mark takes no column
    ],
)
def test_invalid_utf8(content: bytes, expected: tuple[int, int]) -> None:
    [problem] = problems(content)
    assert (problem.line, problem.col, problem.rule) == (*expected, "yaml-encoding")
    assert "not valid UTF-8" in problem.message


def test_utf16_gets_a_hint() -> None:
    [problem] = problems("users: []\n".encode("utf-16"))
    assert (problem.line, problem.col, problem.rule) == (1, 1, "yaml-encoding")
    assert "UTF-16" in problem.message


def test_lone_surrogate_in_text() -> None:
    assert found("a: x\ud800\n") == [(1, 5, "yaml-encoding")]


def test_bom() -> None:
    [problem] = problems(b"\xef\xbb\xbfusers: []\n")
    assert (problem.line, problem.col, problem.rule) == (1, 1, "yaml-bom")
    assert "save the file as UTF-8 without a byte-order mark" in problem.message
    # The rest is still checked, with columns as an editor shows them.
    assert found("\ufeffa: *x\n") == [(1, 1, "yaml-bom"), (1, 4, "yaml-alias")]


@pytest.mark.parametrize(
    "char", ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x80", "\x85", "\x9f",
             "\u2028", "\u2029", "\ufeff", "\ufffe", "\uffff"],
)  # fmt: skip
def test_control_characters(char: str) -> None:
    [problem] = problems(f"users:\n  - name: a{char}b\n")
    assert (problem.line, problem.col, problem.rule) == (2, 12, "yaml-control-character")
    assert f"U+{ord(char):04X}" in problem.message
    [problem] = problems(f"a: 1\n# {char}\n".encode())
    assert (problem.line, problem.col) == (2, 3)


def test_tab_cr_and_printable_unicode_are_fine() -> None:
    data = loads("a: x\ty\rb: 'é 😀 \u00a0 \u200b'\n", "users.yaml").data
    assert data == {"a": "x\ty", "b": "é 😀 \u00a0 \u200b"}


def test_control_character_from_an_escape() -> None:
    assert found('a: "x\\0"\nb: "\\e"\n"\\x7f": 1\nc: "\\t\\n\\r"\n') == [
        (1, 4, "yaml-control-character"),
        (2, 4, "yaml-control-character"),
        (3, 1, "yaml-control-character"),
    ]


def test_control_characters_and_structure_in_one_run() -> None:
    assert found("a: \x00\nb: 1\na: 2\n") == [
        (1, 4, "yaml-control-character"),
        (3, 1, "yaml-duplicate-key"),
    ]


def test_a_flood_of_one_problem_is_summed_up() -> None:
    listed = problems("a: " + "\x00" * 1_000_000)
    assert [(p.line, p.col) for p in listed] == [(1, col) for col in range(4, 15)]
    assert "999990 more" in listed[-1].message


# --- syntax -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "words"),
    [
        ("users:\n\t- name: a\n", (2, 1), "tabs are not allowed for indentation; use spaces"),
        ("a:\n  b: 1\n\t c: 2\n", (3, 1), "tabs are not allowed for indentation; use spaces"),
        ("a: b: c\n", (1, 5), "put the value in quotes if it contains ': '"),
        ("a: 'open\nb: 2\n", (3, 1), "never closed"),
        ("a: @me\n", (1, 4), "must be put in quotes"),
        ("a:\n  b: 1\n c: 2\n", (3, 2), "line this up"),
        ("a: [1, 2\nb: 3\n", (2, 2), "missing a comma or its closing bracket"),
        ('a: "\\q"\n', (1, 5), "use single quotes"),
        ("a: 1\n...\nb: 2\n", (3, 1), "a roster is one document"),
    ],
)
def test_syntax_errors(text: str, expected: tuple[int, int], words: str) -> None:
    [problem] = problems(text)
    assert (problem.line, problem.col, problem.rule) == (*expected, "yaml-syntax")
    assert problem.message.startswith("YAML syntax error: ")
    assert words in problem.message
    assert "\n" not in problem.message


def test_syntax_error_with_the_pure_parser(parser: str) -> None:
    [problem] = problems("users:\n\t- name: a\n")
    assert (problem.line, problem.col, problem.rule) == (2, 1, "yaml-syntax")
    assert "tabs are not allowed for indentation; use spaces" in problem.message


def test_problems_before_a_syntax_error_are_kept() -> None:
    assert found("a: !!str x\nb: [\n") == [(1, 4, "yaml-tag"), (3, 1, "yaml-syntax")]


# --- structure ----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", " \n\n", "# only\n# comments\n", "---\n", "--- # c\n...\n"])
def test_empty(text: str) -> None:
    assert found(text) == [(1, 1, "yaml-empty")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: 1\n---\nb: 2\n", (2, 1)),
        ("---\na: 1\n--- # again\nb: 2\n", (3, 1)),
        ("a: 1\n---\n", (2, 1)),
        ("a: 1\n...\n---\nb: 2\n", (3, 1)),
    ],
)
def test_multiple_documents(text: str, expected: tuple[int, int]) -> None:
    assert found(text) == [(*expected, "yaml-multiple-documents")]


def test_directives() -> None:
    assert found("%YAML 1.1\n---\na: yes\n") == [(1, 1, "yaml-directive")]
    assert found("%TAG !e! tag:example.com,2000:\n---\na: 1\n") == [(1, 1, "yaml-directive")]


def test_duplicate_keys(parser: str) -> None:
    text = "a: 1\nb:\n  c: 1\n  'c': 2\n  d: 3\n\"a\": 4\n1: x\n'1': y\n"
    listed = problems(text)
    assert [(p.line, p.col, p.rule) for p in listed] == [
        (4, 3, "yaml-duplicate-key"),
        (6, 1, "yaml-duplicate-key"),
        (8, 1, "yaml-duplicate-key"),
    ]
    assert "'c'" in listed[0].message
    assert "line 3" in listed[0].message
    assert "line 1" in listed[1].message


def test_same_key_in_different_mappings_is_fine() -> None:
    assert loads("- a: 1\n- a: 2\n", "users.yaml").data == [{"a": 1}, {"a": 2}]


@pytest.mark.parametrize(
    ("node", "shown"),
    [
        ("!!python/object:os.system x", "!!python/object:os.system"),
        ("!!python/object/apply:os.system ['ls']", "!!python/object/apply:os.system"),
        ("!!str 1", "!!str"),
        ("!!int '1'", "!!int"),
        ("!!binary aGVsbG8=", "!!binary"),
        ("!!map {}", "!!map"),
        ("!!seq []", "!!seq"),
        ("!foo x", "!foo"),
        ("! x", "!"),
        ("!<tag:example.com,2000:x> x", "tag:example.com,2000:x"),
    ],
)
def test_tags(parser: str, node: str, shown: str) -> None:
    [problem] = problems(f"a: {node}\n")
    assert (problem.line, problem.rule) == (1, "yaml-tag")
    assert f"the tag {shown} is not allowed" in problem.message
    if parser == "c":
        assert problem.col == 4


def test_anchors_and_aliases(parser: str) -> None:
    text = "base: &base {a: 1}\nuser:\n  <<: *base\n  b: &b [1]\nlist: [*b]\n*b : 1\n"
    assert found(text) == [
        (1, 7, "yaml-anchor"),
        (3, 7, "yaml-alias"),
        (4, 6, "yaml-anchor"),
        (5, 8, "yaml-alias"),
        (6, 1, "yaml-alias"),
    ]


BILLION_LAUGHS = 'lol0: &lol0 "lol"\n' + "".join(
    f"lol{i}: &lol{i} [" + ", ".join([f"*lol{i - 1}"] * 10) + "]\n" for i in range(1, 10)
)


def test_billion_laughs_is_refused_without_expanding() -> None:
    listed = problems(BILLION_LAUGHS)
    assert {p.rule for p in listed} == {"yaml-anchor", "yaml-alias"}
    assert len(listed) == 2 * source.LISTED_PER_RULE + 1  # anchors, aliases, one summary
    [summary] = [p for p in listed if "more" in p.message]
    assert (summary.rule, summary.line, summary.col) == ("yaml-alias", 3, 14)
    assert summary.message.startswith("80 more")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("? [a]\n: 1\n", (1, 3)),
        ("? {a: 1}\n: 2\nb: 3\n", (1, 3)),
        ("{[a]: 1}\n", (1, 2)),
        ("? - a\n: 1\n", (1, 3)),
    ],
)
def test_complex_keys(text: str, expected: tuple[int, int]) -> None:
    assert found(text) == [(*expected, "yaml-complex-key")]


def test_number_too_long() -> None:
    assert found("a: " + "1" * 5000 + "\nb: '" + "1" * 5000 + "'\n") == [
        (1, 4, "yaml-number-too-long")
    ]


# --- nesting ------------------------------------------------------------------------------


def nested_lists(depth: int) -> str:
    return "[" * depth + "]" * depth


def nested_maps(depth: int) -> str:
    return "{a: " * depth + "1" + "}" * depth


def test_nesting_up_to_the_limit_is_fine() -> None:
    limit = source.MAX_DEPTH
    assert loads(nested_lists(limit), "users.yaml").data is not None
    block = "".join("  " * level + "a:\n" for level in range(limit)) + "  " * limit + "x\n"
    assert loads(block, "users.yaml").data is not None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (nested_lists(33), (1, 33)),
        (nested_maps(33), (1, 129)),
        ("".join("  " * level + "a:\n" for level in range(40)), (33, 65)),
        ("- " * 40 + "x\n", (1, 65)),
    ],
)
def test_too_deep(parser: str, text: str, expected: tuple[int, int]) -> None:
    assert found(text) == [(*expected, "yaml-too-deep")]


@pytest.mark.parametrize(
    "text",
    [
        nested_lists(10_000),
        nested_maps(10_000),
        "[" * 10_000,
        "{a: " * 10_000,
        "[\n" * 10_000,
        "- " * 10_000 + "x\n",
        "".join(" " * level + "a:\n" for level in range(5_000)),
    ],
    ids=["lists", "maps", "open-lists", "open-maps", "lists-on-lines", "block-lists", "block-maps"],
)
def test_ten_thousand_levels(parser: str, text: str) -> None:
    assert [rule for _, _, rule in found(text)] == ["yaml-too-deep"]


# --- several problems at once -------------------------------------------------------------


def test_all_problems_in_one_run() -> None:
    text = (
        "users:\n"
        "  - name: alice\n"
        "    name: bob\n"
        "    email: !!str x\n"
        "    groups: &g [a]\n"
        "  - groups: *g\n"
        "    ? [x]\n"
        "    : 1\n"
    )
    listed = problems(text)
    assert [(p.line, p.col, p.rule) for p in listed] == [
        (3, 5, "yaml-duplicate-key"),
        (4, 12, "yaml-tag"),
        (5, 13, "yaml-anchor"),
        (6, 13, "yaml-alias"),
        (7, 7, "yaml-complex-key"),
    ]
    assert all(p.file == "users.yaml" and p.level == "error" for p in listed)
    assert listed == sorted(listed)


# --- size ---------------------------------------------------------------------------------


def test_ten_thousand_users_load_and_locate() -> None:
    # Speed is measured by benchmarks/run.py; this checks a large roster loads and locates.
    content = roster(10_000).encode()
    assert len(content) > 900_000
    src = loads(content, "users.yaml")
    assert len(src.data["users"]) == 10_000
    assert src.locate(["profiles", 999, "contributors", 8]) == (42002, 9)


# --- properties ---------------------------------------------------------------------------

YAMLISH = st.text(
    alphabet=st.sampled_from(list(" \n\t\r-:?,[]{}#&*!|>'\"%@`.~0123456789abcxyzé😀\\\x00\ufeff")),
    max_size=60,
)
# Whole tokens reach deeper into the parser than single characters do.
YAML_TOKENS = st.lists(
    st.sampled_from(
        ["a", "1", "0x1", ".inf", "~", "é", ": ", ":", "- ", "\n", "\r\n", "\r", "  ", "\t",
         "[", "]", "{", "}", ", ", "&a ", "*a", "!!str ", "!x ", "? ", "---\n", "...\n", "'",
         '"', "\\", "|\n", ">-\n", "%YAML 1.2\n", "%TAG ! x\n", "# c", "\x00", "\u2028"]
    ),
    max_size=40,
).map("".join)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(YAML_TOKENS, YAMLISH, st.text(max_size=60)))
def test_any_text_gives_a_source_or_problems(text: str) -> None:
    try:
        src = loads(text, "users.yaml")
    except RosterInvalid as err:
        assert err.problems
        assert all(p.line >= 1 and p.col >= 1 and p.rule and p.message for p in err.problems)
    else:
        assert src.locate(["a", 0, "b"]) >= (1, 1)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=60) | YAMLISH.map(lambda text: text.encode("utf-8", "surrogatepass")))
def test_any_bytes_give_a_source_or_problems(content: bytes) -> None:
    try:
        loads(content, "users.yaml")
    except RosterInvalid as err:
        assert err.problems


TEXT = st.text(
    st.characters(
        blacklist_categories=("Cs", "Cc"),
        blacklist_characters="\u2028\u2029\ufeff\ufffe\uffff",
    )
    | st.sampled_from("\t\n\r"),
    max_size=20,
)
JSON_LIKE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=15,
)


@settings(max_examples=200, deadline=None)
@given(JSON_LIKE, st.booleans())
def test_dumped_data_loads_back_with_its_positions(data: Any, flow: bool) -> None:
    dumper = YAML(typ="safe")
    dumper.default_flow_style = flow
    out = io.StringIO()
    dumper.dump(data, out)
    src = loads(out.getvalue(), "users.yaml")
    assert src.data == data
    # ruamel's round-trip loader records positions too: they must agree.
    for path, key, position in _positions(YAML().load(out.getvalue())):
        assert src.locate(path, key=key) == position, (path, key)


def _positions(
    node: Any, path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], bool, tuple[int, int]]]:
    """Yield the 1-based position of every key and collection item, from ruamel's .lc data."""
    if isinstance(node, CommentedMap):
        for name, value in node.items():
            key_line, key_col = node.lc.key(name)
            yield (*path, str(name)), True, (key_line + 1, key_col + 1)
            value_line, value_col = node.lc.value(name)
            yield (*path, str(name)), False, (value_line + 1, value_col + 1)
            yield from _positions(value, (*path, str(name)))
    elif isinstance(node, CommentedSeq):
        for index, value in enumerate(node):
            line, col = node.lc.item(index)
            yield (*path, index), False, (line + 1, col + 1)
            yield from _positions(value, (*path, index))
