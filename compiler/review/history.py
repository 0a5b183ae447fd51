"""Which profiles the roster held before, read from its git history.

A profile that leaves the roster leaves its namespace and data in the cluster; re-adding
the name, perhaps with another owner, hands them over. The plan asks the roster's history
(at the base revision) whether an added profile's name was ever a profile.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from compiler.problems import CompilerError
from compiler.review import gitrev
from compiler.roster import source


@dataclass(frozen=True)
class PastProfile:
    """A profile as an earlier version of the roster held it."""

    owner: str  # the owner's user name then
    email: str | None  # the owner's email then, if the roster said
    revision: str  # a revision that holds that version (`<commit>` or `<commit>^`)


@dataclass(frozen=True)
class RosterHistory:
    """What the roster's history says about the profiles a change adds."""

    profiles: Mapping[str, PastProfile] = field(default_factory=dict)
    read: bool = False  # False: no history was read (two files were compared)
    shallow: bool = False  # the clone lacks older commits


NO_HISTORY = RosterHistory()


def past_profiles(roster: Path, ref: str, names: Iterable[str]) -> RosterHistory:
    """Find which of `names` were profiles in an earlier version of the roster at `ref`."""
    wanted = set(names)
    if not wanted:
        return RosterHistory(read=True)
    # Names are DNS labels: nothing in them is special to a regular expression but '-'
    # outside brackets, which is literal.
    pattern = f"(^|[^-a-z0-9])({'|'.join(sorted(wanted))})([^-a-z0-9]|$)"
    found_history = gitrev.history_at(roster, ref, pattern)
    found: dict[str, PastProfile] = {}
    for version in found_history.versions:
        if version.content is None:
            continue
        left = wanted - found.keys()
        if not left:
            break
        if not any(
            re.search(rf"(?<![-a-z0-9]){n}(?![-a-z0-9])", _text(version.content)) for n in left
        ):
            continue
        for name, past in _profiles(version.content, version.commit).items():
            if name in left:
                found[name] = past
    return RosterHistory(found, read=True, shallow=found_history.shallow)


def _text(content: bytes) -> str:
    return content.decode("utf-8", "replace")


def _profiles(content: bytes, commit: str) -> dict[str, PastProfile]:
    """Return the profiles of one version of the roster; none if it does not load."""
    try:
        data = source.loads(content, "history").data
    except CompilerError:
        return {}
    if not isinstance(data, dict):
        return {}
    emails = {
        user.get("name"): user.get("email")
        for user in data.get("users") or ()
        if isinstance(user, dict)
    }
    revision = commit[:12] + ("^" if commit.endswith("^") else "")
    profiles: dict[str, PastProfile] = {}
    for profile in data.get("profiles") or ():
        if isinstance(profile, dict) and isinstance(profile.get("name"), str):
            owner = str(profile.get("owner", ""))
            email = emails.get(owner)
            profiles[profile["name"]] = PastProfile(
                owner, email if isinstance(email, str) else None, revision
            )
    return profiles
