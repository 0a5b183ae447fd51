"""Judge what find() saw: each entry's kind, severity, words, roster line, and what can be adopted.

Severities follow the plan's (compiler/review/risks.py): critical when someone holds an
administrator's role in every namespace, high for any other access that no reviewed
roster granted, warning for what only delays or duplicates access (an object of out/
not applied yet, a grant the roster makes anyway), info for what is no drift at all.
A label in the cluster never lowers a severity: anyone who can make a binding can label it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from compiler.drift.find import Changed, Findings, Missing, Outside
from compiler.drift.grants import WEB, Subject, level_of
from compiler.drift.model import Adoption, Drift, Entry, FieldDrift, Located, MadeBy
from compiler.importer.live import CONTROLLER_BINDINGS, path_text, value_text
from compiler.importer.read import ClusterObject, is_managed, mapping_of
from compiler.model import names
from compiler.model.keys import Manifest, ResourceKey
from compiler.model.kube import KUBEFLOW_GROUP, WORKLOAD_IDENTITY
from compiler.model.roster import EMAIL_PATTERN, Roster
from compiler.problems import Problem
from compiler.render.protection import (
    PROTECTION,
    PRUNE_ANNOTATION,
    delete_namespace_command,
    delete_profile_command,
    is_protected,
    release_namespace_command,
)
from compiler.review.plan.model import Code, Part, listing
from compiler.review.thresholds import Severity
from compiler.roster.source import Source
from compiler.text import counted

_EMAIL: Final = re.compile(EMAIL_PATTERN).fullmatch
_CONTRIBUTOR_ROLES: Final[Mapping[str, str]] = {
    names.cluster_role("edit"): "edit",
    names.cluster_role("view"): "view",
}
_CLUSTER_ROLES: Final[Mapping[str, str]] = {
    names.cluster_role(role): role for role in ("admin", "edit", "view")
}
_EVERYONE_SIGNED_IN: Final = frozenset({"system:authenticated", "system:serviceaccounts"})
_SHOWN_FIELDS: Final = 3  # changed fields spelled out in a message; the entry holds them all
_VALUE_LIMIT: Final = 200  # characters of a field value shown
# The example Profile every kubeflow/manifests release installs (common/user-namespace/base,
# v1.7.0 to v1.11.0): owner user@example.com.
_EXAMPLE_PROFILE: Final = ("kubeflow-user-example-com", "user@example.com")
# The registration page's namespace suggestion (centraldashboard registration-page.js
# `_onUserDetails`, kubeflow/kubeflow v1.7.0 to v1.10.0): non-word characters and dots
# become '-', leading and trailing '-' and every '_' go, then lower case.
_NON_WORD: Final = re.compile(r"[^A-Za-z0-9_]|\.")
_EDGES: Final = re.compile(r"^-+|-+$|_")


@dataclass(frozen=True)
class _Roster:
    """Where each roster record sits, to locate entries at the line they concern."""

    source: Source
    roster: Roster  # as written: its indexes are the source's
    users: Mapping[str, int]  # email -> index in users
    profiles: Mapping[str, int]  # name -> index in profiles, of the profiles compared
    owners: Mapping[str, str]  # profile name -> its owner's email
    name: str  # what the report calls what it compared: "the roster", "cluster 'x' of it"

    @classmethod
    def of(cls, roster: Roster, source: Source, written: Roster, cluster: str | None) -> _Roster:
        """Index `written` (the roster as its text says) for the profiles `roster` holds.

        `roster` is what the dump is compared with: `written` itself, or one of its
        clusters' one-cluster rosters, whose profiles are some of written's.
        """
        emails = {user.name: user.email for user in written.users}
        there = {profile.name for profile in roster.profiles}
        profiles = [(i, p) for i, p in enumerate(written.profiles) if p.name in there]
        return cls(
            source,
            written,
            {user.email: index for index, user in reversed(list(enumerate(written.users)))},
            {profile.name: index for index, profile in reversed(profiles)},
            {profile.name: emails.get(profile.owner, "") for _index, profile in profiles},
            "the roster" if cluster is None else f"the roster's cluster {cluster}",
        )

    def at(self, path: tuple[str | int, ...] | None) -> tuple[int, int] | None:
        return None if path is None else self.source.locate(path)

    def user(self, email: str) -> tuple[str | int, ...] | None:
        index = self.users.get(email)
        return None if index is None else ("users", index)

    def profile(self, name: str) -> tuple[str | int, ...] | None:
        index = self.profiles.get(name)
        return None if index is None else ("profiles", index)


def judge(
    found: Findings,
    compiled: Mapping[ResourceKey, Manifest],
    roster: Roster,
    source: Source,
    *,
    inputs: Sequence[str],
    read: Mapping[str, int],
    cluster: str | None = None,
    written: Roster | None = None,
) -> Drift:
    """Turn what find() saw into the report's entries, most severe first.

    `roster` is what the dump was compared with; `written`, when that is one cluster's
    roster, the roster as its text says (entries are located in it), else `roster`.
    """
    where = _Roster.of(roster, source, written or roster, cluster)
    adoptable_profiles = {
        obj.name for obj in found.unmanaged if _adoptable_profile(obj, found.owners) is not None
    }
    entries: list[Entry] = []
    entries += _granted(found.outside, where, adoptable_profiles)
    entries += [_missing(missing, where) for missing in found.missing]
    entries += [_changed(changed, where, compiled) for changed in found.changed]
    entries += [_unmanaged(obj, found, where) for obj in found.unmanaged]
    entries += _information(found, compiled, where)
    entries.sort(key=Entry.sort_key)
    problems = list(found.problems)
    if found.unlisted and inputs:
        problems.append(
            Problem(
                inputs[0],
                1,
                1,
                "drift-kind-not-listed",
                f"the dump holds no {' and no '.join(k.split(' ', 1)[1] for k in found.unlisted)}"
                f": out/'s {', '.join(found.unlisted)} are not compared; list every kind: "
                "kubectl get profiles,namespaces,clusterrolebindings,rolebindings,limitranges,"
                "authorizationpolicies -A -o json",
                "warning",
            )
        )
    return Drift(
        source.name, tuple(inputs), tuple(entries), dict(read), tuple(sorted(problems)), cluster
    )


# ---------------------------------------------------------------------------------------------
# granted: access outside the roster
# ---------------------------------------------------------------------------------------------


def _granted(
    outside: Sequence[Outside], where: _Roster, adoptable_profiles: set[str]
) -> list[Entry]:
    """One entry per subject and namespace (or cluster-wide), with every object that grants it."""
    grouped: dict[tuple[Subject, str], list[Outside]] = defaultdict(list)
    for item in outside:
        grouped[(item.access.subject, item.access.scope)].append(item)
    entries = []
    for (subject, scope), items in sorted(grouped.items()):
        entries.append(_granted_entry(subject, scope, items, where, adoptable_profiles))
    return entries


def _granted_entry(
    subject: Subject,
    scope: str,
    items: Sequence[Outside],
    where: _Roster,
    adoptable_profiles: set[str],
) -> Entry:
    roles = sorted({item.access.role for item in items}, key=lambda r: (r == WEB, r))
    sources = _unique_sources(items)
    made_by = _made_by(subject, items)
    covered = all(item.covered for item in items)
    severity: Severity = "warning" if covered else "high"
    if not scope and not covered and any(level_of(r) == "admin" for r in roles):
        severity = "critical"
    what = _roles_phrase(roles, scope)
    message: list[Part] = [*_subject_parts(subject), " ", *what]
    message += [" outside the roster, ", _how(made_by), ": ", *_objects(sources)]
    message += _granted_notes(subject, scope, items, covered)
    adoption, why_not = None, "the roster grants as much already: nothing to adopt"
    if not covered:
        adoption, why_not = _adoption(
            subject, scope, roles, items, where, adoptable=adoptable_profiles
        )
    path = where.user(subject.name) if subject.kind == "User" else None
    if path is None and scope:
        path = where.profile(scope)
    return Entry(
        kind="granted",
        severity=severity,
        subject=f"{subject.describe()} {'in ' + scope if scope else 'cluster-wide'}",
        message=tuple(message),
        objects=tuple(_located(obj) for obj in sources),
        roster_path=path,
        roster_position=where.at(path),
        made_by=made_by,
        adoption=adoption,
        not_adopted="" if adoption is not None else why_not,
        revoke=tuple(obj.key for obj in sources),
        revoke_note=(
            "an object of out/ or of the profile controller: deleting it also removes what it "
            "rightly grants, until its maker writes it back as it should be"
            if any(item.in_out or item.source.name in CONTROLLER_BINDINGS for item in items)
            else ""
        ),
    )


def _unique_sources(items: Sequence[Outside]) -> list[ClusterObject]:
    seen: dict[tuple[ResourceKey, str, int], ClusterObject] = {}
    for item in items:
        obj = item.source
        seen.setdefault((obj.key, obj.file, obj.line), obj)
    return [seen[key] for key in sorted(seen)]


def _made_by(subject: Subject, items: Sequence[Outside]) -> MadeBy:
    """KFAM's pair (its exact name and annotations) is the dashboard's; the rest is kubectl's."""
    if all(item.left_roster for item in items):
        return "kfroster"
    for item in items:
        annotations = item.source.annotations()
        role = annotations.get("role", "")
        if (
            subject.kind == "User"
            and annotations.get("user") == subject.name
            and role in ("edit", "view")
            and item.source.name == names.kfam_name(subject.name, role)  # type: ignore[arg-type]
        ):
            return "dashboard"
    return "kubectl"


