"""Judge a comparison: what a reviewer must notice before approving a roster change.

One function per risk kind, each yielding Risks; RULES lists them. Risks that share a
cause are merged into one line naming everyone concerned, so a group change that
reaches fifty people is one line, not fifty, and still names them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from compiler.model.kube import (
    DEFAULT_EDITOR,
    NAMESPACE_OWNER_ANNOTATION,
    OWNER_BINDING,
    OWNER_POLICY,
    WORKLOAD_IDENTITY,
)
from compiler.model.quantity import QuantityError, parse_quantity
from compiler.model.roles import rank, stronger
from compiler.model.roster import (
    ArgoCDDeploy,
    Deploy,
    FluxDeploy,
    LimitRange,
    Profile,
    ResourceQuota,
    Settings,
)
from compiler.render.protection import offboarding, protects_profile, release_namespace_command
from compiler.review.adoption import added_profiles
from compiler.review.compare import (
    Access,
    Comparison,
    ProfileDelta,
    UserDelta,
    View,
    limits_of,
    quota_of,
    user_facts,
)
from compiler.review.history import NO_HISTORY, RosterHistory
from compiler.review.plan.model import (
    Code,
    Message,
    Part,
    People,
    Person,
    Record,
    Risk,
    enumeration,
    listing,
    via_phrase,
)
from compiler.review.reach_risks import cloud_identity, header_trust, sidecar, unexplained
from compiler.review.thresholds import Severity
from compiler.text import counted, noun

_CLUSTER_REACH = {
    "admin": (
        "kubeflow-admin in every namespace of the cluster, kube-system included: it reads "
        "every Secret and can grant itself and others any role there"
    ),
    "edit": (
        "kubeflow-edit in every namespace of the cluster, kube-system included: it reads "
        "every Secret, execs into any pod and changes any workload"
    ),
    "view": "kubeflow-view in every namespace of the cluster: it reads most objects (no Secrets)",
}
_NAMESPACE_REACH = {
    "edit": "it reads the Secrets there, execs into pods and changes notebooks, pipelines and jobs",
    "view": "it reads the notebooks, pipelines, jobs and logs there (no Secrets)",
}


def person(comparison: Comparison, name: str, via: tuple[str, ...] = ()) -> Person:
    """Return a user as a risk names them: name and email (the head's, else the base's)."""
    user = comparison.head.users.get(name) or comparison.base.users.get(name)
    return Person(name, user.email if user else name, via)


def people(comparison: Comparison, names: Iterable[str]) -> People:
    """Return users as a risk names them."""
    return People(tuple(person(comparison, name) for name in names))


def _people(
    comparison: Comparison, entries: Sequence[tuple[str, tuple[str, ...]]]
) -> tuple[People, list[Part]]:
    """Name people; return them and, when they all share it, where their access comes from.

    When the sources differ, each person carries their own: `amara <a@x> (through group vision)`.
    """
    shared = len({via for _name, via in entries}) == 1
    named = People(tuple(person(comparison, n, () if shared else via) for n, via in entries))
    # Direct grants are the ordinary case: only a group is worth naming for everyone.
    shared_via = entries[0][1] if shared else ()
    common = via_phrase(shared_via) if shared_via and shared_via != ("direct",) else []
    return named, ([", ", *common] if common else [])


# --------------------------------------------------------------------------------------------
# privilege
# --------------------------------------------------------------------------------------------


def privilege(comparison: Comparison) -> Iterator[Risk]:
    """Privilege gained (cluster-wide roles, profile access, a new identity) and lost (info).

    Owner changes and profiles leaving the roster are judged by `owner` and `data`.
    """
    cluster: dict[tuple[str | None, str | None], list[str]] = {}
    namespace: dict[tuple[str, str | None, str | None], list[tuple[str, tuple[str, ...]]]] = {}
    removed_profiles = {n for n, d in comparison.profiles.items() if d.new is None}
    for name, delta in comparison.users.items():
        old_role = delta.old.cluster_role if delta.old else None
        new_role = delta.new.cluster_role if delta.new else None
        if old_role != new_role:
            cluster.setdefault((old_role, new_role), []).append(name)
        for profile in sorted(delta.old_access.keys() | delta.new_access.keys()):
            before = delta.old_access.get(profile)
            after = delta.new_access.get(profile)
            was = before.role if before else None
            now = after.role if after else None
            if was == now or "owner" in (was, now) or profile in removed_profiles:
                continue
            via = (after or before or Access("")).via
            namespace.setdefault((profile, was, now), []).append((name, via))
        yield from _identity(comparison, name)
    for (role_before, role_after), names in sorted(cluster.items(), key=_cluster_order):
        yield _cluster_risk(comparison, role_before, role_after, names)
    for (profile, old, new), entries in sorted(namespace.items(), key=_namespace_order):
        yield _namespace_risk(comparison, profile, old, new, entries)


def _cluster_order(item: tuple[tuple[str | None, str | None], list[str]]) -> tuple[int, str]:
    (_old, new), _people = item
    return (-rank(new), str(item[0]))


def _namespace_order(
    item: tuple[tuple[str, str | None, str | None], list[tuple[str, tuple[str, ...]]]],
) -> tuple[str, int, str]:
    (profile, old, new), _entries = item
    return (profile, -rank(new), str(old))


def _cluster_risk(
    comparison: Comparison, old: str | None, new: str | None, names: list[str]
) -> Risk:
    subject = "cluster-wide role"
    record = ("users", names[0], "clusterRole")
    who = people(comparison, names)
    if stronger(new, old):
        assert new is not None
        verb = noun(len(names), "gains", "gain")
        was: list[Part] = [" (was ", old, ")"] if old else []
        message: Message = (
            who,
            f" {verb} cluster-wide {new.upper() if new == 'admin' else new}",
            *was,
            ": ",
            _CLUSTER_REACH[new],
        )
        severity: Severity = "critical" if new == "admin" else "high"
        return Risk("privilege", severity, subject, message, tuple(names), record)
    verb = noun(len(names), "loses", "lose")
    tail: list[Part] = [f", keeping cluster-wide {new}"] if new else []
    message = (who, f" {verb} cluster-wide {old}", *tail)
    return Risk("privilege", "info", subject, message, tuple(names), record)


def _namespace_risk(
    comparison: Comparison,
    profile: str,
    old: str | None,
    new: str | None,
    entries: list[tuple[str, tuple[str, ...]]],
) -> Risk:
    names = tuple(name for name, _via in entries)
    if stronger(new, old):
        assert new is not None
        verb = noun(len(entries), "gains", "gain")
        was: list[Part] = [f" (was {old})"] if old else []
        who, via = _people(comparison, entries)
        message: Message = (
            who,
            f" {verb} {new} in profile ",
            Code(profile),
            *was,
            *via,
            ": ",
            _NAMESPACE_REACH[new],
        )
        return Risk(
            "privilege", "high", f"profile {profile}", message, names, ("profiles", profile)
        )
    verb = noun(len(entries), "loses", "lose")
    keep: list[Part] = [f", keeping {new}"] if new else []
    message = (people(comparison, names), f" {verb} {old} in profile ", Code(profile), *keep)
    return Risk("privilege", "info", f"profile {profile}", message, names, ("profiles", profile))


def _identity(comparison: Comparison, name: str) -> Iterator[Risk]:
    """A changed email moves everything a user holds to another identity."""
    delta = comparison.users[name]
    if delta.old is None or delta.new is None or delta.old.email == delta.new.email:
        return
    holdings: list[list[Part]] = []
    if delta.new.cluster_role:
        holdings.append([f"cluster-wide {delta.new.cluster_role}"])
    for profile, access in sorted(delta.new_access.items()):
        where = "owner of " if access.role == "owner" else f"{access.role} in "
        holdings.append([where, Code(profile)])
    if not holdings:
        return
    message: Message = (
        "user ",
        Code(name),
        " changes identity from ",
        Code(delta.old.email),
        " to ",
        Code(delta.new.email),
        ": everything they hold (",
        *enumeration(holdings),
        ") moves to the new identity, under new object names; make sure both are the same person",
    )
    yield Risk("privilege", "high", f"user {name}", message, (name,), ("users", name, "email"))


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------


def data(comparison: Comparison) -> Iterator[Risk]:
    """Profiles leaving the roster, and changes that let a Profile's deletion take its data.

    What a removal does is decided by the base side, the objects in the cluster: a Profile
    applied without protection is pruned (its owner's access goes, the adopted namespace
    and its data stay); a protected one is kept, and deleting it by hand deletes a
    namespace that has an ownerReference to it (protection.py).
    """
    base, head = comparison.base, comparison.head
    added = {d.new.owner: d.name for d in comparison.profiles.values() if d.old is None and d.new}
    losing: list[str] = []
    for name, delta in comparison.profiles.items():
        if delta.old is None:
            continue
        if delta.new is None:
            yield _removed_profile(comparison, delta.old, added.get(delta.old.owner))
            continue
        if delta.new.namespace_owned_by_profile and not delta.old.namespace_owned_by_profile:
            yield _flag_added(name, delta.new.owner)
        kept_before = protects_profile(delta.old, base.roster.settings)
        if kept_before and not protects_profile(delta.new, head.roster.settings):
            if delta.old.namespace_owned_by_profile and not delta.new.namespace_owned_by_profile:
                yield _flag_dropped(name)
            else:
                losing.append(name)
    if losing:
        yield _namespaces_managed(losing)
    yield from _protected_too_late(comparison)


def _removed_profile(comparison: Comparison, profile: Profile, renamed: str | None) -> Risk:
    """Say what applying the roster without a profile does, and what an administrator runs."""
    name, owner = profile.name, profile.owner
    contributors = sorted(comparison.base.grants(name))
    leaving = offboarding(profile, comparison.base.roster.settings)
    message: list[Part] = ["profile ", Code(name), *_leaves(comparison, name), ": "]
    if not leaving.protected:
        message += [
            "the access of its owner ",
            people(comparison, [owner]),
            *_and_contributors(comparison, contributors),
            " is revoked on the next apply (the Profile, its LimitRange and the contributors' "
            "bindings are pruned, and the garbage collector deletes what the profile controller "
            "made for the Profile); namespace ",
            Code(name),
            " and its data stay. To delete them: ",
            Code(leaving.commands[0]),
        ]
        severity: Severity = "high"
    else:
        release, delete_profile, delete_namespace = leaving.commands
        message += [
            *_why_kept(profile, comparison.base.roster.settings),
            ", so the Profile and its LimitRange are kept (prune is disabled on them): deleting "
            "the Profile deletes the namespace and everything in it. ",
        ]
        if contributors:
            message += [
                "The access of ",
                people(comparison, contributors),
                " is revoked on the next apply; the owner ",
            ]
        else:
            message += ["The owner "]
        message += [
            people(comparison, [owner]),
            " keeps theirs. To offboard for good and keep the data, an administrator runs ",
            Code(release),
            " (removes the ownerReference), then ",
            Code(delete_profile),
            " (revokes the owner's access); ",
            Code(delete_namespace),
            " deletes the data",
        ]
        severity = "critical"
    if renamed is not None:
        message += [
            ". If this renames it to ",
            Code(renamed),
            ": a namespace cannot be renamed, so ",
            Code(renamed),
            " starts empty and the data must be moved by hand",
        ]
    return Risk(
        "data",
        severity,
        f"profile {name}",
        tuple(message),
        (owner, *contributors),
        ("profiles", name),
    )


def _leaves(comparison: Comparison, name: str) -> list[Part]:
    """Say what a profile leaves: the roster, or only this cluster (a move between clusters)."""
    if name in comparison.head.elsewhere:
        return [" leaves this cluster (the roster keeps it in other clusters)"]
    return [" leaves the roster"]


def _and_contributors(comparison: Comparison, contributors: Sequence[str]) -> list[Part]:
    if not contributors:
        return []
    return [
        f" and {counted(len(contributors), 'contributor')} (",
        people(comparison, contributors),
        ")",
    ]


def _why_kept(profile: Profile, settings: Settings) -> list[Part]:
    if profile.namespace_owned_by_profile:
        return [
            "namespace ",
            Code(profile.name),
            " has an ownerReference to its Profile (",
            Code("namespaceOwnedByProfile"),
            ")",
        ]
    return [
        "with ",
        Code("manageNamespaces: false"),
        " the profile controller created namespace ",
        Code(profile.name),
        " with an ownerReference to its Profile",
    ]


def _flag_added(name: str, person: str) -> Risk:
    message: Message = (
        "profile ",
        Code(name),
        " gains ",
        Code("namespaceOwnedByProfile"),
        ": its Profile and LimitRange are no longer pruned, so removing the profile later "
        "keeps its owner ",
        Code(person),
        "'s access until an administrator deletes the Profile. Mark only a namespace that "
        "has an ownerReference to its Profile (",
        Code(f"kubectl get namespace {name} -o jsonpath='{{.metadata.ownerReferences}}'"),
        "; kfroster import marks them)",
    )
    record = ("profiles", name, "namespaceOwnedByProfile")
    return Risk("data", "warning", f"profile {name}", message, (person,), record)


def _flag_dropped(name: str) -> Risk:
    message: Message = (
        "profile ",
        Code(name),
        " drops ",
        Code("namespaceOwnedByProfile"),
        ": its Profile and LimitRange lose prune protection. While namespace ",
        Code(name),
        " still has an ownerReference to the Profile, removing the profile or moving it to "
        "another apply unit deletes the namespace and all its data. Drop the flag only once ",
        Code(f"kubectl get namespace {name} -o jsonpath='{{.metadata.ownerReferences}}'"),
        " prints nothing (",
        Code(release_namespace_command(name)),
        " removes it)",
    )
    return Risk("data", "critical", f"profile {name}", message, record=("profiles", name))


def _namespaces_managed(profiles: list[str]) -> Risk:
    message: Message = (
        "settings ",
        Code("manageNamespaces"),
        " turns on, and ",
        *_profiles(profiles),
        noun(len(profiles), " loses", " lose"),
        " prune protection on their Profile and LimitRange. The profile controller "
        "created their namespaces with an ownerReference to the Profile, and applying the "
        "Namespace does not remove it (server-side apply leaves the controller's fields): "
        "removing such a profile, or moving it to another apply unit, would delete its "
        "namespace and all its data. Mark each one ",
        Code("namespaceOwnedByProfile: true"),
        " until its ownerReference is removed (",
        Code(release_namespace_command(profiles[0])),
        ")",
    )
    record = ("settings", "manageNamespaces")
    return Risk("data", "critical", "settings.manageNamespaces", message, record=record)


def _protected_too_late(comparison: Comparison) -> Iterator[Risk]:
    """Profiles that gain protection in the change that moves them to another apply unit.

    Flux and Argo CD read the prune switch on the object in the cluster, which the
    old unit still sees without it: the old unit may delete the Profile, and with it a
    namespace that has an ownerReference to it.
    """
    old_units = comparison.base.roster.settings.apply_units
    new_units = comparison.head.roster.settings.apply_units
    if old_units == new_units:
        return
    # Imported here: it hashes every name, which only an applyUnits change needs.
    from compiler.model.units import directory_of  # noqa: PLC0415

    late = [
        name
        for name, delta in comparison.profiles.items()
        if delta.old is not None
        and delta.new is not None
        and delta.new.namespace_owned_by_profile
        and not protects_profile(delta.old, comparison.base.roster.settings)
        and directory_of(name, old_units) != directory_of(name, new_units)
    ]
    if late:
        message: Message = (
            *_profiles(late),
            noun(len(late), " gains ", " gain "),
            Code("namespaceOwnedByProfile"),
            " in the change that moves it to another apply unit: the old unit reads the "
            "Profile in the cluster, still unprotected, and may delete it, and the namespace "
            "and its data with it. Merge the flag first, apply it, then change ",
            Code("applyUnits"),
        )
        record = ("profiles", late[0])
        yield Risk("data", "critical", _profiles_subject(late), message, record=record)


# --------------------------------------------------------------------------------------------
# owner
# --------------------------------------------------------------------------------------------


def owner(comparison: Comparison) -> Iterator[Risk]:
    """An owner change, which upstream Kubeflow does not carry out by itself, and an owner
    who keeps access to a profile that leaves the roster while its Profile is kept."""
    base, head = comparison.base, comparison.head
    manage = head.roster.settings.manage_namespaces
    for name, delta in comparison.profiles.items():
        if delta.old is not None and delta.new is None:
            yield from _owner_stays(comparison, delta.old)
        if delta.old is None or delta.new is None:
            continue
        old_email, new_email = base.owner_email(delta.old), head.owner_email(delta.new)
        if old_email == new_email or new_email is None:
            continue
        message: list[Part] = [
            "profile ",
            Code(name),
            " changes owner from ",
            People((Person(delta.old.owner, old_email or delta.old.owner),)),
            " to ",
            People((Person(delta.new.owner, new_email),)),
            ". Upstream Kubeflow does not support this (kubeflow/dashboard#33): the profile "
            f"controller leaves the old owner on RoleBinding {OWNER_BINDING} and "
            f"AuthorizationPolicy {OWNER_POLICY}, so the dashboard keeps the old owner. "
            "After the apply, an administrator runs ",
        ]
        if not manage:
            message += [
                Code(
                    f"kubectl annotate namespace {name} "
                    f"{NAMESPACE_OWNER_ANNOTATION}={new_email} --overwrite"
                ),
                " (without it the controller refuses the namespace), then ",
            ]
        message += [
            Code(f"kubectl -n {name} delete rolebinding {OWNER_BINDING}"),
            " and ",
            Code(f"kubectl -n {name} delete authorizationpolicy {OWNER_POLICY}"),
            " so the controller recreates both for the new owner",
        ]
        people = tuple(dict.fromkeys((delta.old.owner, delta.new.owner)))
        record = ("profiles", name, "owner")
        yield Risk("owner", "high", f"profile {name}", tuple(message), people, record)


def _owner_stays(comparison: Comparison, profile: Profile) -> Iterator[Risk]:
    """Name the access the owner of a removed but kept (protected) Profile still has."""
    leaving = offboarding(profile, comparison.base.roster.settings)
    if not leaving.protected:
        return
    name, person = profile.name, profile.owner
    email = comparison.base.owner_email(profile)
    held: list[list[Part]] = [
        ["kubeflow-admin in namespace ", Code(name), f" (RoleBinding {OWNER_BINDING})"],
        [f"its web apps (AuthorizationPolicy {OWNER_POLICY})"],
    ]
    plugins = [plugin.kind for plugin in profile.plugins]
    if plugins or comparison.base.roster.settings.default_workload_identity:
        held.append([f"the cloud identity its plugins give the namespace's {DEFAULT_EDITOR}"])
    message: Message = (
        People((Person(person, email or person),)),
        " keeps ",
        *enumeration(held),
        " after profile ",
        Code(name),
        *_leaves(comparison, name),
        ": its Profile is kept, and the profile controller recreates these "
        "for the owner for as long as it exists. ",
        Code(leaving.commands[1]),
        " revokes them (first keep the data: see the data risk)",
    )
    yield Risk("owner", "high", f"profile {name}", message, (person,), ("profiles", name))


# --------------------------------------------------------------------------------------------
# quota
# --------------------------------------------------------------------------------------------

_ADMISSION = (
    "running pods keep running, but new pods (restarts and rollouts included) are refused "
    "while usage is above it"
)
_VOLUME_ADMISSION = (
    "existing volumes are kept, but new PersistentVolumeClaims (notebook workspaces and "
    "pipeline volumes among them) are refused while usage is above it"
)
# Quota keys that count storage claimed by PersistentVolumeClaims, not anything pods use.
_VOLUME_QUOTA = re.compile(
    r"^(requests\.storage|persistentvolumeclaims|count/persistentvolumeclaims"
    r"|.+\.storageclass\.storage\.k8s\.io/(requests\.storage|persistentvolumeclaims))$"
)
# Quota keys that count pods or what pods request; the rest count objects of a kind.
_POD_QUOTA = re.compile(
    r"^(pods|count/pods|(requests\.|limits\.)?(cpu|memory|ephemeral-storage)|"
    r"(requests\.)?hugepages-.+|requests\..+)$"
)


def _admission(resource: str) -> str:
    """Say what a tighter quota on one resource stops, in the words of that resource."""
    if _VOLUME_QUOTA.match(resource):
        return _VOLUME_ADMISSION
    if _POD_QUOTA.match(resource):
        return _ADMISSION
    kind = resource.removeprefix("count/")
    return f"existing {kind} are kept, but new ones are refused while their number is above it"


_LIMIT_FIELDS: dict[str, tuple[int, str]] = {
    # field: (direction that restricts, consequence); -1: lower restricts, +1: higher.
    "max": (-1, "containers asking for more are refused"),
    "min": (+1, "containers asking for less are refused"),
    "maxLimitRequestRatio": (-1, "containers with a wider limit/request ratio are refused"),
    "default": (-1, "containers that set no limit get less and may be throttled or OOM-killed"),
    "defaultRequest": (+1, "containers that set no request use up the quota sooner"),
}


def _amount(value: int | str | None) -> Any:
    if value is None:
        return None
    try:
        return parse_quantity(value)
    except QuantityError:  # validated already; compare as text if ever not a quantity
        return None


def _restricts(old: int | str | None, new: int | str | None, direction: int) -> bool:
    """Tell whether new restricts more than old: a bound added, lowered (or raised for min)."""
    if new is None:
        return False
    if old is None:
        return True
    before, after = _amount(old), _amount(new)
    if before is None or after is None:
        return False
    return bool(after < before) if direction < 0 else bool(after > before)


Finding = tuple[str, str, str | None, str | None]  # what, resource, old, new


def _quota_findings(old: ResourceQuota, new: ResourceQuota) -> Iterator[Finding]:
    for resource in sorted(old.hard.keys() | new.hard.keys()):
        before, after = old.hard.get(resource), new.hard.get(resource)
        if _restricts(before, after, -1):
            yield ("quota", resource, _str(before), _str(after))
    if (old.scopes, old.scope_selector) != (new.scopes, new.scope_selector) and not new.is_empty:
        yield ("scopes", "", _scopes(old), _scopes(new))


def _limit_findings(old: LimitRange, new: LimitRange) -> Iterator[Finding]:
    old_values = old.model_dump(by_alias=True)
    new_values = new.model_dump(by_alias=True)
    for field, (direction, _why) in _LIMIT_FIELDS.items():
        before_map, after_map = old_values[field], new_values[field]
        for resource in sorted(before_map.keys() | after_map.keys()):
            before, after = before_map.get(resource), after_map.get(resource)
            if _restricts(before, after, direction):
                yield (field, resource, _str(before), _str(after))


def _str(value: int | str | None) -> str | None:
    return None if value is None else str(value)


def _scopes(quota: ResourceQuota) -> str | None:
    parts: list[str] = list(quota.scopes)
    if quota.scope_selector is not None:
        for requirement in quota.scope_selector.match_expressions:
            values = ",".join(requirement.values)
            parts.append(f"{requirement.scope_name} {requirement.operator} {values}".strip())
    return "; ".join(parts) or None


def _unguarded(delta: ProfileDelta, comparison: Comparison) -> bool:
    """Tell whether cpu or memory defaults disappear while the quota still limits them."""
    old_limits = limits_of(comparison.base, delta.old)
    new_limits = limits_of(comparison.head, delta.new)
    quota = quota_of(comparison.head, delta.new)
    if old_limits is None or new_limits is None or quota is None:
        return False
    for resource in ("cpu", "memory"):
        limited = {resource, f"requests.{resource}", f"limits.{resource}"} & quota.hard.keys()
        had = resource in old_limits.default or resource in old_limits.default_request
        has = resource in new_limits.default or resource in new_limits.default_request
        if limited and had and not has:
            return True
    return False


def quota(comparison: Comparison) -> Iterator[Risk]:
    """Quota and LimitRange changes that restrict what may run in a profile."""
    base, head = comparison.base, comparison.head
    found: dict[Finding, list[str]] = {}
    unguarded: list[str] = []
    for name, delta in comparison.profiles.items():
        if delta.old is None or delta.new is None:
            continue
        old_quota, new_quota = quota_of(base, delta.old), quota_of(head, delta.new)
        old_limits, new_limits = limits_of(base, delta.old), limits_of(head, delta.new)
        assert old_quota and new_quota and old_limits and new_limits
        findings: list[Finding] = []
        if old_quota != new_quota:
            findings += _quota_findings(old_quota, new_quota)
        if old_limits != new_limits:
            findings += _limit_findings(old_limits, new_limits)
            if _unguarded(delta, comparison):
                unguarded.append(name)
        for finding in findings:
            found.setdefault(finding, []).append(name)
    for (what, resource, old, new), profiles in sorted(found.items(), key=lambda i: str(i[0])):
        field = "resourceQuota" if what in ("quota", "scopes") else "limitRange"
        record = _quota_record(comparison, profiles[0], field)
        yield _quota_risk(what, resource, old, new, profiles, record=record)
    if unguarded:
        message: Message = (
            *_profiles(unguarded),
            " lose the LimitRange defaults for cpu or memory while the quota still limits "
            "them: pods that set no requests or limits (Kubeflow Pipelines' driver pods among "
            "them) are refused",
        )
        record = _quota_record(comparison, unguarded[0], "limitRange")
        yield Risk("quota", "warning", _profiles_subject(unguarded), message, record=record)


def _quota_record(comparison: Comparison, profile: str, field: str) -> Record:
    """Name what sets a profile's quota or LimitRange: its own entry, or the defaults."""
    entry = comparison.profiles[profile].new
    assert entry is not None  # quota risks are about profiles on both sides
    own = entry.resource_quota if field == "resourceQuota" else entry.limit_range
    return ("profiles", profile, field) if own is not None else ("defaults", field)


