"""Compare two valid rosters and their rendered objects.

Objects are paired by ResourceKey; only pairs that differ (`==` first) are compared
field by field, and only differing lists go through DeepDiff, so two large rosters that
differ in a few users compare quickly. Roster-level changes are computed for the users,
groups and profiles that changed only: a user's access is looked up through reverse
indexes, never by scanning every profile.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from pydantic import BaseModel

from compiler.model import names
from compiler.model.dashboard import CLUSTER_WIDE_VISIBILITY, contributor_visibility
from compiler.model.keys import Manifest, ResourceKey
from compiler.model.resolve import (
    Grant,
    RosterIndex,
    effective_limit_range,
    effective_quota,
    grants,
)
from compiler.model.roles import CONTRIBUTOR_ROLES
from compiler.model.roster import Group, LimitRange, Profile, ResourceQuota, Roster, User
from compiler.render.protection import is_protected
from compiler.review.plan.model import (
    ABSENT,
    Fact,
    FieldChange,
    ObjectAction,
    ObjectChange,
    PathPart,
    SubjectType,
)
from compiler.review.reach import Reach, reach_of


@dataclass(frozen=True)
class Access:
    """A user's access to one profile: owner, edit or view, and where it comes from."""

    role: str
    via: tuple[str, ...] = ()  # "direct", "group:<name>"; empty for the owner


class View:
    """One side of the comparison: a valid roster, its objects, and lazy reverse indexes."""

    def __init__(
        self,
        roster: Roster,
        objects: Mapping[ResourceKey, Manifest],
        elsewhere: frozenset[str] = frozenset(),
    ) -> None:
        self.roster = roster
        self.objects = objects
        # With clusters: the profiles this side's roster holds in its other clusters.
        self.elsewhere = elsewhere
        self.index = RosterIndex.build(roster)
        self.profiles: dict[str, Profile] = {}
        for profile in roster.profiles:
            self.profiles.setdefault(profile.name, profile)
        self._grants: dict[str, dict[str, Grant]] = {}

    @property
    def users(self) -> Mapping[str, User]:
        """Users by name."""
        return self.index.users

    @property
    def groups(self) -> Mapping[str, Group]:
        """Groups by name."""
        return self.index.groups

    @cached_property
    def by_email(self) -> Mapping[str, User]:
        """Return users by their email exactly as written (RBAC and Istio compare it so)."""
        return {user.email: user for user in self.users.values()}

    @cached_property
    def memberships(self) -> Mapping[str, tuple[str, ...]]:
        """Return the groups of each user, sorted."""
        found: dict[str, set[str]] = {}
        for group in self.groups.values():
            for member in group.members:
                found.setdefault(member, set()).add(group.name)
        return {user: tuple(sorted(groups)) for user, groups in found.items()}

    @cached_property
    def _reach(self) -> tuple[dict[str, set[str]], dict[str, set[str]], dict[str, set[str]]]:
        owned: dict[str, set[str]] = {}
        direct: dict[str, set[str]] = {}
        via_group: dict[str, set[str]] = {}
        for profile in self.profiles.values():
            owned.setdefault(profile.owner, set()).add(profile.name)
            for contributor in profile.contributors:
                if contributor.user is not None:
                    direct.setdefault(contributor.user, set()).add(profile.name)
                elif contributor.group is not None:
                    via_group.setdefault(contributor.group, set()).add(profile.name)
        return owned, direct, via_group

    def grants(self, profile: str) -> Mapping[str, Grant]:
        """Return the profile's contributors (groups expanded) by user name."""
        cached = self._grants.get(profile)
        if cached is None:
            record = self.profiles.get(profile)
            found = grants(record, self.index) if record is not None else []
            cached = self._grants[profile] = {grant.user.name: grant for grant in found}
        return cached

    def access(self, user: str) -> dict[str, Access]:
        """Return every profile the user owns or contributes to, with the role there."""
        owned, direct, via_group = self._reach
        result = {profile: Access("owner") for profile in owned.get(user, ())}
        candidates = set(direct.get(user, ()))
        for group in self.memberships.get(user, ()):
            candidates |= via_group.get(group, set())
        for profile in candidates - result.keys():
            grant = self.grants(profile).get(user)
            if grant is not None:
                result[profile] = Access(grant.role, grant.sources)
        return result

    def owner_label(self, profile: Profile) -> str:
        """Write a profile's owner as `name (email)`."""
        owner = self.users.get(profile.owner)
        return f"{profile.owner} ({owner.email})" if owner else profile.owner

    def owner_email(self, profile: Profile) -> str | None:
        """Return the email the Profile's spec.owner carries."""
        owner = self.users.get(profile.owner)
        return owner.email if owner else None