def _how(made_by: MadeBy) -> str:
    return {
        "dashboard": "through the dashboard (KFAM)",
        "registration": "through the dashboard's registration flow",
        "kubectl": "with kubectl",
        "kfroster": "by an earlier out/",
    }[made_by]


def _subject_parts(subject: Subject) -> list[Part]:
    if subject.kind == "Group" and subject.name in _EVERYONE_SIGNED_IN:
        return [f"{subject.kind} ", Code(subject.name), " (everyone who signs in)"]
    if subject.kind == "Group" and subject.name == "system:unauthenticated":
        return [f"{subject.kind} ", Code(subject.name), " (anyone, signed in or not)"]
    if subject.kind == "Header":
        return ["requests carrying ", Code(subject.name)]
    if subject.kind == "ServiceAccount":
        return [f"{subject.kind} ", Code(f"{subject.namespace}/{subject.name}")]
    return [f"{subject.kind} ", Code(subject.name)]


def _roles_phrase(roles: Sequence[str], scope: str) -> list[Part]:
    parts: list[Part] = ["can use "]
    named = [role for role in roles if role != WEB]
    for position, role in enumerate(named):
        parts += [", " if position else "", Code(role)]
    if WEB in roles:
        parts += [" and " if named else "", "the web apps"]
    if scope:
        parts += [" in namespace ", Code(scope)]
    else:
        parts += [" in every namespace (cluster-wide)"]
    return parts


