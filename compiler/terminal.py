"""Terminal presentation: when to colour, how to colour, and how to lay out aligned tables.

Colour is decided once, from the stream and the environment, and passed down as a
`Palette`; formatters stay pure functions of their data and that palette. Widths are
measured on the visible text, so a cell may be coloured before the table is laid out.
"""

from __future__ import annotations

import os
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")

# SGR codes of the few styles the commands use.
_STYLES: Mapping[str, str] = {
    "bold": "1",
    "dim": "2",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "blue": "34",
    "magenta": "35",
    "cyan": "36",
}


class _Stream(Protocol):
    def isatty(self) -> bool: ...


def colour_enabled(stream: _Stream, environ: Mapping[str, str] | None = None) -> bool:
    """Tell whether to colour what goes to `stream`: a terminal, and `NO_COLOR` unset.

    `NO_COLOR` (no-color.org) counts when set to anything but the empty string.
    """
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR", ""):
        return False
    if env.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or foreign stream is not a terminal
        return False


@dataclass(frozen=True)
class Palette:
    """Applies styles when colour is on; returns the text unchanged when it is off."""

    enabled: bool = False

    def paint(self, text: str, *styles: str) -> str:
        """Wrap `text` in the given styles (names of `_STYLES`), or return it as is."""
        if not self.enabled or not styles or not text:
            return text
        codes = ";".join(_STYLES[style] for style in styles)
        return f"\x1b[{codes}m{text}\x1b[0m"

    def bold(self, text: str) -> str:
        """Make `text` bold."""
        return self.paint(text, "bold")

    def dim(self, text: str) -> str:
        """Make `text` faint, for what matters less."""
        return self.paint(text, "dim")


PLAIN = Palette(enabled=False)


def palette_for(stream: _Stream) -> Palette:
    """Return the palette for what is written to `stream`: colour only on a terminal."""
    return Palette(colour_enabled(stream))


def visible_width(text: str) -> int:
    """Return how many columns `text` takes, colour codes excluded."""
    return len(_ANSI_ESCAPE.sub("", text))


def strip_colour(text: str) -> str:
    """Remove colour codes from `text`."""
    return _ANSI_ESCAPE.sub("", text)


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    indent: int = 0,
    gap: int = 2,
    palette: Palette = PLAIN,
) -> list[str]:
    """Lay out rows under headers in aligned columns; return the lines, none with trailing blanks.

    Cells may already be coloured, and may hold several lines (`\\n`): the row then grows
    downwards. Headers are bold when colour is on; empty `headers` prints the rows alone.
    """
    laid_out = table_rows(headers, rows, indent=indent, gap=gap, palette=palette)
    return [line for row in laid_out for line in row]


def table_rows(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    indent: int = 0,
    gap: int = 2,
    palette: Palette = PLAIN,
) -> list[list[str]]:
    """Lay out a table like `table`, keeping each row's lines apart (the headers first).

    For callers that print one layout in several pieces, so columns line up across them.
    """
    every = [list(headers), *(list(row) for row in rows)] if headers else [list(r) for r in rows]
    split = [[cell.split("\n") for cell in row] for row in every]
    columns = max((len(row) for row in split), default=0)
    widths = [0] * columns
    for row in split:
        for index, cell_lines in enumerate(row):
            widths[index] = max([widths[index], *(visible_width(line) for line in cell_lines)])
    laid_out: list[list[str]] = []
    for number, row in enumerate(split):
        height = max((len(cell_lines) for cell_lines in row), default=1)
        row_lines = []
        for offset in range(height):
            cells = []
            for index, cell_lines in enumerate(row):
                text = cell_lines[offset] if offset < len(cell_lines) else ""
                cells.append(text + " " * (widths[index] - visible_width(text)))
            line = (" " * gap).join(cells).rstrip()
            if headers and number == 0:
                line = palette.bold(line)
            row_lines.append(" " * indent + line)
        laid_out.append(row_lines)
    return laid_out


# Prose is wrapped at a fixed width, not the terminal's: the same input gives the same output.
WRAP_WIDTH = 100


def wrap(text: str, *, indent: int = 0, hang: int = 0, width: int = WRAP_WIDTH) -> list[str]:
    """Wrap prose to `width` columns, indented by `indent`, continuation lines `hang` more."""
    return textwrap.wrap(
        text,
        width,
        initial_indent=" " * indent,
        subsequent_indent=" " * (indent + hang),
        break_on_hyphens=False,
    )


def definitions(
    pairs: Sequence[tuple[str, str]], *, indent: int = 2, width: int = WRAP_WIDTH
) -> list[str]:
    """Lay out term/description pairs with the descriptions aligned and wrapped under each other."""
    term_width = max((visible_width(term) for term, _ in pairs), default=0)
    lines: list[str] = []
    for term, description in pairs:
        hang = indent + term_width + 2
        body = textwrap.wrap(description, max(width - hang, 20), break_on_hyphens=False) or [""]
        pad = " " * (term_width - visible_width(term))
        lines.append(f"{' ' * indent}{term}{pad}  {body[0]}".rstrip())
        lines.extend(" " * hang + line for line in body[1:])
    return lines


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Return a GitHub-flavoured Markdown table; `|` inside a cell is escaped."""

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    return [line(headers), line(["---"] * len(headers)), *(line(row) for row in rows)]
