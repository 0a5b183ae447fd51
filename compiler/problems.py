"""Problems found in a roster: one located message each, and how to print them."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Literal

from compiler.formats import Format, Formats
from compiler.text import excerpt, github_data, github_property, quote, visible

Level = Literal["error", "warning"]
# Where a node sits in a YAML document: the keys and list indexes from its root,
# `("profiles", 2, "owner")`. Problems carry one; Source.locate turns it into a line.
NodePath = tuple[str | int, ...]


@dataclass(frozen=True, order=True)
class Problem:
    """One finding, located at a 1-based line and column of a file."""

    file: str
    line: int
    col: int
    rule: str
    message: str
    level: Level = "error"
    # Where in the document, as keys and indexes; not part of identity or order.
    path: NodePath = field(default=(), compare=False)


class CompilerError(Exception):
    """Base of every error the command line reports without a traceback."""


class Invalid(CompilerError):
    """Input with problems, each located: the command prints them all and makes nothing."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__(f"{len(self.problems)} problem(s)")


class RosterInvalid(Invalid):
    """The roster has errors; nothing may be compiled from it."""


def path_text(path: Sequence[str | int]) -> str:
    """Write a document path the way a roster author reads it: `profiles[2].owner`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{excerpt(part)}" if text else excerpt(part)
    return text or "the file"


# How alike (difflib's ratio) a word and a candidate must be to suggest it; and how much
# less alike than the best one another candidate may be, to be suggested too.
_CLOSE_ENOUGH = 0.6
_NEARLY = 0.1


def suggest(word: str, candidates: Iterable[str], limit: int = 3) -> list[str]:
    """Return the candidates closest to WORD, ignoring case: the best, and any nearly as close.

    Emails share their domain, so every one is somewhat like any other; keeping only those
    within reach of the best match avoids suggesting strangers.
    """
    scored = []
    for candidate in candidates:
        matcher = difflib.SequenceMatcher(None, word.lower(), candidate.lower())
        scored.append((matcher.ratio(), candidate))
    scored.sort(key=lambda item: (-item[0], item[1]))
    if not scored or scored[0][0] < _CLOSE_ENOUGH:
        return []
    best = scored[0][0]
    return [c for score, c in scored[:limit] if score >= max(_CLOSE_ENOUGH, best - _NEARLY)]


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """Return `did you mean 'x'?` for the closest candidate, or "" when none is close."""
    found = suggest(word, candidates, limit=1)
    return f"did you mean {quote(found[0])}?" if found else ""


def has_errors(problems: Iterable[Problem]) -> bool:
    """Tell whether any problem is an error (warnings alone keep a roster valid)."""
    return any(p.level == "error" for p in problems)


def promote_warnings(problems: Iterable[Problem]) -> list[Problem]:
    """Turn every warning into an error, for --strict."""
    return [replace(p, level="error") for p in problems]


def format_text(problem: Problem) -> str:
    """Format a problem as `file:line:col: level: message [rule]`, always one line."""
    where = f"{visible(problem.file)}:{problem.line}:{problem.col}"
    return f"{where}: {problem.level}: {visible(problem.message)} [{visible(problem.rule)}]"


# The levels of a GitHub Actions annotation.
AnnotationLevel = Literal["error", "warning", "notice"]


def github_annotation(
    level: AnnotationLevel, message: str, properties: Sequence[tuple[str, object]] = ()
) -> str:
    """Write a GitHub Actions annotation workflow command (`::error file=…,line=…::message`).

    Every value is escaped, so a message can neither end the command nor begin another.
    """
    props = ",".join(f"{key}={github_property(str(value))}" for key, value in properties)
    return f"::{level}{' ' if props else ''}{props}::{github_data(message)}"


def format_github(problem: Problem) -> str:
    """Format a problem as a GitHub Actions workflow annotation."""
    return github_annotation(
        problem.level,
        problem.message,
        (
            ("file", problem.file),
            ("line", problem.line),
            ("col", problem.col),
            ("title", problem.rule),
        ),
    )


def format_json(problems: Iterable[Problem]) -> str:
    """Format all problems as one JSON list, for bots."""
    return json.dumps([asdict(p) for p in sorted(problems)], indent=2, ensure_ascii=False) + "\n"


def _lines(problems: Iterable[Problem], line: Callable[[Problem], str]) -> str:
    return "".join(line(problem) + "\n" for problem in sorted(problems))


# format_text and format_github write one problem as a line; the registry writes them all.
PROBLEM_FORMATS: Formats[Sequence[Problem]] = Formats(
    "problems",
    {
        Format.TEXT: lambda problems, _style: _lines(problems, format_text),
        Format.JSON: lambda problems, _style: format_json(problems),
        Format.GITHUB: lambda problems, _style: _lines(problems, format_github),
    },
)