def _profiles(profiles: list[str]) -> list[Part]:
    return [noun(len(profiles), "profile ", "profiles "), *listing(profiles)]


def _profiles_subject(profiles: list[str]) -> str:
    return f"profile {profiles[0]}" if len(profiles) == 1 else counted(len(profiles), "profile")


def _quota_risk(
    what: str,
    resource: str,
    old: str | None,
    new: str | None,
    profiles: list[str],
    *,
    record: Record,
) -> Risk:
    where: list[Part] = [" in ", *_profiles(profiles)]
    if what == "scopes":
        message: Message = (
            "quota scopes change",
            *where,
            " from ",
            Code(old or "none"),
            " to ",
            Code(new or "none"),
            ": different pods count against the quota, and ",
            _ADMISSION,
        )
    elif what == "quota":
        change: list[Part] = (
            [" lowered from ", Code(old), " to ", Code(new or "")]
            if old is not None
            else [" now limited to ", Code(new or ""), " (was unlimited)"]
        )
        message = ("quota ", Code(resource), *change, *where, ": ", _admission(resource))
    else:
        _direction, why = _LIMIT_FIELDS[what]
        change = (
            [" from ", Code(old), " to ", Code(new or "")]
            if old is not None
            else [" set to ", Code(new or ""), " (was none)"]
        )
        message = ("LimitRange ", Code(f"{what}.{resource}"), *change, *where, ": ", why)
    return Risk("quota", "warning", _profiles_subject(profiles), message, record=record)


