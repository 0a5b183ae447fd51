"""Hypothesis strategies: valid rosters, as plain data ready to dump as users.yaml."""

from __future__ import annotations

import json
import os
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st

from tests.kfam import binding_name

_LABEL = st.from_regex(r"[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,4})?", fullmatch=True)
_LOCAL = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_+'-]{0,5}(\.[A-Za-z0-9_+'-]{1,5})?", fullmatch=True)
_DOMAIN = st.sampled_from(["example.com", "Example.COM", "ml.example.org", "x.io"])
_CPU = st.sampled_from(["100m", "500m", "1", "2", "8", 4, "1.5"])
_MEMORY = st.sampled_from(["256Mi", "1Gi", "32Gi", "1e9", "500M", 1073741824])
_COUNT = st.sampled_from(["10", "50", 3, "1k"])


def _resources() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {},
        optional={
            "cpu": _CPU,
            "memory": _MEMORY,
            "pods": _COUNT,
            "requests.nvidia.com/gpu": st.sampled_from(["0", "1", "4"]),
        },
    )


@st.composite
def _limit_range(draw: st.DrawFn) -> dict[str, Any]:
    # Ordered per resource: min <= defaultRequest <= default <= max.
    cpu = ["10m", "100m", "500m", "2"]
    memory = ["16Mi", "256Mi", "1Gi", "8Gi"]
    fields = ["min", "defaultRequest", "default", "max"]
    chosen = draw(st.sets(st.sampled_from(fields)))
    return {
        field: {"cpu": cpu[i], "memory": memory[i]}
        for i, field in enumerate(fields)
        if field in chosen
    }


@st.composite
def rosters(draw: st.DrawFn) -> dict[str, Any]:
    """Draw a valid roster: unique names and emails, references that resolve."""
    names = draw(st.lists(_LABEL, min_size=1, max_size=8, unique=True))
    # Unique by KFAM name (so also case-insensitively): two contributors never collide.
    locals_ = draw(st.lists(_LOCAL, min_size=len(names), max_size=len(names), unique_by=_slug))
    users = []
    for name, local in zip(names, locals_, strict=True):
        user: dict[str, Any] = {"name": name, "email": f"{local}@{draw(_DOMAIN)}"}
        role = draw(st.sampled_from([None, None, "admin", "edit", "view"]))
        if role:
            user["clusterRole"] = role
        users.append(user)
    group_names = draw(st.lists(_LABEL.map(lambda s: f"g-{s}"), max_size=3, unique=True))
    groups = [
        {"name": g, "members": draw(st.lists(st.sampled_from(names), max_size=4, unique=True))}
        for g in group_names
    ]
    profile_names = draw(st.lists(_LABEL.map(lambda s: f"p-{s}"), max_size=5, unique=True))
    profiles = []
    for profile_name in profile_names:
        owner = draw(st.sampled_from(names))
        profile: dict[str, Any] = {"name": profile_name, "owner": owner}
        contributors = []
        for other in draw(st.lists(st.sampled_from(names), max_size=4, unique=True)):
            if other != owner:
                contributors.append(
                    {"user": other, "role": draw(st.sampled_from(["edit", "view"]))}
                )
        for group in (
            draw(st.lists(st.sampled_from(group_names), max_size=2, unique=True))
            if group_names
            else []
        ):
            contributors.append({"group": group, "role": draw(st.sampled_from(["edit", "view"]))})
        if contributors:
            profile["contributors"] = contributors
        if draw(st.booleans()):
            profile["resourceQuota"] = {"hard": draw(_resources())}
        if draw(st.booleans()):
            profile["limitRange"] = draw(_limit_range())
        if draw(st.integers(0, 3)) == 0:
            profile["namespaceOwnedByProfile"] = True
        profiles.append(profile)
    roster: dict[str, Any] = {
        "version": 1,
        "policy": {"clusterWideRoles": "allow"},
        "users": users,
        "groups": groups,
        "profiles": profiles,
    }
    if draw(st.booleans()):
        roster["defaults"] = {
            "resourceQuota": {"hard": draw(_resources())},
            "limitRange": draw(_limit_range()),
        }
    if draw(st.booleans()):
        roster["settings"] = {
            "manageNamespaces": draw(st.booleans()),
            "userIdPrefix": draw(st.sampled_from(["", "accounts.google.com:", "oidc:"])),
        }
    return roster


