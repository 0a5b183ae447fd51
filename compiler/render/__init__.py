"""Render a valid roster into manifests, grouped into the files of out/.

Pure: no I/O, no clock, no environment. Every list is sorted explicitly, so the
same roster gives the same manifests whatever the order of its lists.
"""

from __future__ import annotations

from compiler.model.keys import Manifest, ResourceKey, key_of
from compiler.model.resolve import RosterIndex, effective_limit_range, effective_quota, grants
from compiler.model.roster import Profile, Roster
from compiler.model.units import place
from compiler.render.cluster_role_binding import render_cluster_role_binding
from compiler.render.contributor import render_contributor
from compiler.render.limit_range import render_limit_range
from compiler.render.namespace import render_namespace
from compiler.render.profile import render_profile
from compiler.render.protection import protects_profile

PROFILES_DIR = "profiles"
CLUSTER_ROLE_BINDINGS_DIR = "cluster-role-bindings"


def render_all(roster: Roster) -> dict[str, tuple[Manifest, ...]]:
    """Return every file of out/ (a relative path) with its manifests, in file order.

    With settings.applyUnits above 1 every path starts with its unit's directory
    (`unit-007/profiles/alice.yaml`); see units.py.
    """
    index = RosterIndex.build(roster)
    count = roster.settings.apply_units
    files: dict[str, tuple[Manifest, ...]] = {}
    for profile in sorted(roster.profiles, key=lambda p: p.name):
        files[place(PROFILES_DIR, profile.name, count)] = render_profile_file(profile, index)
    for user in sorted(roster.users, key=lambda u: u.name):
        if user.cluster_role is not None:
            files[place(CLUSTER_ROLE_BINDINGS_DIR, user.name, count)] = (
                render_cluster_role_binding(user, user.cluster_role),
            )
    return dict(sorted(files.items()))


def render_objects(roster: Roster) -> dict[ResourceKey, Manifest]:
    """Render a roster and index its objects by ResourceKey, for comparing with other objects."""
    return {
        key_of(manifest): manifest
        for manifests in render_all(roster).values()
        for manifest in manifests
    }


def render_profile_file(profile: Profile, index: RosterIndex) -> tuple[Manifest, ...]:
    """Return a profile's objects in apply order: Namespace, Profile, LimitRange, contributors."""
    roster = index.roster
    settings = roster.settings
    owner = index.users[profile.owner]
    manifests: list[Manifest] = []
    if settings.manage_namespaces:
        manifests.append(render_namespace(profile, owner, settings))
    protected = protects_profile(profile, settings)
    manifests.append(
        render_profile(
            profile, owner, effective_quota(profile, roster), settings, protected=protected
        )
    )
    limits = effective_limit_range(profile, roster)
    if not limits.is_empty:
        manifests.append(render_limit_range(profile, limits, protected=protected))
    for grant in grants(profile, index):
        manifests.extend(render_contributor(profile.name, grant.user, grant.role, settings))
    return tuple(manifests)