# --------------------------------------------------------------------------------------------
# settings
# --------------------------------------------------------------------------------------------

_SETTINGS_WHY = {
    "userIdHeader": "the header every contributor's AuthorizationPolicy matches",
    "userIdPrefix": "the prefix every contributor's AuthorizationPolicy expects before the email",
    "ingressGatewayPrincipal": "the gateway every contributor's AuthorizationPolicy admits",
    "pipelinesUiPrincipal": "the Pipelines UI principal every AuthorizationPolicy admits",
}
_POLICY_RANK = {"deny": 0, "warn": 1, "allow": 2}


def settings(comparison: Comparison) -> Iterator[Risk]:
    """Settings that touch every profile, and policy rules that get looser."""
    policies = sum(1 for c in comparison.objects if c.key.kind == "AuthorizationPolicy")
    namespaces = sum(1 for c in comparison.objects if c.key.kind == "Namespace")
    labels: list[list[Part]] = []
    for fact in comparison.sections.get("settings", ()):
        field = str(fact.path[0])
        old, new = fact.old, fact.new
        subject = f"settings.{field}"
        change: list[Part] = [" changes from ", Code(old or ""), " to ", Code(new or "")]
        if field in _SETTINGS_WHY and policies:
            continue  # reach_risks.header_trust says who could then impersonate whom
        if field in _SETTINGS_WHY:
            message: Message = (
                "settings ",
                Code(field),
                *change,
                ": ",
                _SETTINGS_WHY[field],
                "; no contributor's AuthorizationPolicy uses it yet, every new one will: if it "
                "does not match the installation, those contributors get no access",
            )
        elif field == "namespaceLabels":
            labels.append(_label_change(str(fact.path[1]), old, new))
            continue
        elif field == "manageNamespaces":
            message = _manage_namespaces(new == "true", namespaces)
        elif field == "defaultWorkloadIdentity":
            if new is not None:
                yield _default_workload_identity(comparison, new)
            continue
        elif field == "deploy":
            continue  # judged whole, from what each side's engine really reads: _deploy
        elif field == "applyUnits":
            message = ("settings ", Code(field), *change, ": ", *_moves(comparison))
        else:
            message = ("settings ", Code(field), *change, ": this touches every profile")
        yield Risk("settings", "warning", subject, message, record=("settings", field))
    if labels:
        message = (
            "the labels of every managed namespace change",
            f" ({namespaces} Namespaces)" if namespaces else "",
            ": ",
            *enumeration(labels, limit=len(labels)),
            ". Kubeflow finds profile namespaces by these labels (Istio sidecar injection, "
            "Pipelines, Katib, KServe): a label removed switches that off for every profile",
        )
        record = ("settings", "namespaceLabels")
        yield Risk("settings", "warning", "settings.namespaceLabels", message, record=record)
    yield from _deploy(
        comparison.base.roster.settings.deploy, comparison.head.roster.settings.deploy
    )
    yield from _policy(comparison)


