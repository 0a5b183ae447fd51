"""What every rule reads and what it yields: Facts in, Findings out."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from compiler.model.clusters import Split
from compiler.model.resolve import RosterIndex
from compiler.problems import Level, NodePath
from compiler.roster.model_check import Parsed


@dataclass(frozen=True)
class Finding:
    """What a rule found, at a path in the roster; the rule's id is added by `check`."""

    path: NodePath
    message: str
    level: Level = "error"
    key: bool = False


@dataclass(frozen=True)
class Facts:
    """What every rule reads: the sound roster, where its records came from, lookups."""

    parsed: Parsed
    index: RosterIndex
    # The objects the roster compiles to (in every cluster), counted up to one past
    # policy.maxObjects.
    objects: int = 0
    # The roster's one-cluster rosters, when it names clusters.
    clusters: Split | None = None

    @property
    def too_many_objects(self) -> bool:
        """Tell whether the roster compiles to more objects than policy.maxObjects allows."""
        return self.objects > self.parsed.roster.policy.max_objects


Rule = Callable[[Facts], Iterator[Finding]]
