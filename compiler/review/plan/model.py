"""The plan of a roster change: what `kfroster diff` computes and every format reads.

A plan reads in roster terms first (users, groups, profiles, settings), then in objects.
Messages keep roster values apart from prose (`Code`), so each format can escape
them for its medium: a name in a pull-request comment must not become Markdown.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from compiler.model.keys import ResourceKey
from compiler.problems import Problem
from compiler.review.thresholds import SEVERITIES, Severity, Threshold, failing
from compiler.text import counted


class Code(NamedTuple):
    """A value that comes from a roster (a name, an email, a quantity): shown verbatim."""

    text: str


class Person(NamedTuple):
    """Someone a risk names: the roster name, the email, and where their access comes from."""

    name: str
    email: str
    via: tuple[str, ...] = ()  # "direct", "group:<name>": shown when the people differ in it

    def label(self) -> str:
        """Write the person as `name <email>`, or the email alone when it is no roster name."""
        return f"{self.name} <{self.email}>" if self.name != self.email else self.email


class People(NamedTuple):
    """The people a risk names, rarest change first.

    A format may show the first few and count the rest (a pull-request comment); plain
    text and JSON name everyone.
    """

    people: tuple[Person, ...]


Part = str | Code | People
Message = tuple[Part, ...]


def plain(message: Iterable[Part]) -> str:
    """Join a message into plain text, roster values as they are, every person named."""
    return "".join(
        part.text
        if isinstance(part, Code)
        else part
        if isinstance(part, str)
        else plain(people_parts(part))
        for part in message
    )


def people_parts(
    people: People, limit: int | None = None, where: Sequence[Part] = ()
) -> list[Part]:
    """Spell out people as `a <a@x>, b <b@x> (through group g) and 3 more`.

    At most `limit` are named (None: everyone); `where` says where the rest are listed.
    """
    items: list[list[Part]] = []
    for person in people.people:
        item: list[Part] = [Code(person.label())]
        if person.via:
            item += [" (", *via_phrase(person.via), ")"]
        items.append(item)
    parts = enumeration(items, len(items) if limit is None else limit)
    if limit is not None and len(items) > limit and where:
        parts += [" (", *where, ")"]
    return parts


def listing(values: Sequence[str], limit: int = 8) -> list[Part]:
    """List roster values as `a, b and c`, naming at most `limit` of them and counting the rest."""
    return enumeration([(Code(value),) for value in values], limit)


def enumeration(items: Sequence[Sequence[Part]], limit: int = 8) -> list[Part]:
    """Join phrases as `a, b and c`, at most `limit` of them, the rest counted."""
    shown = items[:limit]
    rest = len(items) - len(shown)
    parts: list[Part] = []
    for position, item in enumerate(shown):
        if position:
            last = position == len(shown) - 1 and not rest
            parts.append(" and " if last else ", ")
        parts.extend(item)
    if rest:
        parts.append(f" and {rest:,} more")
    return parts


def where_phrase(where: Sequence[str], clusters: Sequence[str]) -> Message:
    """Say which clusters something holds in: `in prod-eu and staging`.

    Every name is given, however many: a reviewer must see each cluster a grant reaches.
    When that is every cluster compared, the phrase says so first.
    """
    names = listing(list(where), limit=len(where))
    if len(clusters) > 1 and set(where) == set(clusters):
        return (f"in every cluster ({len(clusters)}: ", *names, ")")
    return ("in ", *names)


def via_phrase(via: Sequence[str]) -> list[Part]:
    """Say where an access comes from: `directly and through group x`."""
    phrases: list[list[Part]] = []
    for source in via:
        if source == "direct":
            phrases.append(["directly"])
        elif source.startswith("group:"):
            phrases.append(["through group ", Code(source.removeprefix("group:"))])
    return enumeration(phrases)


RiskKind = Literal["privilege", "data", "owner", "quota", "settings"]
RISK_KINDS: tuple[RiskKind, ...] = ("privilege", "data", "owner", "quota", "settings")

# Severities (compiler/review/thresholds.py) for risks: critical, someone becomes a cluster
# administrator; high, what a privileged reviewer must approve (access gained, a cloud
# identity, data at stake, an owner change, a namespace that may already hold data);
# warning, what a routine change brings (a new profile, a quota, a setting); info,
# privilege lost, reported so a reviewer sees who loses access, never a reason to fail.
# What `--fail-on` recommends: routine onboarding passes, HIGH and CRITICAL risks fail.
RECOMMENDED_FAIL_ON = "high"


# The roster record a risk comes from, by name, and optionally a key inside it:
# `("profiles", "lab")`, `("users", "alice", "clusterRole")`, `("settings", "applyUnits")`.
# A list record is named, not numbered: the same record sits at other indexes on each side.
Record = tuple[str, ...]


@dataclass(frozen=True, order=True)
class Location:
    """Where a risk's record is written: a line and column of one side's roster."""

    file: str  # the side's name: `users.yaml`, or `users.yaml@main` for the base
    line: int
    col: int


@dataclass(frozen=True)
class Risk:
    """Something a reviewer must notice before approving, with whom it concerns.

    `record` names the roster record that causes it (none for deploy/ changes, which no
    roster line makes); `location` is where that record is written, in the head, or in the
    base when the head no longer has it. `diff.make_plan` locates every risk.
    """

    kind: RiskKind
    severity: Severity
    subject: str
    message: Message
    users: tuple[str, ...] = ()
    record: Record = ()
    location: Location | None = None
    # The clusters it holds in, in roster order, when the roster names clusters.
    clusters: tuple[str, ...] = ()

    @property
    def blocking(self) -> bool:
        """Tell whether --fail-on counts this risk (information never fails a check)."""
        return self.severity != "info"

    def sort_key(self) -> tuple[int, int, str, str, tuple[str, ...]]:
        """Order risks by severity, then kind, then subject."""
        return (
            SEVERITIES.index(self.severity),
            RISK_KINDS.index(self.kind),
            self.subject,
            plain(self.message),
            self.clusters,
        )


class Absent(enum.Enum):
    """The side of a field change where the field does not exist."""

    ABSENT = "absent"


ABSENT = Absent.ABSENT

# orphan: the object leaves out/ but stays in the cluster, because it disables pruning
# (Namespaces and Profiles: deleting them would delete the user's data).
ObjectAction = Literal["add", "change", "delete", "orphan"]
OBJECT_ACTIONS: tuple[ObjectAction, ...] = ("add", "change", "delete", "orphan")
PathPart = str | int


@dataclass(frozen=True)
class FieldChange:
    """One changed field of an object: its path, and the old and new values (or ABSENT)."""

    path: tuple[PathPart, ...]
    old: Any
    new: Any


@dataclass(frozen=True)
class ObjectChange:
    """An object to add, change, delete or leave in place; a change lists its changed fields."""

    key: ResourceKey
    action: ObjectAction
    api_version: str
    fields: tuple[FieldChange, ...] = ()
    clusters: tuple[str, ...] = ()  # where it changes alike, when the roster names clusters

    @property
    def operations(self) -> int:
        """Count what the engines do: once per cluster the change is in."""
        return max(1, len(self.clusters))


SubjectType = Literal[
    "settings", "policy", "defaults", "clusters", "user", "group", "profile", "other"
]
SUBJECT_TYPES: tuple[SubjectType, ...] = (
    "settings",
    "policy",
    "defaults",
    "clusters",
    "user",
    "group",
    "profile",
    "other",
)
Status = Literal["added", "changed", "removed"]


@dataclass(frozen=True)
class Fact:
    """One roster-level change of a subject: a field, its old and new value (None: none).

    `path` starts with the field (`email`, `access`, `resourceQuota`, ...); `via` says
    where an access comes from (`direct`, `group:<name>`); `shown`, for an access granted,
    where the Kubeflow dashboard shows it (`Manage Contributors`, `kubectl only`, ...).
    """

    path: tuple[PathPart, ...]
    old: str | None
    new: str | None
    via: tuple[str, ...] = ()
    shown: str = ""
    clusters: tuple[str, ...] = ()  # where it holds, when the roster names clusters


@dataclass(frozen=True)
class SubjectChange:
    """Everything that changes for one user, group, profile or roster section."""

    type: SubjectType
    name: str
    status: Status
    facts: tuple[Fact, ...]
    objects: tuple[ObjectChange, ...]

    def sort_key(self) -> tuple[int, str]:
        """Order sections: settings, policy and defaults, then users, groups, profiles."""
        return (SUBJECT_TYPES.index(self.type), self.name)


@dataclass(frozen=True)
class Move:
    """Objects that stay the same but are applied from another directory of out/.

    When a roster gains clusters, out/ becomes out/<cluster>/: each directory of the old
    tree goes to one of each cluster, applied by its Flux Kustomization or Argo CD
    Application. `old` and `new` are directories under out/ ("" is out/ itself).
    """

    cluster: str
    old: str
    new: str
    objects: int
    old_applier: str  # the Kustomization or Application that applied it; "" without deploy
    new_applier: str


@dataclass(frozen=True)
class Plan:
    """The plan of going from the base roster to the head roster."""

    base: str
    head: str
    changes: tuple[SubjectChange, ...] = ()
    objects: tuple[ObjectChange, ...] = ()
    risks: tuple[Risk, ...] = ()
    # The head's warnings; or, when a side is invalid, that side's problems.
    problems: tuple[Problem, ...] = ()
    invalid: tuple[str, ...] = ()  # the names of the sides that failed validation
    # What the engine applies now (out/, deploy/ at the base) against this compile: object
    # changes no roster change explains (another kfroster, other defaults, a file edited).
    engine: tuple[ObjectChange, ...] = ()
    notes: tuple[str, ...] = ()  # what the comparison could not read
    # The clusters compared, when either side names clusters (each side's tree per cluster).
    clusters: tuple[str, ...] = ()
    moves: tuple[Move, ...] = ()  # objects that stay the same but move to another directory

    @property
    def valid(self) -> bool:
        """Tell whether both sides were valid, so the plan could be made."""
        return not self.invalid

    @property
    def has_changes(self) -> bool:
        """Tell whether anything changes: a roster section, a subject or an object."""
        return bool(self.changes or self.objects or self.engine)

    def count(self, subject_type: SubjectType, status: Status) -> int:
        """Count the subjects of a type with a status (users added, profiles removed...)."""
        return sum(1 for c in self.changes if c.type == subject_type and c.status == status)

    def count_objects(self, action: ObjectAction) -> int:
        """Count the objects to add, change or delete (in each cluster they change in)."""
        return sum(change.operations for change in self.objects if change.action == action)

    def blocking_kinds(self) -> tuple[RiskKind, ...]:
        """Return the kinds of the risks --fail-on may fail on, in RISK_KINDS order."""
        present = {risk.kind for risk in self.risks if risk.blocking}
        return tuple(kind for kind in RISK_KINDS if kind in present)

    def failing(self, thresholds: Sequence[Threshold]) -> tuple[Risk, ...]:
        """Return the risks that one of the `--fail-on` thresholds fails on."""
        return tuple(r for r in self.risks if failing(thresholds, r.kind, r.severity))


def summary_line(plan: Plan) -> str:
    """Write the plan's one-line summary, in roster terms first, then objects."""
    return (
        f"Plan: {counted(plan.count('user', 'added'), 'user')} added, "
        f"{plan.count('user', 'changed')} changed, {plan.count('user', 'removed')} removed"
        f" · {counted(plan.count('profile', 'added'), 'profile')} added, "
        f"{plan.count('profile', 'changed')} changed, {plan.count('profile', 'removed')} removed"
        f" · {counted(plan.count_objects('add'), 'object')} to add, "
        f"{plan.count_objects('change')} to change, {plan.count_objects('delete')} to delete"
        + (f", {orphans} to leave in place" if (orphans := plan.count_objects("orphan")) else "")
        + (
            f" · {counted(len(plan.engine), 'object')} no roster change explains."
            if plan.engine
            else "."
        )
    )


