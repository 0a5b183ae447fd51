"""Cross-record rules: what each record alone cannot tell (uniqueness, references, policy).

A rule is a function named after its kebab-case id. Its docstring shows a roster that
breaks it, and it yields Findings; `RULES` lists every rule explicitly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from pydantic import BaseModel

from compiler.model import names, units
from compiler.model.quantity import QuantityError, may_be_fractional, parse_quantity
from compiler.model.resolve import (
    RosterIndex,
    effective_limit_range,
    effective_quota,
    email_key,
    grants,
)
from compiler.model.roster import MAX_APPLY_UNITS, LimitRange, ResourceQuota
from compiler.problems import Level, Problem, clipped, path_text, quoted
from compiler.roster.model_check import Parsed, Path
from compiler.roster.source import Source

RESERVED_NAMESPACES = frozenset(
    {
        "argocd",
        "auth",
        "cert-manager",
        "default",
        "flux-system",
        "istio-system",
        "knative-eventing",
        "knative-serving",
        "kubeflow",
        "kubeflow-system",
        "notebook-controller-system",
        "oauth2-proxy",
        "tensorboard-controller-system",
    }
)
RESERVED_PREFIX = "kube-"

# The order a LimitRange's values must keep for each resource.
_LIMIT_ORDER = ("min", "defaultRequest", "default", "max")
# Quota keys that stand for the same thing as a plain resource name.
_QUOTA_ALIASES = {
    "requests.cpu": "cpu",
    "requests.memory": "memory",
    "requests.ephemeral-storage": "ephemeral-storage",
}


# Quota resource names the API server accepts without a '/' (extended resources,
# `count/…` and storage-class quotas all have one).
_STANDARD_QUOTA_RESOURCES = frozenset(
    {
        "configmaps",
        "cpu",
        "ephemeral-storage",
        "limits.cpu",
        "limits.ephemeral-storage",
        "limits.memory",
        "memory",
        "persistentvolumeclaims",
        "pods",
        "replicationcontrollers",
        "requests.cpu",
        "requests.ephemeral-storage",
        "requests.memory",
        "requests.storage",
        "resourcequotas",
        "secrets",
        "services",
        "services.loadbalancers",
        "services.nodeports",
    }
)
_CONTAINER_RESOURCES = frozenset({"cpu", "memory", "ephemeral-storage"})
# Label prefixes the Kubernetes project keeps for itself, and kfroster's own labels.
_KUBERNETES_LABEL_PREFIXES = frozenset({"kubernetes.io", "k8s.io"})
_KFROSTER_LABELS = frozenset({"app.kubernetes.io/managed-by"})  # see render/common.py
# Kubernetes caps any larger quantity to this silently.
_MAX_QUANTITY = Decimal(2**63 - 1)


def _is_quota_resource(name: str) -> bool:
    return (
        name in _STANDARD_QUOTA_RESOURCES
        or "/" in name
        or name.startswith(("hugepages-", "requests.hugepages-"))
    )


def _is_container_resource(name: str) -> bool:
    return name in _CONTAINER_RESOURCES or "/" in name or name.startswith("hugepages-")


def _is_compute_resource(name: str) -> bool:
    return name in {"pods", "cpu", "memory", "ephemeral-storage"} or name.startswith(
        ("requests.", "limits.", "hugepages-")
    )


def _is_pods(name: str) -> bool:
    return name == "pods"


# What each quota scope can limit, and how to say so.
_SCOPE_RESOURCES: dict[str, tuple[Callable[[str], bool], str]] = {
    "BestEffort": (_is_pods, "pods only"),
    "CrossNamespacePodAffinity": (_is_pods, "pods only"),
    "NotBestEffort": (_is_compute_resource, "pods and compute"),
    "NotTerminating": (_is_compute_resource, "pods and compute"),
    "PriorityClass": (_is_compute_resource, "pods and compute"),
    "Terminating": (_is_compute_resource, "pods and compute"),
}


@dataclass(frozen=True)
class Finding:
    """What a rule found, at a path in the roster; the rule's id is added by `check`."""

    path: Path
    message: str
    level: Level = "error"
    key: bool = False


@dataclass(frozen=True)
class Facts:
    """What every rule reads: the sound roster, where its records came from, lookups."""

    parsed: Parsed
    index: RosterIndex


Rule = Callable[[Facts], Iterator[Finding]]


