"""compiler.text: clipping, quoting, and output no terminal or CI runner acts on."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compiler.text import (
    CLIP_MARK,
    clip,
    counted,
    excerpt,
    github_data,
    github_property,
    noun,
    quote,
    safe_output,
    visible,
)
from tests.runner_commands import commands, unescape_data, unescape_property

# What a hostile string is made of: runner command starts, line breaks, terminal escapes.
HOSTILE_PIECES = [
    "\n",
    "\r",
    "\r\n",
    "\x0b",
    "\x0c",
    "\x1c",
    "\x85",
    "\u2028",
    "\u2029",
    "\t",
    "\x00",
    "\x1b",
    "\x1b[31m",
    "\x1b]0;title\x07",
    "\x9b2J",
    "\x7f",
    "\u202e",
    "\u200b",
    "\ud800",
    "\U000e0041",
    "::",
    "::error::x",
    "::add-mask::",
    "::stop-commands::t",
    "##[",
    "##[error]",
    "##[set-output name=a;]b",
    " ",
    "\u3000",
    "%0A",
    "%",
    ",",
    ":",
    "]",
    "\\",
    "'",
]
hostile_text = st.lists(
    st.one_of(st.sampled_from(HOSTILE_PIECES), st.text(max_size=4)), max_size=12
).map("".join)


def printable_lines(output: str) -> bool:
    """Tell whether every line of output holds printable characters only."""
    return all(line.isprintable() for line in output.split("\n"))


def test_clip_keeps_short_text_and_marks_the_cut_within_the_limit() -> None:
    assert clip("abc", 3) == "abc"
    assert clip("abcd", 3) == "ab" + CLIP_MARK
    assert len(clip("x" * 1000)) == 80


def test_visible_escapes_what_a_terminal_would_act_on_and_keeps_the_rest() -> None:
    assert visible("alice@example.com ß 日本") == "alice@example.com ß 日本"
    assert visible("a\nb\x1b[2J\u202e\x85") == "a\\u000ab\\u001b[2J\\u202e\\u0085"
    # Beyond the basic plane as a surrogate pair, as JSON writes it.
    assert visible("\U000e0041") == "\\udb40\\udc41"


def test_quote_and_excerpt_stay_on_one_line() -> None:
    assert quote("a\nb") == "'a\\nb'"
    assert excerpt("x\n" * 100, 10) == "x\\u000ax\\u000ax\\u000ax\\u000ax" + CLIP_MARK


@given(hostile_text, hostile_text)
def test_a_workflow_command_reads_back_exactly_what_kfroster_meant(message: str, file: str) -> None:
    """One command per annotation; its data and properties are the visible text."""
    line = f"::error file={github_property(file)},title=rule::{github_data(message)}"
    [command] = commands(line)
    assert command.name == "error"
    assert unescape_data(command.data) == visible(message)
    properties = dict(item.split("=", 1) for item in command.properties.split(","))
    assert unescape_property(properties["file"]) == visible(file)
    assert printable_lines(line)


@given(hostile_text)
def test_safe_output_leaves_nothing_a_runner_or_terminal_acts_on(text: str) -> None:
    shown = safe_output(text)
    assert commands(shown) == []
    assert printable_lines(shown)
    assert shown.count("\n") == text.count("\n")


@given(st.dictionaries(hostile_text, hostile_text, max_size=3))
def test_safe_output_keeps_json_meaning_the_same(data: dict[str, str]) -> None:
    text = json.dumps(data, indent=2, ensure_ascii=False)
    shown = safe_output(text)
    assert json.loads(shown) == data
    assert commands(shown) == []


def test_safe_output_keeps_colour_only_when_asked() -> None:
    painted = "\x1b[1;31mHIGH\x1b[0m \x1b]0;x\x07"
    assert safe_output(painted, colour=True) == "\x1b[1;31mHIGH\x1b[0m \\u001b]0;x\\u0007"
    assert "\x1b" not in safe_output(painted)


def test_safe_output_defuses_only_what_would_start_a_command() -> None:
    assert safe_output("a::b\n  ::warning::x\n:: y") == "a::b\n  \\u003a:warning::x\n\\u003a: y"
    assert safe_output("plan ##[error]x") == "plan ##\\u005berror]x"
    assert safe_output("ok: fine\n") == "ok: fine\n"


@pytest.mark.parametrize(
    ("number", "words", "expected"),
    [
        (0, ("file",), "0 files"),
        (1, ("file",), "1 file"),
        (2, ("file",), "2 files"),
        (12345, ("object",), "12,345 objects"),
        (1, ("drift entry", "drift entries"), "1 drift entry"),
        (3, ("drift entry", "drift entries"), "3 drift entries"),
    ],
)
def test_counted_says_how_many_in_the_right_number(
    number: int, words: tuple[str, ...], expected: str
) -> None:
    assert counted(number, *words) == expected
    assert noun(number, *words) == expected.split(" ", 1)[1]