def cluster_counts(plan: Plan) -> dict[str, dict[ObjectAction, int]]:
    """Count, per cluster compared, the objects its engine adds, changes, deletes or leaves."""
    counts = {name: dict.fromkeys(OBJECT_ACTIONS, 0) for name in plan.clusters}
    for change in plan.objects:
        for name in change.clusters:
            if name in counts:
                counts[name][change.action] += 1
    return counts


def cluster_summary_line(plan: Plan) -> str | None:
    """Say what each cluster's engine does, clusters alike together; None without clusters.

    `Per cluster: prod-eu: 4 to add, 0 to change, 2 to delete · staging and dev: no object
    changes.`
    """
    if not plan.clusters:
        return None
    alike: dict[tuple[int, ...], list[str]] = {}
    for name, counts in cluster_counts(plan).items():
        alike.setdefault(tuple(counts.values()), []).append(name)
    parts: list[str] = []
    for (add, change, delete, orphan), names in alike.items():
        where = plain(listing(names, limit=len(names)))
        if not (add or change or delete or orphan):
            parts.append(f"{where}: no object changes")
            continue
        said = f"{where}: {add} to add, {change} to change, {delete} to delete"
        parts.append(said + (f", {orphan} to leave in place" if orphan else ""))
    return "Per cluster: " + " · ".join(parts) + "."