@dataclass(frozen=True)
class UserDelta:
    """A user whose record, groups or access differ between the sides."""

    name: str
    old: User | None
    new: User | None
    old_groups: tuple[str, ...]
    new_groups: tuple[str, ...]
    old_access: Mapping[str, Access]
    new_access: Mapping[str, Access]


@dataclass(frozen=True)
class ProfileDelta:
    """A profile that is added, removed, or differs in its record or objects."""

    name: str
    old: Profile | None
    new: Profile | None


@dataclass(frozen=True)
class Comparison:
    """Everything that differs between two valid rosters, before it is judged and written."""

    base: View
    head: View
    objects: tuple[ObjectChange, ...]
    owners: Mapping[ResourceKey, tuple[SubjectType, str]]  # who each changed object belongs to
    sections: Mapping[SubjectType, tuple[Fact, ...]]  # settings, policy, defaults
    users: Mapping[str, UserDelta]
    groups: Mapping[str, tuple[Group | None, Group | None]]
    profiles: Mapping[str, ProfileDelta]

    @cached_property
    def reaches(self) -> tuple[Reach, Reach]:
        """Return what the changed objects grant on each side, read back from the objects.

        Objects equal on both sides grant the same on both, so only the changed ones are
        read: the cost follows the change, not the roster.
        """
        keys = [change.key for change in self.objects]
        old, new = self.base.objects, self.head.objects
        return (
            reach_of(old[key] for key in keys if key in old),
            reach_of(new[key] for key in keys if key in new),
        )


# --------------------------------------------------------------------------------------------
# Objects
# --------------------------------------------------------------------------------------------


def _path_sort_key(path: Iterable[PathPart]) -> tuple[tuple[int, int, str], ...]:
    return tuple((0, part, "") if isinstance(part, int) else (1, 0, part) for part in path)


def _changes(old: Any, new: Any, path: tuple[PathPart, ...]) -> Iterator[FieldChange]:
    """Yield the changes between two differing values, down to the smallest that differ.

    Mappings and scalars are compared here; only two differing lists go to DeepDiff, whose
    import (0.2 s) and per-call cost (half a millisecond) most plans never pay: a change is
    usually a value or a key deep inside a manifest.
    """
    if isinstance(old, dict) and isinstance(new, dict):
        for key in old.keys() | new.keys():
            before, after = old.get(key, ABSENT), new.get(key, ABSENT)
            if before is ABSENT or after is ABSENT:
                yield FieldChange((*path, key), before, after)
            elif before != after:
                yield from _changes(before, after, (*path, key))
    elif isinstance(old, list) and isinstance(new, list):
        yield from _list_changes(old, new, path)
    else:
        yield FieldChange(path, old, new)


def _list_changes(
    old: list[Any], new: list[Any], path: tuple[PathPart, ...]
) -> Iterator[FieldChange]:
    # Imported here: paid only when a list differs.
    from deepdiff import DeepDiff  # noqa: PLC0415

    # threshold_to_diff_deeper=0: always descend, so every change has its precise path.
    report = DeepDiff(old, new, view="tree", threshold_to_diff_deeper=0)
    for levels in report.values():
        for level in levels:
            before = ABSENT if _absent(level.t1) else level.t1
            after = ABSENT if _absent(level.t2) else level.t2
            yield FieldChange((*path, *level.path(output_format="list")), before, after)


def field_changes(old: Manifest, new: Manifest) -> tuple[FieldChange, ...]:
    """Compare two versions of an object; return its changed fields, sorted by path."""
    found = _changes(old, new, ()) if old != new else ()
    return tuple(sorted(found, key=lambda change: _path_sort_key(change.path)))


def _absent(value: object) -> bool:
    # DeepDiff marks the missing side of an added or removed item with its NotPresent object.
    return type(value).__name__ == "NotPresent"


def diff_objects(
    base: Mapping[ResourceKey, Manifest], head: Mapping[ResourceKey, Manifest]
) -> tuple[ObjectChange, ...]:
    """Pair objects by ResourceKey into objects to add, change and delete, sorted by key."""
    changes = [
        ObjectChange(key, _removal(base[key]), base[key]["apiVersion"])
        for key in base.keys() - head.keys()
    ]
    for key, new in head.items():
        old = base.get(key)
        if old is None:
            changes.append(ObjectChange(key, "add", new["apiVersion"]))
        elif old != new:
            changes.append(ObjectChange(key, "change", new["apiVersion"], field_changes(old, new)))
    return tuple(sorted(changes, key=lambda change: change.key))


def _removal(manifest: Manifest) -> ObjectAction:
    """Tell what leaving out/ does to an object: Flux and Argo CD skip it when told not to prune."""
    return "orphan" if is_protected(manifest) else "delete"


