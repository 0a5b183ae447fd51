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

    # A changed line that holds one of the names, as a whole DNS label, marks a commit.
    def mentions(line: str) -> bool:
        return not wanted.isdisjoint(_LABEL.findall(line))

    found_history = gitrev.history_at(roster, ref, mentions)
    found: dict[str, PastProfile] = {}
    for version in found_history.versions:
        left = wanted - found.keys()
        if not left:
            break
        if version.content is None or left.isdisjoint(_LABEL.findall(_text(version.content))):
            continue
        for name, past in _profiles(version.content, version.commit).items():
            if name in left:
                found[name] = past
    return RosterHistory(found, read=True, shallow=found_history.shallow)


# A whole DNS label: what profile names are, and the unit a name is matched in.
_LABEL = re.compile(r"(?<![-a-z0-9])[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?![-a-z0-9])")


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