def duplicate_user_name(facts: Facts) -> Iterator[Finding]:
    """Two users share a name.

    users:
      - {name: alice, email: alice@example.com}
      - {name: alice, email: alice.smith@example.com}
    """
    yield from _duplicates(facts, facts.parsed.roster.users, lambda u: u.name, "user name", "name")


def duplicate_email(facts: Facts) -> Iterator[Finding]:
    """Two users share an email, compared case-insensitively.

    users:
      - {name: alice, email: alice@example.com}
      - {name: al, email: Alice@Example.com}
    """
    first: dict[str, tuple[Path, str]] = {}
    for user in facts.parsed.roster.users:
        path = facts.parsed.path_of(user, "email")
        seen = first.setdefault(email_key(user.email), (path, user.email))
        if seen[0] != path:
            written = "" if seen[1] == user.email else f" as {seen[1]!r}"
            yield Finding(
                path,
                f"email {user.email!r} is already used at {path_text(seen[0])}{written}; an "
                "email names one person whatever its case (the Kubeflow dashboard lower-cases "
                "it), so each must be unique: remove one of the users",
            )


def duplicate_group(facts: Facts) -> Iterator[Finding]:
    """Two groups share a name.

    groups:
      - {name: vision, members: [alice]}
      - {name: vision, members: [bob]}
    """
    yield from _duplicates(facts, facts.parsed.roster.groups, lambda g: g.name, "group", "name")


def duplicate_profile(facts: Facts) -> Iterator[Finding]:
    """Two profiles share a name, so they would be one namespace.

    profiles:
      - {name: vision, owner: alice}
      - {name: vision, owner: bob}
    """
    yield from _duplicates(facts, facts.parsed.roster.profiles, lambda p: p.name, "profile", "name")


def unknown_user(facts: Facts) -> Iterator[Finding]:
    """A profile owner, contributor or group member is not among the users.

    profiles:
      - {name: vision, owner: carol}
    """
    parsed, users = facts.parsed, facts.index.users

    def missing(name: str) -> bool:
        return name not in users and not parsed.may_exist("users", name)

    for profile in parsed.roster.profiles:
        if missing(profile.owner):
            yield Finding(
                parsed.path_of(profile, "owner"),
                f"profile {profile.name!r} is owned by {profile.owner!r}, who is not in users; "
                "add the user or fix the name",
            )
        for number, contributor in enumerate(profile.contributors):
            if contributor.user is not None and missing(contributor.user):
                yield Finding(
                    parsed.path_of(profile, "contributors", number, "user"),
                    f"contributor {contributor.user!r} of profile {profile.name!r} is not in "
                    "users; add the user or fix the name",
                )
    for group in parsed.roster.groups:
        for number, member in enumerate(group.members):
            if missing(member):
                yield Finding(
                    parsed.path_of(group, "members", number),
                    f"member {member!r} of group {group.name!r} is not in users; add the user "
                    "or fix the name",
                )


def unknown_group(facts: Facts) -> Iterator[Finding]:
    """A contributor names a group that does not exist.

    profiles:
      - name: vision
        owner: alice
        contributors: [{group: robotics, role: view}]
    """
    parsed = facts.parsed
    for profile in parsed.roster.profiles:
        for number, contributor in enumerate(profile.contributors):
            group = contributor.group
            if (
                group is not None
                and group not in facts.index.groups
                and not parsed.may_exist("groups", group)
            ):
                yield Finding(
                    parsed.path_of(profile, "contributors", number, "group"),
                    f"group {group!r} in the contributors of profile {profile.name!r} is not in "
                    "groups; add the group or fix the name",
                )


def owner_is_contributor(facts: Facts) -> Iterator[Finding]:
    """The owner is also listed as a contributor of the same profile.

    profiles:
      - name: alice
        owner: alice
        contributors: [{user: alice, role: edit}]
    """
    parsed = facts.parsed
    for profile in parsed.roster.profiles:
        for number, contributor in enumerate(profile.contributors):
            if contributor.user == profile.owner:
                yield Finding(
                    parsed.path_of(profile, "contributors", number, "user"),
                    f"{profile.owner!r} owns profile {profile.name!r} and already has every "
                    "right there; remove this contributor entry",
                )


