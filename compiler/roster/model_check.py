"""Build the Roster model from the sound records of a loaded roster.

Each top-level section and each list item is validated on its own, so one broken
user is dropped (and reported) while the rest still reach the policy rules.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from compiler.model.roster import Cluster, Defaults, Group, Policy, Profile, Roster, Settings, User
from compiler.problems import NodePath, Problem, path_text
from compiler.roster.source import Source

_SECTIONS: Mapping[str, type[BaseModel]] = {
    "settings": Settings,
    "policy": Policy,
    "defaults": Defaults,
}
_LISTS: Mapping[str, type[BaseModel]] = {
    "users": User,
    "groups": Group,
    "profiles": Profile,
    "clusters": Cluster,
}


@dataclass(frozen=True)
class Parsed:
    """The sound part of a roster, and where each of its records came from."""

    roster: Roster
    origins: Mapping[int, NodePath]  # id(record) -> its path in the source document
    dropped: Mapping[str, frozenset[str]]  # list name -> names of records that were dropped
    # Sections dropped whole, and lists not readable at all: rules that depend on
    # them stay silent rather than report what the dropped part may well have said.
    incomplete: frozenset[str] = field(default_factory=frozenset)
    partial: frozenset[str] = field(default_factory=frozenset)  # lists that lost a record
    problems: tuple[Problem, ...] = ()

    def path_of(self, record: BaseModel, *rest: str | int) -> NodePath:
        """Return the source path of a record (or of something inside it)."""
        return (*self.origins[id(record)], *rest)

    def lost_any(self, *kinds: str) -> bool:
        """Tell whether any record of these lists was dropped."""
        return any(kind in self.incomplete or kind in self.partial for kind in kinds)

    def may_exist(self, kind: str, name: str) -> bool:
        """Tell whether a name might be a record that failed its own checks."""
        return kind in self.incomplete or name in self.dropped.get(kind, frozenset())


def parse_whole(source: Source) -> Parsed | None:
    """Validate the whole roster in one Pydantic pass; return None when anything is wrong.

    Most rosters are valid, and for them this one pass (in pydantic-core, about ten
    times faster than jsonschema) stands in for both the JSON Schema check and `parse`.
    Its verdict may only ever be stricter than the schema's, since a roster it accepts
    is never shown to jsonschema (tests/roster/test_model_check.py checks this). Where the
    models are more lenient, the document goes the slow way: the models take `null`
    for an absent optional field, which the schema (a roster never writes null)
    refuses; Pydantic compares a Literal with `==`, so it takes `version: true`
    (True == 1). Validation runs in strict mode, so no other value is coerced; on
    the document as JSON, because strict mode on Python data refuses lists for tuples.
    """
    data = source.data
    if not isinstance(data, dict) or type(data.get("version")) is not int:
        return None
    document = json.dumps(data)
    # Only a document whose JSON holds the word null can hold a null: most skip the walk.
    if "null" in document and _holds_null(data):
        return None
    try:
        roster = Roster.model_validate_json(document, strict=True)
    except ValidationError:
        return None
    origins: dict[int, NodePath] = {}
    for key in _SECTIONS:
        if key in data:
            origins[id(getattr(roster, key))] = (key,)
    for key in _LISTS:
        for index, record in enumerate(getattr(roster, key)):
            origins[id(record)] = (key, index)
    return Parsed(roster, origins, dict.fromkeys(_LISTS, frozenset()))


def _holds_null(data: Any) -> bool:
    """Tell whether a null sits anywhere in the document (as a value; keys are text)."""
    pending = [data]
    while pending:
        node = pending.pop()
        if node is None:
            return True
        if isinstance(node, dict):
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return False


def parse(source: Source, schema_problems: Iterable[Problem] = ()) -> Parsed:
    """Validate every record of `source`; keep the sound ones, report the others.

    A record the schema check already faulted is dropped without being validated
    again, so the same mistake is not printed twice in two wordings.
    """
    faulted = {_record_of(problem.path) for problem in schema_problems}
    data = source.data if isinstance(source.data, dict) else {}
    problems: list[Problem] = []
    origins: dict[int, NodePath] = {}

    def validate(model: type[BaseModel], value: Any, path: NodePath) -> BaseModel | None:
        if path in faulted:
            return None
        try:
            record = model.model_validate(value)
        except ValidationError as err:
            problems.extend(_problems(err, source, path))
            return None
        origins[id(record)] = path
        return record

    sections: dict[str, Any] = {}
    incomplete: set[str] = set()
    for key, model in _SECTIONS.items():
        if key in data:
            record = validate(model, data[key], (key,))
            if record is None:
                incomplete.add(key)
            else:
                sections[key] = record

    lists: dict[str, tuple[Any, ...]] = {}
    dropped: dict[str, frozenset[str]] = {}
    partial: set[str] = set()
    for key, model in _LISTS.items():
        items = data.get(key, [])
        if not isinstance(items, list) or (key,) in faulted:
            incomplete.add(key)
            items = []
        kept, lost = [], set()
        for index, item in enumerate(items):
            record = validate(model, item, (key, index))
            if record is not None:
                kept.append(record)
            elif isinstance(item, dict) and isinstance(item.get("name"), str):
                lost.add(item["name"])
        lists[key] = tuple(kept)
        dropped[key] = frozenset(lost)
        if len(kept) < len(items):
            partial.add(key)

    roster = Roster.model_construct(
        version=1,
        settings=sections.get("settings", Settings()),
        policy=sections.get("policy", Policy()),
        defaults=sections.get("defaults", Defaults()),
        users=lists["users"],
        groups=lists["groups"],
        profiles=lists["profiles"],
        clusters=lists["clusters"],
    )
    return Parsed(
        roster,
        origins,
        dropped,
        frozenset(incomplete),
        frozenset(partial),
        tuple(sorted(problems)),
    )


def _has_child(data: Any, part: str | int) -> bool:
    if isinstance(data, dict):
        return part in data
    return isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)


def _record_of(path: NodePath) -> NodePath:
    """Return the record a document path falls in: a section, or an item of a list."""
    if len(path) >= 2 and path[0] in _LISTS and isinstance(path[1], int):
        return path[:2]
    return path[:1]


def _problems(err: ValidationError, source: Source, base: NodePath) -> Iterable[Problem]:
    # The schema is generated from the models, so this only speaks when a model
    # validator knows more than the schema can say.
    record = _walk(source.data, base)
    for detail in err.errors(include_url=False):
        path = (*base, *_existing_path(record, detail["loc"]))
        # Pydantic marks an error in a mapping's key with a trailing "[key]".
        on_key = detail["loc"][-1:] == ("[key]",)
        line, col = source.locate(path, key=on_key)
        where = path_text(path[:-1] if on_key else path)
        message = str(detail["msg"]).removeprefix("Value error, ")
        yield Problem(source.name, line, col, "model", f"{where}: {message}", path=path)


def _walk(data: Any, path: NodePath) -> Any:
    for part in path:
        data = data[part]
    return data


def _existing_path(data: Any, loc: Sequence[str | int]) -> NodePath:
    """Keep the parts of a Pydantic error location that exist in the data.

    Pydantic adds union member tags (e.g. 'WorkloadIdentity') to locations.
    """
    kept: list[str | int] = []
    for part in loc:
        if _has_child(data, part):
            data = data[part]
            kept.append(part)
    return tuple(kept)
