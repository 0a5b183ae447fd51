"""Write the imported roster as users.yaml: sorted, commented, readable.

Sections are blocks; users, contributors and other short records of plain values are
flow mappings on one line, as a person writes them. Scalars are written by
`yamlio.scalars`, quoted as the manifests are, so YAML 1.1 and 1.2 readers read them alike.
"""

from __future__ import annotations

import json
import textwrap
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from compiler.importer.interpret import Interpretation, ProfileDraft, UserDraft
from compiler.model import names
from compiler.model.kube import LIMIT_RANGE_NAME
from compiler.problems import NodePath
from compiler.text import counted, visible
from compiler.yamlio.scalars import quote, scalar


@dataclass(frozen=True)
class Comments:
    """Comments to write into users.yaml: at the end of a line, or on lines before it."""

    trailing: Mapping[NodePath, str]
    leading: Mapping[NodePath, tuple[str, ...]]


def _canonical(value: Mapping[str, Any]) -> str:
    return json.dumps(value, sort_keys=True)


def _most_common(values: Sequence[dict[str, Any]]) -> tuple[dict[str, Any], int]:
    """Return the most common value and its count (ties: non-empty first, then sorted)."""
    counts = Counter(_canonical(v) for v in values)
    if not counts:
        return {}, 0
    best = min(counts, key=lambda c: (-counts[c], c == "{}", c))
    return next(v for v in values if _canonical(v) == best), counts[best]


def build_roster(
    interpretation: Interpretation, *, with_defaults: bool = True
) -> tuple[dict[str, Any], Comments]:
    """Return the roster data (sorted, camelCase) and its comments.

    With defaults, the most common quota and LimitRange become `defaults`, and profiles
    that equal them leave them out; without, every profile spells out its own.
    """
    profiles = [interpretation.profiles[n] for n in sorted(interpretation.profiles)]
    trailing: dict[NodePath, str] = {}
    leading: dict[NodePath, tuple[str, ...]] = {("settings",): interpretation.settings_notes}
    roster: dict[str, Any] = {"version": 1, "settings": dict(interpretation.settings)}
    defaults: dict[str, Any] | None = None
    if with_defaults:
        defaults, note = _defaults(profiles)
        if defaults:
            roster["defaults"] = defaults
            leading[("defaults",)] = (note,)
    used = {p.owner for p in profiles}
    used.update(email for p in profiles for email in p.contributors)
    users = sorted(
        (u for u in interpretation.users.values() if u.email in used or u.cluster_role),
        key=lambda u: u.name,
    )
    roster["users"] = [_user_entry(user, ("users", i), trailing) for i, user in enumerate(users)]
    name_of = {u.email: u.name for u in users}
    roster["profiles"] = [
        _profile_entry(profile, ("profiles", i), name_of, defaults, trailing)
        for i, profile in enumerate(profiles)
    ]
    return _drop_empty(roster), Comments(trailing, leading)


def _defaults(profiles: Sequence[ProfileDraft]) -> tuple[dict[str, Any], str]:
    """Return the most common quota and LimitRange as `defaults`, and a comment on them."""
    quota, quota_count = _most_common([p.quota for p in profiles])
    limits, limit_count = _most_common([p.limit_range for p in profiles])
    defaults: dict[str, Any] = {}
    notes = []
    total = counted(len(profiles), "profile")
    if quota:
        defaults["resourceQuota"] = quota
        notes.append(f"the quota of {quota_count} of {total}")
    if limits:
        defaults["limitRange"] = limits
        notes.append(f"the LimitRange of {limit_count} of {total}")
    text = " and ".join(notes)
    return defaults, f"{text[:1].upper()}{text[1:]}; profiles that differ say so."


def _user_entry(user: UserDraft, path: NodePath, trailing: dict[NodePath, str]) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": user.name, "email": user.email}
    if user.cluster_role is not None:
        entry["clusterRole"] = user.cluster_role
        expected = names.cluster_role_binding_name(user.name, user.cluster_role)
        others = sorted({s.name for s in user.cluster_sources} - {expected})
        if others:
            trailing[path] = f"was ClusterRoleBinding {', '.join(others)}"
    return entry


