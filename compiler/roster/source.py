"""Read the roster file into plain data that can point back at its own lines.

`load` and `loads` accept only the small, plain subset of YAML a roster needs:
one UTF-8 document of mappings, sequences and scalars (YAML 1.2 core schema).
Everything else (tags, anchors, aliases, duplicate keys, control characters,
deep nesting, …) is refused with every problem found in one pass, raised as
`RosterInvalid`. `Source.locate` turns a path into the data into a line and column.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Generator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from functools import cached_property
from itertools import islice
from pathlib import Path
from typing import Any, Final

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from compiler.problems import Problem, RosterInvalid
from compiler.symlinks import SymlinkRefused, find_symlink
from compiler.text import excerpt

try:
    # cyaml re-exports the extension's parser without declaring it.
    from ruamel.yaml.cyaml import CParser  # type: ignore[attr-defined]
except ImportError:  # no ruamel.yaml.clib (e.g. PyPy): same events, about 20x slower
    CParser = None

MAX_ROSTER_BYTES: Final = 40 * 1024 * 1024
ROSTER_SYMLINK_FIX: Final = (
    "kfroster reads a roster only from a real file, so that the checks and the plan read "
    "the same one: commit the roster itself in its place"
)
MAX_DEPTH: Final = 32
# A rule that fires again and again (a file full of NULs, a page of aliases) is
# listed this many times, then summed up in one more problem.
LISTED_PER_RULE: Final = 10

Position = tuple[int, int]

_BOM: Final = "\ufeff"
# What libyaml refuses to read, plus the C1 controls and Unicode line separators
# that YAML would count as line breaks no editor shows.
_CONTROL_CHARS: Final = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]"
)
_SURROGATES: Final = re.compile("[\ud800-\udfff]")
_CHAR_NAMES: Final = {
    0x00: "NUL",
    0x08: "BACKSPACE",
    0x0B: "VERTICAL TAB",
    0x0C: "FORM FEED",
    0x1B: "ESCAPE",
    0x7F: "DELETE",
    0x85: "NEXT LINE",
    0x2028: "LINE SEPARATOR",
    0x2029: "PARAGRAPH SEPARATOR",
    0xFEFF: "BYTE ORDER MARK",
}
_INDENT: Final = re.compile(r"[ \t]*")

# The YAML 1.2 core schema, for plain (unquoted) scalars only.
_INF: Final = float("inf")
_NAN: Final = float("nan")
_KEYWORDS: Final[dict[str, object]] = {
    **dict.fromkeys(("~", "null", "Null", "NULL")),
    **dict.fromkeys(("true", "True", "TRUE"), True),
    **dict.fromkeys(("false", "False", "FALSE"), False),
    **dict.fromkeys((f"{sign}.{inf}" for sign in ("", "+") for inf in ("inf", "Inf", "INF")), _INF),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -_INF),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), _NAN),
}
_NUMBER_STARTS: Final = frozenset("0123456789+-.")
_DECIMAL: Final = re.compile(r"[-+]?[0-9]+")
_OCTAL: Final = re.compile(r"0o[0-7]+")
_HEX: Final = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT: Final = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
# Python refuses to convert longer decimal strings (it takes quadratic time); 640
# is the lowest limit Python can be set to, so shorter numbers skip the check.
_SHORT_DECIMAL: Final = 640
_DEFAULT_MAX_DIGITS: Final = 4300

# Markers, never data.
_EXPECT_KEY: Final = object()  # a mapping waiting for its next key
_NO_KEY: Final = object()  # a refused key: its value is dropped with it
_KEY_TAKEN: Final = object()  # a scalar that became a key, not a value
_TOO_LONG: Final = object()  # a number too long to convert

_SYNTAX_HINTS: Final = (
    (
        "could not find expected ':'",
        "a key on this line or just above is missing its ':', or a line is indented "
        "differently from its neighbours",
    ),
    (
        "mapping values are not allowed",
        "put the value in quotes if it contains ': ', or fix the indentation",
    ),
    (
        "cannot start any token",
        "a value starting with a character such as '@', '`' or '%' must be put in quotes",
    ),
    ("did not find expected key", "line this up with the other keys of its mapping"),
    (
        "did not find expected '-' indicator",
        "every item of a list starts with '- ' at the same indentation",
    ),
    ("did not find expected ','", "a '[…]' or '{…}' is missing a comma or its closing bracket"),
    (
        "block sequence entries are not allowed",
        "start the list on its own line, indented under its key",
    ),
    ("unexpected end of stream", "a quote or bracket opened here is never closed"),
    (
        "unknown escape character",
        "inside double quotes a backslash starts an escape; use single quotes, "
        "or write \\\\ for a backslash",
    ),
    ("tag handle", "a roster needs no YAML tags; remove the '!…' or quote the value"),
    ("incompatible YAML document", "remove the %YAML line; a roster needs no directives"),
    (
        "expected <document start>",
        "a roster is one document: remove the '...' line and merge what follows into the rest",
    ),
)
_DEFAULT_SYNTAX_HINT: Final = "check the indentation and quoting around here"
_TAB_HINT: Final = "tabs are not allowed for indentation; use spaces"


def _c_events(text: str) -> Generator[Event, None, None]:
    parser = CParser(text)
    try:
        while parser.check_event():
            yield parser.get_event()
    finally:
        parser.dispose()


def _pure_events(text: str) -> Generator[Event, None, None]:
    # ruamel's own Python scanner and parser; parse() stops at events.
    yield from YAML(typ="safe", pure=True).parse(text)


_events: Callable[[str], Generator[Event, None, None]] = (
    _pure_events if CParser is None else _c_events
)


@dataclass(frozen=True)
class Source:
    """One roster file: its display name, text and plain data, able to locate any node."""

    name: str
    text: str
    data: Any
    # Where each node of data starts, recorded while parsing (see _Frame); a Source
    # made by hand has none, and finds them by parsing text on first use.
    located: _Located = field(default=None, repr=False, compare=False)

    def locate(self, path: Sequence[str | int], *, key: bool = False) -> Position:
        """Return the (line, col) of the node at path, or of its deepest existing ancestor."""
        node = self._located
        if node is None:
            return 1, 1
        found = _start(node)
        last = len(path) - 1
        for depth, part in enumerate(path):
            if not isinstance(node, _Frame):
                break  # a scalar has no children
            starts = node.starts
            if isinstance(starts, dict):
                if not isinstance(part, str) or part not in starts:
                    break
                if key and depth == last:
                    return _mark_position(node.key_starts[part])
                node = starts[part]
            else:
                if not isinstance(part, int) or not 0 <= part < len(starts):
                    break
                node = starts[part]
            found = _start(node)
        return found

    @cached_property
    def _located(self) -> _Located:
        if self.located is not None:
            return self.located
        # What could be read of the text: its problems were reported when it was loaded.
        return _build(self.text, _Report(self.name)).located


def load(path: Path, name: str | None = None) -> Source:
    """Read and parse the roster file at path."""
    shown = str(path) if name is None else name
    link = find_symlink(path)
    if link is not None:
        refused = SymlinkRefused(path, link, "the roster", ROSTER_SYMLINK_FIX)
        raise RosterInvalid([Problem(shown, 1, 1, "file-symlink", refused.reason)])
    try:
        # O_NOFOLLOW: a roster swapped for a symlink since the check above is not read.
        with open(path, "rb", opener=_open_no_follow) as stream:
            # Refuse by size before reading, and never read more than one byte
            # past the limit, in case the file grows or is a device.
            size = os.fstat(stream.fileno()).st_size
            if size > MAX_ROSTER_BYTES:
                raise RosterInvalid([_too_large(shown, size)])
            content = stream.read(MAX_ROSTER_BYTES + 1)
    except OSError as err:
        reason = err.strerror or str(err)
        message = f"cannot read the roster: {reason}; check the path and the file's permissions"
        raise RosterInvalid([Problem(shown, 1, 1, "file-unreadable", message)]) from None
    return loads(content, shown)


def _open_no_follow(path: str, flags: int) -> int:
    return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0))


def loads(content: str | bytes, name: str) -> Source:
    """Parse roster text, or its UTF-8 bytes, naming it name in problems."""
    report = _Report(name)
    if isinstance(content, bytes):
        if len(content) > MAX_ROSTER_BYTES:
            raise RosterInvalid([_too_large(name, len(content))])
        text = _decode(content, report)
        if text is None:
            raise RosterInvalid(report.finish())
    else:
        size = len(content.encode("utf-8", "surrogatepass"))
        if size > MAX_ROSTER_BYTES:
            raise RosterInvalid([_too_large(name, size)])
        text = content
    built = _build(_check_characters(text, report), report)
    problems = report.finish()
    if problems:
        raise RosterInvalid(problems)
    return Source(name, text, built.root, built.located)


class _Report:
    """The problems found so far, each rule listed at most LISTED_PER_RULE times."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._problems: list[Problem] = []
        self._counts: dict[str, int] = {}
        self._first_unlisted: dict[str, Position] = {}

    def add(self, rule: str, position: Position, message: str) -> None:
        count = self._counts.get(rule, 0) + 1
        self._counts[rule] = count
        if count <= LISTED_PER_RULE:
            self._problems.append(Problem(self.name, *position, rule, message))
        elif count == LISTED_PER_RULE + 1:
            self._first_unlisted[rule] = position

    def add_unlisted(self, rule: str, count: int) -> None:
        self._counts[rule] = self._counts.get(rule, 0) + count

    def finish(self) -> list[Problem]:
        summaries = [
            Problem(
                self.name,
                *position,
                rule,
                f"{self._counts[rule] - LISTED_PER_RULE} more problem(s) like the ones listed, "
                "from here on, are not shown; fix those and run again",
            )
            for rule, position in self._first_unlisted.items()
        ]
        return self._problems + summaries


