"""Rules across records: unique names and emails, references that resolve, grants that count."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from pydantic import BaseModel

from compiler.model.resolve import email_key
from compiler.problems import NodePath, did_you_mean, path_text
from compiler.roster.rules.facts import Facts, Finding


def duplicate_user_name(facts: Facts) -> Iterator[Finding]:
    """Two users share a name.

    users:
      - {name: alice, email: alice.smith@example.com}  # the base has an alice already
    """
    yield from duplicates(facts, facts.parsed.roster.users, lambda u: u.name, "user name", "name")


def duplicate_email(facts: Facts) -> Iterator[Finding]:
    """Two users share an email, compared case-insensitively.

    users:
      - {name: al, email: Alice@Example.com}  # the base's alice is alice@example.com
    profiles:
      - {name: al, owner: al}
    """
    first: dict[str, tuple[NodePath, str]] = {}
    for user in facts.parsed.roster.users:
        path = facts.parsed.path_of(user, "email")
        seen = first.setdefault(email_key(user.email), (path, user.email))
        if seen[0] != path:
            written = "" if seen[1] == user.email else f" as {seen[1]!r}"
            yield Finding(
                path,
                f"email {user.email!r} is already used at {path_text(seen[0])}{written}; an "
                "email names one person whatever its case (the Kubeflow dashboard lower-cases "
                "it), so each must be unique: remove one of the users",
            )


def duplicate_group(facts: Facts) -> Iterator[Finding]:
    """Two groups share a name.

    groups:
      - {name: vision, members: [bob]}
      - {name: vision, members: [bob]}
    profiles:
      - name: vision
        owner: alice
        contributors: [{group: vision, role: view}]
    """
    yield from duplicates(facts, facts.parsed.roster.groups, lambda g: g.name, "group", "name")


def duplicate_profile(facts: Facts) -> Iterator[Finding]:
    """Two profiles share a name, so they would be one namespace.

    profiles:
      - {name: vision, owner: alice}
      - {name: vision, owner: bob}
    """
    yield from duplicates(facts, facts.parsed.roster.profiles, lambda p: p.name, "profile", "name")


def unknown_user(facts: Facts) -> Iterator[Finding]:
    """A profile owner, contributor or group member is not among the users.

    profiles:
      - {name: vision, owner: carol}
    """
    parsed, users = facts.parsed, facts.index.users

    def missing(name: str) -> bool:
        return name not in users and not parsed.may_exist("users", name)

    def fix(name: str) -> str:
        return _fix(name, users, "add the user")

    for profile in parsed.roster.profiles:
        if missing(profile.owner):
            yield Finding(
                parsed.path_of(profile, "owner"),
                f"profile {profile.name!r} is owned by {profile.owner!r}, who is not in users; "
                f"{fix(profile.owner)}",
            )
        for number, contributor in enumerate(profile.contributors):
            if contributor.user is not None and missing(contributor.user):
                yield Finding(
                    parsed.path_of(profile, "contributors", number, "user"),
                    f"contributor {contributor.user!r} of profile {profile.name!r} is not in "
                    f"users; {fix(contributor.user)}",
                )
    for group in parsed.roster.groups:
        for number, member in enumerate(group.members):
            if missing(member):
                yield Finding(
                    parsed.path_of(group, "members", number),
                    f"member {member!r} of group {group.name!r} is not in users; {fix(member)}",
                )


def unknown_group(facts: Facts) -> Iterator[Finding]:
    """A contributor names a group that does not exist.

    profiles:
      - name: vision
        owner: alice
        contributors: [{group: robotics, role: view}]
    """
    parsed = facts.parsed
    for profile in parsed.roster.profiles:
        for number, contributor in enumerate(profile.contributors):
            group = contributor.group
            if (
                group is not None
                and group not in facts.index.groups
                and not parsed.may_exist("groups", group)
            ):
                yield Finding(
                    parsed.path_of(profile, "contributors", number, "group"),
                    f"group {group!r} in the contributors of profile {profile.name!r} is not in "
                    f"groups; {_fix(group, facts.index.groups, 'add the group')}",
                )


def owner_is_contributor(facts: Facts) -> Iterator[Finding]:
    """The owner is also listed as a contributor of the same profile.

    profiles:
      - name: vision
        owner: alice
        contributors: [{user: alice, role: edit}]
    """
    parsed = facts.parsed
    for profile in parsed.roster.profiles:
        for number, contributor in enumerate(profile.contributors):
            if contributor.user == profile.owner:
                yield Finding(
                    parsed.path_of(profile, "contributors", number, "user"),
                    f"{profile.owner!r} owns profile {profile.name!r} and already has every "
                    "right there; remove this contributor entry",
                )


def unused_group(facts: Facts) -> Iterator[Finding]:
    """A group is not a contributor anywhere, or has no members, so it grants nothing.

    groups:
      - {name: vision, members: [alice]}
    """
    parsed = facts.parsed
    if parsed.lost_any("profiles"):
        return  # a dropped profile may be the one that uses the group
    used = {c.group for p in parsed.roster.profiles for c in p.contributors}
    for group in parsed.roster.groups:
        if group.name in used and not group.members:
            yield Finding(
                parsed.path_of(group, "name"),
                f"group {group.name!r} has no members, so the profiles it contributes to grant "
                "nobody anything through it; add members or remove it",
                "warning",
            )
        elif group.name not in used:
            yield Finding(
                parsed.path_of(group, "name"),
                f"group {group.name!r} is not a contributor of any profile, so it grants "
                "nothing; use it in a profile's contributors or remove it",
                "warning",
            )


def user_without_access(facts: Facts) -> Iterator[Finding]:
    """A user is granted nothing: no cluster role, no profile, no contribution.

    users:
      - {name: carol, email: carol@example.com}
    """
    parsed, index = facts.parsed, facts.index
    if parsed.lost_any("profiles", "groups"):
        return  # a dropped profile or group may be what grants the user access
    granted = {p.owner for p in parsed.roster.profiles}
    for profile in parsed.roster.profiles:
        for contributor in profile.contributors:
            if contributor.user is not None:
                granted.add(contributor.user)
            elif (group := index.groups.get(contributor.group or "")) is not None:
                granted.update(group.members)
    for user in parsed.roster.users:
        if user.cluster_role is None and user.name not in granted:
            yield Finding(
                parsed.path_of(user, "name"),
                f"user {user.name!r} is granted nothing (no clusterRole, no profile, not a "
                "contributor); grant something or remove the user",
                "warning",
            )


def _fix(name: str, known: Iterable[str], add: str) -> str:
    """Say how to resolve an unknown name: the closest known one, else add it or fix it."""
    hint = did_you_mean(name, known)
    return f"{hint} If not, {add}" if hint else f"{add} or fix the name"


_Record = TypeVar("_Record", bound=BaseModel)


def duplicates(
    facts: Facts,
    records: Iterable[_Record],
    key: Callable[[_Record], str],
    what: str,
    field: str,
) -> Iterator[Finding]:
    first: dict[str, NodePath] = {}
    for record in records:
        path = facts.parsed.path_of(record, field)
        value = key(record)
        if value in first:
            yield Finding(
                path,
                f"{what} {value!r} is already used at {path_text(first[value])}; "
                f"each {what} must be unique: rename or remove one of them",
            )
        else:
            first[value] = path