def _objects(sources: Sequence[ClusterObject]) -> list[Part]:
    phrases = [(obj.kind + " ", Code(_name(obj.key))) for obj in sources]
    parts: list[Part] = []
    for position, phrase in enumerate(phrases[:4]):
        parts += [", " if position else "", *phrase]
    if len(phrases) > 4:
        parts.append(f" and {len(phrases) - 4} more")
    return parts


def _name(key: ResourceKey) -> str:
    return f"{key.namespace}/{key.name}" if key.namespace else key.name


def _granted_notes(
    subject: Subject, scope: str, items: Sequence[Outside], covered: bool
) -> list[Part]:
    notes: list[Part] = []
    if any(item.in_out for item in items):
        notes.append("; an object of out/ that holds more than out/ says (edited in the cluster)")
    if any(item.left_roster for item in items):
        notes.append(
            "; it carries kfroster's label but out/ no longer holds it: it left the roster and "
            "was not pruned yet, or it was labelled to look so"
        )
    if covered:
        notes.append("; the roster grants as much already, so this only outlives a roster change")
    if subject.kind == "ServiceAccount" and scope != subject.namespace:
        notes += ["; whoever can run pods in ", Code(subject.namespace), " acts as it"]
    return notes


def _adoption(
    subject: Subject,
    scope: str,
    roles: Sequence[str],
    items: Sequence[Outside],
    where: _Roster,
    *,
    adoptable: set[str],
) -> tuple[Adoption | None, str]:
    """Say what the roster can hold of this access (contributor, cluster-wide role), or why not."""
    if subject.kind != "User":
        return None, "a roster grants access to people (User subjects) only"
    if not _EMAIL(subject.name):
        return None, "the user is no email address, which every roster user has"
    if any(item.left_roster for item in items):
        return None, "it left the roster: kfroster never adopts it again"
    if any(item.in_out for item in items):
        return None, (
            "it was added to an object of out/ in the cluster, which the next apply writes back; "
            "add it to the roster by hand if it should stay"
        )
    if not scope:
        levels = [_CLUSTER_ROLES[role] for role in roles if role in _CLUSTER_ROLES]
        if not levels:
            return None, "a roster grants kubeflow-admin, -edit or -view cluster-wide only"
        strongest = min(levels, key=("admin", "edit", "view").index)
        return Adoption("cluster-role", subject.name, role=strongest), ""
    if scope not in where.profiles and scope not in adoptable:
        return None, f"namespace {scope} is no profile {where.name} holds or can adopt"
    if where.owners.get(scope) == subject.name:
        return None, "the profile's owner has kubeflow-admin there already"
    granted = [_CONTRIBUTOR_ROLES[role] for role in roles if role in _CONTRIBUTOR_ROLES]
    if not granted:
        if set(roles) == {WEB}:
            return None, "web access without a RoleBinding is no contributor"
        return None, "a contributor has kubeflow-edit or kubeflow-view, nothing else"
    role = "edit" if "edit" in granted else "view"
    return Adoption("contributor", subject.name, scope, role), ""


