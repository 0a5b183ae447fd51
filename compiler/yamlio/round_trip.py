"""Edit a roster's text in place: ruamel.yaml's round trip, set to the roster's own layout.

Every command that writes into a roster the user wrote (`drift --adopt`, `import --into`)
edits its round-trip document, so every comment, every untouched key and its order stay;
what they add is written the way kfroster writes a roster (short leaf records on one line,
blocks otherwise).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

# Indentations to try: (mapping, sequence, offset) as ruamel.yaml takes them.
_INDENTS: Final = ((2, 4, 2), (2, 2, 0), (4, 4, 2), (4, 6, 4), (4, 4, 0), (2, 4, 0))
# An end-of-line comment: after a space, up to the end of the line (a '#' inside a quoted
# scalar may match too; it is only ever compared with the end of a line, so it is harmless).
_COMMENT: Final = re.compile(r"\S[ \t]+(#[^\n]*)$", flags=re.MULTILINE)


def round_trip(text: str) -> tuple[YAML, Any, bool]:
    """Return a round-trip YAML set to the roster's own indentation, and the document it read.

    The third value says that no indentation reproduces the text exactly. The document is
    the one the chosen YAML loaded and wrote back to compare: loading a roster of 10,000
    users takes ruamel.yaml 13 s, so its caller edits that one instead of loading again.
    """
    best: tuple[int, YAML, Any] | None = None
    for mapping, sequence, offset in _INDENTS:
        yaml = YAML()
        yaml.preserve_quotes = True
        yaml.width = 4096  # never fold a long line
        yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
        stream = io.StringIO()
        document = yaml.load(text)
        yaml.dump(document, stream)
        if stream.getvalue() == text:
            return yaml, document, False
        lines = zip(text.splitlines(), stream.getvalue().splitlines(), strict=False)
        differing = sum(1 for mine, theirs in lines if mine != theirs)
        if best is None or differing < best[0]:
            best = (differing, yaml, document)
    assert best is not None
    return best[1], best[2], True


def dump(yaml: YAML, document: Any, before: str, comments: Iterable[str]) -> str:
    """Return the edited document's text, written by the round-trip YAML that loaded it.

    `before` is the text it was loaded from, `comments` the end-of-line comments the edit
    added: ruamel.yaml leaves one space before some of them (and before the user's own on
    a line the edit changed), and a roster has two.
    """
    stream = io.StringIO()
    yaml.dump(document, stream)
    kept = set(before.splitlines())
    own = {match.group(1) for match in _COMMENT.finditer(before)}
    added = (*comments, *sorted(own, key=len, reverse=True))
    return "".join(
        line if line.rstrip("\n") in kept else _two_spaces(line, added)
        for line in stream.getvalue().splitlines(keepends=True)
    )


def _two_spaces(line: str, comments: tuple[str, ...]) -> str:
    body = line.rstrip("\n")
    for comment in comments:
        if body.endswith(f" {comment}") and not body.endswith(f"  {comment}"):
            return f"{body[: -len(comment) - 1]}  {comment}{line[len(body) :]}"
    return line


def index_of(items: CommentedSeq, key: str, value: str) -> int:
    """Return the position of the mapping in items whose key holds value."""
    return next(
        i for i, item in enumerate(items) if isinstance(item, dict) and item.get(key) == value
    )


def values_of(items: CommentedSeq, key: str) -> set[Any]:
    """Return the values a key holds across the mappings of items."""
    return {item.get(key) for item in items if isinstance(item, dict)}


def flow_map(values: Mapping[str, Any], *, like: Iterable[Any]) -> CommentedMap:
    """Return a mapping written on one line, unless the list it joins writes its items as blocks."""
    item = CommentedMap(values)
    items = [existing for existing in like if isinstance(existing, CommentedMap)]
    if not items or items[-1].fa.flow_style():
        item.fa.set_flow_style()
    return item


def block(value: Any) -> Any:
    """Return plain data as a round-trip node: blocks, short leaf collections on one line."""
    if isinstance(value, dict):
        node = CommentedMap((key, block(item)) for key, item in value.items())
        if _is_leaf(value):
            node.fa.set_flow_style()
        return node
    if isinstance(value, list):
        seq = CommentedSeq(block(item) for item in value)
        if _is_leaf(value):
            seq.fa.set_flow_style()
        return seq
    return value


def _is_leaf(value: dict[str, Any] | list[Any]) -> bool:
    items = value.values() if isinstance(value, dict) else value
    return all(not isinstance(item, dict | list) or not item for item in items)