# --------------------------------------------------------------------------------------------
# Rosters that use every feature, with names and values chosen to be hard to write as YAML
# --------------------------------------------------------------------------------------------


def examples(everyday: int) -> int:
    """Return how many examples a property runs: `everyday` in the suite, more when fuzzing.

    `HYPOTHESIS_PROFILE=fuzz` (see conftest.py) loads a profile with many examples; an
    explicit count in @settings would override it, so properties ask here instead.
    """
    if os.environ.get("HYPOTHESIS_PROFILE") == "fuzz":
        return settings().max_examples
    return everyday


# DNS labels that a YAML reader would take for something else unless quoted: booleans and
# nulls of YAML 1.1, numbers in several notations, a date-like and a sexagesimal-like label.
_YAML_TRAPS = [
    "y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf",
    "0", "1", "0755", "0o17", "0x1f", "1e3", "1e-3", "123", "2024-01-02", "1-20-30", "0b101",
]  # fmt: skip
_NAME = st.one_of(
    st.from_regex(r"[a-z0-9]([-a-z0-9]{0,14}[a-z0-9])?", fullmatch=True),
    st.sampled_from(_YAML_TRAPS),
    st.from_regex(r"[a-z0-9][-a-z0-9]{61}[a-z0-9]", fullmatch=True),  # the longest label
)
# Every character an email's local part may hold, quotes, braces and '#' included, in
# dot-separated words (an RFC 5321 dot-atom).
_EMAIL_LOCAL = st.from_regex(
    r"[A-Za-z0-9!#$%&'+/=?^_`{|}~-]{1,20}(\.[A-Za-z0-9!#$%&'+/=?^_`{|}~-]{1,9}){0,2}",
    fullmatch=True,
)
_DOMAIN_LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)
_DOMAIN = st.one_of(
    st.lists(_DOMAIN_LABEL, min_size=2, max_size=4).map(".".join),
    st.sampled_from(["example.com", "xn--bcher-kva.example", "a.b", "123.example", "x-y.io"]),
)
# A plain ASCII HTTP token, and a printable prefix without spaces or '*': quotes, colons,
# braces, '#', '&', '!' and '%' all reach the rendered AuthorizationPolicy.
_HEADER = st.from_regex(r"[A-Za-z0-9!#$%&'*+.^_`|~-]{1,30}", fullmatch=True)
_PREFIX = st.one_of(
    st.sampled_from(["", "accounts.google.com:", "oidc:", "'", '"', "#", "- ", "&a", "!!str"]),
    st.from_regex(r"[!-)+-~]{0,20}", fullmatch=True),
).filter(lambda prefix: " " not in prefix)
_PRINCIPAL = st.from_regex(r"[A-Za-z0-9]([-A-Za-z0-9_./]{0,60}[A-Za-z0-9])?", fullmatch=True)
# Keys the policy refuses (Kubernetes' own prefixes, the label kfroster sets itself).
_REFUSED_LABEL_KEYS = ("app.kubernetes.io/managed-by", "pod-security.kubernetes.io/enforce")
_LABEL_KEY = st.one_of(
    st.from_regex(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,20}[A-Za-z0-9])?", fullmatch=True),
    st.from_regex(
        r"[a-z0-9]([-a-z0-9]{0,10}[a-z0-9])?(\.[a-z0-9]{1,8}){0,2}/"
        r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,20}[A-Za-z0-9])?",
        fullmatch=True,
    ),
).filter(
    lambda key: (
        key.rpartition("/")[0] not in ("kubernetes.io", "k8s.io") and key not in _REFUSED_LABEL_KEYS
    )
)
_LABEL_VALUE = st.one_of(
    st.from_regex(r"(([A-Za-z0-9][-A-Za-z0-9_.]{0,30})?[A-Za-z0-9])?", fullmatch=True),
    st.sampled_from(["true", "false", "yes", "No", "null", "0", "1.0", "0x10", "1e3", "0_1"]),
)
_RESERVED = frozenset(
    {
        "argocd", "auth", "cert-manager", "default", "flux-system", "istio-system",
        "knative-eventing", "knative-serving", "kubeflow", "kubeflow-system",
        "notebook-controller-system", "oauth2-proxy", "tensorboard-controller-system",
    }
)  # fmt: skip