def reserved_namespace(facts: Facts) -> Iterator[Finding]:
    """A profile would take over a system namespace.

    profiles:
      - {name: kube-system, owner: alice}
    """
    parsed = facts.parsed
    extra = set(parsed.roster.policy.reserved_namespaces)
    for profile in parsed.roster.profiles:
        name = profile.name
        if name in RESERVED_NAMESPACES or name.startswith(RESERVED_PREFIX):
            yield Finding(
                parsed.path_of(profile, "name"),
                f"profile name {name!r} is a reserved system namespace; a profile there would "
                "hand it to one user; choose another name",
            )
        elif name in extra:
            yield Finding(
                parsed.path_of(profile, "name"),
                f"profile name {name!r} is listed in policy.reservedNamespaces; choose another "
                "name",
            )


def email_domain(facts: Facts) -> Iterator[Finding]:
    """An email is outside the domains the policy allows.

    policy: {emailDomains: [example.com]}
    users:
      - {name: mallory, email: mallory@example.org}
    """
    parsed = facts.parsed
    allowed = parsed.roster.policy.email_domains
    if not allowed:
        return
    for user in parsed.roster.users:
        domain = user.email.rpartition("@")[2].lower()
        if domain not in allowed:
            yield Finding(
                parsed.path_of(user, "email"),
                f"email {user.email!r} is not in an allowed domain ({', '.join(allowed)}); "
                "policy.emailDomains decides who may be granted access: use an address in one "
                "of them, or add its exact domain to the policy (subdomains are not included)",
            )


def quantity_value(facts: Facts) -> Iterator[Finding]:
    """A quantity is negative, out of range, finer than 1m, or fractional where counts are whole.

    defaults:
      resourceQuota: {hard: {pods: "1.5"}}
    """
    for path, resources in _resource_lists(facts):
        for resource, raw in resources.items():
            where = path_text((*path, resource))
            try:
                value = parse_quantity(raw)
            except QuantityError as err:
                yield Finding((*path, resource), f"{where}: {err}; write a value such as 32Gi")
                continue
            if value < 0:
                yield Finding(
                    (*path, resource),
                    f"{where} is {raw}; a quantity must not be negative, write 0 or more",
                )
            elif value != value.to_integral_value() and not may_be_fractional(resource):
                yield Finding(
                    (*path, resource),
                    f"{where} is {raw}; {resource} counts whole objects, so write a whole number",
                )
            elif value * 1000 != (value * 1000).to_integral_value():
                yield Finding(
                    (*path, resource),
                    f"{where} is {raw}, finer than a thousandth (1m), which Kubernetes rounds up "
                    "without a word; write at most three decimals, such as 1m or 0.001",
                )
            elif value > _MAX_QUANTITY:
                yield Finding(
                    (*path, resource),
                    f"{where} is {clipped(str(raw))}, more than the 2^63-1 Kubernetes can hold, "
                    "so it would be capped without a word; write a realistic value such as 32Gi",
                )


def quota_resource(facts: Facts) -> Iterator[Finding]:
    """A quota names a resource the API server does not know for quotas.

    defaults:
      resourceQuota: {hard: {gpus: "1"}}
    """
    quotas = [(path, res) for path, res in _resource_lists(facts) if "limitRange" not in path]
    for path, resources in quotas:
        for resource in resources:
            if not _is_quota_resource(resource):
                yield Finding(
                    (*path, resource),
                    f"{path_text((*path, resource))}: {resource!r} is not a resource a quota can "
                    "limit; use cpu, memory, pods, requests.cpu, limits.memory, "
                    "persistentvolumeclaims, count/<resource>, requests.<vendor>/<device>, …",
                    key=True,
                )


def limit_range_resource(facts: Facts) -> Iterator[Finding]:
    """A LimitRange names a resource containers do not have (the API server rejects it).

    defaults:
      limitRange: {default: {pods: "1"}}
    """
    for path, resources in _resource_lists(facts):
        if "limitRange" not in path:
            continue
        for resource in resources:
            if not _is_container_resource(resource):
                yield Finding(
                    (*path, resource),
                    f"{path_text((*path, resource))}: {resource!r} is not a container resource; "
                    "a LimitRange takes cpu, memory, ephemeral-storage, hugepages-<size> or a "
                    "device such as nvidia.com/gpu",
                    key=True,
                )


