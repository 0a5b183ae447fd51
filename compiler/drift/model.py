"""The drift report: what `kfroster drift` found, in the terms every presentation reads.

An entry is one thing that differs between the cluster and the compiled roster, of one
kind (granted, missing, changed, unmanaged, info) at one severity (the plan's:
critical, high, warning, info), located at its objects in the dump and at the roster
line it concerns. Messages keep text from the dump apart from prose (`Code`), so each
presentation escapes it for its medium.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from compiler.model.keys import ResourceKey
from compiler.problems import Problem
from compiler.review.plan.model import Message, plain
from compiler.review.thresholds import SEVERITIES, Severity, Threshold, failing

DriftKind = Literal["granted", "missing", "changed", "unmanaged", "info"]
DRIFT_KINDS: tuple[DriftKind, ...] = ("granted", "missing", "changed", "unmanaged", "info")
# The kinds that are drift: `info` never is (nor fails a check).
FAILING_KINDS: tuple[DriftKind, ...] = ("granted", "missing", "changed", "unmanaged")

# How access outside the roster was made: KFAM's pair is the dashboard's Manage
# Contributors, the registration flow makes Profiles, anything else came from kubectl
# (or a tool like it).
MadeBy = Literal["dashboard", "registration", "kubectl", "kfroster"]

AdoptionKind = Literal["contributor", "cluster-role", "profile"]


@dataclass(frozen=True, order=True)
class Located:
    """An object of the dump, and where it was read (a JSON file's line is that of its `{`)."""

    key: ResourceKey
    file: str
    line: int

    def where(self) -> str:
        """Return `file:line`."""
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Adoption:
    """What `--adopt` writes into the roster for an entry."""

    kind: AdoptionKind
    email: str = ""  # the person: contributor, cluster-wide user, owner of the profile
    profile: str = ""  # the profile a contributor joins, or the profile adopted
    role: str = ""  # edit or view (contributor); admin, edit or view (cluster-wide)

    def describe(self) -> str:
        """Say in a few words what the adoption writes."""
        if self.kind == "profile":
            return f"profile {self.profile} owned by {self.email}"
        if self.kind == "contributor":
            return f"contributor {self.email} ({self.role}) in profile {self.profile}"
        return f"clusterRole {self.role} for {self.email}"


@dataclass(frozen=True)
class FieldDrift:
    """One field of an object of out/ that the cluster holds differently."""

    path: str
    want: str  # what out/ says, as compact JSON
    have: str  # what the cluster holds, `(none)` when absent


@dataclass(frozen=True)
class Entry:
    """One thing the cluster holds that the roster does not say, or the reverse."""

    kind: DriftKind
    severity: Severity
    subject: str  # what it is about, plain text: a person, a profile, an object
    message: Message
    objects: tuple[Located, ...] = ()  # in the dump; the first one locates the entry
    roster_path: tuple[str | int, ...] | None = None  # the roster node it concerns
    roster_position: tuple[int, int] | None = None  # that node's line and column
    made_by: MadeBy | None = None
    adoption: Adoption | None = None
    not_adopted: str = ""  # why --adopt cannot write a granted or unmanaged entry
    fields: tuple[FieldDrift, ...] = ()
    revoke: tuple[ResourceKey, ...] = ()  # what `--revoke` deletes
    revoke_note: str = ""  # what deleting those objects also does
    names: tuple[str, ...] = ()  # the objects an `info` entry sums up
    missing: ResourceKey | None = None  # the object of out/ that the cluster lacks

    def sort_key(self) -> tuple[int, int, str, str]:
        """Order entries: most severe first, then by kind, subject and message."""
        return (
            SEVERITIES.index(self.severity),
            DRIFT_KINDS.index(self.kind),
            self.subject,
            plain(self.message),
        )


@dataclass(frozen=True)
class Drift:
    """Everything `kfroster drift` found: entries most severe first, and problems of the input."""

    roster: str  # the roster's name
    inputs: tuple[str, ...]  # the dump's file names
    entries: tuple[Entry, ...]
    read: Mapping[str, int]  # objects read, by kind
    problems: tuple[Problem, ...] = ()  # about the input: duplicates, kinds not listed
    cluster: str | None = None  # the cluster the dump is from, once a roster names several

    def count(self, kind: DriftKind) -> int:
        """Count the entries of one kind."""
        return sum(1 for entry in self.entries if entry.kind == kind)

    @property
    def has_drift(self) -> bool:
        """Tell whether anything but information was found."""
        return any(entry.kind != "info" for entry in self.entries)

    def failing(self, thresholds: Sequence[Threshold] | None) -> tuple[Entry, ...]:
        """Return the entries that fail the check: every drift, or what --fail-on selects."""
        if thresholds is None:
            return tuple(entry for entry in self.entries if entry.kind in FAILING_KINDS)
        return tuple(
            entry
            for entry in self.entries
            if entry.kind in FAILING_KINDS and failing(thresholds, entry.kind, entry.severity)
        )


def summary_line(drift: Drift) -> str:
    """Write the report's one-line summary: how many entries of each kind."""
    counts = ", ".join(f"{drift.count(kind)} {kind}" for kind in DRIFT_KINDS)
    if not drift.has_drift:
        return f"Drift: none ({counts})."
    return f"Drift: {counts}."