# ---------------------------------------------------------------------------------------------
# missing and changed: objects of out/
# ---------------------------------------------------------------------------------------------


def _missing(missing: Missing, where: _Roster) -> Entry:
    key, manifest = missing.key, missing.manifest
    profile = key.namespace or key.name if key.kind != "ClusterRoleBinding" else ""
    person = _person(manifest)
    message: list[Part] = [key.kind + " ", Code(_name(key)), " of out/ is not in the cluster: "]
    if key.kind == "ClusterRoleBinding":
        role = mapping_of(manifest.get("roleRef")).get("name", "?")
        message += [Code(person), " does not have ", Code(str(role)), " cluster-wide"]
    elif key.kind == "RoleBinding":
        role = mapping_of(manifest.get("roleRef")).get("name", "?")
        message += [Code(person), " does not have ", Code(str(role)), " in ", Code(profile)]
    elif key.kind == "AuthorizationPolicy":
        message += [Code(person), " cannot reach the web apps of ", Code(profile)]
    elif key.kind == "Profile":
        owner = mapping_of(mapping_of(manifest.get("spec")).get("owner")).get("name", "?")
        message += [
            "its owner ",
            Code(str(owner)),
            " has no access yet (the profile controller makes namespaceAdmin for the Profile)",
        ]
    elif key.kind == "LimitRange":
        message += ["pods in ", Code(profile), " that set no requests get no defaults"]
    else:
        message += ["the profile ", Code(profile), " has no namespace of kfroster's yet"]
    if missing.rest_applied is None:
        message.append("; not applied yet, or deleted by hand: the next apply creates it")
    elif missing.rest_applied:
        message.append(
            "; the rest of the profile is there, so it was deleted in the cluster or its apply "
            "failed: the next apply creates it again (to revoke for good, change the roster)"
        )
    else:
        message.append("; the profile is not applied yet: the next apply creates it")
    path = _roster_path(key, manifest, where)
    return Entry(
        kind="missing",
        severity="warning",
        subject=key.describe(),
        message=tuple(message),
        roster_path=path,
        roster_position=where.at(path),
        missing=key,
    )