def quota_scope(facts: Facts) -> Iterator[Finding]:
    """Quota scopes conflict, or do not apply to the resources the quota limits.

    defaults:
      resourceQuota: {hard: {cpu: "1"}, scopes: [BestEffort]}
    """
    for path, quota in _quotas(facts):
        scopes = set(quota.scopes)
        for first, second in (("Terminating", "NotTerminating"), ("BestEffort", "NotBestEffort")):
            if {first, second} <= scopes:
                yield Finding(
                    (*path, "scopes"),
                    f"{path_text((*path, 'scopes'))} has both {first} and {second}, which no pod "
                    "matches at once; keep one",
                )
        for scope in sorted(scopes & _SCOPE_RESOURCES.keys()):
            applies, reach = _SCOPE_RESOURCES[scope]
            for resource in quota.hard:
                if not applies(resource):
                    yield Finding(
                        (*path, "hard", resource),
                        f"scope {scope} does not apply to {resource!r} (the API server refuses "
                        f"it); a {scope} quota limits {reach}",
                        key=True,
                    )
        selector = quota.scope_selector
        for number, requirement in enumerate(selector.match_expressions if selector else ()):
            where = (*path, "scopeSelector", "matchExpressions", number)
            if requirement.operator in ("In", "NotIn") and not requirement.values:
                yield Finding(
                    where,
                    f"{path_text(where)}: operator {requirement.operator} needs values",
                )
            elif requirement.operator in ("Exists", "DoesNotExist") and requirement.values:
                yield Finding(
                    (*where, "values"),
                    f"{path_text(where)}: operator {requirement.operator} takes no values; "
                    "remove them",
                )
            if requirement.scope_name != "PriorityClass" and requirement.operator in (
                "In",
                "NotIn",
            ):
                yield Finding(
                    (*where, "operator"),
                    f"{path_text(where)}: scope {requirement.scope_name} only takes the operators "
                    "Exists and DoesNotExist",
                )


def limit_range_order(facts: Facts) -> Iterator[Finding]:
    """A LimitRange value is out of order: min ≤ defaultRequest ≤ default ≤ max.

    defaults:
      limitRange: {default: {cpu: "2"}, max: {cpu: "1"}}
    """
    for path, limits in _limit_ranges(facts):
        by_field = limits.model_dump(by_alias=True)
        resources = sorted({r for f in _LIMIT_ORDER for r in by_field[f]})
        for resource in resources:
            values = [
                (field, _value(by_field[field][resource]))
                for field in _LIMIT_ORDER
                if resource in by_field[field]
            ]
            for (low_field, low), (high_field, high) in _ordered_pairs(values):
                if low is not None and high is not None and low > high:
                    yield Finding(
                        (*path, low_field, resource),
                        f"{path_text((*path, low_field, resource))} "
                        f"({by_field[low_field][resource]}) is above "
                        f"{high_field}.{resource} ({by_field[high_field][resource]}); "
                        "a LimitRange needs min ≤ defaultRequest ≤ default ≤ max",
                    )


def quota_above_max(facts: Facts) -> Iterator[Finding]:
    """A profile's quota exceeds policy.maxQuota (no quota at all is unlimited).

    policy: {maxQuota: {cpu: "200"}}
    profiles:
      - {name: vision, owner: alice, resourceQuota: {hard: {cpu: "500"}}}
    """
    parsed = facts.parsed
    caps = parsed.roster.policy.max_quota
    if not caps:
        return
    roster = parsed.roster
    checked: list[tuple[Path, ResourceQuota, str]] = []
    if "defaults" not in parsed.incomplete and any(
        profile.resource_quota is None for profile in roster.profiles
    ):
        checked.append(
            (("defaults", "resourceQuota"), roster.defaults.resource_quota, "the default quota")
        )
    for profile in roster.profiles:
        if profile.resource_quota is not None:
            checked.append(
                (
                    parsed.path_of(profile, "resourceQuota"),
                    profile.resource_quota,
                    f"the quota of profile {profile.name!r}",
                )
            )
    for path, quota, what in checked:
        hard = {_QUOTA_ALIASES.get(k, k): (k, v) for k, v in quota.hard.items()}
        for resource, cap in sorted(caps.items()):
            limit = _value(cap)
            written = hard.get(_QUOTA_ALIASES.get(resource, resource))
            if written is None:
                yield Finding(
                    path,
                    f"{what} sets no {resource}, so it is unlimited, above policy.maxQuota "
                    f"{resource}: {cap}; set hard.{resource}",
                )
                continue
            key, raw = written
            value = _value(raw)
            if value is not None and limit is not None and value > limit:
                yield Finding(
                    (*path, "hard", key),
                    f"{what} sets {key}: {raw}, above policy.maxQuota {resource}: {cap}",
                )