# Quantities per resource, in increasing order and in many notations (integers too), so a
# draw of indexes i <= j gives values a <= b. Fractions only where Kubernetes allows them.
_LADDERS: dict[str, list[int | str]] = {
    "cpu": ["10m", "100m", "0.5", "1", "1500m", 2, "4", "8e0", "16", "64"],
    "memory": ["1Mi", "128974848", "129e6", "256Mi", "1G", "1Gi", 4294967296, "8Gi", "1e11", "1Ti"],
    "pods": [0, "1", "10", "1e2", "200", "1k", 5000],
    "ephemeral-storage": ["1Gi", "10Gi", "100G", "1Ti"],
    "requests.nvidia.com/gpu": ["0", 1, "2", "8"],
    "persistentvolumeclaims": ["0", "5", 10, "1e2"],
    "count/jobs.batch": ["1", 10, "100"],
    "services": ["0", "3", 30],
}
_QUOTA_ALIASES = {"cpu": ["cpu", "requests.cpu"], "memory": ["memory", "requests.memory"]}
_POD_COMPUTE = ["pods", "cpu", "memory"]  # what Kubernetes lets every pod-scoped quota limit


@st.composite
def _quantity_at_most(draw: st.DrawFn, resource: str, top: int | None) -> int | str:
    ladder = _LADDERS[resource]
    return ladder[draw(st.integers(0, len(ladder) - 1 if top is None else top))]


# Quota scopes, and the resources Kubernetes lets a quota of that scope limit (its own
# rule, narrower than "compute": IsResourceQuotaScopeValidForResource); extended resources
# such as GPUs are not checked by the API server.
_SCOPED = {
    "BestEffort": ["pods"],
    "NotBestEffort": [*_POD_COMPUTE, "requests.nvidia.com/gpu"],
    "Terminating": [*_POD_COMPUTE, "requests.nvidia.com/gpu"],
    "NotTerminating": [*_POD_COMPUTE, "requests.nvidia.com/gpu"],
    "PriorityClass": [*_POD_COMPUTE, "requests.nvidia.com/gpu"],
    "VolumeAttributesClass": list(_LADDERS),
}


@st.composite
def _quota(draw: st.DrawFn, caps: dict[str, int]) -> dict[str, Any]:
    """A ResourceQuota spec within the caps (resource -> ladder index), scopes that fit it."""
    scope = draw(st.sampled_from([None, None, *_SCOPED]))
    allowed = _SCOPED[scope] if scope is not None else list(_LADDERS)
    if any(resource not in allowed for resource in caps):
        scope, allowed = None, list(_LADDERS)  # every capped resource must be limited
    chosen = draw(st.sets(st.sampled_from(allowed), max_size=4)) | caps.keys()
    hard: dict[str, int | str] = {}
    for resource in sorted(chosen):
        key = draw(st.sampled_from(_QUOTA_ALIASES.get(resource, [resource])))
        hard[key] = draw(_quantity_at_most(resource, caps.get(resource)))
    quota: dict[str, Any] = {"hard": hard}
    if scope is None:
        return quota
    if draw(st.booleans()):
        quota["scopes"] = [scope]
        return quota
    operators = ["In", "NotIn", "Exists"] if scope == "PriorityClass" else ["Exists"]
    requirement: dict[str, Any] = {"scopeName": scope, "operator": draw(st.sampled_from(operators))}
    if requirement["operator"] != "Exists":
        values = st.sampled_from(["high", "low", "system-cluster-critical", "0", "a.b"])
        requirement["values"] = draw(st.lists(values, min_size=1, max_size=3))
    quota["scopeSelector"] = {"matchExpressions": [requirement]}
    return quota


