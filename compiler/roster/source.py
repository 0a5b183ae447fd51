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
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import islice
from pathlib import Path
from typing import Any, Final

from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    Event,
    ScalarEvent,
)

from compiler.problems import Problem, RosterInvalid
from compiler.symlinks import SymlinkRefused, find_symlink
from compiler.text import excerpt
from compiler.yamlio import events
from compiler.yamlio.events import Located, Position, mark_position

MAX_ROSTER_BYTES: Final = 40 * 1024 * 1024
ROSTER_SYMLINK_FIX: Final = (
    "kfroster reads a roster only from a real file, so that the checks and the plan read "
    "the same one: commit the roster itself in its place"
)
MAX_DEPTH: Final = 32
# A rule that fires again and again (a file full of NULs, a page of aliases) is
# listed this many times, then summed up in one more problem.
LISTED_PER_RULE: Final = 10

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


@dataclass(frozen=True)
class Source:
    """One roster file: its display name, text and plain data, able to locate any node."""

    name: str
    text: str
    data: Any
    # Where each node of data starts, recorded while parsing (see events.Frame); a Source
    # made by hand has none, and finds them by parsing text on first use.
    located: Located = field(default=None, repr=False, compare=False)

    def locate(self, path: Sequence[str | int], *, key: bool = False) -> Position:
        """Return the (line, col) of the node at path, or of its deepest existing ancestor."""
        return events.locate(self._located, path, key=key)

    @cached_property
    def _located(self) -> Located:
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


def _build(text: str, report: _Report) -> _RosterBuilder:
    """Build plain data from the events of text, reporting all a roster must not contain."""
    builder = _RosterBuilder(report, text)
    builder.run(text)
    documents = builder.documents
    if not builder.failed and (not documents or (len(documents) == 1 and documents[0].empty)):
        report.add(
            "yaml-empty",
            (1, 1),
            "the file holds no data (it is empty or has only comments); "
            "write the roster into it, starting with 'version: 1'",
        )
    return builder


class _RosterBuilder(events.Builder):
    """The shared builder, refusing what a roster must not contain with located problems."""

    max_depth = MAX_DEPTH

    def __init__(self, report: _Report, text: str) -> None:
        super().__init__()
        self.report = report
        self.text = text

    @property
    def root(self) -> Any:
        """The data of the (first) document."""
        return self.documents[0].root if self.documents else None

    @property
    def located(self) -> Located:
        """Where the data of the (first) document starts."""
        return self.documents[0].located if self.documents else None

    def refuse_properties(self, event: ScalarEvent | CollectionStartEvent) -> None:
        report = self.report
        if event.anchor is not None:
            report.add(
                "yaml-anchor",
                _at(event),
                f"the anchor &{excerpt(event.anchor, 40)} is not allowed: anchors and aliases hide "
                "what a roster says; write every value out in full",
            )
        tag = event.tag
        if tag is not None:
            shown = (
                "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml") else tag
            )
            report.add(
                "yaml-tag",
                _at(event),
                f"the tag {excerpt(shown, 40)} is not allowed: a roster is plain data and needs no "
                "YAML tags; remove it (and put the value in quotes if it must stay text)",
            )

    def refuse_alias(self, event: AliasEvent) -> None:
        self.report.add(
            "yaml-alias",
            _at(event),
            f"the alias *{excerpt(event.anchor, 40)} is not allowed: aliases hide what a "
            "roster says and can blow up in size; write the value out in full",
        )

    def refuse_duplicate_key(self, event: ScalarEvent, first: Any) -> None:
        self.report.add(
            "yaml-duplicate-key",
            _at(event),
            f"the key '{excerpt(event.value, 40)}' is already used on line {first.line + 1} of "
            "this mapping; remove one of them or merge their values",
        )

    def refuse_complex_key(self, event: CollectionStartEvent) -> None:
        self.report.add(
            "yaml-complex-key",
            _at(event),
            "a list or mapping cannot be a key; a key is plain text followed by ':'",
        )

    def refuse_depth(self, event: CollectionStartEvent) -> None:
        # Reading stops here: libyaml's time grows with the square of the depth
        # of brackets, and nothing deeper could be a valid roster anyway.
        self.report.add(
            "yaml-too-deep",
            _at(event),
            f"the data is nested more than {MAX_DEPTH} levels deep here (reading stopped); a "
            "roster needs only a few levels: look for unclosed brackets or runaway indentation",
        )

    def refuse_long_number(self, event: ScalarEvent) -> None:
        self.report.add(
            "yaml-number-too-long",
            _at(event),
            f"this number has {len(event.value):,} digits, too many to read; "
            "shorten it, or put it in quotes if it is text",
        )

    def check_double_quoted(self, event: ScalarEvent) -> None:
        char = _CONTROL_CHARS.search(event.value)
        if char is None:
            return
        self.report.add(
            "yaml-control-character",
            _at(event),
            f"an escape in this quoted text makes {_describe_char(char.group())}, an invisible "
            "control character a roster must not contain; remove the escape",
        )

    def start_document(self, event: DocumentStartEvent) -> bool:
        if len(self.documents) > 1:
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

    def syntax_error(self, err: YAMLError) -> None:
        if isinstance(err, MarkedYAMLError):
            _refuse_syntax(err, self.text, self.report)
        else:
            # Not expected: what the reader refuses was checked before parsing.
            self.report.add("yaml-syntax", (1, 1), f"YAML error: {excerpt(str(err), 200)}")


def _at(event: Event) -> Position:
    return mark_position(event.start_mark)


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