def _default_workload_identity(comparison: Comparison, account: str) -> Risk:
    """Every Profile without its own WorkloadIdentity gets this Google service account."""
    profiles = sum(
        1
        for profile in comparison.head.profiles.values()
        if all(plugin.kind != WORKLOAD_IDENTITY for plugin in profile.plugins)
    )
    message: Message = (
        "settings ",
        Code("defaultWorkloadIdentity"),
        " is now ",
        Code(account),
        f": the {profiles} Profiles without a WorkloadIdentity plugin of their own give "
        "their namespace's default-editor service account this Google service account, so "
        "whoever can run a pod with edit there acts as it in Google Cloud. It must be what the "
        "profile controller's -workload-identity says, or the two fight over spec.plugins",
    )
    record = ("settings", "defaultWorkloadIdentity")
    return Risk("privilege", "high", "settings.defaultWorkloadIdentity", message, record=record)


# Where the engine reads what it applies: a change points the cluster at other content.
_DEPLOY_SOURCE = frozenset(
    {
        "engine",
        "directory",
        "path",
        "flux.sourceRef.kind",
        "flux.sourceRef.name",
        "flux.sourceRef.namespace",
        # The GitRepository compile writes for the Kustomizations (kfroster init --git-url).
        "flux.gitRepository.url",
        "flux.gitRepository.branch",
        "argocd.repoURL",
        "argocd.targetRevision",
        "argocd.destination.name",
        "argocd.destination.server",
    }
)
_DEPLOY_WHY = {
    "name": (
        "the engine's objects get new names: applying deploy/ with pruning deletes the old "
        "ones, and Flux deletes what a Kustomization applied along with it (Namespaces and "
        "protected Profiles stay), so access drops until the new ones have applied"
    ),
    "namespace": (
        "the engine's objects move to another namespace: the old ones are deleted, with what "
        "they applied (Namespaces and protected Profiles stay), until the new ones apply"
    ),
    "flux.interval": "how often Flux applies out/ again, undoing changes made by hand",
    "argocd.project": "the AppProject whose rules now decide what the Applications may apply",
    "driftReader": (
        "the read-only identity of the drift workflow comes or goes: a ServiceAccount whose "
        "token Secret lets its holder get and list every Profile, Namespace, binding, "
        "LimitRange and AuthorizationPolicy of the cluster (no Secrets, no writes)"
    ),
}