def _too_large(name: str, size: int) -> Problem:
    message = (
        f"the file is {size:,} bytes, more than the {MAX_ROSTER_BYTES:,} bytes (40 MiB) "
        "a roster may have; check that this is the right file"
    )
    return Problem(name, 1, 1, "yaml-too-large", message)


def _position(text: str, index: int) -> Position:
    """Return the line and column of text[index], breaking lines at LF, CRLF and CR as YAML does."""
    breaks = text.count("\n", 0, index) + text.count("\r", 0, index) - text.count("\r\n", 0, index)
    line_start = max(text.rfind("\n", 0, index), text.rfind("\r", 0, index)) + 1
    return breaks + 1, index - line_start + 1


def _decode(content: bytes, report: _Report) -> str | None:
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as err:
        before = content[: err.start].decode("utf-8").removeprefix(_BOM)
        if content.startswith((b"\xff\xfe", b"\xfe\xff")):
            fix = "the file looks like UTF-16; save it as UTF-8"
        else:
            fix = "save the file as UTF-8, or retype the text around here"
        message = f"byte 0x{content[err.start]:02X} is not valid UTF-8; {fix}"
        report.add("yaml-encoding", _position(before, len(before)), message)
        return None


def _check_characters(text: str, report: _Report) -> str:
    """Report a byte-order mark and refused characters; return the text to parse."""
    if text.startswith(_BOM):
        report.add(
            "yaml-bom",
            (1, 1),
            "the file starts with a byte-order mark (BOM); "
            "save the file as UTF-8 without a byte-order mark",
        )
        # Editors hide the mark, so columns on line 1 are counted without it.
        text = text[1:]
    checks = (
        (_SURROGATES, "yaml-encoding", "a lone surrogate, which UTF-8 cannot encode; retype it"),
        (
            _CONTROL_CHARS,
            "yaml-control-character",
            "an invisible control character a roster must not contain; delete it "
            "(it often comes with copy and paste)",
        ),
    )
    for pattern, rule, what in checks:
        if pattern.search(text) is None:
            continue
        for match in islice(pattern.finditer(text), LISTED_PER_RULE + 1):
            message = f"character {_describe_char(match.group())} is {what}"
            report.add(rule, _position(text, match.start()), message)
        # U+FFFD keeps every position and lets the parser go on to the
        # structural problems, so they are reported in the same run.
        text, count = pattern.subn("\ufffd", text)
        report.add_unlisted(rule, max(0, count - LISTED_PER_RULE - 1))
    return text


