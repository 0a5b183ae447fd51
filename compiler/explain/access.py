"""Explain what one person can do: roster → an `Explanation` → text, Markdown or JSON.

Pure: no I/O. Roles, sources and defaults come from `resolve`, the same functions the
renderers use, so an explanation says what `compile` puts in the cluster.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
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
from compiler.model.resolve import (
    RosterIndex,
    effective_limit_range,
    effective_quota,
    email_key,
    grants,
)
from compiler.model.roster import (
    AwsIamForServiceAccount,
    LimitRange,
    Profile,
    ResourceQuota,
    Role,
    Roster,
    User,
    WorkloadIdentity,
)
from compiler.problems import CompilerError, suggest
from compiler.render.protection import offboarding
from compiler.terminal import PLAIN, Palette, definitions, markdown_table, table, wrap

# The RoleBinding the profile controller creates for a profile's owner.
OWNER_BINDING = "namespaceAdmin"

NamespaceRole = Literal["owner", "edit", "view"]
SourceKind = Literal["owner", "direct", "group"]
_LEVEL: Mapping[str, int] = {"view": 1, "edit": 2, "admin": 3, "owner": 3}


class UnknownPerson(CompilerError):
    """WHO names nobody in the roster."""

    def __init__(self, who: str, suggestions: Sequence[str]) -> None:
        self.who = who
        self.suggestions = tuple(suggestions)
        hint = ""
        if suggestions:
            hint = "; did you mean " + ", ".join(repr(s) for s in suggestions) + "?"
        super().__init__(f"{who!r} is neither a user name nor an email in the roster{hint}")


class UnknownCluster(CompilerError):
    """--cluster names no cluster of the roster."""

    def __init__(self, cluster: str, known: Sequence[str]) -> None:
        self.cluster = cluster
        if not known:
            super().__init__(f"--cluster {cluster!r}: the roster names no clusters")
            return
        hint = ""
        suggestions = suggest(cluster, known)
        if suggestions:
            hint = "; did you mean " + ", ".join(repr(s) for s in suggestions) + "?"
        super().__init__(
            f"--cluster {cluster!r} is not a cluster of the roster ({', '.join(known)}){hint}"
        )


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
    effective: Role
    visibility: Visibility  # where the dashboard shows this grant

    @property
    def cluster_role(self) -> str:
        """Return the ClusterRole the namespace binding refers to."""
        return names.cluster_role("admin" if self.role == "owner" else self.role)


@dataclass(frozen=True)
class ClusterAccess:
    """A cluster-wide role: a ClusterRoleBinding reaching every namespace."""

    role: Role
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


def explain_clusters(
    roster: Roster, who: str, base: Roster | None = None, cluster: str | None = None
) -> tuple[tuple[str, Explanation], ...]:
    """Explain what WHO can do in each cluster of the roster, or in the one named.

    A roster without clusters gives one explanation, named "". With clusters, each is the
    explanation of that cluster's one-cluster roster (model/clusters.py), exactly what its
    tree grants. The base side is paired as the plan pairs it: by cluster name, and a base
    without clusters is what every cluster was applied from; a cluster the base lacks has
    nothing leaving it.
    """
    known = cluster_names(roster)
    if cluster is not None and cluster not in known:
        raise UnknownCluster(cluster, known)
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
        if current is None or _LEVEL[contributor.role] > _LEVEL[current]:
            found[key] = contributor.role
    # Direct first, then groups by name: the order a reader scans the roster entries in.
    ordered = sorted(found.items(), key=lambda item: (item[0][0] != "direct", item[0][1] or ""))
    return [Source(kind, role, group) for (kind, group), role in ordered]


def _members(index: RosterIndex, group: str) -> tuple[str, ...]:
    found = index.groups.get(group)
    return found.members if found else ()


def _namespace_access(profile: Profile, user: User, index: RosterIndex) -> NamespaceAccess | None:
    """Return the person's access to one profile, or None when the profile grants nothing."""
    cluster_level = _LEVEL[user.cluster_role] if user.cluster_role else 0
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
    effective: Role = grant.role
    if user.cluster_role is not None and cluster_level > _LEVEL[grant.role]:
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


