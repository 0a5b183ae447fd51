"""Compare a cluster's objects with the compiled roster: what each side holds that the other lacks.

Pure: the objects read from the dump (every copy, duplicates included) and the compiled
manifests in, facts out; kinds, severities and words are judge.py's. Access is read from
both sides the same way (grants.py), fields are compared as import's switch-over compares
them (importer/live.py), and what the profile controller makes for a Profile is told
apart by exactly what it makes: the name, the role and the subject.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from compiler.drift.grants import WEB, Access, Subject, accesses, at_least, kubeflow_level
from compiler.importer.live import (
    MISSING,
    ROUTINE,
    SERVICE_ACCOUNT_ROLES,
    differences,
    essence,
    owner_reference,
)
from compiler.importer.read import ClusterObject, is_managed, mapping_of
from compiler.model import names, namespaces
from compiler.model.keys import Manifest, ResourceKey
from compiler.model.kube import (
    CONTROLLER_QUOTA,
    KUBEFLOW_GROUP,
    OWNER_BINDING,
    OWNER_POLICY,
    WORKLOAD_IDENTITY,
)
from compiler.model.roster import Roster
from compiler.problems import NodePath, Problem

# Groups that hold every user, every service account, or nobody who signed in: never the
# platform's own, whatever their `system:` prefix says.
EVERYONE: Final = frozenset(
    {"system:authenticated", "system:unauthenticated", "system:serviceaccounts", "system:anonymous"}
)
_SERVICE_ACCOUNTS_OF: Final = "system:serviceaccounts:"


@dataclass(frozen=True)
class Outside:
    """Access an object in the cluster grants that out/ does not grant through it."""

    access: Access
    source: ClusterObject
    in_out: bool  # the object is one of out/'s, holding more than out/ says
    covered: bool  # the roster grants as much through its own objects
    left_roster: bool  # carries kfroster's label, but out/ no longer holds it


@dataclass(frozen=True)
class Changed:
    """An object of out/ whose fields the cluster holds differently."""

    source: ClusterObject
    fields: tuple[tuple[NodePath, Any, Any], ...]  # (path, out/'s value, the cluster's)


@dataclass(frozen=True)
class Missing:
    """An object of out/ the cluster lacks, and whether the rest of its profile is there."""

    key: ResourceKey
    manifest: Manifest
    rest_applied: bool | None  # None: a ClusterRoleBinding, which stands alone


@dataclass(frozen=True)
class OwnedNamespace:
    """A namespace with an ownerReference to its Profile: deleting the Profile deletes it."""

    source: ClusterObject
    position: int
    uid: str


@dataclass
class Findings:
    """Everything find() saw, before it is judged."""

    outside: list[Outside] = field(default_factory=list)
    missing: list[Missing] = field(default_factory=list)
    changed: list[Changed] = field(default_factory=list)
    taken_over: list[ClusterObject] = field(default_factory=list)  # not kfroster's yet, same access
    unmanaged: list[ClusterObject] = field(default_factory=list)  # Profiles out/ does not hold
    kept_namespaces: list[ClusterObject] = field(default_factory=list)
    owned_namespaces: dict[str, OwnedNamespace] = field(default_factory=dict)  # by name
    plugins_appended: list[tuple[ClusterObject, str]] = field(default_factory=list)
    controller: list[ClusterObject] = field(default_factory=list)
    platform: list[tuple[Access, ClusterObject]] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)  # kinds of out/ the dump holds none of
    problems: list[Problem] = field(default_factory=list)
    owners: dict[str, Subject] = field(default_factory=dict)  # the cluster's Profiles' owners

    def in_order(self) -> None:
        """Sort what was found by the key of its object, whatever the order of the dump.

        Sorting these short lists, stable for the copies of one object, costs less than
        sorting the dump's 100,000 keys, and the report is the same for any order read.
        (The controller's objects and the platform's grants are only counted and named.)
        """
        self.outside.sort(key=lambda item: item.source.key)
        self.changed.sort(key=lambda item: item.source.key)
        self.plugins_appended.sort(key=lambda item: item[0].key)
        for objects in (self.taken_over, self.unmanaged, self.kept_namespaces):
            objects.sort(key=_key_of)
        self.owned_namespaces = dict(sorted(self.owned_namespaces.items()))


def find(
    objects: Sequence[ClusterObject], compiled: Mapping[ResourceKey, Manifest], roster: Roster
) -> Findings:
    """Compare every object read (each copy of a duplicate too) with the compiled roster."""
    found = Findings()
    copies = _copies(objects, found)
    _Finder(found, copies, compiled, roster).run()
    found.in_order()
    return found


def _copies(
    objects: Sequence[ClusterObject], found: Findings
) -> dict[ResourceKey, list[ClusterObject]]:
    """Group the objects by key, in the order read; report copies that differ (each is compared)."""
    copies: dict[ResourceKey, list[ClusterObject]] = {}
    for obj in objects:
        key = obj.key
        versions = copies.get(key)
        if versions is None:
            copies[key] = [obj]
            continue
        if any(essence(seen.body) == essence(obj.body) for seen in versions):
            continue  # the same object read twice: once is enough
        first = versions[0]
        found.problems.append(
            obj.finding(
                "drift-duplicate-object",
                f"also read at {first.file}:{first.line} with different content; "
                "each copy is compared with the roster",
            )
        )
        versions.append(obj)
    return copies


@dataclass(frozen=True)
class _RosterAccess:
    """What the roster grants: through out/, and to each owner through the controller."""

    by_subject: Mapping[Subject, frozenset[tuple[str, str]]]  # subject -> {(role, scope)}
    by_object: Mapping[ResourceKey, frozenset[Access]]  # what each object of out/ grants

    @classmethod
    def of(
        cls, compiled: Mapping[ResourceKey, Manifest], roster: Roster, profiles: frozenset[str]
    ) -> _RosterAccess:
        by_subject: dict[Subject, set[tuple[str, str]]] = defaultdict(set)
        by_object: dict[ResourceKey, frozenset[Access]] = {}
        for key, manifest in compiled.items():
            granted = frozenset(accesses(key, manifest, profiles, roster.settings))
            by_object[key] = granted
            for access in granted:
                by_subject[access.subject].add((access.role, access.scope))
        emails = {user.name: user.email for user in roster.users}
        for profile in roster.profiles:
            owner = Subject("User", emails.get(profile.owner, "?"))
            by_subject[owner].update(
                {(names.cluster_role("admin"), profile.name), (WEB, profile.name)}
            )
        return cls({subject: frozenset(held) for subject, held in by_subject.items()}, by_object)

    def covers(self, access: Access) -> bool:
        """Tell whether the roster grants this subject as much already, here or cluster-wide."""
        held = self.by_subject.get(access.subject, frozenset())
        if (access.role, access.scope) in held or (access.role, "") in held:
            return True
        wanted = kubeflow_level(access.role)
        if wanted is None:
            return False
        for role, scope in held:
            level = kubeflow_level(role)
            if scope in (access.scope, "") and level is not None and at_least(level, wanted):
                return True
        return False


class _Finder:
    """One comparison: the dump's objects by key against the compiled roster."""

    def __init__(
        self,
        found: Findings,
        copies: Mapping[ResourceKey, list[ClusterObject]],
        compiled: Mapping[ResourceKey, Manifest],
        roster: Roster,
    ) -> None:
        self.found = found
        self.copies = copies
        self.compiled = compiled
        self.settings = roster.settings
        cluster_profiles = [
            key for key in copies if key.kind == "Profile" and key.group == KUBEFLOW_GROUP
        ]
        self.profiles = frozenset(
            {key.name for key in compiled if key.kind == "Profile" and key.group == KUBEFLOW_GROUP}
            | {key.name for key in cluster_profiles}
        )
        for key in cluster_profiles:
            owner = mapping_of(mapping_of(copies[key][0].body.get("spec")).get("owner"))
            kind, name = owner.get("kind", "User"), owner.get("name")
            found.owners[key.name] = Subject(str(kind), name if isinstance(name, str) else "?")
        self.granted = _RosterAccess.of(compiled, roster, self.profiles)

    def run(self) -> None:
        """Compare each object read, then look for what out/ holds and the dump lacks."""
        nothing: frozenset[Access] = frozenset()
        for key, versions in self.copies.items():
            manifest = self.compiled.get(key)
            wanted = self.granted.by_object.get(key, nothing)
            for obj in versions:
                self.read_access(key, obj, wanted, in_out=manifest is not None)
                if manifest is not None:
                    self.compare(obj, manifest)
            self.read_profile_or_namespace(key, versions)
        self.find_missing()

    def read_access(
        self, key: ResourceKey, obj: ClusterObject, wanted: frozenset[Access], *, in_out: bool
    ) -> None:
        """File each access the object grants: out/'s, the controller's, the platform's, outside."""
        found = self.found
        controller = _controller_object(key)
        for access in accesses(key, obj.body, self.profiles, self.settings):
            if access in wanted:
                continue
            if self.made_by_controller(key, access):
                controller = True
                continue
            if platform_subject(access.subject):
                found.platform.append((access, obj))
                continue
            left = is_managed(obj) and not in_out
            found.outside.append(Outside(access, obj, in_out, self.granted.covers(access), left))
        if controller and key.namespace in self.profiles:
            found.controller.append(obj)

    def made_by_controller(self, key: ResourceKey, access: Access) -> bool:
        """Tell whether the profile controller made exactly this grant for the namespace's Profile.

        The owner's kubeflow-admin (`namespaceAdmin`) and web access (`ns-owner-access-istio`),
        and the namespace's own service accounts' roles (profile_controller.go v1.10.0
        L200-251, L592-668): the same name with another subject or role is no longer its.
        """
        owner = self.found.owners.get(key.namespace)
        if owner is None or access.scope != key.namespace:
            return False
        if key.kind == "RoleBinding" and key.name == OWNER_BINDING:
            return access.subject == owner and access.role == names.cluster_role("admin")
        if key.kind == "RoleBinding" and key.name in SERVICE_ACCOUNT_ROLES:
            account = Subject("ServiceAccount", key.name, key.namespace)
            return access.subject == account and access.role == SERVICE_ACCOUNT_ROLES[key.name]
        if key.kind == "AuthorizationPolicy" and key.name == OWNER_POLICY:
            return access.subject == owner and access.role == WEB
        return False

    def compare(self, obj: ClusterObject, manifest: Manifest) -> None:
        """Compare an object of out/ field by field, as import's switch-over does."""
        body = {k: v for k, v in manifest.items() if k != "apiVersion"}
        fields = []
        routine = False
        appended = _appended_workload_identity(manifest, obj.body)
        for path, want, have in differences(body, obj.body):
            if have is MISSING and path in ROUTINE and not is_managed(obj):
                routine = True  # someone else made it; the next apply takes it over
            elif appended is not None and path == ("spec", "plugins"):
                continue
            else:
                fields.append((path, want, have))
        if appended is not None:
            self.found.plugins_appended.append((obj, appended))
        if fields:
            self.found.changed.append(Changed(obj, tuple(fields)))
        elif routine:
            self.found.taken_over.append(obj)

    def read_profile_or_namespace(self, key: ResourceKey, versions: list[ClusterObject]) -> None:
        """Note Profiles out/ does not hold, namespaces kept or owned by their Profile."""
        found = self.found
        obj = versions[0]
        if _is_profile(key) and key not in self.compiled:
            found.unmanaged.append(obj)
        if key.group != "" or key.kind != "Namespace":
            return
        reference = owner_reference(obj.body)
        if reference is not None and key.name in self.profiles:
            position, uid, _name = reference
            found.owned_namespaces[key.name] = OwnedNamespace(obj, position, uid)
        profile = ResourceKey(KUBEFLOW_GROUP, "Profile", "", key.name)
        if is_managed(obj) and key not in self.compiled and profile not in self.copies:
            found.kept_namespaces.append(obj)

    def find_missing(self) -> None:
        """List the objects of out/ the dump lacks, for the kinds the dump holds at all."""
        listed = {(key.group, key.kind) for key in self.copies}
        unlisted: dict[str, int] = defaultdict(int)
        present_in: set[str] = set()
        for key in self.compiled:
            if key in self.copies:
                present_in.add((key.namespace or key.name) if _of_profile(key) else "")
        for key, manifest in self.compiled.items():
            if key in self.copies:
                continue
            if (key.group, key.kind) not in listed:
                unlisted[key.kind] += 1
                continue
            rest = (key.namespace or key.name) in present_in if _of_profile(key) else None
            self.found.missing.append(Missing(key, manifest, rest))
        self.found.unlisted = [f"{count} {kind}" for kind, count in sorted(unlisted.items())]