def _person(manifest: Manifest) -> str:
    annotations = mapping_of(mapping_of(manifest.get("metadata")).get("annotations"))
    user = annotations.get("user")
    if isinstance(user, str):
        return user
    subjects = manifest.get("subjects")
    if isinstance(subjects, list) and subjects:
        return str(mapping_of(subjects[0]).get("name", "?"))
    return "?"


def _roster_path(
    key: ResourceKey, manifest: Manifest, where: _Roster
) -> tuple[str | int, ...] | None:
    """Return the roster node an object of out/ comes from: a user, a profile, a contributor."""
    if key.kind == "ClusterRoleBinding":
        path = where.user(_person(manifest))
        return None if path is None else (*path, "clusterRole")
    profile_path = where.profile(key.namespace or key.name)
    if profile_path is None or key.kind not in ("RoleBinding", "AuthorizationPolicy"):
        return profile_path
    email = _person(manifest)
    profile = where.roster.profiles[where.profiles[key.namespace]]
    names_of = {user.name: user.email for user in where.roster.users}
    for index, contributor in enumerate(profile.contributors):
        if contributor.user is not None and names_of.get(contributor.user) == email:
            return (*profile_path, "contributors", index)
    return profile_path


def _changed(changed: Changed, where: _Roster, compiled: Mapping[ResourceKey, Manifest]) -> Entry:
    obj = changed.source
    fields = tuple(
        field for path, want, have in changed.fields for field in _field_drift(path, want, have)
    )
    severity: Severity = "warning"
    grants = [path for path, _want, _have in changed.fields if _grants(obj.key, path)]
    unprotected = [
        path
        for path, _want, _have in changed.fields
        if path[:2] == ("metadata", "annotations") and len(path) > 2 and path[2] in PROTECTION
    ]
    if grants or (unprotected and is_managed(obj)):
        severity = "high"
    paths = sorted({path_text(path) for path, _want, _have in changed.fields})
    message: list[Part] = [
        obj.kind + " ",
        Code(_name(obj.key)),
        " of out/ differs in the cluster: ",
        *listing(paths, _SHOWN_FIELDS),
    ]
    if grants:
        message.append(" (who has access)")
    if unprotected and is_managed(obj):
        message.append("; without its prune protection, removing it from the roster deletes it")
    message.append("; the next apply writes out/'s values again")
    path = _roster_path(obj.key, compiled[obj.key], where)
    return Entry(
        kind="changed",
        severity=severity,
        subject=obj.describe(),
        message=tuple(message),
        objects=(_located(obj),),
        roster_path=path,
        roster_position=where.at(path),
        fields=fields,
    )


def _field_drift(path: tuple[str | int, ...], want: Any, have: Any) -> list[FieldDrift]:
    """Describe one differing field; for lists, each item only one side holds."""
    text = path_text(path)
    if isinstance(want, list) and isinstance(have, list):
        mine = [value_text(item, _VALUE_LIMIT) for item in want]
        theirs = [value_text(item, _VALUE_LIMIT) for item in have]
        drifts = [FieldDrift(text, "(none)", item) for item in theirs if item not in mine]
        drifts += [FieldDrift(text, item, "(none)") for item in mine if item not in theirs]
        if drifts:
            return drifts
    return [FieldDrift(text, value_text(want, _VALUE_LIMIT), value_text(have, _VALUE_LIMIT))]


def _grants(key: ResourceKey, path: tuple[str | int, ...]) -> bool:
    """Tell whether a field decides who has access (or a cloud identity)."""
    if key.kind in ("RoleBinding", "ClusterRoleBinding"):
        return path[:1] in (("subjects",), ("roleRef",))
    if key.kind == "AuthorizationPolicy":
        return path[:1] == ("spec",)
    if key.kind == "Profile":
        return path[:2] in (("spec", "owner"), ("spec", "plugins"))
    return False


# ---------------------------------------------------------------------------------------------
# unmanaged profiles
# ---------------------------------------------------------------------------------------------


def _adoptable_profile(obj: ClusterObject, owners: Mapping[str, Subject]) -> str | None:
    """Return the owner's email of a Profile the roster could hold, else None."""
    owner = owners.get(obj.name)
    if is_managed(obj) or owner is None or owner.kind != "User" or not _EMAIL(owner.name):
        return None
    return owner.name