def _owners(
    changes: Iterable[ObjectChange], base: View, head: View
) -> dict[ResourceKey, tuple[SubjectType, str]]:
    """Attribute each changed object to the profile or user it belongs to."""
    bindings: dict[str, str] | None = None
    owners: dict[ResourceKey, tuple[SubjectType, str]] = {}
    for change in changes:
        key = change.key
        if key.namespace:
            owners[key] = ("profile", key.namespace)
        elif key.kind in ("Namespace", "Profile"):
            owners[key] = ("profile", key.name)
        elif key.kind == "ClusterRoleBinding":
            if bindings is None:
                bindings = {
                    names.cluster_role_binding_name(user.name, user.cluster_role): user.name
                    for side in (base, head)
                    for user in side.users.values()
                    if user.cluster_role is not None
                }
            user = bindings.get(key.name)
            owners[key] = ("user", user) if user else ("other", key.describe())
        else:
            owners[key] = ("other", key.describe())
    return owners


# --------------------------------------------------------------------------------------------
# Roster sections and records
# --------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, separators=(", ", ": "), ensure_ascii=False)


def flatten(value: Any, prefix: tuple[PathPart, ...] = ()) -> dict[tuple[PathPart, ...], str]:
    """Flatten plain data into path → text; lists stay whole (their order is their meaning)."""
    if isinstance(value, dict):
        flat: dict[tuple[PathPart, ...], str] = {}
        for key, item in value.items():
            flat.update(flatten(item, (*prefix, key)))
        return flat
    if value is None or (isinstance(value, list | tuple) and not value):
        return {}
    return {prefix: _text(value)}


def compare_flat(
    old: Mapping[tuple[PathPart, ...], str], new: Mapping[tuple[PathPart, ...], str]
) -> list[Fact]:
    """Return a fact per path whose text differs, sorted by path."""
    paths = sorted(old.keys() | new.keys(), key=_path_sort_key)
    return [
        Fact(path, old.get(path), new.get(path)) for path in paths if old.get(path) != new.get(path)
    ]


def _dump(model: BaseModel | None) -> Any:
    return None if model is None else model.model_dump(by_alias=True, mode="json")


def section_facts(old: BaseModel, new: BaseModel) -> tuple[Fact, ...]:
    """Compare two versions of a roster section (settings, policy, defaults)."""
    if old == new:
        return ()
    return tuple(compare_flat(flatten(_dump(old)), flatten(_dump(new))))


def quota_of(view: View, profile: Profile | None) -> ResourceQuota | None:
    """Return a profile's effective quota on one side; None when it has no profile."""
    return None if profile is None else effective_quota(profile, view.roster)


def limits_of(view: View, profile: Profile | None) -> LimitRange | None:
    """Return a profile's effective LimitRange on one side; None when it has no profile."""
    return None if profile is None else effective_limit_range(profile, view.roster)


def profile_facts(delta: ProfileDelta, base: View, head: View) -> tuple[Fact, ...]:
    """Describe what changes in a profile, in roster terms, effective values included."""
    old, new = delta.old, delta.new
    facts: list[Fact] = []
    old_owner = base.owner_label(old) if old else None
    new_owner = head.owner_label(new) if new else None
    if old_owner != new_owner:
        facts.append(Fact(("owner",), old_owner, new_owner))
    for field, old_model, new_model in (
        ("resourceQuota", quota_of(base, old), quota_of(head, new)),
        ("limitRange", limits_of(base, old), limits_of(head, new)),
    ):
        # A profile that leaves takes its quota and limits along: listing them is noise.
        if new is not None and old_model != new_model:
            facts += compare_flat(
                flatten(_dump(old_model), (field,)), flatten(_dump(new_model), (field,))
            )
    old_grants = base.grants(delta.name) if old else {}
    new_grants = head.grants(delta.name) if new else {}
    for user in sorted(old_grants.keys() | new_grants.keys()):
        before, after = old_grants.get(user), new_grants.get(user)
        old_role = before.role if before else None
        new_role = after.role if after else None
        old_via = before.sources if before else ()
        new_via = after.sources if after else ()
        if old_role != new_role or old_via != new_via:
            shown = _shown(after.role, after.user.email, head) if after else ""
            fact = Fact(("contributor", user), old_role, new_role, new_via or old_via, shown)
            facts.append(fact)
    old_flag = old.namespace_owned_by_profile if old else None
    new_flag = new.namespace_owned_by_profile if new else None
    if old is not None and new is not None and old_flag != new_flag:
        facts.append(Fact(("namespaceOwnedByProfile",), _text(old_flag), _text(new_flag)))
    old_plugins = [_dump(plugin) for plugin in old.plugins] if old else []
    new_plugins = [_dump(plugin) for plugin in new.plugins] if new else []
    if old_plugins != new_plugins:
        facts.append(
            Fact(
                ("plugins",),
                _text(old_plugins) if old_plugins else None,
                _text(new_plugins) if new_plugins else None,
            )
        )
    return tuple(facts)


