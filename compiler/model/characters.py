"""Say why a piece of roster text was refused, character by character.

Names and emails are plain ASCII on purpose: a Cyrillic 'a' (U+0430) or a full-width
'@' (U+FF20) reads like its ASCII twin in review, and an invisible or right-to-left
character hides what a value really is. When a value is refused, these functions name
the character (its code point and Unicode name) and what it looks like, so the author
can retype it.
"""

from __future__ import annotations

import unicodedata
from typing import Final

# Letters that look like ASCII but that Unicode normalisation (NFKC) leaves alone;
# full-width and mathematical letters are found through NFKC instead.
_LOOKALIKES: Final = {
    # Cyrillic
    "\u0430": "a",
    "\u0435": "e",
    "\u043e": "o",
    "\u0440": "p",
    "\u0441": "c",
    "\u0443": "y",
    "\u0445": "x",
    "\u0456": "i",
    "\u0458": "j",
    "\u0455": "s",
    "\u0501": "d",
    "\u051b": "q",
    "\u051d": "w",
    "\u04bb": "h",
    "\u04cf": "l",
    "\u0410": "A",
    "\u0412": "B",
    "\u0415": "E",
    "\u041a": "K",
    "\u041c": "M",
    "\u041d": "H",
    "\u041e": "O",
    "\u0420": "P",
    "\u0421": "C",
    "\u0422": "T",
    "\u0425": "X",
    # Greek
    "\u03bf": "o",
    "\u03b1": "a",
    "\u03bd": "v",
    "\u03b9": "i",
    "\u03ba": "k",
    "\u03c1": "p",
    "\u03c5": "u",
    "\u03c7": "x",
    "\u0391": "A",
    "\u0392": "B",
    "\u0395": "E",
    "\u0396": "Z",
    "\u0397": "H",
    "\u0399": "I",
    "\u039a": "K",
    "\u039c": "M",
    "\u039d": "N",
    "\u039f": "O",
    "\u03a1": "P",
    "\u03a4": "T",
    "\u03a5": "Y",
    "\u03a7": "X",
    # Latin letters and punctuation that pass for ASCII ones
    "\u0131": "i",
    "\u0261": "g",
    "\u2010": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
    "\u3002": ".",
}
# Characters that change the order text is shown in, without showing themselves.
_BIDI_CONTROLS: Final = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_WHITESPACE_NAMES: Final = {
    " ": "a space",
    "\t": "a tab",
    "\n": "a line break",
    "\r": "a line break",
}


def code_point(char: str) -> str:
    """Name a character the way Unicode charts do: `U+0430 CYRILLIC SMALL LETTER A`."""
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


def ascii_lookalike(char: str) -> str | None:
    """Return the ASCII text a character passes for (U+0430 → `a`, U+FF20 → `@`), if any."""
    if char in _LOOKALIKES:
        return _LOOKALIKES[char]
    folded = unicodedata.normalize("NFKC", char)
    if folded != char and folded.isascii() and folded.isprintable() and folded.strip():
        return folded
    return None


def _whitespace(char: str) -> str:
    return _WHITESPACE_NAMES.get(char) or code_point(char)


def why_not_ascii(text: str) -> str | None:
    """Explain the first reason text is not plain, trimmed ASCII; None when it is.

    The result completes a sentence about the value: "…, which <reason>".
    """
    if text.isascii() and text.isprintable() and " " not in text:
        return None  # the common case, settled in C: no whitespace, no controls, no Unicode
    if text != text.strip():
        if text[:1].isspace():
            return f"starts with {_whitespace(text[0])}; remove the whitespace around the value"
        last = _whitespace(text[-1])
        block = " (a '|' or '>' block keeps one at the end)" if text[-1] in "\r\n" else ""
        return f"ends with {last}{block}; remove the whitespace around the value"
    for char in text:
        if char.isascii():
            if char in _WHITESPACE_NAMES:
                return f"contains {_WHITESPACE_NAMES[char]}; write it as one word on one line"
            if not char.isprintable():
                return f"contains the control character {code_point(char)}; delete it"
            continue
        named = code_point(char)
        twin = ascii_lookalike(char)
        if twin is not None:
            return f"contains {named}, which looks like {twin!r}; only ASCII is accepted, retype it"
        if char in _BIDI_CONTROLS:
            return (
                f"contains {named}, an invisible control that changes the order text is "
                "shown in; delete it"
            )
        category = unicodedata.category(char)
        if category in ("Cf", "Zs", "Zl", "Zp") or char.isspace():
            return f"contains {named}, an invisible or space character; delete it"
        if category.startswith("M"):
            return f"contains {named}, a mark that changes the letter before it; delete it"
        return f"contains {named}; only ASCII is accepted"
    return None
