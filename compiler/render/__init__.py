"""Render a valid roster into manifests, grouped into the files of out/.

Pure: no I/O, no clock, no environment. Every list is sorted explicitly, so the
same roster gives the same manifests whatever the order of its lists.

The one-cluster rosters of a roster with clusters share their records (model/clusters.py),
so a profile file is rendered once for all the clusters whose settings and defaults render
it the same (`Shared`), and only placed in each.
"""

from __future__ import annotations

from collections.abc import Mapping

from compiler.model.clusters import Split
from compiler.model.keys import Manifest, ResourceKey, key_of
from compiler.model.resolve import RosterIndex, effective_limit_range, effective_quota, grants
from compiler.model.roster import Profile, Roster
from compiler.model.units import CLUSTER_ROLE_BINDINGS_DIR, PROFILES_DIR, place
from compiler.render.cluster_role_binding import render_cluster_role_binding
from compiler.render.contributor import render_contributor
from compiler.render.limit_range import render_limit_range
from compiler.render.namespace import render_namespace
from compiler.render.profile import render_profile
from compiler.render.protection import protects_profile


class Shared:
    """Profile files already rendered, by profile record and render group.

    Two clusters are in one render group when their settings (but where out/ is split
    and how it is deployed) and their defaults are equal: a profile record renders the
    same there. Keys are record ids: the records stay alive in the roster meanwhile.
    """

    def __init__(self) -> None:
        self._files: dict[tuple[int, int], tuple[Manifest, ...]] = {}

    def profile_file(
        self, profile: Profile, index: RosterIndex, group: int
    ) -> tuple[Manifest, ...]:
        """Return a profile's objects, rendered once per render group."""
        key = (id(profile), group)
        found = self._files.get(key)
        if found is None:
            found = self._files[key] = render_profile_file(profile, index)
        return found


def render_groups(rosters: Mapping[str, Roster]) -> dict[str, int]:
    """Number the clusters' render groups: equal settings and defaults render profiles alike."""
    seen: list[tuple[object, object]] = []
    groups: dict[str, int] = {}
    for name, roster in rosters.items():
        renders = roster.settings.model_copy(update={"apply_units": 1, "deploy": None})
        key = (renders, roster.defaults)
        if key not in seen:
            seen.append(key)
        groups[name] = seen.index(key)
    return groups


def render_all(
    roster: Roster, shared: Shared | None = None, group: int = 0
) -> dict[str, tuple[Manifest, ...]]:
    """Return every file of out/ (a relative path) with its manifests, in file order.

    With settings.applyUnits above 1 every path starts with its unit's directory
    (`unit-007/profiles/alice.yaml`); see units.py. `shared` and `group` let the clusters
    of one roster share the profile files they render alike (see Shared). A roster that
    names clusters is refused: its trees are render_tree's.
    """
    if roster.clusters:
        raise ValueError("a roster with clusters renders one tree per cluster: use render_tree")
    index = RosterIndex.build(roster)
    count = roster.settings.apply_units
    files: dict[str, tuple[Manifest, ...]] = {}
    for profile in sorted(roster.profiles, key=lambda p: p.name):
        rendered = (
            shared.profile_file(profile, index, group)
            if shared is not None
            else render_profile_file(profile, index)
        )
        files[place(PROFILES_DIR, profile.name, count)] = rendered
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


def render_tree(roster: Roster) -> dict[str, tuple[Manifest, ...]]:
    """Return every file of out/ with its manifests, whether or not the roster names clusters.

    With clusters, each cluster's tree is its one-cluster roster's, under its name
    (`prod-eu/profiles/alice.yaml`), and nothing else is under out/. A file that clusters
    render alike is the same tuple of manifests in each.
    """
    if not roster.clusters:
        return render_all(roster)
    split = Split(roster)
    rosters = {name: split.roster_of(name) for name in split.names}
    groups = render_groups(rosters)
    shared = Shared()
    return {
        f"{name}/{relative}": manifests
        for name, there in rosters.items()
        for relative, manifests in render_all(there, shared, groups[name]).items()
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
