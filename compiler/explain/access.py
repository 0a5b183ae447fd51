"""Explain what one person can do: a roster and a name or email in, an `Explanation` out.

Pure: no I/O. Roles, sources and defaults come from `resolve`, the same functions the
renderers use, so an explanation says what `compile` puts in the cluster. How an
explanation is written (text, Markdown, JSON) is presentation.py's job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from compiler.explain.roles.chart import CLUSTER_WIDE_EXPOSURE
from compiler.model import names
from compiler.model.clusters import Split, cluster_names
from compiler.model.dashboard import (
    CLUSTER_WIDE_VISIBILITY,
    OWNER_VISIBILITY,
    Visibility,
    contributor_visibility,
)
from compiler.model.kube import OWNER_BINDING
from compiler.model.resolve import (
    RosterIndex,
    effective_limit_range,
    effective_quota,
    email_key,
    grants,
)
from compiler.model.roles import RoleName, stronger
from compiler.model.roster import (
    AwsIamForServiceAccount,
    LimitRange,
    Profile,
    ResourceQuota,
    Roster,
    User,
    WorkloadIdentity,
)
from compiler.problems import CompilerError, suggest
from compiler.render.protection import offboarding

NamespaceRole = Literal["owner", "edit", "view"]
SourceKind = Literal["owner", "direct", "group"]


class UnknownPerson(CompilerError):
    """WHO names nobody in the roster."""

    def __init__(self, who: str, suggestions: Sequence[str], roster: str = "") -> None:
        self.who = who
        self.suggestions = tuple(suggestions)
        hint = ""
        if suggestions:
            hint = "; did you mean " + ", ".join(repr(s) for s in suggestions) + "?"
        where = f"{roster}: " if roster else ""
        super().__init__(f"{where}{who!r} is neither a user name nor an email in the roster{hint}")


@dataclass(frozen=True)
class Source:
    """One roster entry that reaches a person in a profile."""

    kind: SourceKind
    role: NamespaceRole
    group: str | None = None
    # False for a contributor entry of the profile's owner: owners are never contributors.
    bound: bool = True

    def describe(self) -> str:
        """Say where the access comes from, as a reviewer reads it."""
        if self.kind == "owner":
            return "owns the profile"
        where = "direct" if self.kind == "direct" else f"group {self.group}"
        return f"{where} ({self.role})" if self.bound else f"{where} ({self.role}, not bound)"


@dataclass(frozen=True)
class NamespaceAccess:
    """The person's role in one profile's namespace and every entry that gives it."""

    namespace: str
    role: NamespaceRole
    binding: str  # the RoleBinding (and, for contributors, AuthorizationPolicy) name
    sources: tuple[Source, ...]
    # When the cluster-wide role is stronger than the profile's, it is what counts here.
    effective: RoleName
    visibility: Visibility  # where the dashboard shows this grant

    @property
    def cluster_role(self) -> str:
        """Return the ClusterRole the namespace binding refers to."""
        return names.cluster_role("admin" if self.role == "owner" else self.role)


@dataclass(frozen=True)
class ClusterAccess:
    """A cluster-wide role: a ClusterRoleBinding reaching every namespace."""

    role: RoleName
    binding: str
    exposes: str
    visibility: Visibility = CLUSTER_WIDE_VISIBILITY

    @property
    def cluster_role(self) -> str:
        """Return the ClusterRole the binding refers to."""
        return names.cluster_role(self.role)


@dataclass(frozen=True)
class Contribution:
    """One contributor of a profile the person owns."""

    user: str
    email: str
    role: NamespaceRole
    sources: tuple[str, ...]
    visibility: Visibility


@dataclass(frozen=True)
class OwnedProfile:
    """A profile the person owns, with what applies to its namespace after defaults."""

    name: str
    quota: ResourceQuota
    quota_is_default: bool
    limit_range: LimitRange
    limit_range_is_default: bool
    contributors: tuple[Contribution, ...]
    plugins: tuple[str, ...]


@dataclass(frozen=True)
class Departure:
    """A profile the person reached at the base revision, which leaves the roster.

    `kept`: the owner's access stays, because the Profile is kept (protection.py); else
    the next apply revokes it. `commands`: what an administrator runs to finish.
    """

    namespace: str
    role: NamespaceRole
    kept: bool
    why_kept: str
    commands: tuple[str, ...]

    def describe(self) -> str:
        """Say what the next apply does to this access, and what is left to do by hand."""
        name = self.namespace
        if not self.kept:
            who = "revoked" if self.role == "owner" else "revoked (bindings pruned)"
            return (
                f"{who} on the next apply; namespace {name} and its data stay "
                f"(to delete them: {self.commands[0]})"
            )
        if self.role != "owner":
            return "revoked (bindings pruned) on the next apply; the Profile is kept"
        release, delete_profile, delete_namespace = self.commands
        return (
            f"kept: the Profile stays ({self.why_kept}) and the controller keeps "
            f"kubeflow-admin there for its owner; to revoke it and keep the data: {release}, "
            f"then {delete_profile}; {delete_namespace} deletes the data"
        )


@dataclass(frozen=True)
class Explanation:
    """Everything one person can do, as the compiled roster grants it."""

    user: User
    matched_by: Literal["name", "email"]
    groups: tuple[str, ...]
    cluster: ClusterAccess | None
    namespaces: tuple[NamespaceAccess, ...]
    owned: tuple[OwnedProfile, ...]
    notes: tuple[str, ...]
    leaving: tuple[Departure, ...] = ()


def find_user(roster: Roster, who: str) -> tuple[User, Literal["name", "email"]]:
    """Return the user WHO names (a user name, or an email in any case) and how it matched.

    Raise UnknownPerson, with close names and emails to suggest, when nobody matches.
    """
    index = RosterIndex.build(roster)
    if who in index.users:
        return index.users[who], "name"
    if "@" in who:
        for user in roster.users:
            if email_key(user.email) == email_key(who):
                return user, "email"
    raise UnknownPerson(who, suggest(who, [c for u in roster.users for c in (u.name, u.email)]))


def explain(roster: Roster, who: str, base: Roster | None = None) -> Explanation:
    """Explain what WHO can do under a valid roster.

    With the roster at a base revision (the one the cluster was applied from), also say
    what happens to the access WHO had in profiles that leave the roster, as the plan of
    that change says it; WHO may then be someone the roster no longer names.
    """
    try:
        user, matched_by = find_user(roster, who)
    except UnknownPerson:
        if base is None:
            raise
        gone, matched_by = find_user(base, who)
        departed = _leaving(gone, roster, base)
        notes = _notes(gone, who, matched_by, None, (), roster=roster, leaving=departed)
        return Explanation(
            gone,
            matched_by,
            (),
            None,
            (),
            (),
            (f"{gone.name} is no longer in the roster", *notes),
            departed,
        )
    leaving = _leaving(user, roster, base) if base is not None else ()
    index = RosterIndex.build(roster)
    cluster = None
    if user.cluster_role is not None:
        cluster = ClusterAccess(
            user.cluster_role,
            names.cluster_role_binding_name(user.name, user.cluster_role),
            CLUSTER_WIDE_EXPOSURE[user.cluster_role],
        )
    namespaces: list[NamespaceAccess] = []
    owned: list[OwnedProfile] = []
    for profile in sorted(roster.profiles, key=lambda p: p.name):
        access = _namespace_access(profile, user, index)
        if access is not None:
            namespaces.append(access)
        if profile.owner == user.name:
            owned.append(_owned_profile(profile, index))
    groups = tuple(sorted(g.name for g in roster.groups if user.name in g.members))
    return Explanation(
        user,
        matched_by,
        groups,
        cluster,
        tuple(namespaces),
        tuple(owned),
        _notes(user, who, matched_by, cluster, namespaces, roster=roster, leaving=leaving),
        leaving,
    )


# Each cluster's explanation by its name, in roster order; one named "" without clusters.
ByCluster = tuple[tuple[str, Explanation], ...]


def explain_clusters(
    roster: Roster, who: str, base: Roster | None = None, cluster: str | None = None
) -> ByCluster:
    """Explain what WHO can do in each cluster of the roster, or in the one named.

    A roster without clusters gives one explanation, named "". With clusters, each is the
    explanation of that cluster's one-cluster roster (model/clusters.py), exactly what its
    tree grants. The base side is paired as the plan pairs it: by cluster name, and a base
    without clusters is what every cluster was applied from; a cluster the base lacks has
    nothing leaving it. `cluster` must be one the roster names: a name from the command
    line is checked first by pipeline.cluster_roster, which says what is wrong with it.
    """
    known = cluster_names(roster)
    if cluster is not None and cluster not in known:
        raise ValueError(f"{cluster!r} is not a cluster of the roster")
    if not known:
        if base is not None and base.clusters:
            # The base's clusters become this one tree: what left any of them leaves here.
            return (("", _merged_leaving(roster, who, base)),)
        return (("", explain(roster, who, base)),)
    split = Split(roster)
    base_split = Split(base) if base is not None and base.clusters else None
    found: list[tuple[str, Explanation]] = []
    for name in (cluster,) if cluster is not None else known:
        there = base
        if base_split is not None:
            there = base_split.roster_of(name) if name in base_split.names else None
        try:
            found.append((name, explain(split.roster_of(name), who, there)))
        except UnknownPerson:
            if there is not None or base is None:
                raise
            # Gone from the roster, and this cluster is new: nothing of WHO's was ever in it.
    if not found:
        raise UnknownPerson(who, suggest(who, [c for u in roster.users for c in (u.name, u.email)]))
    return tuple(found)


def _merged_leaving(roster: Roster, who: str, base: Roster) -> Explanation:
    """Explain WHO under a roster without clusters whose base had some: what left any."""
    split = Split(base)
    explanations = [explain(roster, who, split.roster_of(name)) for name in split.names]
    departures: dict[str, Departure] = {}
    for explained in explanations:
        for departure in explained.leaving:
            departures.setdefault(departure.namespace, departure)
    first = explanations[0]
    if all(e.leaving == first.leaving for e in explanations):
        return first
    leaving = tuple(departures[name] for name in sorted(departures))
    notes = tuple(dict.fromkeys(note for e in explanations for note in e.notes))
    return Explanation(
        first.user,
        first.matched_by,
        first.groups,
        first.cluster,
        first.namespaces,
        first.owned,
        notes,
        leaving,
    )


def _leaving(user: User, roster: Roster, base: Roster) -> tuple[Departure, ...]:
    """Return the profiles of `base` that `user` reached and `roster` no longer has.

    What happens is decided by the base side, the objects in the cluster, as the plan
    decides it (protection.offboarding).
    """
    current = {profile.name for profile in roster.profiles}
    index = RosterIndex.build(base)
    base_user = index.users.get(user.name)
    if base_user is None:
        return ()
    departures: list[Departure] = []
    for profile in sorted(base.profiles, key=lambda p: p.name):
        if profile.name in current:
            continue
        access = _namespace_access(profile, base_user, index)
        if access is None:
            continue
        leaving = offboarding(profile, base.settings)
        why = (
            "namespaceOwnedByProfile: its namespace goes with it"
            if profile.namespace_owned_by_profile
            else "manageNamespaces: false: the controller's namespace goes with it"
        )
        departures.append(
            Departure(profile.name, access.role, leaving.protected, why, leaving.commands)
        )
    return tuple(departures)


def _entries(profile: Profile, user: User, index: RosterIndex) -> list[Source]:
    """Return the contributor entries of `profile` that name `user`, directly or by group."""
    found: dict[tuple[SourceKind, str | None], NamespaceRole] = {}
    for contributor in profile.contributors:
        if contributor.user == user.name:
            key: tuple[SourceKind, str | None] = ("direct", None)
        elif contributor.group is not None and user.name in _members(index, contributor.group):
            key = ("group", contributor.group)
        else:
            continue
        current = found.get(key)
        if stronger(contributor.role, current):
            found[key] = contributor.role
    # Direct first, then groups by name: the order a reader scans the roster entries in.
    ordered = sorted(found.items(), key=lambda item: (item[0][0] != "direct", item[0][1] or ""))
    return [Source(kind, role, group) for (kind, group), role in ordered]


def _members(index: RosterIndex, group: str) -> tuple[str, ...]:
    found = index.groups.get(group)
    return found.members if found else ()


def _namespace_access(profile: Profile, user: User, index: RosterIndex) -> NamespaceAccess | None:
    """Return the person's access to one profile, or None when the profile grants nothing."""
    entries = _entries(profile, user, index)
    if profile.owner == user.name:
        unused = tuple(Source(s.kind, s.role, s.group, bound=False) for s in entries)
        return NamespaceAccess(
            profile.name,
            "owner",
            OWNER_BINDING,
            (Source("owner", "owner"), *unused),
            "admin",
            OWNER_VISIBILITY,
        )
    grant = next((g for g in grants(profile, index) if g.user.name == user.name), None)
    if grant is None:
        return None
    effective: RoleName = grant.role
    if user.cluster_role is not None and stronger(user.cluster_role, grant.role):
        effective = user.cluster_role
    return NamespaceAccess(
        profile.name,
        grant.role,
        names.kfam_name(user.email, grant.role),
        tuple(entries),
        effective,
        contributor_visibility(grant.role, user.email, index.roster.settings.kubeflow_version),
    )