def _describe_char(char: str) -> str:
    name = _CHAR_NAMES.get(ord(char))
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")


def _build(text: str, report: _Report) -> _Builder:
    """Build plain data from the events of text, reporting all a roster must not contain."""
    builder = _Builder(report)
    handlers: dict[type[Event], Callable[[Any], bool]] = {
        ScalarEvent: builder.scalar,
        MappingStartEvent: builder.start,
        SequenceStartEvent: builder.start,
        MappingEndEvent: builder.end,
        SequenceEndEvent: builder.end,
        AliasEvent: builder.alias,
        DocumentStartEvent: builder.document,
    }
    failed = False
    with closing(_events(text)) as events:
        try:
            for event in events:
                handle = handlers.get(type(event))
                if handle is not None and handle(event):
                    break
        except MarkedYAMLError as err:
            failed = True
            _refuse_syntax(err, text, report)
        except YAMLError as err:
            # Not expected: what the reader refuses was checked before parsing.
            failed = True
            report.add("yaml-syntax", (1, 1), f"YAML error: {excerpt(str(err), 200)}")
    if not failed and (builder.documents == 0 or (builder.documents == 1 and builder.empty)):
        report.add(
            "yaml-empty",
            (1, 1),
            "the file holds no data (it is empty or has only comments); "
            "write the roster into it, starting with 'version: 1'",
        )
    return builder