# --- Presentation -------------------------------------------------------------------------


def _elsewhere(explanation: Explanation) -> str:
    cluster = explanation.cluster
    other = " other" if explanation.namespaces else ""
    if cluster is None:
        return f"no access to any{other} namespace"
    return f"{cluster.cluster_role} in every{other} namespace (cluster-wide)"


def _resources(resources: Mapping[str, int | str]) -> str:
    return ", ".join(f"{name} {value}" for name, value in sorted(resources.items()))


def quota_text(quota: ResourceQuota) -> str:
    """Describe a quota in one line: its limits and scopes, or that there is none."""
    if quota.is_empty:
        return "none: the namespace may use the whole cluster"
    parts = [_resources(quota.hard)] if quota.hard else []
    if quota.scopes:
        parts.append("scopes " + ", ".join(quota.scopes))
    if quota.scope_selector is not None:
        parts.append(
            "scope selector "
            + ", ".join(
                f"{req.scope_name} {req.operator} {', '.join(req.values)}".rstrip()
                for req in quota.scope_selector.match_expressions
            )
        )
    return "; ".join(parts)


def limit_range_lines(limits: LimitRange) -> list[str]:
    """Describe a LimitRange, one line per kind of limit, or that there is none."""
    if limits.is_empty:
        return ["none: containers without requests or limits get none"]
    kinds = (
        ("default", limits.default),
        ("defaultRequest", limits.default_request),
        ("min", limits.min),
        ("max", limits.max),
        ("maxLimitRequestRatio", limits.max_limit_request_ratio),
    )
    return [f"{kind} {_resources(values)}" for kind, values in kinds if values]


def _labelled(what: str, is_default: bool) -> str:
    return f"{what} (defaults)" if is_default else what


def _origin(is_default: bool) -> str:
    return "defaults" if is_default else "the profile's own"


def _contributors_text(owned: OwnedProfile) -> list[str]:
    if not owned.contributors:
        return ["none"]
    return [
        f"{c.user} {c.role} ({', '.join(s.replace('group:', 'group ') for s in c.sources)});"
        f" {c.visibility.label}"
        for c in owned.contributors
    ]


def _role_style(role: str) -> str:
    return {"owner": "green", "admin": "red", "edit": "yellow"}.get(role, "cyan")


def format_text(explanation: Explanation, palette: Palette = PLAIN) -> str:
    """Format an explanation for a terminal: a header, then aligned tables."""
    user = explanation.user
    cluster = explanation.cluster
    if cluster is None:
        cluster_text = "none"
    else:
        cluster_text = (
            f"{palette.paint(cluster.cluster_role, 'red' if cluster.role != 'view' else 'yellow')}"
            f" in every namespace (ClusterRoleBinding {cluster.binding}): {cluster.exposes};"
            f" {cluster.visibility.detail}"
        )
    lines = [palette.bold(f"{user.name} <{user.email}>")]
    lines += definitions(
        [
            ("groups", ", ".join(explanation.groups) or "none"),
            ("cluster-wide", cluster_text),
        ]
    )
    lines += ["", palette.bold(f"Namespaces ({len(explanation.namespaces)})")]
    if explanation.namespaces:
        rows = [
            [
                access.namespace,
                palette.paint(access.role, _role_style(access.role)),
                access.cluster_role,
                ", ".join(source.describe() for source in access.sources),
                access.visibility.label,
            ]
            for access in explanation.namespaces
        ]
        lines += table(
            ["NAMESPACE", "ROLE", "CLUSTERROLE", "FROM", "DASHBOARD"],
            rows,
            indent=2,
            palette=palette,
        )
    lines += [f"  elsewhere: {_elsewhere(explanation)}"]
    if explanation.owned:
        lines += ["", palette.bold(f"Owned profiles ({len(explanation.owned)})")]
        rows = []
        for owned in explanation.owned:
            details = [
                [_labelled("quota", owned.quota_is_default), quota_text(owned.quota)],
                [
                    _labelled("limits", owned.limit_range_is_default),
                    "\n".join(limit_range_lines(owned.limit_range)),
                ],
                ["contributors", "\n".join(_contributors_text(owned))],
            ]
            if owned.plugins:
                details.append(["plugins", "\n".join(owned.plugins)])
            rows += [[palette.bold(owned.name), *details[0]], *(["", *d] for d in details[1:])]
        lines += table((), rows, indent=2)
    if explanation.leaving:
        lines += ["", palette.bold(f"Leaving the roster ({len(explanation.leaving)})")]
        lines += definitions(
            [(f"{d.namespace} (was {d.role})", d.describe()) for d in explanation.leaving]
        )
    if explanation.notes:
        lines.append("")
        for note in explanation.notes:
            lines += [palette.paint(line, "yellow") for line in wrap(f"note: {note}", hang=6)]
    return "\n".join(lines) + "\n"