@st.composite
def _limits(draw: st.DrawFn) -> dict[str, Any]:
    """A LimitRange: for each resource, min <= defaultRequest <= default <= max."""
    fields = ["min", "defaultRequest", "default", "max"]
    limits: dict[str, dict[str, int | str]] = {}
    for resource in sorted(draw(st.sets(st.sampled_from(["cpu", "memory", "ephemeral-storage"])))):
        ladder = _LADDERS[resource]
        points = sorted(draw(st.lists(st.integers(0, len(ladder) - 1), min_size=4, max_size=4)))
        for field, point in zip(fields, points, strict=True):
            if draw(st.booleans()):
                limits.setdefault(field, {})[resource] = ladder[point]
    if draw(st.booleans()):
        ratios: list[int | str] = ["10", 4, "2.5"]
        limits["maxLimitRequestRatio"] = {"cpu": draw(st.sampled_from(ratios))}
    return limits


def _slug(email: str) -> str:
    """What KFAM makes of an email in object names."""
    return binding_name(email, "edit")


@st.composite
def _users(draw: st.DrawFn, domains: list[str], roles: list[str]) -> list[dict[str, Any]]:
    names = draw(st.lists(_NAME, min_size=1, max_size=8, unique=True))
    emails = draw(
        st.lists(
            st.tuples(_EMAIL_LOCAL, st.sampled_from(domains), st.booleans()).map(
                lambda parts: f"{parts[0]}@{parts[1].upper() if parts[2] else parts[1]}"
            ),
            min_size=len(names),
            max_size=len(names),
            unique_by=_slug,  # so also unique case-insensitively, and KFAM names never collide
        )
    )
    users = []
    for name, email in zip(names, emails, strict=True):
        user: dict[str, Any] = {"name": name, "email": email}
        if draw(st.integers(0, 3)) == 0:
            user["clusterRole"] = draw(st.sampled_from(roles))
        users.append(user)
    return users


@st.composite
def _plugins(draw: st.DrawFn) -> list[dict[str, Any]]:
    plugins: list[dict[str, Any]] = []
    if draw(st.booleans()):
        account = draw(st.from_regex(r"[a-z][-a-z0-9]{4,12}[a-z0-9]", fullmatch=True))
        plugins.append(
            {
                "kind": "WorkloadIdentity",
                "spec": {"gcpServiceAccount": f"{account}@ml-prod.iam.gserviceaccount.com"},
            }
        )
    if draw(st.booleans()):
        role = draw(st.from_regex(r"[-A-Za-z0-9_+=,.@/]{1,30}", fullmatch=True))
        spec: dict[str, Any] = {"awsIamRole": f"arn:aws:iam::123456789012:role/{role}"}
        if draw(st.booleans()):
            spec["annotateOnly"] = draw(st.booleans())
        plugins.append({"kind": "AwsIamForServiceAccount", "spec": spec})
    return plugins


@st.composite
def _profile(
    draw: st.DrawFn, name: str, users: list[str], groups: list[str], caps: dict[str, int]
) -> dict[str, Any]:
    owner = draw(st.sampled_from(users))
    profile: dict[str, Any] = {"name": name, "owner": owner}
    role = st.sampled_from(["edit", "view"])
    contributors: list[dict[str, Any]] = [
        {"user": other, "role": draw(role)}
        for other in draw(st.lists(st.sampled_from(users), max_size=4, unique=True))
        if other != owner
    ]
    if groups:
        chosen = draw(st.lists(st.sampled_from(groups), max_size=2, unique=True))
        contributors += [{"group": group, "role": draw(role)} for group in chosen]
    if contributors:
        profile["contributors"] = draw(st.permutations(contributors))
    if draw(st.booleans()):
        # `{}` means no quota, which a policy.maxQuota forbids.
        profile["resourceQuota"] = {} if not caps and draw(st.booleans()) else draw(_quota(caps))
    if draw(st.booleans()):
        profile["limitRange"] = draw(_limits())
    plugins = draw(_plugins())
    if plugins:
        profile["plugins"] = plugins
    if draw(st.booleans()):
        profile["namespaceOwnedByProfile"] = draw(st.booleans())
    return profile