class _Frame:
    """A mapping or sequence being built, and where it and each of its keys and items start.

    The frames outlive the parse: Source.locate walks them along a path. Marks are
    kept as the parser made them, and turned into a line and column only when asked.
    """

    __slots__ = ("items", "key", "key_starts", "start", "starts")

    def __init__(self, items: dict[str, Any] | list[Any], start: Any) -> None:
        self.items = items
        self.start = start
        self.key: object = _EXPECT_KEY if isinstance(items, dict) else None  # of the next value
        self.key_starts: dict[str, Any] = {}
        # Parallel to items: the mark of each scalar, the frame of each collection.
        self.starts: dict[str, _Located] | list[_Located] = {} if isinstance(items, dict) else []


# Where a node starts: the parser's mark of a scalar, or the _Frame of a collection.
_Located = Any


class _Builder:
    """Turns events into plain data, one event at a time; each handler returns True to stop.

    Iterative on purpose: nesting is checked as it arrives, so no input gets near
    Python's recursion limit, and aliases are refused, never expanded.
    """

    def __init__(self, report: _Report) -> None:
        self.report = report
        self.root: Any = None
        self.located: _Located = None  # where root starts
        self.empty = True  # no document, or one holding only an empty plain scalar
        self.documents = 0
        self.stack: list[_Frame] = []

    def scalar(self, event: ScalarEvent) -> bool:
        report = self.report
        # ctag is the slot behind the .tag property, read here without its cost.
        if event.anchor is not None or event.ctag is not None:
            _refuse_properties(event, report)
        text: str = event.value
        style = event.style
        if style == '"' and _CONTROL_CHARS.search(text):
            _refuse_escaped_control(event, report)
        stack = self.stack
        if stack and stack[-1].key is _EXPECT_KEY:
            # Keys stay text as written: the next stage checks the data with JSON Schema.
            _add_key(stack[-1], text, event, report)
            return False
        value: Any = text
        if not style:  # quoted and block scalars are always strings
            value = _resolve(text)
            if value is _TOO_LONG:
                report.add(
                    "yaml-number-too-long",
                    _at(event),
                    f"this number has {len(text):,} digits, too many to read; "
                    "shorten it, or put it in quotes if it is text",
                )
                value = None
        if stack:
            _place(stack[-1], event.start_mark)
            _attach(stack[-1], value)
        else:
            self.root = value
            self.located = event.start_mark
            self.empty = text == "" and not style and event.ctag is None
        return False

    def start(self, event: CollectionStartEvent) -> bool:
        stack = self.stack
        if len(stack) >= MAX_DEPTH:
            _refuse_depth(event, self.report)
            return True
        _refuse_properties(event, self.report)
        if stack and stack[-1].key is _EXPECT_KEY:
            self.report.add(
                "yaml-complex-key",
                _at(event),
                "a list or mapping cannot be a key; a key is plain text followed by ':'",
            )
        self.empty = False
        frame = _Frame({} if isinstance(event, MappingStartEvent) else [], event.start_mark)
        if stack:
            _place(stack[-1], frame)
        else:
            self.located = frame
        stack.append(frame)
        return False

    def end(self, _event: CollectionEndEvent) -> bool:
        stack = self.stack
        items = stack.pop().items
        if stack:
            _attach(stack[-1], items)
        else:
            self.root = items
        return False

    def alias(self, event: AliasEvent) -> bool:
        self.report.add(
            "yaml-alias",
            _at(event),
            f"the alias *{excerpt(event.anchor, 40)} is not allowed: aliases hide what a "
            "roster says and can blow up in size; write the value out in full",
        )
        self.empty = False
        if self.stack:
            _place(self.stack[-1], event.start_mark)
            _attach(self.stack[-1], None)
        else:
            self.located = event.start_mark
        return False

    def document(self, event: DocumentStartEvent) -> bool:
        self.documents += 1
        if self.documents > 1:
            self.report.add(
                "yaml-multiple-documents",
                _at(event),
                "a second YAML document starts here, but a roster is one document; "
                "remove this '---' and merge what follows into the first document",
            )
            return True
        if event.version is not None or event.tags:
            self.report.add(
                "yaml-directive",
                _at(event),
                "a %YAML or %TAG directive is not allowed: a roster is always read as YAML 1.2 "
                "without tags; remove the line starting with '%'",
            )
        return False