def kfam_name_collision(facts: Facts) -> Iterator[Finding]:
    """Two contributors of a profile get the same KFAM object name.

    users:
      - {name: ab1, email: a.b@example.com}
      - {name: ab2, email: a-b@example.com}
    profiles:
      - name: vision
        owner: alice
        contributors: [{user: ab1, role: edit}, {user: ab2, role: edit}]
    """
    parsed = facts.parsed
    for profile in parsed.roster.profiles:
        contributors = profile.contributors
        if not contributors or (len(contributors) == 1 and contributors[0].user is not None):
            continue  # at most one contributor: nothing to collide with (most profiles)
        seen: dict[str, str] = {}
        for grant in grants(profile, facts.index):
            name = names.kfam_name(grant.user.email, grant.role)
            first = seen.setdefault(name, grant.user.email)
            if first != grant.user.email:
                yield Finding(
                    parsed.path_of(profile, "contributors"),
                    f"contributors {first!r} and {grant.user.email!r} of profile "
                    f"{profile.name!r} both map to the object name {name!r}, so one would "
                    "overwrite the other; the Kubeflow dashboard names contributors this way",
                )


def name_too_long(facts: Facts) -> Iterator[Finding]:
    """An object name derived from an email exceeds the Kubernetes limit of 253 characters.

    Of the names kfroster derives, only the contributor name can: a Namespace or Profile
    is the profile's name (a DNS label, at most 63 characters), a ClusterRoleBinding is
    `kubeflow-<role>-<user>` (at most 78), and label values come from the roster as
    written, checked by the schema.

    users:
      - {name: long, email: <a 250-character address>@example.com}
    """
    parsed = facts.parsed
    for user in parsed.roster.users:
        name = names.kfam_name(user.email, "edit")
        if len(name) > names.MAX_OBJECT_NAME:
            yield Finding(
                parsed.path_of(user, "email"),
                f"email {quoted(user.email)} is too long for the name of its contributor "
                f"RoleBinding and AuthorizationPolicy: user-<email>-clusterrole-<role> would be "
                f"{len(name)} characters, and Kubernetes allows {names.MAX_OBJECT_NAME}; use an "
                f"email of at most {len(user.email) - (len(name) - names.MAX_OBJECT_NAME)} "
                "characters",
            )


def namespace_label(facts: Facts) -> Iterator[Finding]:
    """A namespace label is Kubernetes' or kfroster's own, or weakens every profile's namespace.

    settings:
      namespaceLabels: {pod-security.kubernetes.io/enforce: privileged}
    """
    parsed = facts.parsed
    path = ("settings", "namespaceLabels")
    for key, value in sorted(parsed.roster.settings.namespace_labels.items()):
        prefix = key.rpartition("/")[0]
        if prefix in _KUBERNETES_LABEL_PREFIXES:
            yield Finding(
                (*path, key),
                f"label {key!r} in {path_text(path)} uses the prefix {prefix}/, which is "
                "reserved for Kubernetes itself (the API server sets "
                "kubernetes.io/metadata.name to the namespace's name); remove it",
                key=True,
            )
        elif key in _KFROSTER_LABELS:
            yield Finding(
                (*path, key),
                f"label {key!r} in {path_text(path)} is set by kfroster on every object it "
                "writes, so this value would be ignored; remove it",
                key=True,
            )
        elif key == "pod-security.kubernetes.io/enforce" and value == "privileged":
            yield Finding(
                (*path, key),
                f"{path_text((*path, key))}: privileged lets the pods of every profile "
                "namespace run privileged, with full access to their node; remove the label, "
                "or use baseline or restricted",
            )
        elif key == "istio-injection" and value == "disabled":
            yield Finding(
                (*path, key),
                f"{path_text((*path, key))}: disabled leaves the pods of every profile "
                "namespace without an Istio sidecar, so the AuthorizationPolicies that limit "
                "who reaches a profile are not enforced at its pods; remove the label unless "
                "the mesh enforces them another way (ambient mode)",
                "warning",
            )


