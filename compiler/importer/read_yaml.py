"""Read kubectl's YAML List fast: one pass over its lines, each item located at its `- `.

`kubectl get … -o yaml` prints one List in block style: mappings and sequences by
indentation, every scalar on its key's line (plain, quoted, or a `|` block), `{}` and `[]`
for empty ones. Reading that through libyaml's events costs a Python object per event,
13 million for a cluster of 125,000 objects; this reader looks at each line once instead,
and at each distinct line text only once (kubectl repeats most of them). Only that shape
is read here, and only when it is plain: anything else (a tag, anchor or alias, a
comment, a flow collection that is not empty, a duplicate key, a `---`, a tab, an escape
or character it does not know, an indentation it does not expect, nesting too deep, a
number too long) returns None, and read.read_objects reads the text instead and reports
each problem where it is. Both give the same objects, at the same lines, with the same
values: plain scalars resolve through yamlio.scalars.resolve_plain, keys stay text.

Long strings go-yaml folds over several lines, and anything else spread over lines but a
`|` block, are left to read_objects too: that costs a large dump its speed, never a value.
"""

from __future__ import annotations

import re
from typing import Any, Final

from compiler.importer.read import ClusterObject, forget_managed_fields, text_of
from compiler.importer.read_json import plain_object
from compiler.yamlio.scalars import NumberTooLong, read_double_quoted, resolve_plain

# What a line holds after its indentation and `- `: nothing more (a key whose value follows
# on the next lines), a scalar, an empty mapping or list, or the start of a `|` block.
_OPEN: Final = 0
_SCALAR: Final = 1
_EMPTY_MAP: Final = 2
_EMPTY_LIST: Final = 3
_BLOCK: Final = 4  # the chomping indicator is the line's value: '', '-' or '+'

