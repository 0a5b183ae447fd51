"""What kubeflow-admin, kubeflow-edit and kubeflow-view allow: the permission chart by area.

The three roles are aggregated ClusterRoles: the API server fills their rules from every
ClusterRole whose labels their aggregationRule selects
(`rbac.authorization.kubeflow.org/aggregate-to-<role>: "true"`). `chart()` resolves that
aggregation, the way the API server does, over the upstream roles vendored in
roles/upstream.py, so admin ⊇ edit ⊇ view follows from the labels as it does in a cluster.

The chart describes a stock Kubeflow install. A cluster whose applications add or change
roles differs; ask it with `kubectl get clusterrole kubeflow-edit -o yaml`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from compiler.explain.roles.upstream import CORE, UpstreamRole, vendored
from compiler.model.kube import OWNER_BINDING
from compiler.model.roles import CLUSTER_ROLES, RoleName

ROLES: tuple[RoleName, ...] = CLUSTER_ROLES

# The verbs of the Kubernetes API, in the order kubectl lists them.
KUBERNETES_VERBS: tuple[str, ...] = (
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
)
# Kubeflow Pipelines' API server checks these with SubjectAccessReviews on
# pipelines.kubeflow.org resources; Kubernetes itself never sees them as requests.
PIPELINES_VERBS: tuple[str, ...] = (
    "archive",
    "unarchive",
    "retry",
    "terminate",
    "enable",
    "disable",
    "readArtifact",
    "reportMetrics",
)
ALL_VERBS = "*"
READ: frozenset[str] = frozenset({"get", "list", "watch"})
WRITE: frozenset[str] = frozenset({"create", "update", "patch", "delete", "deletecollection"})


# Areas in the order the chart prints them. An area is found by API group; kubeflow.org
# is shared by several applications, so its resources are placed one by one.
AREAS: tuple[str, ...] = (
    "core",
    "workloads",
    "notebooks",
    "pipelines",
    "Katib",
    "serving",
    "training",
    "Spark",
    "Istio",
)
_AREA_BY_GROUP: Mapping[str, str] = {
    CORE: "core",
    "rbac.authorization.k8s.io": "core",
    "authorization.k8s.io": "core",
    "storage.k8s.io": "core",
    "apps": "workloads",
    "batch": "workloads",
    "autoscaling": "workloads",
    "extensions": "workloads",
    "policy": "workloads",
    "networking.k8s.io": "workloads",
    "tensorboard.kubeflow.org": "notebooks",
    "pipelines.kubeflow.org": "pipelines",
    "argoproj.io": "pipelines",
    "serving.kserve.io": "serving",
    "serving.knative.dev": "serving",
    "trainer.kubeflow.org": "training",
    "sparkoperator.k8s.io": "Spark",
    "istio.io": "Istio",
    "networking.istio.io": "Istio",
    "security.istio.io": "Istio",
}
_KUBEFLOW_ORG_AREA: Mapping[str, str] = {
    "notebooks": "notebooks",
    "poddefaults": "notebooks",
    "pvcviewers": "notebooks",
    "scheduledworkflows": "pipelines",
    "viewers": "pipelines",
    "experiments": "Katib",
    "trials": "Katib",
    "suggestions": "Katib",
    **dict.fromkeys(
        ("mpijobs", "tfjobs", "pytorchjobs", "xgboostjobs", "paddlejobs", "jaxjobs"), "training"
    ),
}
# Cluster-scoped resources: a RoleBinding in a namespace cannot grant them, only a
# ClusterRoleBinding can (a cluster-wide role lists every namespace, a profile role none).
CLUSTER_SCOPED: frozenset[tuple[str, str]] = frozenset(
    {
        (CORE, "namespaces"),
        (CORE, "namespaces/status"),
        ("storage.k8s.io", "storageclasses"),
    }
)

SUMMARY: Mapping[RoleName, str] = {
    "view": "reads most objects of a namespace: not secrets, no exec",
    "edit": (
        "view, plus secrets, pods/exec, attach and port-forward, and writes workloads,"
        " notebooks, pipelines, Katib, serving and training jobs"
    ),
    "admin": (
        "edit, plus roles and rolebindings: shares the namespace (adds contributors);"
        " a profile's owner gets it"
    ),
}

# What binding a role where means; shown with the chart and by `explain`.
CLUSTER_WIDE_EXPOSURE: Mapping[RoleName, str] = {
    "view": (
        "reads most objects of every namespace, kube-system and every other tenant's"
        " profile included, and lists all namespaces"
    ),
    "edit": (
        "reads and writes every namespace, kube-system and every other tenant's profile"
        " included: reads every secret of the cluster and can exec into any pod"
    ),
    "admin": (
        "everything edit reaches, plus roles and rolebindings in every namespace:"
        " can grant anyone any Kubeflow role anywhere"
    ),
}

NOTES: tuple[str, ...] = (
    "kubeflow-admin ⊇ kubeflow-edit ⊇ kubeflow-view: kubeflow-view is aggregated into"
    " kubeflow-edit, and kubeflow-edit into kubeflow-admin.",
    "In a profile (a RoleBinding) a role applies in that namespace only: the owner gets"
    f" kubeflow-admin (RoleBinding {OWNER_BINDING}), contributors kubeflow-edit or kubeflow-view.",
    "Cluster-wide (users[].clusterRole, a ClusterRoleBinding) a role applies in every"
    " namespace of the cluster, kube-system and other tenants included.",
    "† cluster-scoped: through a profile's RoleBinding these reach at most the namespace's"
    " own Namespace object; listing namespaces or reading storage classes takes a"
    " cluster-wide role.",
    "Knative Serving's and Eventing's namespaced admin/edit/view roles aggregate in too;"
    " their rules ship with Knative and are not listed.",
)


@dataclass(frozen=True)
class Row:
    """One resource of the chart and the verbs each role has on it (empty: none)."""

    area: str
    group: str
    resource: str
    verbs: Mapping[RoleName, frozenset[str]]

    @property
    def cluster_scoped(self) -> bool:
        """Tell whether only a ClusterRoleBinding can grant this resource."""
        return (self.group, self.resource) in CLUSTER_SCOPED


def area_of(group: str, resource: str) -> str:
    """Return the chart area of a resource; KeyError for a resource the chart does not know."""
    if group == "kubeflow.org":
        return _KUBEFLOW_ORG_AREA[resource.split("/", 1)[0]]
    return _AREA_BY_GROUP[group]


def _contributors_of(role: str) -> Iterator[UpstreamRole]:
    """Yield every upstream role whose rules end up in `role`, itself included."""
    upstream_roles = vendored().roles
    by_name = {upstream.name: upstream for upstream in upstream_roles}
    seen: set[str] = set()
    pending = [role]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        current = by_name[name]
        yield current
        for selector in current.selectors:
            pending.extend(u.name for u in upstream_roles if u.matches(selector))


def effective_rules(role: str) -> dict[tuple[str, str], frozenset[str]]:
    """Return (group, resource) → verbs that the aggregated ClusterRole `role` ends up with."""
    verbs: dict[tuple[str, str], set[str]] = {}
    for upstream in _contributors_of(role):
        for rule in upstream.rules:
            for group in rule.groups:
                for resource in rule.resources:
                    verbs.setdefault((group, resource), set()).update(rule.verbs)
    return {key: frozenset(value) for key, value in verbs.items()}


def chart() -> tuple[Row, ...]:
    """Return every resource any of the three roles reaches, sorted by area, group, resource."""
    per_role = {role: effective_rules(f"kubeflow-{role}") for role in ROLES}
    keys = sorted({key for rules in per_role.values() for key in rules})
    rows = [
        Row(
            area_of(group, resource),
            group,
            resource,
            {role: per_role[role].get((group, resource), frozenset()) for role in ROLES},
        )
        for group, resource in keys
    ]
    order = {area: index for index, area in enumerate(AREAS)}
    return tuple(
        sorted(
            rows,
            # The core API group leads its area; the others follow alphabetically.
            key=lambda row: (order[row.area], row.group != CORE, row.group, row.resource),
        )
    )


def ordered_verbs(verbs: frozenset[str]) -> list[str]:
    """Sort verbs as kubectl lists them, Pipelines' own verbs after, `*` first."""
    known = [verb for verb in (ALL_VERBS, *KUBERNETES_VERBS, *PIPELINES_VERBS) if verb in verbs]
    return known + sorted(verbs.difference(known))


def describe_verbs(verbs: frozenset[str]) -> str:
    """Write verbs for a chart cell: `read`/`write` for the usual sets, `all` for `*`."""
    if ALL_VERBS in verbs:
        return "all"
    words: list[str] = []
    rest = set(verbs)
    for word, group in (("read", READ), ("write", WRITE)):
        if group <= rest:
            words.append(word)
            rest -= group
    return " ".join([*words, *ordered_verbs(frozenset(rest))])


def resolve_role(text: str) -> RoleName | None:
    """Return the roster role named `text` (`edit` or `kubeflow-edit`), or None."""
    name = text.lower().removeprefix("kubeflow-")
    for role in ROLES:
        if role == name:
            return role
    return None