def cluster_wide_role(facts: Facts) -> Iterator[Finding]:
    """A user has cluster-wide edit or view, which reaches every namespace.

    policy: {clusterWideRoles: deny}
    users:
      - {name: bob, email: bob@example.com, clusterRole: edit}
    """
    parsed = facts.parsed
    mode = parsed.roster.policy.cluster_wide_roles
    if mode == "allow":
        return
    level: Level = "error" if mode == "deny" else "warning"
    reach = {
        "edit": "reads and changes every namespace, kube-system and other tenants included, "
        "and reads every secret",
        "view": "reads most objects of every namespace, other tenants included",
    }
    for user in parsed.roster.users:
        role = user.cluster_role
        if role in reach:
            yield Finding(
                parsed.path_of(user, "clusterRole"),
                f"{user.name!r} gets cluster-wide {role}, which {reach[role]}; make "
                f"{user.name!r} a contributor of the profiles they need instead, or set "
                "policy.clusterWideRoles: allow",
                level,
            )


def quota_without_limit_range(facts: Facts) -> Iterator[Finding]:
    """A cpu or memory quota without a LimitRange default makes Kubernetes reject pods.

    defaults:
      resourceQuota: {hard: {cpu: "8"}}
      limitRange: {}
    """
    parsed = facts.parsed
    roster = parsed.roster
    if "defaults" in parsed.incomplete:
        return
    pairs: list[tuple[Path, str, ResourceQuota, LimitRange]] = []
    if any(p.resource_quota is None and p.limit_range is None for p in roster.profiles):
        pairs.append(
            (
                ("defaults", "resourceQuota"),
                "the default quota",
                roster.defaults.resource_quota,
                roster.defaults.limit_range,
            )
        )
    for profile in roster.profiles:
        if profile.resource_quota is not None or profile.limit_range is not None:
            path = parsed.path_of(
                profile, "resourceQuota" if profile.resource_quota is not None else "name"
            )
            pairs.append(
                (
                    path,
                    f"the quota of profile {profile.name!r}",
                    effective_quota(profile, roster),
                    effective_limit_range(profile, roster),
                )
            )
    for path, what, quota, limits in pairs:
        for resource in ("cpu", "memory"):
            needs_request = resource in quota.hard or f"requests.{resource}" in quota.hard
            needs_limit = f"limits.{resource}" in quota.hard
            has_request = resource in limits.default_request or resource in limits.default
            if (needs_request and not has_request) or (
                needs_limit and resource not in limits.default
            ):
                field = "default" if needs_limit else "defaultRequest"
                yield Finding(
                    path,
                    f"{what} limits {resource} but the LimitRange sets no {field}.{resource}; "
                    f"pods that set no {resource} are rejected (Kubeflow Pipelines' driver "
                    f"pods among them); add limitRange.{field}.{resource}",
                    "warning",
                )


def unused_group(facts: Facts) -> Iterator[Finding]:
    """A group is not a contributor anywhere, or has no members, so it grants nothing.

    groups:
      - {name: vision, members: [alice]}
    """
    parsed = facts.parsed
    if parsed.lost_any("profiles"):
        return  # a dropped profile may be the one that uses the group
    used = {c.group for p in parsed.roster.profiles for c in p.contributors}
    for group in parsed.roster.groups:
        if group.name in used and not group.members:
            yield Finding(
                parsed.path_of(group, "name"),
                f"group {group.name!r} has no members, so the profiles it contributes to grant "
                "nobody anything through it; add members or remove it",
                "warning",
            )
        elif group.name not in used:
            yield Finding(
                parsed.path_of(group, "name"),
                f"group {group.name!r} is not a contributor of any profile, so it grants "
                "nothing; use it in a profile's contributors or remove it",
                "warning",
            )


def user_without_access(facts: Facts) -> Iterator[Finding]:
    """A user is granted nothing: no cluster role, no profile, no contribution.

    users:
      - {name: carol, email: carol@example.com}
    """
    parsed, index = facts.parsed, facts.index
    if parsed.lost_any("profiles", "groups"):
        return  # a dropped profile or group may be what grants the user access
    granted = {p.owner for p in parsed.roster.profiles}
    for profile in parsed.roster.profiles:
        for contributor in profile.contributors:
            if contributor.user is not None:
                granted.add(contributor.user)
            elif (group := index.groups.get(contributor.group or "")) is not None:
                granted.update(group.members)
    for user in parsed.roster.users:
        if user.cluster_role is None and user.name not in granted:
            yield Finding(
                parsed.path_of(user, "name"),
                f"user {user.name!r} is granted nothing (no clusterRole, no profile, not a "
                "contributor); grant something or remove the user",
                "warning",
            )


