"""Rules on quantities, quotas and LimitRanges: what the API server accepts and what pods need."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal

from compiler.model.quantity import QuantityError, may_be_fractional, parse_quantity
from compiler.model.resolve import effective_limit_range, effective_quota
from compiler.model.roster import LimitRange, ResourceQuota
from compiler.problems import NodePath, did_you_mean, path_text
from compiler.roster.rules.facts import Facts, Finding
from compiler.text import clip

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
                    f"{where} is {clip(str(raw))}, more than the 2^63-1 Kubernetes can hold, "
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
                fix = (
                    _gpu_hint(resource, "requests.")
                    or did_you_mean(resource, _STANDARD_QUOTA_RESOURCES)
                    or (
                        "use cpu, memory, pods, requests.cpu, limits.memory, "
                        "persistentvolumeclaims, count/<resource>, requests.<vendor>/<device>, …"
                    )
                )
                yield Finding(
                    (*path, resource),
                    f"{path_text((*path, resource))}: {resource!r} is not a resource a quota can "
                    f"limit; {fix}",
                    key=True,
                )


def _gpu_hint(resource: str, prefix: str) -> str:
    """Point a bare `gpu` (close to `cpu` in spelling only) at a vendor's device name."""
    if "gpu" not in resource.lower():
        return ""
    return f"did you mean a device such as '{prefix}nvidia.com/gpu' (or another vendor's)?"


def quota_extended_resource(facts: Facts) -> Iterator[Finding]:
    """A quota names an extended resource without `requests.`, which limits nothing.

    The API server accepts any quota name with a '/', but its pod evaluator counts an
    extended resource only as `requests.<name>` (extended resources cannot be
    overcommitted): kubernetes/kubernetes pkg/quota/v1/evaluator/core/pods.go,
    isExtendedResourceNameForQuota, L81-87 @05e7cb29dcda.

    defaults:
      resourceQuota: {hard: {nvidia.com/gpu: "4"}}
    """
    for path, resources in _resource_lists(facts):
        if "limitRange" in path:
            continue
        for resource in resources:
            if not _is_unprefixed_extended(resource):
                continue
            wanted = "requests." + resource.removeprefix("limits.")
            yield Finding(
                (*path, resource),
                f"{path_text((*path, resource))}: {resource!r} limits nothing in a quota "
                "(Kubernetes counts an extended resource only as requests.<name>, since it "
                f"cannot be overcommitted), so pods may use as many as they like; write "
                f"{wanted!r}",
                "warning",
                key=True,
            )


def _is_unprefixed_extended(name: str) -> bool:
    """Tell whether a quota name is a vendor's extended resource not written requests.<name>."""
    domain, slash, _ = name.partition("/")
    if not slash or name.startswith(("requests.", "count/")):
        return False
    # Kubernetes' own quota names with a '/' (per storage or device class) are no devices.
    return not domain.endswith(("k8s.io", "kubernetes.io"))


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
                fix = (
                    _gpu_hint(resource, "")
                    or did_you_mean(resource, _CONTAINER_RESOURCES)
                    or (
                        "a LimitRange takes cpu, memory, ephemeral-storage, hugepages-<size> or a "
                        "device such as nvidia.com/gpu"
                    )
                )
                yield Finding(
                    (*path, resource),
                    f"{path_text((*path, resource))}: {resource!r} is not a container resource; "
                    f"{fix}",
                    key=True,
                )


def quota_scope(facts: Facts) -> Iterator[Finding]:
    """Quota scopes conflict, or do not apply to the resources the quota limits.

    defaults:
      resourceQuota: {hard: {pods: "10"}, scopes: [BestEffort, NotBestEffort]}
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

    policy: {maxQuota: {pods: "200"}}
    profiles:
      - {name: vision, owner: alice, resourceQuota: {hard: {pods: "500"}}}
    """
    parsed = facts.parsed
    caps = parsed.roster.policy.max_quota
    if not caps:
        return
    roster = parsed.roster
    checked: list[tuple[NodePath, ResourceQuota, str]] = []
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


def quota_without_limit_range(facts: Facts) -> Iterator[Finding]:
    """A cpu or memory quota without a LimitRange default makes Kubernetes reject pods.

    defaults:  # which the base's profiles take
      resourceQuota: {hard: {cpu: "8"}}
      limitRange: {}
    """
    parsed = facts.parsed
    roster = parsed.roster
    if "defaults" in parsed.incomplete:
        return
    pairs: list[tuple[NodePath, str, ResourceQuota, LimitRange]] = []
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


def _quotas(facts: Facts) -> Iterator[tuple[NodePath, ResourceQuota]]:
    """Yield the default quota, then each quota a profile writes itself, with its path."""
    parsed = facts.parsed
    yield ("defaults", "resourceQuota"), parsed.roster.defaults.resource_quota
    for profile in parsed.roster.profiles:
        if profile.resource_quota is not None:
            yield parsed.path_of(profile, "resourceQuota"), profile.resource_quota


def _limit_ranges(facts: Facts) -> Iterator[tuple[NodePath, LimitRange]]:
    """Yield the default LimitRange, then each one a profile writes itself, with its path."""
    parsed = facts.parsed
    yield ("defaults", "limitRange"), parsed.roster.defaults.limit_range
    for profile in parsed.roster.profiles:
        if profile.limit_range is not None:
            yield parsed.path_of(profile, "limitRange"), profile.limit_range


def _resource_lists(facts: Facts) -> Iterator[tuple[NodePath, dict[str, int | str]]]:
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