def _key_of(obj: ClusterObject) -> ResourceKey:
    return obj.key


def _is_profile(key: ResourceKey) -> bool:
    return key.group == KUBEFLOW_GROUP and key.kind == "Profile"


def _of_profile(key: ResourceKey) -> bool:
    """Tell whether an object of out/ belongs to a profile (everything but ClusterRoleBindings)."""
    return key.kind != "ClusterRoleBinding"


_CONTROLLER_OBJECTS: Final = frozenset(
    {("ServiceAccount", account) for account in SERVICE_ACCOUNT_ROLES}
    | {("ResourceQuota", CONTROLLER_QUOTA)}
)


def _controller_object(key: ResourceKey) -> bool:
    """Tell whether an object bears the name of one the profile controller makes."""
    return (key.kind, key.name) in _CONTROLLER_OBJECTS


def platform_subject(subject: Subject) -> bool:
    """Tell whether a subject is Kubernetes' own or a service account of a system namespace.

    `system:` users and groups are identities only the API server and its certificates
    issue (system:masters, system:kube-scheduler, ...); the groups of everyone are not.
    """
    if subject.kind in ("User", "Group") and subject.name.startswith("system:"):
        if subject.name in EVERYONE:
            return False
        if subject.name.startswith(_SERVICE_ACCOUNTS_OF):
            return system_namespace(subject.name.removeprefix(_SERVICE_ACCOUNTS_OF))
        return True
    return subject.kind == "ServiceAccount" and system_namespace(subject.namespace)