def apply_unit_too_large(facts: Facts) -> Iterator[Finding]:
    """An apply unit holds more than 1,000 objects, which kustomize builds slowly.

    settings: {applyUnits: 1}
    users:    # 1,001 of them, each a ClusterRoleBinding
      - {name: u0001, email: u0001@example.com, clusterRole: admin}
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


RULES: tuple[Rule, ...] = (
    duplicate_user_name,
    duplicate_email,
    duplicate_group,
    duplicate_profile,
    unknown_user,
    unknown_group,
    owner_is_contributor,
    reserved_namespace,
    email_domain,
    quantity_value,
    quota_resource,
    limit_range_resource,
    quota_scope,
    limit_range_order,
    quota_above_max,
    kfam_name_collision,
    name_too_long,
    namespace_label,
    cluster_wide_role,
    quota_without_limit_range,
    unused_group,
    user_without_access,
    apply_unit_too_large,
)


def rule_id(rule: Rule) -> str:
    """Return a rule's kebab-case id, which is its function's name."""
    return rule.__name__.replace("_", "-")


def check(parsed: Parsed, source: Source) -> list[Problem]:
    """Run every rule on the sound part of the roster; return located problems."""
    facts = Facts(parsed, RosterIndex.build(parsed.roster))
    problems: list[Problem] = []
    for rule in RULES:
        for finding in rule(facts):
            line, col = source.locate(finding.path, key=finding.key)
            problems.append(
                Problem(
                    source.name,
                    line,
                    col,
                    rule_id(rule),
                    finding.message,
                    finding.level,
                    path=finding.path,
                )
            )
    return problems


_Record = TypeVar("_Record", bound=BaseModel)


def _duplicates(
    facts: Facts,
    records: Iterable[_Record],
    key: Callable[[_Record], str],
    what: str,
    field: str,
) -> Iterator[Finding]:
    first: dict[str, Path] = {}
    for record in records:
        path = facts.parsed.path_of(record, field)
        value = key(record)
        if value in first:
            yield Finding(
                path,
                f"{what} {value!r} is already used at {path_text(first[value])}; "
                f"each {what} must be unique: rename or remove one of them",
            )
        else:
            first[value] = path


def _quotas(facts: Facts) -> Iterator[tuple[Path, ResourceQuota]]:
    """Yield the default quota, then each quota a profile writes itself, with its path."""
    parsed = facts.parsed
    yield ("defaults", "resourceQuota"), parsed.roster.defaults.resource_quota
    for profile in parsed.roster.profiles:
        if profile.resource_quota is not None:
            yield parsed.path_of(profile, "resourceQuota"), profile.resource_quota


def _limit_ranges(facts: Facts) -> Iterator[tuple[Path, LimitRange]]:
    """Yield the default LimitRange, then each one a profile writes itself, with its path."""
    parsed = facts.parsed
    yield ("defaults", "limitRange"), parsed.roster.defaults.limit_range
    for profile in parsed.roster.profiles:
        if profile.limit_range is not None:
            yield parsed.path_of(profile, "limitRange"), profile.limit_range


def _resource_lists(facts: Facts) -> Iterator[tuple[Path, dict[str, int | str]]]:
    """Yield every resource list the roster writes (caps, quotas, LimitRange fields)."""
    yield ("policy", "maxQuota"), facts.parsed.roster.policy.max_quota
    for path, quota in _quotas(facts):
        yield (*path, "hard"), quota.hard
    for path, limits in _limit_ranges(facts):
        for field, resources in limits.model_dump(by_alias=True).items():
            yield (*path, field), resources


def _value(raw: int | str) -> Decimal | None:
    try:
        return parse_quantity(raw)
    except QuantityError:
        return None


def _ordered_pairs(
    values: list[tuple[str, Decimal | None]],
) -> Iterator[tuple[tuple[str, Decimal | None], tuple[str, Decimal | None]]]:
    for i, low in enumerate(values):
        for high in values[i + 1 :]:
            yield low, high
