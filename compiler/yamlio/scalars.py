"""What a YAML scalar means and how to write one: the one home of kfroster's scalar rules.

`resolve_plain` reads a plain (unquoted) scalar under the YAML 1.2 core schema, as every
kfroster loader does. `quote` writes a string so that YAML 1.1 readers (go-yaml v2, which
Kubernetes uses, and PyYAML) and YAML 1.2 readers (ruamel, kfroster itself) all read that
same string back, in block or in flow context.
"""

from __future__ import annotations

import functools
import re
import sys
from typing import Final

# --- Reading: the YAML 1.2 core schema -------------------------------------------------------

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


class NumberTooLong(ValueError):
    """A plain scalar is a decimal integer with more digits than Python converts."""


def resolve_plain(text: str) -> object:
    """Return the value of a plain scalar under the YAML 1.2 core schema.

    The empty scalar is null; raises NumberTooLong for an integer Python will not convert.
    """
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
            raise NumberTooLong(len(text))
        return int(text)
    if _OCTAL.fullmatch(text) or _HEX.fullmatch(text):
        return int(text[2:], 8 if text[1] == "o" else 16)
    if _FLOAT.fullmatch(text):
        return float(text)
    return text


# --- Writing: one string, read alike by YAML 1.1 and 1.2 -------------------------------------

# Plain style only for a small ASCII subset. The first character is never a YAML indicator,
# nor '.' or '-' (document markers `---`/`...`, `.inf`, `-1`); '#', quotes, '!', '&', '*', '~'
# and '<' never occur; words are separated by single spaces.
_PLAIN: Final = re.compile(
    r"[A-Za-z0-9_/][A-Za-z0-9_/.@+=,:-]*(?: [A-Za-z0-9_/.@+=,:-]+)*"
).fullmatch
# A superset of what PyYAML (1.1), ruamel (1.2) and go-yaml read as a number when the scalar
# starts with a digit: 0755, 0o17, 0x1F, 0b101, 1_000, 1e3, 1.5, 12:30, 1:20:30.5.
_NUMBERISH: Final = re.compile(r"[0-9][0-9a-fA-FxXoO_.:+-]*").fullmatch
# YAML 1.1 timestamps (2001-12-14, 2001-12-14t21:59:43.10-05:00, 2001-12-14 21:59:43 -5).
_TIMESTAMP: Final = re.compile(r"[0-9]{4}-[0-9]").match
# Booleans and nulls of YAML 1.1 and 1.2; compared case-insensitively, a superset again.
_WORDS: Final = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})
# Inside [...] or {...} a ',' ends a plain scalar, and older 1.1 scanners (go-yaml v2)
# refuse a ':' inside one.
_FLOW_BREAKERS: Final = frozenset(",:")
_ESCAPES: Final = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _is_ambiguous(text: str) -> bool:
    """Tell whether a plain-looking scalar would be read as something else than this string."""
    if text[-1] == ":" or ": " in text:
        return True
    if "0" <= text[0] <= "9":
        return _NUMBERISH(text) is not None or _TIMESTAMP(text) is not None
    return len(text) <= 5 and text.lower() in _WORDS


def _double_quoted(text: str) -> str:
    parts = ['"']
    for char in text:
        if char in _ESCAPES:
            parts.append(_ESCAPES[char])
        elif char.isprintable():
            parts.append(char)
        else:
            code = ord(char)
            if 0xD800 <= code <= 0xDFFF:
                raise ValueError(f"lone surrogate U+{code:04X} is no character: {text!r}")
            if code < 0x100:
                parts.append(f"\\x{code:02x}")
            elif code < 0x10000:
                parts.append(f"\\u{code:04x}")
            else:
                parts.append(f"\\U{code:08x}")
    parts.append('"')
    return "".join(parts)


@functools.lru_cache(maxsize=16384)  # keys and common values repeat across manifests
def quote(text: str, *, flow: bool = False) -> str:
    """Return text as a plain, single-quoted or double-quoted YAML scalar that reads back as text.

    flow: the scalar goes inside `[...]` or `{...}`, where ',' and ':' need quotes too.
    """
    if (
        _PLAIN(text) is not None
        and not _is_ambiguous(text)
        and not (flow and not _FLOW_BREAKERS.isdisjoint(text))
    ):
        return text
    # Python's "printable" excludes tabs, line breaks (also U+0085, U+2028, U+2029), format
    # characters such as U+FEFF and U+202E, and unassigned code points: those get escapes, so
    # nothing invisible reaches a reviewer and no reader folds or strips anything.
    if text.isprintable():
        return "'" + text.replace("'", "''") + "'"
    return _double_quoted(text)


def scalar(value: object, *, flow: bool = False) -> str:
    """Return a str, bool, int or None as YAML text that reads back as that value."""
    if isinstance(value, str):
        return quote(value, flow=flow)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return int.__repr__(value)  # IntEnum members print as plain numbers too
    if value is None:
        return "null"
    raise TypeError(f"cannot write {type(value).__name__} to YAML: {value!r}")


# --- Reading a double-quoted scalar ------------------------------------------------------------

# The escapes kfroster's emitter and go-yaml write; any other is left to libyaml.
_READ_ESCAPES: Final = {"\\": "\\", '"': '"', "n": "\n", "t": "\t", "r": "\r"}
_HEX_DIGITS: Final = {"x": 2, "u": 4, "U": 8}
_HEX_CODE: Final = re.compile(r"[0-9a-fA-F]+")


def read_double_quoted(inner: str) -> str | None:
    """Return the text of a one-line double-quoted scalar (without its quotes) as libyaml does.

    None for an escape it does not know, a code point that is no character (a surrogate,
    beyond U+10FFFF), or a line break in the text: the full reader judges those.
    """
    if "\\" not in inner:
        return inner
    parts = []
    at = 0
    while True:
        escape = inner.find("\\", at)
        if escape < 0:
            parts.append(inner[at:])
            return "".join(parts)
        parts.append(inner[at:escape])
        letter = inner[escape + 1 : escape + 2]
        if letter in _READ_ESCAPES:
            parts.append(_READ_ESCAPES[letter])
            at = escape + 2
            continue
        digits = _HEX_DIGITS.get(letter)
        code = inner[escape + 2 : escape + 2 + digits] if digits else ""
        if not digits or len(code) != digits or not _HEX_CODE.fullmatch(code):
            return None
        point = int(code, 16)
        if 0xD800 <= point <= 0xDFFF or point > 0x10FFFF:
            return None
        parts.append(chr(point))
        at = escape + 2 + digits