def format_markdown(explanation: Explanation) -> str:
    """Format an explanation as Markdown, for a pull request or a ticket."""
    user = explanation.user
    cluster = explanation.cluster
    lines = [f"### {user.name} (`{user.email}`)", ""]
    lines.append(f"- **Groups:** {', '.join(explanation.groups) or 'none'}")
    if cluster is None:
        lines.append("- **Cluster-wide:** none")
    else:
        lines.append(
            f"- **Cluster-wide:** `{cluster.cluster_role}` in every namespace"
            f" (ClusterRoleBinding `{cluster.binding}`): {cluster.exposes};"
            f" {cluster.visibility.detail}"
        )
    lines += ["", f"#### Namespaces ({len(explanation.namespaces)})", ""]
    if explanation.namespaces:
        lines += markdown_table(
            ["Namespace", "Role", "ClusterRole", "From", "Binding", "Dashboard"],
            [
                [
                    f"`{a.namespace}`",
                    a.role,
                    f"`{a.cluster_role}`",
                    ", ".join(s.describe() for s in a.sources),
                    f"`{a.binding}`",
                    a.visibility.label,
                ]
                for a in explanation.namespaces
            ],
        )
        lines.append("")
    lines.append(f"Elsewhere: {_elsewhere(explanation)}.")
    if explanation.owned:
        lines += ["", f"#### Owned profiles ({len(explanation.owned)})", ""]
        lines += markdown_table(
            ["Profile", "Quota", "Limits", "Contributors", "Plugins"],
            [
                [
                    f"`{o.name}`",
                    f"{quota_text(o.quota)} ({_origin(o.quota_is_default)})",
                    "<br>".join(limit_range_lines(o.limit_range))
                    + f" ({_origin(o.limit_range_is_default)})",
                    "<br>".join(_contributors_text(o)),
                    "<br>".join(o.plugins) or "none",
                ]
                for o in explanation.owned
            ],
        )
    if explanation.leaving:
        lines += ["", f"#### Leaving the roster ({len(explanation.leaving)})", ""]
        lines += markdown_table(
            ["Namespace", "Was", "After the next apply"],
            [[f"`{d.namespace}`", d.role, d.describe()] for d in explanation.leaving],
        )
    if explanation.notes:
        lines += ["", *(f"> **Note:** {note}" for note in explanation.notes)]
    return "\n".join(lines) + "\n"


