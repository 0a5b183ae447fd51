"""Show text: how many of a thing, and text kfroster did not write, clipped, quoted and harmless.

Roster values, file names, paths and git revisions come from whoever wrote them. Printed
raw, a line break in one starts a new output line, and that line can be a GitHub Actions
workflow command (`::error ...::`, `::add-mask::`, `::stop-commands::`), which the runner
reads from stdout and stderr alike; an ESC starts a terminal escape that can recolour,
hide or overwrite what a reviewer reads. So every such string is shown through `visible`
(no character a terminal or log would act on survives), cut with `clip` and quoted with
`quote`; and whatever kfroster writes to its streams passes `safe_output`, the last line of
defence that defuses anything the runner would take for a command. Annotations kfroster
means to write are built with `github_data` and `github_property`.

How the runner finds commands (actions/runner @ 258d6c85, src/Runner.Common/ActionCommand.cs):
a line whose start, after leading whitespace, is `::` (TryParseV2, lines 51-66), or any line
that holds `##[` anywhere (the older TryParse, lines 121-136); it splits lines at `\\n` and `\\r`.
"""

from __future__ import annotations

import re
from typing import Final

# Roster text quoted in a message is cut to this: a 10,000-character key must not flood a PR.
QUOTED_MAX_CHARS: Final = 80
CLIP_MARK: Final = "…"

# The colour codes terminal.Palette writes (SGR): kept by safe_output when colour is on.
_SGR: Final = re.compile(r"\x1b\[[0-9;]*m")
# After `visible`, the space is the only whitespace left for the runner to skip.
_COMMAND_START: Final = re.compile(r"^( *)::", re.MULTILINE)


def noun(number: int, singular: str, plural: str | None = None) -> str:
    """The word for `number` things: `singular` for one, else `plural` (default: add "s")."""
    return singular if number == 1 else (plural if plural is not None else singular + "s")


def counted(number: int, singular: str, plural: str | None = None) -> str:
    """`number` and the word for that many: "1 file", "2 files", "10,000 objects"."""
    return f"{number:,} {noun(number, singular, plural)}"


def clip(text: str, limit: int = QUOTED_MAX_CHARS) -> str:
    """Cut text to at most limit characters, marking the cut with CLIP_MARK."""
    return text if len(text) <= limit else text[: limit - len(CLIP_MARK)] + CLIP_MARK


def _escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    # A surrogate pair, as JSON writes it: escapes inside JSON text stay valid JSON.
    high, low = divmod(code - 0x10000, 0x400)
    return f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04x}"


def visible(text: str) -> str:
    """Show every character a terminal or log would not print as itself as a `\\u001b` escape.

    That is what `str.isprintable()` refuses: controls (line breaks, tab, ESC, C1), format
    characters (right-to-left overrides, zero widths), separators other than the space,
    surrogates and unassigned code points. Everything else is kept as it is.
    """
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else _escape(char) for char in text)


def excerpt(text: str, limit: int = QUOTED_MAX_CHARS) -> str:
    """Show text on one line, cut to at most limit characters before escaping."""
    return visible(clip(text, limit))


def quote(text: str, limit: int = QUOTED_MAX_CHARS) -> str:
    """Quote text for a message: clipped, in quotes, and escaped so it stays on one line."""
    # repr escapes exactly what str.isprintable() refuses, and the quotes and backslashes.
    return repr(clip(text, limit))


def github_data(text: str) -> str:
    """Escape the message of a workflow command so the runner reads it back unchanged."""
    return visible(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_property(text: str) -> str:
    """Escape a property value (file=, title=) of a workflow command."""
    return github_data(text).replace(":", "%3A").replace(",", "%2C")


def safe_output(text: str, *, colour: bool = False) -> str:
    """Make text safe to write to a terminal or a CI log, keeping its line breaks.

    Every other character `visible` escapes is escaped, except kfroster's own colour codes
    when colour is on; a line that would start a workflow command gets its first ':'
    escaped, and `##[` anywhere becomes `##\\u005b`. (In JSON text these escapes still
    decode to the same data: the characters only ever occur inside strings.)
    """
    lines = text.split("\n")
    if colour:
        lines = [_visible_keeping_colour(line) for line in lines]
    else:
        lines = [visible(line) for line in lines]
    shown = _COMMAND_START.sub(r"\1\\u003a:", "\n".join(lines))
    return shown.replace("##[", "##\\u005b")


def _visible_keeping_colour(line: str) -> str:
    parts = _SGR.split(line)
    codes = _SGR.findall(line)
    shown = [visible(parts[0])]
    for code, part in zip(codes, parts[1:], strict=True):
        shown += [code, visible(part)]
    return "".join(shown)