def _profile_entry(
    profile: ProfileDraft,
    path: NodePath,
    name_of: Mapping[str, str],
    defaults: Mapping[str, Any] | None,
    trailing: dict[NodePath, str],
) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": profile.name, "owner": name_of[profile.owner]}
    for key, own, what in (
        ("resourceQuota", profile.quota, "quota"),
        ("limitRange", profile.limit_range, "LimitRange"),
    ):
        if defaults is None or own != defaults.get(key, {}):
            entry[key] = own
            if not own:
                trailing[(*path, key)] = f"no {what} in the cluster"
    source = profile.limit_range_source
    if source is not None and source.name != LIMIT_RANGE_NAME and "limitRange" in entry:
        trailing[(*path, "limitRange")] = f"was LimitRange {source.name}"
    contributors: list[dict[str, str]] = []
    for email in sorted(profile.contributors, key=lambda e: name_of[e]):
        contribution = profile.contributors[email]
        expected = names.kfam_name(email, contribution.role)
        others = sorted({s.name for s in contribution.sources} - {expected})
        if others:
            trailing[(*path, "contributors", len(contributors))] = (
                f"was RoleBinding {', '.join(others)}"
            )
        contributors.append({"user": name_of[email], "role": contribution.role})
    if contributors:
        entry["contributors"] = contributors
    if profile.plugins:
        entry["plugins"] = profile.plugins
    if profile.owner_reference is not None:
        entry["namespaceOwnedByProfile"] = True
        trailing[(*path, "namespaceOwnedByProfile")] = (
            "the namespace has an ownerReference to its Profile"
        )
    return entry


def _drop_empty(roster: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in roster.items() if v or k == "version"}


_WIDTH: Final = 100
_HEADER: Final = (
    "# yaml-language-server: $schema=schemas/users.schema.json",
    "#",
    "# Imported by `kfroster import` from a cluster's Profiles and bindings. Review it with",
    "# the import report (the access it could not express), then `kfroster compile`.",
)


def _is_leaf(value: object) -> bool:
    """Tell whether a collection goes on one line: it holds scalars, or lists of scalars."""
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return all(
        not isinstance(item, dict | list)
        or (isinstance(item, list) and not any(isinstance(i, dict | list) for i in item))
        for item in items
    )


def _flow(value: object) -> str:
    """Write a value inside `[...]` or `{...}`."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{quote(k, flow=True)}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return scalar(value, flow=True)


def _inline(value: object) -> str:
    """Write a value on the line of its key or dash: a scalar, or a collection in flow style."""
    return _flow(value) if isinstance(value, dict | list) else scalar(value)


class _Writer:
    """Write roster data as block YAML, flow style for short leaf collections, with comments."""

    def __init__(self, comments: Comments) -> None:
        self.comments = comments
        self.lines: list[str] = []

    def line(self, text: str, path: NodePath) -> None:
        comment = self.comments.trailing.get(path)
        # Comments name objects of the cluster, whose names may hold line breaks (RBAC names
        # are only path segments: ValidateRBACName, kubernetes pkg/apis/rbac/validation/
        # validation.go @1dc8b4f2): escaped, a name can never end its comment and write YAML.
        self.lines.append(f"{text}  # {visible(comment)}" if comment else text)

    def mapping(
        self, data: Mapping[str, Any], indent: str, first: str, path: tuple[Any, ...]
    ) -> None:
        prefix = first
        for key, value in data.items():
            here = (*path, key)
            for note in self.comments.leading.get(here, ()):
                for text in textwrap.wrap(visible(note), _WIDTH - len(indent) - 2):
                    self.lines.append(f"{indent}# {text}")
            head = f"{prefix}{quote(key)}:"
            self.value(head, value, indent, here, block=len(path) == 0)
            prefix = indent

    def value(
        self, head: str, value: Any, indent: str, path: tuple[Any, ...], *, block: bool
    ) -> None:
        if not isinstance(value, dict | list) or not value:
            self.line(f"{head} {_inline(value)}", path)
            return
        if not block and _is_leaf(value):
            flow = f"{head} {_flow(value)}"
            if len(flow) <= _WIDTH:
                self.line(flow, path)
                return
        self.line(head, path)
        child = indent + "  "
        if isinstance(value, dict):
            self.mapping(value, child, child, path)
            return
        # A profile is always a block: it grows contributors and limits over time.
        items_flow = path != ("profiles",)
        for index, item in enumerate(value):
            here = (*path, index)
            if not isinstance(item, dict):
                self.line(f"{child}- {_inline(item)}", here)
                continue
            flow = f"{child}- {_flow(item)}" if items_flow and _is_leaf(item) else ""
            if flow and len(flow) <= _WIDTH:
                self.line(flow, here)
            else:
                self.mapping(item, child + "  ", f"{child}- ", here)


def dumps_roster(roster: Mapping[str, Any], comments: Comments) -> str:
    """Write the roster as users.yaml: modeline, comments, sections separated by blank lines."""
    writer = _Writer(comments)
    writer.lines.extend(_HEADER)
    for index, (key, value) in enumerate(roster.items()):
        if index > 0:
            writer.lines.append("")
        writer.mapping({key: value}, "", "", ())
    return "\n".join(writer.lines) + "\n"
