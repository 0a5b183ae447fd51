"""One cluster's roster: what the roster says for that cluster alone. Pure: no I/O.

A roster that names `clusters` compiles one tree per cluster, and each tree is what the
equivalent one-cluster roster compiles to: the top-level settings and defaults with the
cluster's overrides merged in, the profiles that exist there, and the cluster-wide roles
that hold there. Everything downstream (rules, render, apply units, deploy, explain,
diff) runs on that one-cluster roster, so nothing needs to know clusters exist but the
code that splits the roster and the code that writes out/<cluster>/.

How a cluster's overrides merge: each key of `settings` and `defaults` given replaces the
top-level value whole (a cluster that sets `namespaceLabels` gives the whole set), except
`settings.deploy`, whose `flux` and `argocd` blocks merge key by key, so a cluster names
only its Argo CD destination or its Flux source. `policy` is the same everywhere.

The one-cluster rosters of one roster share every record that does not differ between
clusters (the very same objects), so rendering can be shared between clusters whose
merged settings are equal, and a roster of many clusters costs little more memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from compiler.model.roster import (
    ArgoCDDeploy,
    Cluster,
    ClusterDefaults,
    ClusterDeploy,
    ClusterSettings,
    Defaults,
    Deploy,
    FluxDeploy,
    Profile,
    Roster,
    Settings,
    User,
)


def cluster_names(roster: Roster) -> tuple[str, ...]:
    """Return the roster's cluster names in roster order; () when it names none."""
    return tuple(cluster.name for cluster in roster.clusters)


def restricted_to(restriction: tuple[str, ...] | None, cluster: str) -> bool:
    """Tell whether a record restricted to some clusters (None: all of them) holds in one."""
    return restriction is None or cluster in restriction


def owns_namespace(profile: Profile, cluster: str) -> bool:
    """Tell whether a profile's namespace has an ownerReference to its Profile in a cluster."""
    flag = profile.namespace_owned_by_profile
    return flag if isinstance(flag, bool) else cluster in flag


def _given(override: BaseModel) -> dict[str, Any]:
    """Return the fields an override gives (the keys its roster text wrote), by name."""
    return {name: getattr(override, name) for name in override.model_fields_set}


def merge_deploy(base: Deploy | None, override: ClusterDeploy | None) -> Deploy | None:
    """Merge a cluster's deploy overrides into the top-level settings.deploy, one level deep.

    Without a top-level setting a cluster's overrides change nothing (a rule reports them);
    a block the top level lacks starts from that block's defaults.
    """
    if base is None or override is None:
        return base
    update: dict[str, Any] = {}
    if override.flux is not None:
        update["flux"] = (base.flux or FluxDeploy()).model_copy(update=_given(override.flux))
    if override.argocd is not None:
        current = base.argocd or ArgoCDDeploy()
        update["argocd"] = current.model_copy(update=_given(override.argocd))
    return base.model_copy(update=update) if update else base


def merge_settings(base: Settings, override: ClusterSettings) -> Settings:
    """Return a cluster's settings: the top-level ones with its overrides put in."""
    if not override.model_fields_set:
        return base
    update = _given(override)
    if "deploy" in update:
        update["deploy"] = merge_deploy(base.deploy, override.deploy)
    return base.model_copy(update=update)


def merge_defaults(base: Defaults, override: ClusterDefaults) -> Defaults:
    """Return a cluster's defaults: the top-level ones with its overrides put in."""
    if not override.model_fields_set:
        return base
    return base.model_copy(update=_given(override))


class Split:
    """The one-cluster rosters of a roster, built once each, sharing their records.

    A user or profile that is the same in two clusters is the same object in both
    one-cluster rosters; one that differs (a restricted role, a per-cluster mark) is
    copied once per way it differs, not once per cluster.
    """

    def __init__(self, roster: Roster) -> None:
        self.roster = roster
        self._clusters: Mapping[str, Cluster] = {c.name: c for c in roster.clusters}
        self._built: dict[str, Roster] = {}
        self._users: dict[tuple[int, bool], User] = {}
        self._profiles: dict[tuple[int, bool], Profile] = {}
        # id of each copied record -> id of the record it was copied from
        self.originals: dict[int, int] = {}

    @property
    def names(self) -> tuple[str, ...]:
        """Return the cluster names, in roster order."""
        return tuple(self._clusters)

    def cluster(self, name: str) -> Cluster:
        """Return a cluster's record; KeyError when the roster names no such cluster."""
        return self._clusters[name]

    def roster_of(self, name: str) -> Roster:
        """Return the one-cluster roster of a cluster the roster names."""
        built = self._built.get(name)
        if built is None:
            built = self._built[name] = self._build(self._clusters[name])
        return built

    def _build(self, cluster: Cluster) -> Roster:
        roster = self.roster
        name = cluster.name
        users = tuple(self._user(user, restricted_to(user.clusters, name)) for user in roster.users)
        profiles = tuple(
            self._profile(profile, owns_namespace(profile, name))
            for profile in roster.profiles
            if restricted_to(profile.clusters, name)
        )
        # Not validated again: every part is a validated record or a copy with a field dropped.
        return Roster.model_construct(
            version=roster.version,
            settings=merge_settings(roster.settings, cluster.settings),
            policy=roster.policy,
            defaults=merge_defaults(roster.defaults, cluster.defaults),
            users=users,
            groups=roster.groups,
            profiles=profiles,
            clusters=(),
        )

    def _user(self, user: User, holds: bool) -> User:
        if user.clusters is None:
            return user
        key = (id(user), holds)
        found = self._users.get(key)
        if found is None:
            update: dict[str, Any] = {"clusters": None}
            if not holds:
                update["cluster_role"] = None
            found = self._users[key] = user.model_copy(update=update)
            self.originals[id(found)] = id(user)
        return found

    def _profile(self, profile: Profile, owned: bool) -> Profile:
        if profile.clusters is None and isinstance(profile.namespace_owned_by_profile, bool):
            return profile
        key = (id(profile), owned)
        found = self._profiles.get(key)
        if found is None:
            update = {"clusters": None, "namespace_owned_by_profile": owned}
            found = self._profiles[key] = profile.model_copy(update=update)
            self.originals[id(found)] = id(profile)
        return found


def one_cluster(roster: Roster, name: str) -> Roster:
    """Return what the roster says for one of its clusters, as a one-cluster roster."""
    return Split(roster).roster_of(name)