_FLUX_DEPLOY = st.fixed_dictionaries(
    {"engine": st.just("flux")},
    optional={
        "flux": st.fixed_dictionaries(
            {},
            optional={
                "interval": st.sampled_from(["1m", "10m", "1h30m", "90s"]),
                "sourceRef": st.fixed_dictionaries(
                    {},
                    optional={
                        "kind": st.sampled_from(["GitRepository", "OCIRepository", "Bucket"]),
                        "name": st.sampled_from(["flux-system", "kubeflow-users"]),
                        "namespace": st.sampled_from(["flux-system", "sources"]),
                    },
                ),
            },
        )
    },
)
_ARGOCD_DEPLOY = st.fixed_dictionaries(
    {
        "engine": st.just("argocd"),
        "argocd": st.fixed_dictionaries(
            {
                "repoURL": st.sampled_from(
                    [
                        "https://git.example.com/platform/users.git",
                        "git@git.example.com:platform/users.git",
                        "ssh://git@git.example.com:2222/platform/users",
                    ]
                )
            },
            optional={
                "targetRevision": st.sampled_from(["HEAD", "main", "v1.2.0", "release/2024"]),
                "project": st.sampled_from(["default", "kubeflow"]),
                "destination": st.sampled_from(
                    [{"name": "prod-eu"}, {"server": "https://10.0.0.1:6443"}]
                ),
            },
        ),
    },
)
_DEPLOY = st.tuples(
    st.one_of(_FLUX_DEPLOY, _ARGOCD_DEPLOY),
    st.fixed_dictionaries(
        {},
        optional={
            "directory": st.sampled_from(["deploy", "clusters/prod/kubeflow"]),
            "path": st.sampled_from(["out", "clusters/prod/out"]),
            "name": st.sampled_from(["kubeflow-users", "people"]),
            "namespace": st.sampled_from(["gitops", "ops"]),
        },
    ),
).map(lambda parts: {**parts[0], **parts[1]})

_SETTINGS: dict[str, st.SearchStrategy[Any]] = {
    "userIdHeader": _HEADER,
    "userIdPrefix": _PREFIX,
    "ingressGatewayPrincipal": _PRINCIPAL,
    "pipelinesUiPrincipal": _PRINCIPAL,
    "manageNamespaces": st.booleans(),
    "namespaceLabels": st.dictionaries(_LABEL_KEY, _LABEL_VALUE, max_size=4),
    "applyUnits": st.integers(1, 8),
    "defaultWorkloadIdentity": st.sampled_from(
        [
            "kubeflow-default@ml-prod.iam.gserviceaccount.com",
            "team-wi-sa@p-1.iam.gserviceaccount.com",
        ]
    ),
    "kubeflowVersion": st.sampled_from(["1.7", "1.7.1", "1.8", "1.9", "1.10.2", "1.11"]),
    "authorizationPolicyApiVersion": st.sampled_from(
        ["security.istio.io/v1beta1", "security.istio.io/v1"]
    ),
    "deploy": _DEPLOY,
}


@st.composite
def full_rosters(draw: st.DrawFn) -> dict[str, Any]:
    """Draw a roster that validates without errors and uses every part of the format."""
    domains = draw(st.lists(_DOMAIN, min_size=1, max_size=3, unique=True))
    policy: dict[str, Any] = {"clusterWideRoles": draw(st.sampled_from(["allow", "warn", "deny"]))}
    if draw(st.booleans()):
        policy["emailDomains"] = domains
    roles = ["admin"] if policy["clusterWideRoles"] == "deny" else ["admin", "edit", "view"]
    users = draw(_users(domains, roles))
    names = [user["name"] for user in users]
    group_names = draw(st.lists(_NAME, max_size=3, unique=True))
    groups = [
        {"name": group, "members": draw(st.lists(st.sampled_from(names), max_size=4, unique=True))}
        for group in group_names
    ]
    reserved = draw(st.lists(_NAME, max_size=2, unique=True))
    if reserved:
        policy["reservedNamespaces"] = reserved
    caps: dict[str, int] = {}
    if draw(st.booleans()):
        capped = draw(st.sets(st.sampled_from(sorted(_LADDERS)), min_size=1, max_size=3))
        caps = {resource: draw(st.integers(0, len(_LADDERS[resource]) - 1)) for resource in capped}
        policy["maxQuota"] = {resource: _LADDERS[resource][top] for resource, top in caps.items()}
    profile_names = draw(
        st.lists(
            _NAME.filter(
                lambda n: n not in _RESERVED and not n.startswith("kube-") and n not in reserved
            ),
            max_size=6,
            unique=True,
        )
    )
    roster: dict[str, Any] = {"version": 1, "policy": policy}
    chosen = draw(st.sets(st.sampled_from(sorted(_SETTINGS))))
    if chosen:
        roster["settings"] = {key: draw(_SETTINGS[key]) for key in sorted(chosen)}
    defaults: dict[str, Any] = {}
    default_quota: bool = draw(st.booleans())
    if caps or default_quota:  # a profile without its own quota gets this one
        defaults["resourceQuota"] = draw(_quota(caps))
    if draw(st.booleans()):
        defaults["limitRange"] = draw(_limits())
    if defaults:
        roster["defaults"] = defaults
    roster["users"] = users
    roster["groups"] = groups
    roster["profiles"] = [draw(_profile(name, names, group_names, caps)) for name in profile_names]
    return roster