def to_json(explanation: Explanation) -> dict[str, object]:
    """Return an explanation as plain data, keys in camelCase like the roster."""
    user = explanation.user
    cluster = explanation.cluster
    return {
        "user": {"name": user.name, "email": user.email, "clusterRole": user.cluster_role},
        "matchedBy": explanation.matched_by,
        "groups": list(explanation.groups),
        "clusterWide": None
        if cluster is None
        else {
            "role": cluster.role,
            "clusterRole": cluster.cluster_role,
            "binding": cluster.binding,
            "exposes": cluster.exposes,
            "visibility": _visibility_json(cluster.visibility),
        },
        "namespaces": [
            {
                "namespace": a.namespace,
                "role": a.role,
                "clusterRole": a.cluster_role,
                "binding": a.binding,
                "effectiveRole": a.effective,
                "visibility": _visibility_json(a.visibility),
                "sources": [
                    {"kind": s.kind, "role": s.role, "group": s.group, "bound": s.bound}
                    for s in a.sources
                ],
            }
            for a in explanation.namespaces
        ],
        "ownedProfiles": [
            {
                "name": o.name,
                "resourceQuota": o.quota.model_dump(
                    mode="json", by_alias=True, exclude_defaults=True
                ),
                "resourceQuotaFrom": "defaults" if o.quota_is_default else "profile",
                "limitRange": o.limit_range.model_dump(
                    mode="json", by_alias=True, exclude_defaults=True
                ),
                "limitRangeFrom": "defaults" if o.limit_range_is_default else "profile",
                "contributors": [
                    {
                        "user": c.user,
                        "email": c.email,
                        "role": c.role,
                        "sources": list(c.sources),
                        "visibility": _visibility_json(c.visibility),
                    }
                    for c in o.contributors
                ],
                "plugins": list(o.plugins),
            }
            for o in explanation.owned
        ],
        "leaving": [
            {
                "namespace": d.namespace,
                "role": d.role,
                "accessKept": d.kept and d.role == "owner",
                "profileKept": d.kept,
                "after": d.describe(),
                "commands": list(d.commands),
            }
            for d in explanation.leaving
        ],
        "notes": list(explanation.notes),
    }


def _visibility_json(visibility: Visibility) -> dict[str, str]:
    return {"label": visibility.label, "detail": visibility.detail}


def format_json(explanation: Explanation) -> str:
    """Format an explanation as indented JSON."""
    return json.dumps(to_json(explanation), indent=2, ensure_ascii=False) + "\n"


# --- Many clusters ----------------------------------------------------------------------------


def _alike(
    found: Sequence[tuple[str, Explanation]], render: Callable[[Explanation], str]
) -> list[tuple[list[str], str]]:
    """Group clusters whose explanation reads the same, in roster order of their first one."""
    groups: dict[str, list[str]] = {}
    for name, explanation in found:
        groups.setdefault(render(explanation), []).append(name)
    return [(where, text) for text, where in groups.items()]


def _cluster_list(where: Sequence[str], quote: str = "") -> str:
    quoted = [f"{quote}{name}{quote}" for name in where]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def format_text_clusters(found: Sequence[tuple[str, Explanation]], palette: Palette = PLAIN) -> str:
    """Format the explanations of clusters; a roster without clusters reads as it always has."""
    if len(found) == 1 and not found[0][0]:
        return format_text(found[0][1], palette)
    parts: list[str] = []
    for where, text in _alike(found, lambda e: format_text(e, palette)):
        noun = "cluster" if len(where) == 1 else f"clusters ({len(where)})"
        parts.append(palette.bold(f"== In {noun} {_cluster_list(where)}") + "\n" + text)
    return "\n".join(parts)


def format_markdown_clusters(found: Sequence[tuple[str, Explanation]]) -> str:
    """Format the explanations of clusters as Markdown, clusters alike said once."""
    if len(found) == 1 and not found[0][0]:
        return format_markdown(found[0][1])
    parts: list[str] = []
    for where, text in _alike(found, format_markdown):
        noun = "cluster" if len(where) == 1 else f"clusters ({len(where)})"
        parts.append(f"## In {noun} {_cluster_list(where, '`')}\n\n{text}")
    return "\n".join(parts)


def format_json_clusters(found: Sequence[tuple[str, Explanation]]) -> str:
    """Format the explanations of clusters as JSON: `{"clusters": [{"cluster": NAME, ...}]}`."""
    if len(found) == 1 and not found[0][0]:
        return format_json(found[0][1])
    data = {"clusters": [{"cluster": name, **to_json(e)} for name, e in found]}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
