"""Rules on size: how many objects the roster compiles to, and how many an apply unit holds."""

from __future__ import annotations

from collections.abc import Iterator

from compiler.model import units
from compiler.model.roster import MAX_APPLY_UNITS, Group, Profile
from compiler.roster.rules.facts import Facts, Finding


def apply_unit_too_large(facts: Facts) -> Iterator[Finding]:
    """An apply unit holds more than 1,000 objects, which kustomize builds slowly.

    settings: {applyUnits: 1}
    users:  # each a ClusterRoleBinding
      - {name: u{i}, email: u{i}@example.com, clusterRole: admin}  # 1,001 times
    """
    parsed = facts.parsed
    if parsed.lost_any("profiles", "users", "groups") or parsed.incomplete & {
        "settings",
        "defaults",
    }:
        return  # the counts of a partial roster would mislead
    limit = units.MAX_UNIT_OBJECTS
    weights = units.weigh(facts.index)
    for weighed in weights:
        if weighed.profile is not None and weighed.objects > limit:
            yield Finding(
                parsed.path_of(weighed.profile, "name"),
                f"profile {weighed.profile.name!r} alone renders to {weighed.objects:,} "
                f"objects, more than the {limit:,} an apply unit should hold, and no "
                "applyUnits splits a profile; split its people into several profiles",
                "warning",
            )
    found = units.oversized(weights, parsed.roster.settings.apply_units)
    if found is None:
        return
    where = f"apply unit {found.unit}" if found.unit else "out/ (a single apply unit)"
    fix = (
        f"set settings.applyUnits to {found.suggested_units} to keep every unit at or below "
        f"{limit:,} objects"
        if found.suggested_units is not None
        else f"no settings.applyUnits up to {MAX_APPLY_UNITS} keeps every unit at or below "
        f"{limit:,} objects; split the largest profiles"
    )
    yield Finding(
        ("settings", "applyUnits"),
        f"{where} holds {found.objects:,} objects, more than {limit:,}: kustomize build, which "
        f"Flux runs on every reconcile, takes time quadratic in the objects of a unit; {fix}",
        "warning",
    )


def max_objects(facts: Facts) -> Iterator[Finding]:
    """The roster compiles to more objects than policy.maxObjects allows.

    policy: {maxObjects: 1}
    """
    if not facts.too_many_objects:
        return
    roster = facts.parsed.roster
    limit = roster.policy.max_objects
    group, members, profiles = _largest_group(facts)
    by_group = 2 * members * profiles
    profile, by_profile = _largest_profile(facts)
    head = (
        f"the roster compiles to more than {limit:,} objects, the most policy.maxObjects "
        "allows: every one is rendered, compared and applied, so no stage could keep up"
    )
    if group is not None and by_group >= by_profile:
        yield Finding(
            facts.parsed.path_of(group, "name"),
            f"{head}; group {group.name!r} multiplies most: {members:,} members times "
            f"{profiles:,} profiles it contributes to, times 2 objects each (a RoleBinding and "
            f"an AuthorizationPolicy), is up to {by_group:,}; grant it to fewer profiles, "
            "split it, or raise policy.maxObjects",
        )
    elif profile is not None:
        count = units.profile_objects(profile, facts.index)
        yield Finding(
            facts.parsed.path_of(profile, "name"),
            f"{head}; profile {profile.name!r} multiplies most, with {count:,} objects (2 per "
            "contributor); split its people into several profiles, or raise policy.maxObjects",
        )
    else:
        yield Finding(("policy", "maxObjects"), f"{head}; raise policy.maxObjects")


def _largest_group(facts: Facts) -> tuple[Group | None, int, int]:
    """Return the group whose members and profiles multiply most: it, its members, profiles."""
    grants: dict[str, int] = {}
    for profile in facts.parsed.roster.profiles:
        for name in {c.group for c in profile.contributors if c.group is not None}:
            grants[name] = grants.get(name, 0) + 1
    best: tuple[Group | None, int, int] = (None, 0, 0)
    for name, profiles in sorted(grants.items()):
        group = facts.index.groups.get(name)
        if group is None:
            continue
        members = sum(1 for member in set(group.members) if member in facts.index.users)
        if members * profiles > best[1] * best[2]:
            best = (group, members, profiles)
    return best


def _largest_profile(facts: Facts) -> tuple[Profile | None, int]:
    """Return the profile with the most contributors at most (groups counted whole)."""
    best: tuple[Profile | None, int] = (None, 0)
    for profile in facts.parsed.roster.profiles:
        people = 0
        for contributor in profile.contributors:
            group = facts.index.groups.get(contributor.group or "")
            people += 1 if contributor.user is not None else len(group.members) if group else 0
        if 2 * people + 3 > best[1]:
            best = (profile, 2 * people + 3)
    return best