def _deploy_view(setting: Deploy | None) -> dict[str, str]:
    """Return what a side's engine reads (dotted path -> value), its defaults filled in."""
    if setting is None:
        return {}
    # Imported here: only a roster that sets settings.deploy needs the engine defaults.
    from compiler.output.deploy import DEFAULT_NAMESPACE  # noqa: PLC0415

    engine_block = (
        {"flux": (setting.flux or FluxDeploy()).model_dump(by_alias=True, mode="json")}
        if setting.engine == "flux"
        else {"argocd": (setting.argocd or ArgoCDDeploy()).model_dump(by_alias=True, mode="json")}
    )
    whole = {
        **setting.model_dump(by_alias=True, mode="json", exclude={"flux", "argocd"}),
        "namespace": setting.namespace or DEFAULT_NAMESPACE[setting.engine],
        **engine_block,
    }
    pending: list[tuple[str, Any]] = [("", whole)]
    view: dict[str, str] = {}
    while pending:
        prefix, value = pending.pop()
        if isinstance(value, dict):
            pending.extend((f"{prefix}{key}.", item) for key, item in value.items())
        elif value is not None:
            view[prefix.removesuffix(".")] = str(value)
    return view


# Where settings.deploy is written; a removed block is located in the base.
_DEPLOY_RECORD = ("settings", "deploy")