def _owned_profile(profile: Profile, index: RosterIndex) -> OwnedProfile:
    roster = index.roster
    version = roster.settings.kubeflow_version
    contributions = tuple(
        Contribution(
            grant.user.name,
            grant.user.email,
            grant.role,
            grant.sources,
            contributor_visibility(grant.role, grant.user.email, version),
        )
        for grant in grants(profile, index)
    )
    return OwnedProfile(
        profile.name,
        effective_quota(profile, roster),
        profile.resource_quota is None,
        effective_limit_range(profile, roster),
        profile.limit_range is None,
        contributions,
        tuple(_plugin_text(plugin) for plugin in profile.plugins),
    )


def _plugin_text(plugin: WorkloadIdentity | AwsIamForServiceAccount) -> str:
    if isinstance(plugin, WorkloadIdentity):
        return f"{plugin.kind} {plugin.spec.gcp_service_account}"
    return f"{plugin.kind} {plugin.spec.aws_iam_role}"


def _notes(
    user: User,
    who: str,
    matched_by: str,
    cluster: ClusterAccess | None,
    namespaces: Sequence[NamespaceAccess],
    *,
    roster: Roster,
    leaving: Sequence[Departure] = (),
) -> tuple[str, ...]:
    notes: list[str] = []
    if matched_by == "email" and who != user.email:
        notes.append(
            f"the roster writes the email as {user.email!r}, not {who!r}: RBAC and the"
            " user-id header compare emails case-sensitively, so the identity provider must"
            " send exactly the roster's spelling or none of this applies"
        )
    elif user.email != user.email.lower():
        notes.append(
            f"the email {user.email!r} has capital letters: RBAC and the user-id header compare"
            " case-sensitively, so the identity provider must send exactly this spelling"
        )
    for access in namespaces:
        for source in access.sources:
            if not source.bound:
                where = "a direct entry" if source.kind == "direct" else f"group {source.group}"
                notes.append(
                    f"in {access.namespace}, {where} makes the owner a contributor ({source.role});"
                    " owners are never contributors, so it binds nothing: ownership already"
                    " gives kubeflow-admin"
                )
    kept = [d.namespace for d in leaving if d.kept and d.role == "owner"]
    if kept:
        notes.append(
            f"still kubeflow-admin in {', '.join(kept)}: those profiles left the roster, but "
            "their Profiles are kept, and the profile controller keeps their owner's access "
            "(see Leaving the roster)"
        )
    elif cluster is None and not namespaces:
        notes.append("no access: not an owner or contributor of any profile, no cluster-wide role")
    if not roster.settings.manage_namespaces:
        notes.append(
            "with manageNamespaces: false, a profile removed from the roster keeps its Profile, "
            "and its owner keeps kubeflow-admin there until an administrator deletes it; "
            "--base REF lists the profiles that left since REF"
        )
    for access in namespaces:
        if not access.visibility.managed:
            notes.append(f"in {access.namespace}, {access.visibility.detail}")
    for access in namespaces:
        if access.effective != ("admin" if access.role == "owner" else access.role):
            notes.append(
                f"in {access.namespace} the cluster-wide {access.effective} role is stronger"
                f" than the profile's {access.role}"
            )
    return tuple(notes)