def _shown(role: str, email: str, head: View) -> str:
    """Say in a few words where the dashboard shows an access granted on the head side."""
    if role == "owner":
        return ""  # the owner's own namespace: nothing to point out
    if role not in CONTRIBUTOR_ROLES:
        return CLUSTER_WIDE_VISIBILITY.label
    version = head.roster.settings.kubeflow_version
    return contributor_visibility("edit" if role == "edit" else "view", email, version).label


def user_facts(delta: UserDelta, head: View) -> tuple[Fact, ...]:
    """Describe what changes for a user: identity, cluster role, groups, access."""
    old, new = delta.old, delta.new
    facts: list[Fact] = []
    old_email, new_email = (old.email if old else None), (new.email if new else None)
    if old_email != new_email:
        facts.append(Fact(("email",), old_email, new_email))
    old_role = old.cluster_role if old else None
    new_role = new.cluster_role if new else None
    if old_role != new_role:
        shown = CLUSTER_WIDE_VISIBILITY.label if new_role is not None else ""
        facts.append(Fact(("clusterRole",), old_role, new_role, shown=shown))
    for group in sorted(set(delta.old_groups) ^ set(delta.new_groups)):
        facts.append(
            Fact(
                ("group", group),
                "member" if group in delta.old_groups else None,
                "member" if group in delta.new_groups else None,
            )
        )
    for profile in sorted(delta.old_access.keys() | delta.new_access.keys()):
        before, after = delta.old_access.get(profile), delta.new_access.get(profile)
        if before != after:
            email = new.email if new else ""
            facts.append(
                Fact(
                    ("access", profile),
                    before.role if before else None,
                    after.role if after else None,
                    (after or before or Access("")).via,
                    _shown(after.role, email, head) if after else "",
                )
            )
    return tuple(facts)


def group_facts(old: Group | None, new: Group | None) -> tuple[Fact, ...]:
    """Describe the members a group gains or loses."""
    before = set(old.members) if old else set()
    after = set(new.members) if new else set()
    return tuple(
        Fact(
            ("member", member),
            "member" if member in before else None,
            "member" if member in after else None,
        )
        for member in sorted(before ^ after)
    )


# --------------------------------------------------------------------------------------------
# The whole comparison
# --------------------------------------------------------------------------------------------


def compare(base: View, head: View) -> Comparison:
    """Compare two sides: objects first, then the roster records they come from."""
    objects = diff_objects(base.objects, head.objects)
    owners = _owners(objects, base, head)
    touched = {name for kind, name in owners.values() if kind == "profile"}

    sections: dict[SubjectType, tuple[Fact, ...]] = {}
    for section in ("settings", "policy", "defaults"):
        facts = section_facts(getattr(base.roster, section), getattr(head.roster, section))
        if facts:
            sections[section] = facts

    groups = {
        name: (base.groups.get(name), head.groups.get(name))
        for name in sorted(base.groups.keys() | head.groups.keys())
        if base.groups.get(name) != head.groups.get(name)
    }

    profiles: dict[str, ProfileDelta] = {}
    for name in sorted(base.profiles.keys() | head.profiles.keys()):
        old, new = base.profiles.get(name), head.profiles.get(name)
        if name in touched or old != new:
            profiles[name] = ProfileDelta(name, old, new)

    candidates = {
        name
        for name in base.users.keys() | head.users.keys()
        if base.users.get(name) != head.users.get(name)
    }
    for old_group, new_group in groups.values():
        for group in (old_group, new_group):
            candidates.update(group.members if group else ())
    for changed in profiles.values():
        for view, profile in ((base, changed.old), (head, changed.new)):
            if profile is not None:
                candidates.add(profile.owner)
                candidates.update(view.grants(profile.name))
    bound = {name for kind, name in owners.values() if kind == "user"}
    candidates |= bound
    users: dict[str, UserDelta] = {}
    for name in sorted(candidates):
        old_user, new_user = base.users.get(name), head.users.get(name)
        delta = UserDelta(
            name,
            old_user,
            new_user,
            base.memberships.get(name, ()) if old_user else (),
            head.memberships.get(name, ()) if new_user else (),
            base.access(name) if old_user else {},
            head.access(name) if new_user else {},
        )
        if (
            old_user != new_user
            or delta.old_groups != delta.new_groups
            or delta.old_access != delta.new_access
            or name in bound
        ):
            users[name] = delta
    return Comparison(base, head, objects, owners, sections, users, groups, profiles)