def _deploy(old: Deploy | None, new: Deploy | None) -> Iterator[Risk]:
    """Where the engine reads from (HIGH privilege), and the rest of settings.deploy."""
    before, after = _deploy_view(old), _deploy_view(new)
    if before == after:
        return
    engine = {"flux": "Flux", "argocd": "Argo CD"}
    if new is None:
        message: Message = (
            "settings ",
            Code("deploy"),
            " is removed: compile no longer writes or checks ",
            Code(f"{before['directory']}/"),
            ", but ",
            engine[before["engine"]],
            " keeps applying whatever it holds; delete it in this change, or from now on "
            "nothing checks what it makes the cluster apply",
        )
        yield Risk("privilege", "high", "settings.deploy", message, record=_DEPLOY_RECORD)
        return
    reads = _reads_from(after)
    if old is None:
        message = (
            "settings ",
            Code("deploy"),
            " is set: compile now writes ",
            Code(f"{after['directory']}/"),
            ", which makes ",
            engine[after["engine"]],
            " apply ",
            *reads,
            ": whatever it reads there is applied to the cluster, so check that it is this "
            "repository and the reviewed branch",
        )
        yield Risk("privilege", "high", "settings.deploy", message, record=_DEPLOY_RECORD)
        return
    changed = sorted(
        key for key in before.keys() | after.keys() if before.get(key) != after.get(key)
    )
    # Another engine changes everything it reads at once: the engine change says it all.
    considered = ["engine"] if before["engine"] != after["engine"] else changed
    source = [key for key in considered if key in _DEPLOY_SOURCE]
    if source:
        moved_out: list[Part] = (
            [
                "; compile no longer writes or checks ",
                Code(f"{before['directory']}/"),
                ": delete it in this change, or what it holds stays applied, unchecked",
            ]
            if before["directory"] != after["directory"]
            else []
        )
        message = (
            "settings ",
            Code("deploy"),
            " changes where the engine reads what it applies: ",
            *enumeration([_deploy_change(key, before, after) for key in source], limit=len(source)),
            ". It now applies ",
            *reads,
            ": this points the cluster at content no check has read",
            *moved_out,
        )
        yield Risk("privilege", "high", "settings.deploy", message, record=_DEPLOY_RECORD)
    for key in considered:
        if key in _DEPLOY_SOURCE:
            continue
        why = _DEPLOY_WHY.get(key, "the engine's objects change")
        message = (
            "settings ",
            Code(f"deploy.{key}"),
            " changes from ",
            Code(before[key]),
            " to ",
            Code(after[key]),
            ": ",
            why,
        )
        record = (*_DEPLOY_RECORD, key.partition(".")[0])
        yield Risk("settings", "warning", f"settings.deploy.{key}", message, record=record)


