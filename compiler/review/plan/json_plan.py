"""The plan as JSON for bots: a stable, documented shape with sorted keys.

    {"format": "kfroster-plan/1", "base": ..., "head": ..., "valid": true,
     "summary": {"users": {"added", "changed", "removed"}, "groups": {...}, "profiles": {...},
                 "objects": {"add", "change", "delete", "orphan"}, "changed": bool,
                 "risks": {"privilege": n, ..., "info": n}},
     "risks": [{"kind", "severity", "subject", "message", "users", "people": [{"name", "email"}],
                "file", "line", "col" (the roster line of the record that causes it, or null)}],
     "changes": [{"type", "name", "status",
                  "facts": [{"path", "old", "new", "via", "shown" (an access granted only)}],
                  "objects": [key, ...]}],
     "objects": [{"action", "apiVersion", "group", "kind", "namespace", "name",
                  "fields": [{"path", "old", "new"}]}],
     "engine": [the same shape as objects: changes no roster change explains],
     "notes": [what the engine comparison could not read],
     "problems": [{"file", "line", "col", "rule", "message", "level", "path"}]}

A field that is absent on one side of a change has no "old" (or no "new") key. When either
roster names clusters, the plan also has "clusters" (the names compared) and "moves"
({"cluster", "old", "new", "objects", "oldApplier", "newApplier"}: objects that stay the
same in another directory), "summary" has "clusters" ({cluster: {action: count}}), and
every risk, fact and object a "clusters" list: where it holds.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from compiler.model.keys import ResourceKey
from compiler.review.plan.model import (
    ABSENT,
    OBJECT_ACTIONS,
    RISK_KINDS,
    Fact,
    FieldChange,
    ObjectChange,
    People,
    Plan,
    Risk,
    cluster_counts,
    plain,
)

FORMAT = "kfroster-plan/1"


def _fact(fact: Fact) -> dict[str, Any]:
    found: dict[str, Any] = {
        "path": list(fact.path),
        "old": fact.old,
        "new": fact.new,
        "via": list(fact.via),
    }
    if fact.shown:  # only for an access granted: where the dashboard shows it
        found["shown"] = fact.shown
    if fact.clusters:  # only when the roster names clusters
        found["clusters"] = list(fact.clusters)
    return found


def _key(key: ResourceKey) -> dict[str, str]:
    return {"group": key.group, "kind": key.kind, "namespace": key.namespace, "name": key.name}


def _field(change: FieldChange) -> dict[str, Any]:
    found: dict[str, Any] = {"path": list(change.path)}
    if change.old is not ABSENT:
        found["old"] = change.old
    if change.new is not ABSENT:
        found["new"] = change.new
    return found


def _object(change: ObjectChange) -> dict[str, Any]:
    found = {
        "action": change.action,
        "apiVersion": change.api_version,
        **_key(change.key),
        "fields": [_field(field) for field in change.fields],
    }
    if change.clusters:  # only when the roster names clusters
        found["clusters"] = list(change.clusters)
    return found


def _risk(risk: Risk) -> dict[str, Any]:
    found = {
        "kind": risk.kind,
        "severity": risk.severity,
        "subject": risk.subject,
        "message": plain(risk.message),
        "users": list(risk.users),
        "people": _people(risk),
        **_where(risk),
    }
    if risk.clusters:  # only when the roster names clusters
        found["clusters"] = list(risk.clusters)
    return found


def _people(risk: Risk) -> list[dict[str, str]]:
    """Return everyone a risk names, in its order, with their emails."""
    found = {
        person.label(): {"name": person.name, "email": person.email}
        for part in risk.message
        if isinstance(part, People)
        for person in part.people
    }
    return list(found.values())


def _where(risk: Risk) -> dict[str, Any]:
    """Return where a risk's record is written: the head's file, or the base's for removals."""
    found = risk.location
    if found is None:  # deploy/ changes: no roster line causes them
        return {"file": None, "line": None, "col": None}
    return {"file": found.file, "line": found.line, "col": found.col}


def as_data(plan: Plan) -> dict[str, Any]:
    """Return the plan as plain JSON-ready data."""
    risks: dict[str, int] = dict.fromkeys(RISK_KINDS, 0)
    risks["info"] = 0
    for risk in plan.risks:
        risks["info" if not risk.blocking else risk.kind] += 1
    summary = {
        plural: {
            status: plan.count(singular, status)  # type: ignore[arg-type]
            for status in ("added", "changed", "removed")
        }
        for plural, singular in (("users", "user"), ("groups", "group"), ("profiles", "profile"))
    }
    found: dict[str, Any] = {
        "format": FORMAT,
        "base": plan.base,
        "head": plan.head,
        "valid": plan.valid,
        "invalid": list(plan.invalid),
        "summary": {
            **summary,
            "objects": {action: plan.count_objects(action) for action in OBJECT_ACTIONS},
            "changed": plan.has_changes,
            "risks": risks,
        },
        "risks": [_risk(risk) for risk in plan.risks],
        "changes": [
            {
                "type": change.type,
                "name": change.name,
                "status": change.status,
                "facts": [_fact(f) for f in change.facts],
                "objects": [
                    {**_key(obj.key), "clusters": list(obj.clusters)}
                    if obj.clusters
                    else _key(obj.key)
                    for obj in change.objects
                ],
            }
            for change in plan.changes
        ],
        "objects": [_object(change) for change in plan.objects],
        "engine": [_object(change) for change in plan.engine],
        "notes": list(plan.notes),
        "problems": [{**asdict(p), "path": list(p.path)} for p in plan.problems],
    }
    if plan.clusters:  # only when either roster names clusters
        found["clusters"] = list(plan.clusters)
        found["summary"]["clusters"] = cluster_counts(plan)
        found["moves"] = [
            {
                "cluster": move.cluster,
                "old": move.old,
                "new": move.new,
                "objects": move.objects,
                "oldApplier": move.old_applier,
                "newApplier": move.new_applier,
            }
            for move in plan.moves
        ]
    return found


def format_json(plan: Plan) -> str:
    """Write the plan as indented JSON with sorted keys, one trailing newline."""
    return json.dumps(as_data(plan), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