def _unmanaged(obj: ClusterObject, found: Findings, where: _Roster) -> Entry:
    owner = found.owners.get(obj.name, Subject("User", "?"))
    owned = found.owned_namespaces.get(obj.name)
    revoke_note: list[Part] = []
    message: list[Part] = ["Profile ", Code(obj.name), f" is not in {where.name}: "]
    message += [*_subject_parts(owner), " has ", Code(names.cluster_role("admin")), " in it"]
    why_not = ""
    if is_managed(obj):
        kept = obj.annotations().get(PRUNE_ANNOTATION) == "disabled"
        made_by: MadeBy = "kfroster"
        severity: Severity = "warning"
        if kept:
            message.append(
                " (the profile controller's namespaceAdmin); it left the roster and is kept, "
                "prune disabled, because deleting it deletes its namespace"
            )
        else:
            message.append("; it left the roster and was not pruned yet: the next apply prunes it")
        adoption = None
        why_not = "it left the roster: kfroster never adopts it again"
    else:
        made_by, origin = _origin(obj, owner)
        severity = "high"
        message += ["; ", origin]
        email = _adoptable_profile(obj, found.owners)
        adoption = None if email is None else Adoption("profile", email, obj.name)
        if email is None:
            why_not = "its owner is no User with an email address, as a roster profile's is"
    if owned is not None:
        revoke_note = [
            "; its namespace has an ownerReference to it: deleting the Profile deletes the "
            "namespace and its data unless it is released first (",
            Code(release_namespace_command(obj.name, (owned.position, owned.uid))),
            ")",
        ]
    message += revoke_note
    return Entry(
        kind="unmanaged",
        severity=severity,
        subject=f"profile {obj.name}",
        message=tuple(message),
        objects=(_located(obj),),
        made_by=made_by,
        adoption=adoption,
        not_adopted=why_not,
        revoke=(obj.key,),
    )


def _origin(obj: ClusterObject, owner: Subject) -> tuple[MadeBy, str]:
    """Say how a Profile was most likely made; a guess, worded as one (nothing marks it)."""
    spec = mapping_of(obj.body.get("spec"))
    if (obj.name, owner.name) == _EXAMPLE_PROFILE:
        return "kubectl", "the example Profile the Kubeflow manifests install (user-namespace)"
    owner_spec = mapping_of(spec.get("owner"))
    plain_shape = (
        "apiGroup" not in owner_spec
        and not obj.labels()
        and not spec.get("resourceQuotaSpec")
        and all(mapping_of(p).get("kind") == WORKLOAD_IDENTITY for p in spec.get("plugins") or [])
    )
    if plain_shape and owner.kind == "User" and obj.name == suggested_namespace(owner.name):
        return (
            "registration",
            "shaped and named as the dashboard's registration flow makes a Profile "
            "(self-registered; the flow is reachable even where the manifests turn it off)",
        )
    if plain_shape:
        return "registration", "shaped as the dashboard's registration flow makes a Profile"
    return "kubectl", "made with kubectl or another tool"


def suggested_namespace(email: str) -> str:
    """Return the namespace the dashboard's registration page suggests for an email."""
    local = email.split("@", maxsplit=1)[0]
    return _EDGES.sub("", _NON_WORD.sub("-", local)).lower()


# ---------------------------------------------------------------------------------------------
# info: what is no drift
# ---------------------------------------------------------------------------------------------


