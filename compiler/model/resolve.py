"""Resolve what the roster implies but does not spell out: defaults, groups, effective roles.

Both the policy rules and the renderers need these facts; computing them in one
place keeps what is checked and what is emitted the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from compiler.model.roles import ContributorRoleName, stronger
from compiler.model.roster import (
    Group,
    LimitRange,
    Profile,
    ResourceQuota,
    Roster,
    User,
)


@dataclass(frozen=True)
class Grant:
    """One user's role in one profile, and the roster entries it comes from."""

    user: User
    role: ContributorRoleName
    sources: tuple[str, ...]  # "direct" and/or "group:<name>", sorted


@dataclass(frozen=True)
class RosterIndex:
    """The roster with users and groups looked up by name (the first of duplicates wins)."""

    roster: Roster
    users: Mapping[str, User]
    groups: Mapping[str, Group]

    @classmethod
    def build(cls, roster: Roster) -> RosterIndex:
        """Index a roster once, so per-profile lookups stay linear in the roster's size."""
        users: dict[str, User] = {}
        for user in roster.users:
            users.setdefault(user.name, user)
        groups: dict[str, Group] = {}
        for group in roster.groups:
            groups.setdefault(group.name, group)
        return cls(roster, users, groups)


def email_key(email: str) -> str:
    """Return the key under which emails are compared: KFAM and people ignore case."""
    return email.lower()


def sort_key_for_email(email: str) -> tuple[str, str]:
    """Order emails case-insensitively, ties broken by their exact text."""
    return (email.lower(), email)


def effective_quota(profile: Profile, roster: Roster) -> ResourceQuota:
    """Return the profile's quota: its own when written (even `{}`), else the default."""
    own = profile.resource_quota
    return own if own is not None else roster.defaults.resource_quota


def effective_limit_range(profile: Profile, roster: Roster) -> LimitRange:
    """Return the profile's LimitRange: its own when written (even `{}`), else the default."""
    own = profile.limit_range
    return own if own is not None else roster.defaults.limit_range


def grants(profile: Profile, index: RosterIndex) -> list[Grant]:
    """Return the profile's contributors, groups expanded, sorted by email.

    A user reached twice (directly and through groups) gets the most permissive role;
    the owner is never a contributor. Unknown users and groups are skipped: the policy
    rules report them.
    """
    users, groups = index.users, index.groups
    roles: dict[str, ContributorRoleName] = {}
    sources: dict[str, set[str]] = {}
    for contributor in profile.contributors:
        if contributor.user is not None:
            names: tuple[str, ...] = (contributor.user,)
            origin = "direct"
        else:
            group = groups.get(contributor.group or "")
            names = group.members if group else ()
            origin = f"group:{contributor.group}"
        for name in names:
            if name == profile.owner or name not in users:
                continue
            current = roles.get(name)
            if stronger(contributor.role, current):
                roles[name] = contributor.role
            sources.setdefault(name, set()).add(origin)
    found = [Grant(users[name], role, tuple(sorted(sources[name]))) for name, role in roles.items()]
    return sorted(found, key=lambda grant: sort_key_for_email(grant.user.email))