# Only what YAML reads as itself: printable characters, line feeds. Tabs, carriage returns,
# the other line breaks libyaml knows (U+0085, U+2028, U+2029) and byte order marks (which
# libyaml skips at the start of a line) are left to the full reader.
_UNUSUAL: Final = re.compile(
    "[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
# A plain scalar on one line, in block context: it starts with no indicator and no space,
# holds no ': ' and no ' #', and ends with neither ':' nor a space. A value may start with
# '-' before a digit or '.' (a negative number).
_PLAIN_KEY: Final = re.compile(r"[^-?:,\[\]{}#&*!|>'\"%@` ](?:[^: ]|:(?! )| (?!#))*(?<![ :])")
_PLAIN_VALUE: Final = re.compile(
    r"(?:[^-?:,\[\]{}#&*!|>'\"%@` ]|-(?=[0-9.]))(?:[^: ]|:(?! )| (?!#))*(?<![ :])"
)
# A quoted scalar that closes on its line (possessive: no shorter reading is ever tried).
_SINGLE: Final = re.compile(r"'((?:[^']|'')*+)'")
_DOUBLE: Final = re.compile(r'"((?:[^"\\]|\\.)*+)"')
_BLOCKS: Final = {"|": "", "|-": "-", "|+": "+"}
# Deeper than this is left to the full reader, which refuses beyond its own limit (100).
_MAX_DEPTH: Final = 64
# libyaml refuses an implicit key longer than this many characters (a syntax error there).
_MAX_KEY: Final = 1024

Line = tuple[int, bool, "str | None", int, Any]


def read_list(content: bytes | str, name: str) -> list[ClusterObject] | None:
    """Return the objects of a plain kubectl YAML List, or None when read_objects must read it."""
    text = text_of(content)
    if text is None:
        return None
    if not text.startswith("apiVersion: ") and not text.startswith("items:"):
        return None  # not a List as kubectl prints it (its keys come sorted)
    if not text.endswith("\n") or _UNUSUAL.search(text):
        return None
    read = _read(text)
    if read is None:
        return None
    top, item_lines = read
    items = top.get("items")
    if top.get("kind") != "List" or not isinstance(top.get("apiVersion"), str):
        return None
    if not isinstance(items, list) or len(items) != len(item_lines):
        return None
    objects = []
    for item, line in zip(items, item_lines, strict=True):
        found = plain_object(item)
        if found is None:
            return None
        forget_managed_fields(item)
        objects.append(ClusterObject(*found, item, name, line))
    return objects


def _read(text: str) -> tuple[dict[str, Any], list[int]] | None:  # noqa: PLR0915
    """Build the data of one block-style document; return it and where each root item starts.

    Returns None for anything this reader does not read exactly as libyaml does.
    """
    lines = text.split("\n")
    lines.pop()  # the empty text after the last line feed
    count = len(lines)
    root: dict[str, Any] = {}
    # The open collections, innermost last: (the column of its keys or dashes, itself).
    stack: list[tuple[int, Any]] = [(0, root)]
    pending: str | None = None  # a key of the innermost mapping whose value starts below
    items: list[Any] | None = None  # the root's `items`
    item_lines: list[int] = []
    known: dict[str, Line] = {}
    index = 0
    while index < count:
        text_of_line = lines[index]
        index += 1
        parsed = known.get(text_of_line)
        if parsed is None:
            parsed = _line(text_of_line)
            if parsed is None:
                return None
            known[text_of_line] = parsed
        column, dash, key, kind, value = parsed
        if pending is not None:
            above, mapping = stack[-1]
            if column > above or (dash and column == above):
                if len(stack) >= _MAX_DEPTH:
                    return None
                child: Any = [] if dash else {}
                mapping[pending] = child
                if mapping is root and pending == "items":
                    items = child
                stack.append((column, child))
            else:
                mapping[pending] = None
            pending = None
        if dash:
            while stack[-1][0] > column:
                stack.pop()
            at, sequence = stack[-1]
            if at != column or type(sequence) is not list:
                return None
            if key is None:
                if kind == _SCALAR:
                    sequence.append(value)
                elif kind == _EMPTY_MAP:
                    sequence.append({})
                elif kind == _EMPTY_LIST:
                    sequence.append([])
                else:
                    return None  # a `|` block as an item: kubectl never writes one
                continue
            if len(stack) >= _MAX_DEPTH:
                return None
            mapping = {}
            sequence.append(mapping)
            if sequence is items:
                item_lines.append(index)
            column += 2
            stack.append((column, mapping))
        else:
            if key is None:
                return None  # a scalar where a key belongs: a line of a folded scalar
            while True:
                at, mapping = stack[-1]
                if at > column or (at == column and type(mapping) is list):
                    stack.pop()
                    continue
                break
            if at != column or type(mapping) is not dict:
                return None
        if key in mapping:
            return None  # a duplicate key: the full reader refuses it where it is
        if kind == _SCALAR:
            mapping[key] = value
        elif kind == _OPEN:
            pending = key
        elif kind == _EMPTY_MAP:
            mapping[key] = {}
        elif kind == _EMPTY_LIST:
            mapping[key] = []
        else:  # a `|` block
            found = _block(lines, index, column, value)
            if found is None:
                return None
            mapping[key], index = found
    if pending is not None:
        stack[-1][1][pending] = None
    return root, item_lines


def _line(line: str) -> Line | None:
    """Split one line into (column, a `- ` item?, key, kind, value); None for what is not read.

    column: where the key, or the dash, stands.
    """
    content = line.lstrip(" ")
    column = len(line) - len(content)
    dash = content.startswith("- ")
    if dash:
        content = content[2:]
    if not content:
        return None  # an empty line, a lone dash: left alone
    if content[0] in "'\"":
        return _quoted_line(content, column, dash)
    split = content.find(": ")
    if split < 0:
        if content[-1] == ":":
            key = content[:-1]
            return (column, dash, key, _OPEN, None) if _plain_key(key) else None
        if not dash:
            return None
        kind, value = _value(content)
        return None if kind is None else (column, dash, None, kind, value)
    key = content[:split]
    if not _plain_key(key):
        return None
    kind, value = _value(content[split + 2 :])
    return None if kind is None else (column, dash, key, kind, value)


def _quoted_line(content: str, column: int, dash: bool) -> Line | None:
    """Split a line that starts with a quoted scalar: an item, or a key (kfroster quotes `.`)."""
    written = (_SINGLE if content[0] == "'" else _DOUBLE).match(content)
    if written is None:
        return None
    text = _unquote(written)
    rest = content[written.end() :]
    if text is None or (not rest and not dash) or len(written.group(0)) > _MAX_KEY:
        return None  # a lone scalar where a key belongs (a folded line), or a key too long
    if not rest:
        return column, dash, None, _SCALAR, text
    if rest == ":":
        return column, dash, text, _OPEN, None
    if not rest.startswith(": "):
        return None
    kind, value = _value(rest[2:])
    return None if kind is None else (column, dash, text, kind, value)


def _plain_key(key: str) -> bool:
    return len(key) <= _MAX_KEY and _PLAIN_KEY.fullmatch(key) is not None


def _value(text: str) -> tuple[int | None, Any]:
    """Read a value on its key's or dash's line: (kind, value); kind None if not read."""
    first = text[0] if text else ""
    if first in "'\"":
        scalar = _quoted(text)
        if scalar is not None:
            return _SCALAR, scalar
        return None, None
    if text == "{}":
        return _EMPTY_MAP, None
    if text == "[]":
        return _EMPTY_LIST, None
    if text in _BLOCKS:
        return _BLOCK, _BLOCKS[text]
    if not _PLAIN_VALUE.fullmatch(text):
        return None, None
    try:
        return _SCALAR, resolve_plain(text)
    except NumberTooLong:
        return None, None


def _quoted(text: str) -> str | None:
    """Read a single- or double-quoted scalar that is the whole text; None if it is not."""
    written = (_SINGLE if text[0] == "'" else _DOUBLE).fullmatch(text)
    return None if written is None else _unquote(written)


def _unquote(written: re.Match[str]) -> str | None:
    """Return the text of a quoted scalar matched by _SINGLE or _DOUBLE (None: an escape left)."""
    inner = written.group(1)
    if written.group(0)[0] == "'":
        return inner.replace("''", "'")
    return read_double_quoted(inner)


def _block(lines: list[str], index: int, column: int, chomping: str) -> tuple[str, int] | None:
    """Read a literal block scalar (`|`, `|-`, `|+`) whose lines start at index.

    Its indentation is that of its first line, which must hold text and stand deeper than
    column (its key's); it ends before the first line with text that stands less deep.
    Returns (its text, the index after it).
    """
    if index >= len(lines):
        return None
    first = lines[index]
    indent = len(first) - len(first.lstrip(" "))
    if indent <= column or indent == len(first):
        return None  # an empty block, or one that opens with a blank line: left alone
    body: list[str] = []
    blank = 0  # empty lines seen since the last line of text
    end = index
    for end in range(index, len(lines) + 1):
        if end == len(lines):
            break
        line = lines[end]
        if not line:
            blank += 1
            continue
        content = line.lstrip(" ")
        if not content:
            return None  # spaces only: whether they are text depends on rules left alone
        if len(line) - len(content) < indent:
            break
        body.extend([""] * blank)
        blank = 0
        body.append(line[indent:])
    text = "\n".join(body)
    if chomping == "":
        text += "\n"
    elif chomping == "+":
        text += "\n" * (blank + 1)
    return text, end