# --------------------------------------------------------------------------------------------
# Clusters on top of a roster: overrides, restrictions, per-cluster marks
# --------------------------------------------------------------------------------------------

_CLUSTER_NAME = st.from_regex(r"[a-z]([-a-z0-9]{0,8}[a-z0-9])?", fullmatch=True)
_CLUSTER_SETTINGS = {key: value for key, value in _SETTINGS.items() if key != "deploy"}
_FLUX_OVERRIDE = st.fixed_dictionaries(
    {},
    optional={
        "interval": st.sampled_from(["2m", "30m"]),
        "sourceRef": st.fixed_dictionaries(
            {"name": st.sampled_from(["flux-system", "users-repo"])},
            optional={"kind": st.sampled_from(["GitRepository", "OCIRepository"])},
        ),
    },
)


@st.composite
def with_clusters(draw: st.DrawFn, roster: dict[str, Any]) -> dict[str, Any]:
    """Add 1 to 4 clusters to a valid roster, with overrides and restrictions that keep it valid.

    Each cluster may override settings and defaults; profiles, users' cluster-wide roles and
    namespaceOwnedByProfile marks may name some clusters. With Argo CD, each cluster gets a
    destination of its own (two clusters may not share one).
    """
    data: dict[str, Any] = json.loads(json.dumps(roster))
    names = draw(st.lists(_CLUSTER_NAME, min_size=1, max_size=4, unique=True))
    caps = {
        resource: _LADDERS[resource].index(value)
        for resource, value in data["policy"].get("maxQuota", {}).items()
        if resource in _LADDERS
    }
    deploy = data.get("settings", {}).get("deploy")
    clusters: list[dict[str, Any]] = []
    for number, name in enumerate(names):
        cluster: dict[str, Any] = {"name": name}
        chosen = draw(st.sets(st.sampled_from(sorted(_CLUSTER_SETTINGS)), max_size=3))
        settings = {key: draw(_CLUSTER_SETTINGS[key]) for key in sorted(chosen)}
        if deploy is not None and deploy["engine"] == "argocd":
            destination = {"server": f"https://cluster-{number}.example.com:6443"}
            settings["deploy"] = {"argocd": {"destination": destination}}
            if draw(st.booleans()):
                settings["deploy"]["argocd"]["project"] = draw(st.sampled_from(["a", "b"]))
        elif deploy is not None and draw(st.booleans()):
            settings["deploy"] = {"flux": draw(_FLUX_OVERRIDE)}
        if settings:
            cluster["settings"] = settings
        defaults: dict[str, Any] = {}
        if draw(st.integers(0, 3)) == 0:
            defaults["resourceQuota"] = draw(_quota(caps))
        if draw(st.integers(0, 3)) == 0:
            defaults["limitRange"] = draw(_limits())
        if defaults:
            cluster["defaults"] = defaults
        clusters.append(cluster)
    data["clusters"] = clusters
    some = st.lists(st.sampled_from(names), min_size=1, unique=True)
    for profile in data["profiles"]:
        if draw(st.booleans()):
            profile["clusters"] = draw(some)
        if draw(st.integers(0, 3)) == 0:
            profile["namespaceOwnedByProfile"] = draw(st.lists(st.sampled_from(names), unique=True))
    for user in data["users"]:
        if "clusterRole" in user and draw(st.booleans()):
            user["clusters"] = draw(some)
    return data
