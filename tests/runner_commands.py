"""An oracle of the GitHub Actions runner: which lines of a step's output it takes for commands.

Written from actions/runner @ 258d6c857db3519913f7deb6004b60172f8043ae,
src/Runner.Common/ActionCommand.cs: TryParseV2 (lines 51-119) trims leading whitespace and
needs `::` at the start and a second `::` after it; the older TryParse (lines 121-185)
finds `##[` anywhere in the line and a `]` after it. ActionCommandManager.TryProcessCommand
(src/Runner.Worker/ActionCommandManager.cs, lines 62-73) tries one, then the other. The
runner reads output line by line, breaking at `\\n`, `\\r` and `\\r\\n`. Stricter than the
runner on purpose: any command name counts, registered or not, and every Unicode space
is trimmed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Command:
    """One workflow command as the runner would read it."""

    name: str
    properties: str
    data: str


def commands(output: str) -> list[Command]:
    """Return every workflow command the runner would find in output."""
    found = []
    for line in _LINE_BREAK.split(output):
        command = _v2(line) or _v1(line)
        if command is not None:
            found.append(command)
    return found


def _v2(line: str) -> Command | None:
    trimmed = line.lstrip()
    if not trimmed.startswith("::"):
        return None
    end = trimmed.find("::", 2)
    if end < 0:
        return None
    name, _, properties = trimmed[2:end].partition(" ")
    return Command(name, properties, trimmed[end + 2 :])


def _v1(line: str) -> Command | None:
    start = line.find("##[")
    if start < 0:
        return None
    end = line.find("]", start)
    if end < 0:
        return None
    name, _, properties = line[start + 3 : end].partition(" ")
    return Command(name, properties, line[end + 1 :])


def unescape_data(text: str) -> str:
    """Undo the runner's escaping of a command's data (ActionCommand.cs, _escapeDataMappings)."""
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def unescape_property(text: str) -> str:
    """Undo the runner's escaping of a property value (_escapePropertyMappings)."""
    for escaped, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(escaped, char)
    return text