def _reads_from(view: dict[str, str]) -> list[Part]:
    if view["engine"] == "flux":
        namespace = view.get("flux.sourceRef.namespace")
        source = f"{namespace}/" if namespace else ""
        reads: list[Part] = [
            "the directory ",
            Code(view["path"]),
            " of the ",
            Code(view["flux.sourceRef.kind"]),
            " ",
            Code(source + view["flux.sourceRef.name"]),
        ]
        if "flux.gitRepository.url" in view:
            reads += [
                ", which deploy/ makes clone ",
                Code(view["flux.gitRepository.url"]),
                " at ",
                Code(view["flux.gitRepository.branch"]),
            ]
        return reads
    cluster = view.get("argocd.destination.name") or view.get("argocd.destination.server", "")
    return [
        "the directory ",
        Code(view["path"]),
        " of ",
        Code(view.get("argocd.repoURL", "")),
        " at ",
        Code(view["argocd.targetRevision"]),
        " to the cluster ",
        Code(cluster),
    ]


def _deploy_change(key: str, before: dict[str, str], after: dict[str, str]) -> list[Part]:
    old, new = before.get(key), after.get(key)
    if old is None:
        return [Code(key), " set to ", Code(new or "")]
    if new is None:
        return [Code(key), " removed (was ", Code(old), ")"]
    return [Code(key), " from ", Code(old), " to ", Code(new)]


def _label_change(key: str, old: str | None, new: str | None) -> list[Part]:
    if new is None:
        return [Code(key), " removed (was ", Code(old or ""), ")"]
    if old is None:
        return [Code(key), " added as ", Code(new)]
    return [Code(key), " from ", Code(old), " to ", Code(new)]


def _moves(comparison: Comparison) -> list[Part]:
    """Name the profiles and count the ClusterRoleBindings whose apply unit changes."""
    # Imported here: it hashes every name, which only an applyUnits change needs.
    from compiler.model.units import directory_of  # noqa: PLC0415

    base, head = comparison.base, comparison.head
    old, new = base.roster.settings.apply_units, head.roster.settings.apply_units
    staying = sorted(base.profiles.keys() & head.profiles.keys())
    moving = [name for name in staying if directory_of(name, old) != directory_of(name, new)]
    bindings = sum(
        1
        for name, user in head.users.items()
        if user.cluster_role is not None
        and name in base.users
        and directory_of(name, old) != directory_of(name, new)
    )
    kept = [name for name in moving if protects_profile(head.profiles[name], head.roster.settings)]
    parts: list[Part] = [
        f"{len(moving)} of {len(staying)} profiles",
        *([" (", *listing(moving), ")"] if moving else []),
        f" and {counted(bindings, 'ClusterRoleBinding')} move to another "
        "apply unit (Flux Kustomization or Argo CD Application). Unless the new unit applies "
        "them before the old one prunes, a moved Profile and its bindings are deleted and "
        "created again: its owner and contributors lose access for the moment between. "
        "Namespaces, and the data in them, stay: they are never pruned",
    ]
    if kept:
        parts += [
            "; the Profiles of ",
            *listing(kept),
            " are kept too (prune is disabled on them)",
        ]
    return parts