def _resolve(text: str) -> object:
    """Return the value of a plain scalar under the YAML 1.2 core schema."""
    if not text:
        return None
    if text in _KEYWORDS:
        return _KEYWORDS[text]
    if text[0] in _NUMBER_STARTS:  # most strings never get further
        return _number(text)
    return text


def _number(text: str) -> object:
    if _DECIMAL.fullmatch(text):
        max_digits = sys.get_int_max_str_digits() or _DEFAULT_MAX_DIGITS
        if len(text) > _SHORT_DECIMAL and len(text.lstrip("+-")) > max_digits:
            return _TOO_LONG
        return int(text)
    if _OCTAL.fullmatch(text) or _HEX.fullmatch(text):
        return int(text[2:], 8 if text[1] == "o" else 16)
    if _FLOAT.fullmatch(text):
        return float(text)
    return text


def _add_key(frame: _Frame, key: str, event: ScalarEvent, report: _Report) -> None:
    first = frame.key_starts.get(key)
    if first is None:
        frame.key_starts[key] = event.start_mark
        frame.key = key
        return
    report.add(
        "yaml-duplicate-key",
        _at(event),
        f"the key '{excerpt(key, 40)}' is already used on line {first.line + 1} of this mapping; "
        "remove one of them or merge their values",
    )
    frame.key = _NO_KEY


