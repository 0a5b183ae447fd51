"""What every rule reads and what it yields: Facts in, Findings out."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from compiler.model.resolve import RosterIndex
from compiler.problems import Level
from compiler.roster.model_check import Parsed, Path


@dataclass(frozen=True)
class Finding:
    """What a rule found, at a path in the roster; the rule's id is added by `check`."""

    path: Path
    message: str
    level: Level = "error"
    key: bool = False


@dataclass(frozen=True)
class Facts:
    """What every rule reads: the sound roster, where its records came from, lookups."""

    parsed: Parsed
    index: RosterIndex


Rule = Callable[[Facts], Iterator[Finding]]