def _manage_namespaces(managed: bool, namespaces: int) -> Message:
    if managed:
        return (
            "settings ",
            Code("manageNamespaces"),
            f" turns on: kfroster now writes every profile's Namespace ({namespaces}); the "
            "apply overwrites the labels and the owner annotation of namespaces that exist",
        )
    return (
        "settings ",
        Code("manageNamespaces"),
        f" turns off: {namespaces} Namespaces leave out/; they are kept (prune is disabled "
        "on them) but no longer managed, and the profile controller creates new ones, with "
        "an ownerReference to their Profile, so Profiles are no longer pruned. Under Flux, "
        "a new profile with a LimitRange or contributors blocks its unit until its namespace "
        "exists (see docs/deploy.md, how Flux applies out/ in stages)",
    )


def _policy(comparison: Comparison) -> Iterator[Risk]:
    old, new = comparison.base.roster.policy, comparison.head.roster.policy
    if old.email_domains and (
        not new.email_domains or set(new.email_domains) - set(old.email_domains)
    ):
        allowed = listing(sorted(new.email_domains)) if new.email_domains else ["any domain"]
        message: Message = (
            "policy ",
            Code("emailDomains"),
            " loosens: emails may now be in ",
            *allowed,
        )
        yield Risk(
            "settings", "warning", "policy.emailDomains", message, record=("policy", "emailDomains")
        )
    if _POLICY_RANK[new.cluster_wide_roles] > _POLICY_RANK[old.cluster_wide_roles]:
        message = (
            "policy ",
            Code("clusterWideRoles"),
            " loosens from ",
            Code(old.cluster_wide_roles),
            " to ",
            Code(new.cluster_wide_roles),
            ": cluster-wide edit and view roles, which reach every namespace, meet less resistance",
        )
        yield Risk(
            "settings",
            "warning",
            "policy.clusterWideRoles",
            message,
            record=("policy", "clusterWideRoles"),
        )
    # Looser: a maximum removed (no limit at all) or raised.
    raised = [
        resource
        for resource, limit in sorted(old.max_quota.items())
        if resource not in new.max_quota or _restricts(new.max_quota[resource], limit, -1)
    ]
    if raised:
        message = (
            "policy ",
            Code("maxQuota"),
            " loosens for ",
            *listing(raised),
            ": profiles may now ask for more, or without limit",
        )
        yield Risk("settings", "warning", "policy.maxQuota", message, record=("policy", "maxQuota"))
    allowed = sorted(set(new.allow_namespaces) - set(old.allow_namespaces))
    if allowed:
        message = (
            "policy ",
            Code("allowNamespaces"),
            " now allows ",
            *listing(allowed),
            ": a profile may take these namespaces that cluster software runs in, with "
            "everything in them",
        )
        yield Risk(
            "settings",
            "warning",
            "policy.allowNamespaces",
            message,
            record=("policy", "allowNamespaces"),
        )
    freed = sorted(set(old.reserved_namespaces) - set(new.reserved_namespaces))
    if freed:
        message = (
            "policy ",
            Code("reservedNamespaces"),
            " no longer reserves ",
            *listing(freed),
            ": a profile may now take these namespaces",
        )
        yield Risk(
            "settings",
            "warning",
            "policy.reservedNamespaces",
            message,
            record=("policy", "reservedNamespaces"),
        )


Rule = Callable[[Comparison], Iterator[Risk]]
RULES: tuple[Rule, ...] = (
    privilege,
    data,
    owner,
    quota,
    settings,
    cloud_identity,
    header_trust,
    sidecar,
)


def judge(comparison: Comparison, history: RosterHistory = NO_HISTORY) -> list[Risk]:
    """Run every risk rule; return the risks as found, unordered.

    `history` says which added profiles were in the roster before.
    """
    found = [risk for rule in RULES for risk in rule(comparison)]
    found += added_profiles(comparison, history)
    found += unexplained(comparison, found)  # last: it reports what no risk above names
    return found


def assess(comparison: Comparison, history: RosterHistory = NO_HISTORY) -> tuple[Risk, ...]:
    """Run every risk rule; return the risks sorted by severity, kind and subject."""
    ordered = rarest_first(signatures(comparison), judge(comparison, history))
    return tuple(sorted(ordered, key=Risk.sort_key))


def _signature(delta: UserDelta, head: View) -> Hashable:
    """Describe exactly what changes for a user, emails left out (they are everyone's own)."""
    status = "added" if delta.old is None else "removed" if delta.new is None else "changed"
    facts = [
        (fact.path, fact.old is None, fact.new is None)
        if fact.path[0] == "email"
        else (fact.path, fact.old, fact.new, fact.via)
        for fact in user_facts(delta, head)
    ]
    return (status, tuple(facts))


def signatures(comparison: Comparison) -> dict[str, Hashable]:
    """Describe what changes for each user the comparison touches."""
    return {name: _signature(delta, comparison.head) for name, delta in comparison.users.items()}


def rarest_first(signatures: Mapping[str, Hashable], risks: Iterable[Risk]) -> list[Risk]:
    """Name first, in every risk, the people whose exact change the fewest others share.

    One person made an administrator beside 1,500 who join a group is named first, so a
    list cut to fit a comment never hides them.
    """
    shared = Counter(signatures.values())

    def rank(name: str) -> tuple[int, str]:
        signature = signatures.get(name)
        return (0 if signature is None else shared[signature], name)

    ordered: list[Risk] = []
    for risk in risks:
        message = tuple(
            People(tuple(sorted(part.people, key=lambda p: rank(p.name))))
            if isinstance(part, People)
            else part
            for part in risk.message
        )
        users = tuple(sorted(risk.users, key=rank))
        ordered.append(replace(risk, message=message, users=users))
    return ordered
