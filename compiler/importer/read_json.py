"""Read kubectl's JSON List fast: the C JSON decoder, each item located at its opening brace.

`kubectl get … -o json` prints one List. Decoding it with the json module is several times
faster than reading it as YAML events, which matters for a cluster of 100,000 objects. Only
that shape is read here, and only when it is plain: anything else (another shape, several
documents, a duplicate key, NaN, an escaped surrogate, nesting too deep, an item that is
no object) returns None, and read.read_objects reads the text instead and reports each
problem where it is. Both give the same objects, at the same lines, with the same values
(yamlio.scalars.resolve_plain reads a long integer as an integer; one too long to convert
is the YAML reader's to report).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any, Final

from compiler.importer.read import ClusterObject, forget_managed_fields, text_of
from compiler.model.keys import group_of

_SPACE: Final = re.compile(r"[ \t\n\r]*")
_BETWEEN_ITEMS: Final = re.compile(r"[ \t\n\r]*,[ \t\n\r]*")
# An escaped surrogate: json joins pairs that the YAML reader may keep apart; let it decide.
_SURROGATE: Final = re.compile(r"\\[uU][dD][89a-fA-F]")
# Python converts longer digit strings in quadratic time, or refuses; the YAML reader
# reports such a number where it is.
_MAX_INT_DIGITS: Final = 640


class _NotPlain(ValueError):
    """Something only the YAML reader should judge (and locate)."""


class _DuplicateKey(_NotPlain):
    """An object that holds a key twice."""


def _no_duplicates(pairs: Sequence[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        raise _DuplicateKey("duplicate key")
    return found


def _constant(text: str) -> object:
    raise _NotPlain(f"{text} is no JSON value")


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_INT_DIGITS:
        raise _NotPlain("a number too long to read here")
    return int(text)


_DECODER: Final = json.JSONDecoder(
    object_pairs_hook=_no_duplicates, parse_constant=_constant, parse_int=_integer
)
# The same without the check of every object's keys (a Python call for each of the
# 2,200,000 objects of a 10,000-user dump: 0.6 s), for a text same_unchecked() vouches for.
_UNCHECKED: Final = json.JSONDecoder(parse_constant=_constant, parse_int=_integer)


def read_list(
    content: bytes | str, name: str, *, unchecked: bool = False
) -> list[ClusterObject] | None:
    """Return the objects of a plain kubectl JSON List, or None when read_objects must read it.

    Unchecked, neither a key written twice in one object nor an escaped surrogate is looked
    for: the caller must have same_unchecked() say the text holds neither before it trusts
    what this returned (a forked child checks while this reads).
    """
    text = text_of(content)
    if text is None:
        return None
    start = _SPACE.match(text).end()  # type: ignore[union-attr]
    if not text.startswith("{", start) or (not unchecked and _SURROGATE.search(text)):
        return None
    decoder = _UNCHECKED if unchecked else _DECODER
    try:
        top, items, positions = _top_level(text, start, decoder, keep=True)
    except (_NotPlain, ValueError, RecursionError, IndexError):
        return None
    if top.get("kind") != "List" or not isinstance(top.get("apiVersion"), str):
        return None
    objects = []
    line, previous = 1, 0
    for item, position in zip(items, positions, strict=True):
        found = plain_object(item)
        if found is None:
            return None
        line += text.count("\n", previous, position)
        previous = position
        objects.append(ClusterObject(*found, item, name, line))
    return objects


def same_unchecked(content: bytes | str) -> bool:
    """Tell whether read_list reads this text unchecked exactly as it reads it checked.

    False when it holds an escaped surrogate or an object with a key twice, which only the
    checked read refuses (and hands to the YAML reader). Reads the text as read_list does,
    keeping nothing. A text that read_list steps aside from either way is the YAML
    reader's, which checks everything itself.
    """
    text = text_of(content)
    if text is None:
        return True
    start = _SPACE.match(text).end()  # type: ignore[union-attr]
    if not text.startswith("{", start):
        return True
    if _SURROGATE.search(text):
        return False
    try:
        _top_level(text, start, _DECODER, keep=False)
    except _DuplicateKey:
        return False
    except (_NotPlain, ValueError, RecursionError, IndexError):
        return True
    return True


def _top_level(
    text: str, start: int, decoder: json.JSONDecoder, *, keep: bool
) -> tuple[dict[str, Any], list[Any], list[int]]:
    """Decode the List's top-level object, keeping where each of its items starts.

    Without keep, each item is decoded and dropped (same_unchecked needs no more).
    """
    top: dict[str, Any] = {}
    items: list[Any] = []
    positions: list[int] = []
    at = _skip(text, start + 1)
    if text[at] == "}":
        return top, items, positions
    while True:
        if text[at] != '"':
            raise _NotPlain("a key")
        key, at = scanstring(text, at + 1)
        at = _skip(text, at)
        if text[at] != ":":
            raise _NotPlain("a colon")
        at = _skip(text, at + 1)
        if key in top:
            raise _DuplicateKey("duplicate key")
        if key == "items" and text[at] == "[":
            top[key], at = _items(text, at, decoder, items, positions, keep=keep)
        else:
            top[key], at = decoder.raw_decode(text, at)
        at = _skip(text, at)
        if text[at] == "}":
            break
        if text[at] != ",":
            raise _NotPlain("a comma")
        at = _skip(text, at + 1)
    if _skip(text, at + 1) != len(text):
        raise _NotPlain("more after the List")
    return top, items, positions


def _items(
    text: str,
    at: int,
    decoder: json.JSONDecoder,
    items: list[Any],
    positions: list[int],
    *,
    keep: bool,
) -> tuple[list[Any], int]:
    at = _skip(text, at + 1)
    if text[at] == "]":
        return items, at + 1
    scan = decoder.scan_once  # type: ignore[attr-defined]  # raw_decode, minus its wrapper
    between = _BETWEEN_ITEMS.match
    while True:
        if keep:
            positions.append(at)
        try:
            item, at = scan(text, at)
        except StopIteration as err:
            raise _NotPlain("no value") from err
        if keep:
            forget_managed_fields(item)  # before the next item is read: its memory serves again
            items.append(item)
        comma = between(text, at)
        if comma is None:
            break
        at = comma.end()
    at = _skip(text, at)
    if text[at] != "]":
        raise _NotPlain("a comma")
    return items, at + 1


def _skip(text: str, at: int) -> int:
    return _SPACE.match(text, at).end()  # type: ignore[union-attr]


def plain_object(item: Any) -> tuple[str, str, str, str] | None:
    """Return (group, kind, namespace, name) of a plain object; None for anything else."""
    if not isinstance(item, dict):
        return None
    api_version, kind = item.get("apiVersion"), item.get("kind")
    metadata = item.get("metadata")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return None
    if kind.endswith("List") and isinstance(item.get("items"), list):
        return None  # a List inside the List: read.py flattens it
    if not isinstance(metadata, dict):
        return None
    name, namespace = metadata.get("name"), metadata.get("namespace", "")
    if not isinstance(name, str) or not isinstance(namespace, str):
        return None
    return group_of(api_version), kind, namespace, name