def system_namespace(name: str) -> bool:
    """Tell whether a namespace belongs to Kubernetes, Kubeflow, Istio or the GitOps engine."""
    return namespaces.reservation(name) == "system"


def _appended_workload_identity(manifest: Manifest, body: Manifest) -> str | None:
    """Return the account of the WorkloadIdentity the controller appended to a Profile, if any.

    A profile controller started with `-workload-identity` appends that plugin to a Profile
    that has none (PatchDefaultPluginSpec, profile_controller.go v1.10.0 L710-730).
    """
    if manifest.get("kind") != "Profile":
        return None
    want = mapping_of(manifest.get("spec")).get("plugins", [])
    have = mapping_of(body.get("spec")).get("plugins")
    if not isinstance(have, list) or have[:-1] != want or not have:
        return None
    last = mapping_of(have[-1])
    if last.get("kind") != WORKLOAD_IDENTITY:
        return None
    if any(mapping_of(plugin).get("kind") == WORKLOAD_IDENTITY for plugin in want):
        return None
    account = mapping_of(last.get("spec")).get("gcpServiceAccount")
    return account if isinstance(account, str) else "?"


def kinds_read(objects: Iterable[ClusterObject]) -> dict[str, int]:
    """Count the objects read by kind, sorted by kind."""
    counts: dict[str, int] = defaultdict(int)
    for obj in objects:
        counts[obj.kind] += 1
    return dict(sorted(counts.items()))