def _information(
    found: Findings, compiled: Mapping[ResourceKey, Manifest], where: _Roster
) -> list[Entry]:
    entries: list[Entry] = []
    if found.kept_namespaces:
        kept = sorted(obj.name for obj in found.kept_namespaces)
        entries.append(
            _info(
                "namespaces kept",
                [
                    "Kept with their data after their profile left the roster: ",
                    *listing(kept),
                    "; kfroster never adopts them again; delete one with ",
                    Code(delete_namespace_command(kept[0])),
                    " once its data may go",
                ],
                found.kept_namespaces,
                kept,
            )
        )
    for name, owned in sorted(found.owned_namespaces.items()):
        profile = compiled.get(ResourceKey(KUBEFLOW_GROUP, "Profile", "", name))
        if profile is None or is_protected(profile):
            continue
        path = where.profile(name)
        entries.append(
            Entry(
                kind="info",
                severity="info",
                subject=f"namespace {name}",
                message=(
                    "Namespace ",
                    Code(name),
                    " has an ownerReference to its Profile, which the roster lets be pruned: "
                    "removing the profile from the roster deletes the namespace and all its "
                    "data. Mark the profile namespaceOwnedByProfile: true, or release it: ",
                    Code(release_namespace_command(name, (owned.position, owned.uid))),
                ),
                objects=(_located(owned.source),),
                roster_path=path,
                roster_position=where.at(path),
            )
        )
    kept_profiles = sorted(
        name
        for name in found.owned_namespaces
        if (profile := compiled.get(ResourceKey(KUBEFLOW_GROUP, "Profile", "", name))) is not None
        and is_protected(profile)
    )
    if kept_profiles:
        entries.append(
            _info(
                "namespaces owned by their Profile",
                [
                    "Namespaces with an ownerReference to their Profile: ",
                    *listing(kept_profiles),
                    "; the roster keeps those Profiles (never pruned), since deleting one "
                    "deletes its namespace and data; ",
                    Code(delete_profile_command(kept_profiles[0])),
                    " after releasing the namespace revokes its owner",
                ],
                [found.owned_namespaces[name].source for name in kept_profiles],
                kept_profiles,
            )
        )
    entries += _appended(found)
    if found.controller:
        made = sorted({obj.describe() for obj in found.controller})
        entries.append(
            _info(
                "the profile controller's objects",
                [
                    f"{counted(len(made), 'object')} the profile controller made for the Profiles "
                    "(namespaceAdmin, default-editor and default-viewer with their service "
                    "accounts, ns-owner-access-istio, kf-resource-quota): its own, no drift",
                ],
                (),
                made,
            )
        )
    if found.taken_over:
        taken = sorted(obj.describe() for obj in found.taken_over)
        entries.append(
            _info(
                "objects to take over",
                [
                    f"{counted(len(taken), 'object')} of out/ made by someone else (the dashboard, "
                    "kubectl) with out/'s content: the next apply only adds kfroster's label "
                    "and prune protection: ",
                    *listing(taken),
                ],
                found.taken_over,
                taken,
            )
        )
    if found.platform:
        subjects = sorted({access.subject.describe() for access, _obj in found.platform})
        entries.append(
            _info(
                "the platform's own identities",
                [
                    f"{counted(len(found.platform), 'grant')} to Kubernetes' own identities and to "
                    "service "
                    "accounts of system namespaces (kube-system, kubeflow, istio-system, the "
                    "GitOps engine's): ",
                    *listing(subjects, 5),
                ],
                (),
                subjects,
            )
        )
    return entries


def _appended(found: Findings) -> list[Entry]:
    by_account: dict[str, list[ClusterObject]] = defaultdict(list)
    for obj, account in found.plugins_appended:
        by_account[account].append(obj)
    entries = []
    for account, objects in sorted(by_account.items()):
        profiles = sorted(obj.name for obj in objects)
        entries.append(
            _info(
                f"WorkloadIdentity {account}",
                [
                    "The Profiles ",
                    *listing(profiles),
                    " end with a WorkloadIdentity plugin for ",
                    Code(account),
                    " that out/ does not hold: what a profile controller started with "
                    "-workload-identity appends; set settings.defaultWorkloadIdentity to it so "
                    "out/ says so (if the controller does not, someone gave these namespaces "
                    "that cloud identity)",
                ],
                objects,
                profiles,
            )
        )
    return entries


def _info(
    subject: str, message: Sequence[Part], objects: Sequence[ClusterObject], names_: Sequence[str]
) -> Entry:
    return Entry(
        kind="info",
        severity="info",
        subject=subject,
        message=tuple(message),
        objects=tuple(_located(obj) for obj in objects[:1]),
        names=tuple(names_),
    )


def _located(obj: ClusterObject) -> Located:
    return Located(obj.key, obj.file, obj.line)