def _place(frame: _Frame, located: _Located) -> None:
    """Record where the frame's next value starts (its data is attached when it ends)."""
    starts = frame.starts
    if isinstance(starts, list):
        starts.append(located)
    elif isinstance(frame.key, str):  # not a refused or complex key
        starts[frame.key] = located


def _attach(frame: _Frame, value: Any) -> None:
    items = frame.items
    if isinstance(items, list):
        items.append(value)
        return
    key = frame.key
    if key is _EXPECT_KEY:
        # A list, mapping or alias used as a key, already reported: drop the entry.
        frame.key = _NO_KEY
        return
    frame.key = _EXPECT_KEY
    if isinstance(key, str):  # not _NO_KEY
        items[key] = value


def _at(event: Event) -> Position:
    return _mark_position(event.start_mark)


def _mark_position(mark: Any) -> Position:
    return mark.line + 1, mark.column + 1


def _start(located: _Located) -> Position:
    return _mark_position(located.start if isinstance(located, _Frame) else located)


def _refuse_properties(event: ScalarEvent | CollectionStartEvent, report: _Report) -> None:
    if event.anchor is not None:
        report.add(
            "yaml-anchor",
            _at(event),
            f"the anchor &{excerpt(event.anchor, 40)} is not allowed: anchors and aliases hide "
            "what a roster says; write every value out in full",
        )
    tag = event.tag
    if tag is not None:
        shown = "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml") else tag
        report.add(
            "yaml-tag",
            _at(event),
            f"the tag {excerpt(shown, 40)} is not allowed: a roster is plain data and needs no "
            "YAML tags; remove it (and put the value in quotes if it must stay text)",
        )


def _refuse_escaped_control(event: ScalarEvent, report: _Report) -> None:
    char = _CONTROL_CHARS.search(event.value)
    shown = _describe_char(char.group()) if char else "a control character"
    report.add(
        "yaml-control-character",
        _at(event),
        f"an escape in this quoted text makes {shown}, an invisible control character "
        "a roster must not contain; remove the escape",
    )


def _refuse_depth(event: Event, report: _Report) -> None:
    # Reading stops here: libyaml's time grows with the square of the depth
    # of brackets, and nothing deeper could be a valid roster anyway.
    report.add(
        "yaml-too-deep",
        _at(event),
        f"the data is nested more than {MAX_DEPTH} levels deep here (reading stopped); a roster "
        "needs only a few levels: look for unclosed brackets or runaway indentation",
    )


def _refuse_syntax(err: MarkedYAMLError, text: str, report: _Report) -> None:
    mark = err.problem_mark or err.context_mark
    problem = excerpt((err.problem or err.context or "invalid YAML").strip(), 200)
    message = f"YAML syntax error: {problem}"
    if mark is None:
        report.add("yaml-syntax", (1, 1), f"{message}; {_DEFAULT_SYNTAX_HINT}")
        return
    context = err.context_mark
    if err.context and context is not None and context.line != mark.line:
        message += f" ({err.context}, which starts on line {context.line + 1})"
    if _has_tab(text, mark.index):
        hint = _TAB_HINT
    else:
        hint = next((hint for key, hint in _SYNTAX_HINTS if key in problem), _DEFAULT_SYNTAX_HINT)
    report.add("yaml-syntax", (mark.line + 1, mark.column + 1), f"{message}; {hint}")


def _has_tab(text: str, index: int) -> bool:
    """Tell whether a tab sits at index or in the indentation of its line."""
    line_start = max(text.rfind("\n", 0, index), text.rfind("\r", 0, index)) + 1
    indentation = _INDENT.match(text, line_start)
    return text[index : index + 1] == "\t" or (
        indentation is not None and "\t" in indentation.group()
    )
