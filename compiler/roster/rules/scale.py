"""Rules on size: how many objects an apply unit holds."""

from __future__ import annotations

from collections.abc import Iterator

from compiler.model import units
from compiler.model.roster import MAX_APPLY_UNITS
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
