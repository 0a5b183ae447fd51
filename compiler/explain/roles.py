"""What kubeflow-admin, kubeflow-edit and kubeflow-view allow: permission charts by area.

The three roles are aggregated ClusterRoles: the API server fills their rules from every
ClusterRole labelled `rbac.authorization.kubeflow.org/aggregate-to-<role>: "true"`.
`UPSTREAM_ROLES` transcribes those per-application ClusterRoles (rules and aggregation
labels) from kubeflow/manifests at commit 009c88084074904c7743384ff50d3bd70012ef55
(common/kubeflow-roles/base/cluster-roles.yaml and each application's aggregated roles,
listed per entry). `chart()` resolves the aggregation the way the API server does, so
admin ⊇ edit ⊇ view follows from the labels, as it does in a cluster.

The data is written here, not read from an installation: the chart describes a stock
Kubeflow install. A cluster whose applications add or change roles differs; ask it with
`kubectl get clusterrole kubeflow-edit -o yaml`.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from compiler.model.roster import Role
from compiler.terminal import PLAIN, Palette, definitions, markdown_table, table_rows, wrap

UPSTREAM = "kubeflow/manifests 009c88084074904c7743384ff50d3bd70012ef55"
# Every file the chart is read from is the same at tag 26.03 (d68ebc7fab36) as at UPSTREAM.
RELEASE = "Kubeflow 26.03"
# How the releases settings.kubeflowVersion names differ: up to 1.11 kubeflow-kubernetes-edit,
# which aggregates into kubeflow-edit (so kubeflow-admin), also impersonates service accounts
# (common/kubeflow-roles/base/cluster-roles.yaml L93-98 at v1.11.0; gone at 26.03).
SOURCE = (
    f"From {RELEASE} ({UPSTREAM}). Kubeflow 1.7 to 1.11 differ: there kubeflow-edit, and so "
    "kubeflow-admin, may also impersonate the service accounts of every namespace it is "
    "bound in (all of them, bound cluster-wide)."
)

# The core API group is the empty string in RBAC; the data spells it "core" for reading.
CORE = "core"

ROLES: tuple[Role, ...] = ("view", "edit", "admin")

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


@dataclass(frozen=True)
class Rule:
    """One PolicyRule: these verbs on these resources of these API groups."""

    groups: tuple[str, ...]
    resources: tuple[str, ...]
    verbs: tuple[str, ...]


@dataclass(frozen=True)
class UpstreamRole:
    """One upstream ClusterRole: its own rules and where the aggregation labels send them."""

    name: str
    source: str  # the file in kubeflow/manifests
    aggregate_to: tuple[str, ...]  # X of each label `aggregate-to-X: "true"`
    collects: bool = False  # has an aggregationRule selecting `aggregate-to-<name>`
    rules: tuple[Rule, ...] = ()


def _rule(groups: str, resources: str, verbs: str) -> Rule:
    return Rule(tuple(groups.split()), tuple(resources.split()), tuple(verbs.split()))


_EDIT_VERBS = "create delete deletecollection patch update"
_ALL_NAMED = "get list watch create delete deletecollection patch update"
_KF_ROLES = "common/kubeflow-roles/base/cluster-roles.yaml"
_PODDEFAULTS = "applications/admission-webhook/upstream/base/cluster-role.yaml"
_NOTEBOOK_UI = "applications/jupyter/jupyter-web-app/upstream/base/cluster-role.yaml"
_NOTEBOOKS = "applications/jupyter/notebook-controller/upstream/rbac/user_cluster_roles.yaml"
_KATIB = "applications/katib/upstream/installs/katib-with-kubeflow/kubeflow-katib-roles.yaml"
_KSERVE = "applications/kserve/kserve/kserve_kubeflow.yaml"
_PIPELINES = "applications/pipeline/upstream/base/installs/multi-user/view-edit-cluster-roles.yaml"
_SPARK = "applications/spark/spark-operator/base/aggregated-roles.yaml"
_TENSORBOARD = "applications/tensorboard/tensorboards-web-app/upstream/base/cluster-role.yaml"
_TRAINER = "applications/trainer/upstream/overlays/kubeflow-platform/kubeflow-trainer-roles.yaml"
_TRAINING = "applications/training-operator/upstream/overlays/kubeflow/kubeflow-training-roles.yaml"
_VOLUMES = "applications/volumes-web-app/upstream/base/cluster-role.yaml"
_ISTIO = "common/istio/kubeflow-istio-resources/base/cluster-roles.yaml"
# `lllminferenceserviceconfigs` (three l's) is spelled so upstream; transcribed as is.
_KSERVE_RESOURCES = (
    "inferencegraphs inferenceservices servingruntimes trainedmodels"
    " llminferenceservices lllminferenceserviceconfigs"
)
_KNATIVE_RESOURCES = (
    "services services/status routes routes/status configurations configurations/status"
    " revisions revisions/status"
)
_TRAINING_JOBS = "mpijobs tfjobs pytorchjobs xgboostjobs paddlejobs jaxjobs"
_TRAINING_STATUS = " ".join(f"{job}/status" for job in _TRAINING_JOBS.split())

UPSTREAM_ROLES: tuple[UpstreamRole, ...] = (
    UpstreamRole("kubeflow-admin", _KF_ROLES, (), collects=True),
    UpstreamRole("kubeflow-edit", _KF_ROLES, ("kubeflow-admin",), collects=True),
    UpstreamRole("kubeflow-view", _KF_ROLES, ("kubeflow-edit",), collects=True),
    UpstreamRole(
        "kubeflow-kubernetes-admin",
        _KF_ROLES,
        ("kubeflow-admin",),
        rules=(
            _rule("authorization.k8s.io", "localsubjectaccessreviews", "create"),
            _rule("rbac.authorization.k8s.io", "rolebindings roles", _ALL_NAMED),
        ),
    ),
    UpstreamRole(
        "kubeflow-kubernetes-edit",
        _KF_ROLES,
        ("kubeflow-edit",),
        rules=(
            _rule(
                CORE,
                "pods/attach pods/exec pods/portforward pods/proxy secrets services/proxy",
                "get list watch",
            ),
            _rule(CORE, "pods pods/attach pods/exec pods/portforward pods/proxy", _EDIT_VERBS),
            _rule(
                CORE,
                "configmaps endpoints persistentvolumeclaims replicationcontrollers"
                " replicationcontrollers/scale secrets serviceaccounts services services/proxy",
                _EDIT_VERBS,
            ),
            _rule(
                "apps",
                "daemonsets deployments deployments/rollback deployments/scale replicasets"
                " replicasets/scale statefulsets statefulsets/scale",
                _EDIT_VERBS,
            ),
            _rule("autoscaling", "horizontalpodautoscalers", _EDIT_VERBS),
            _rule("batch", "cronjobs jobs", _EDIT_VERBS),
            _rule(
                "extensions",
                "daemonsets deployments deployments/rollback deployments/scale ingresses"
                " networkpolicies replicasets replicasets/scale replicationcontrollers/scale",
                _EDIT_VERBS,
            ),
            _rule("policy", "poddisruptionbudgets", _EDIT_VERBS),
            _rule("networking.k8s.io", "ingresses networkpolicies", _EDIT_VERBS),
        ),
    ),
    UpstreamRole(
        "kubeflow-kubernetes-view",
        _KF_ROLES,
        ("kubeflow-view",),
        rules=(
            _rule(
                CORE,
                "configmaps endpoints persistentvolumeclaims persistentvolumeclaims/status pods"
                " replicationcontrollers replicationcontrollers/scale serviceaccounts services"
                " services/status",
                "get list watch",
            ),
            _rule(
                CORE,
                "bindings events limitranges namespaces/status pods/log pods/status"
                " replicationcontrollers/status resourcequotas resourcequotas/status",
                "get list watch",
            ),
            _rule(CORE, "namespaces", "get list watch"),
            _rule(
                "apps",
                "controllerrevisions daemonsets daemonsets/status deployments deployments/scale"
                " deployments/status replicasets replicasets/scale replicasets/status"
                " statefulsets statefulsets/scale statefulsets/status",
                "get list watch",
            ),
            _rule(
                "autoscaling",
                "horizontalpodautoscalers horizontalpodautoscalers/status",
                "get list watch",
            ),
            _rule("batch", "cronjobs cronjobs/status jobs jobs/status", "get list watch"),
            _rule(
                "extensions",
                "daemonsets daemonsets/status deployments deployments/scale deployments/status"
                " ingresses ingresses/status networkpolicies replicasets replicasets/scale"
                " replicasets/status replicationcontrollers/scale",
                "get list watch",
            ),
            _rule("policy", "poddisruptionbudgets poddisruptionbudgets/status", "get list watch"),
            _rule(
                "networking.k8s.io",
                "ingresses ingresses/status networkpolicies",
                "get list watch",
            ),
        ),
    ),
    UpstreamRole("kubeflow-poddefaults-admin", _PODDEFAULTS, ("kubeflow-admin",), collects=True),
    UpstreamRole("kubeflow-poddefaults-edit", _PODDEFAULTS, ("kubeflow-edit",), collects=True),
    UpstreamRole(
        "kubeflow-poddefaults-view",
        _PODDEFAULTS,
        ("kubeflow-poddefaults-admin", "kubeflow-poddefaults-edit", "kubeflow-view"),
        rules=(_rule("kubeflow.org", "poddefaults", "get list watch"),),
    ),
    UpstreamRole("kubeflow-notebook-ui-admin", _NOTEBOOK_UI, ("kubeflow-admin",)),
    UpstreamRole(
        "kubeflow-notebook-ui-edit",
        _NOTEBOOK_UI,
        ("kubeflow-edit",),
        rules=(
            _rule(
                "kubeflow.org",
                "notebooks notebooks/finalizers poddefaults",
                "get list create delete",
            ),
        ),
    ),
    UpstreamRole(
        "kubeflow-notebook-ui-view",
        _NOTEBOOK_UI,
        ("kubeflow-view",),
        rules=(
            _rule("kubeflow.org", "notebooks notebooks/finalizers poddefaults", "get list"),
            _rule("storage.k8s.io", "storageclasses", "get list watch"),
        ),
    ),
    UpstreamRole("kubeflow-notebooks-admin", _NOTEBOOKS, ("kubeflow-admin",), collects=True),
    UpstreamRole(
        "kubeflow-notebooks-edit",
        _NOTEBOOKS,
        ("kubeflow-edit", "kubeflow-notebooks-admin"),
        rules=(_rule("kubeflow.org", "notebooks notebooks/status", _ALL_NAMED),),
    ),
    UpstreamRole(
        "kubeflow-notebooks-view",
        _NOTEBOOKS,
        ("kubeflow-view",),
        rules=(_rule("kubeflow.org", "notebooks notebooks/status", "get list watch"),),
    ),
    UpstreamRole("kubeflow-katib-admin", _KATIB, ("kubeflow-admin",), collects=True),
    UpstreamRole(
        "kubeflow-katib-edit",
        _KATIB,
        ("kubeflow-edit", "kubeflow-katib-admin"),
        rules=(
            _rule("kubeflow.org", "experiments trials suggestions", _ALL_NAMED),
            _rule(CORE, "pods", "list"),
            _rule(CORE, "pods/log", "get"),
        ),
    ),
    UpstreamRole(
        "kubeflow-katib-view",
        _KATIB,
        ("kubeflow-view",),
        rules=(_rule("kubeflow.org", "experiments trials suggestions", "get list watch"),),
    ),
    UpstreamRole("kubeflow-kserve-admin", _KSERVE, ("kubeflow-admin",), collects=True),
    UpstreamRole(
        "kubeflow-kserve-edit",
        _KSERVE,
        ("kubeflow-edit", "kubeflow-kserve-admin"),
        rules=(
            _rule("serving.kserve.io", _KSERVE_RESOURCES, _ALL_NAMED),
            _rule("serving.knative.dev", _KNATIVE_RESOURCES, _ALL_NAMED),
        ),
    ),
    UpstreamRole(
        "kubeflow-kserve-view",
        _KSERVE,
        ("kubeflow-view",),
        rules=(
            _rule("serving.kserve.io", _KSERVE_RESOURCES, "get list watch"),
            _rule("serving.knative.dev", _KNATIVE_RESOURCES, "get list"),
        ),
    ),
    UpstreamRole("kubeflow-pipelines-edit", _PIPELINES, ("kubeflow-edit",), collects=True),
    UpstreamRole(
        "kubeflow-pipelines-view",
        _PIPELINES,
        ("kubeflow-pipelines-edit", "kubeflow-view"),
        collects=True,
    ),
    UpstreamRole(
        "aggregate-to-kubeflow-pipelines-edit",
        _PIPELINES,
        ("kubeflow-pipelines-edit",),
        rules=(
            _rule("pipelines.kubeflow.org", "pipelines pipelineversions", "create delete update"),
            _rule("pipelines.kubeflow.org", "experiments", "archive create delete unarchive"),
            _rule(
                "pipelines.kubeflow.org",
                "runs",
                "archive create delete retry terminate unarchive reportMetrics readArtifact",
            ),
            _rule("pipelines.kubeflow.org", "jobs", "create delete disable enable"),
            _rule("kubeflow.org", "scheduledworkflows", ALL_VERBS),
            _rule(
                "argoproj.io",
                "cronworkflows cronworkflows/finalizers workflows workflows/finalizers"
                " workfloweventbindings workflowtemplates workflowtaskresults",
                ALL_VERBS,
            ),
        ),
    ),
    UpstreamRole(
        "aggregate-to-kubeflow-pipelines-view",
        _PIPELINES,
        ("kubeflow-pipelines-view",),
        rules=(
            _rule(
                "pipelines.kubeflow.org",
                "pipelines pipelineversions experiments jobs",
                "get list",
            ),
            _rule("pipelines.kubeflow.org", "runs", "get list readArtifact"),
            _rule("kubeflow.org", "viewers", "create get delete"),
            _rule("pipelines.kubeflow.org", "visualizations", "create"),
        ),
    ),
    UpstreamRole("kubeflow-spark-admin", _SPARK, ("kubeflow-admin",)),
    UpstreamRole(
        "kubeflow-spark-edit",
        _SPARK,
        ("kubeflow-edit", "kubeflow-admin"),
        rules=(
            _rule(
                "sparkoperator.k8s.io",
                "sparkapplications scheduledsparkapplications",
                "create delete get list patch update watch",
            ),
            _rule(
                "sparkoperator.k8s.io",
                "sparkapplications/status scheduledsparkapplications/status",
                "get",
            ),
        ),
    ),
    UpstreamRole(
        "kubeflow-spark-view",
        _SPARK,
        ("kubeflow-view",),
        rules=(
            _rule(
                "sparkoperator.k8s.io",
                "sparkapplications scheduledsparkapplications",
                "get list watch",
            ),
            _rule(
                "sparkoperator.k8s.io",
                "sparkapplications/status scheduledsparkapplications/status",
                "get",
            ),
        ),
    ),
    UpstreamRole("kubeflow-tensorboard-ui-admin", _TENSORBOARD, ("kubeflow-admin",)),
    UpstreamRole(
        "kubeflow-tensorboard-ui-edit",
        _TENSORBOARD,
        ("kubeflow-edit",),
        rules=(
            _rule(
                "tensorboard.kubeflow.org",
                "tensorboards tensorboards/finalizers",
                "get list create delete",
            ),
            _rule("kubeflow.org", "poddefaults", "get list watch"),
        ),
    ),
    UpstreamRole(
        "kubeflow-tensorboard-ui-view",
        _TENSORBOARD,
        ("kubeflow-view",),
        rules=(
            _rule("tensorboard.kubeflow.org", "tensorboards tensorboards/finalizers", "get list"),
            _rule("storage.k8s.io", "storageclasses", "get list watch"),
            _rule("kubeflow.org", "poddefaults", "get list watch"),
        ),
    ),
    UpstreamRole("kubeflow-trainer-admin", _TRAINER, ("kubeflow-admin",), collects=True),
    UpstreamRole(
        "kubeflow-trainer-edit",
        _TRAINER,
        ("kubeflow-edit", "kubeflow-trainer-admin"),
        rules=(
            _rule("trainer.kubeflow.org", "trainingruntimes", "get list watch"),
            _rule("trainer.kubeflow.org", "trainjobs", "create patch get list watch delete"),
            _rule(CORE, "pods pods/log events", "get list watch"),
        ),
    ),
    UpstreamRole(
        "kubeflow-trainer-view",
        _TRAINER,
        # Its label `aggregate-to-kubeflow-trainer-view` selects nothing: no role collects it.
        ("kubeflow-view", "kubeflow-trainer-view"),
        rules=(_rule("trainer.kubeflow.org", "trainingruntimes trainjobs", "get list watch"),),
    ),
    UpstreamRole("kubeflow-training-admin", _TRAINING, ("kubeflow-admin",), collects=True),
    UpstreamRole(
        "kubeflow-training-edit",
        _TRAINING,
        ("kubeflow-edit", "kubeflow-training-admin"),
        rules=(
            _rule("kubeflow.org", _TRAINING_JOBS, "create delete get list patch update watch"),
            _rule("kubeflow.org", _TRAINING_STATUS, "get"),
            _rule(CORE, "persistentvolumeclaims", "create delete get list watch"),
            _rule(CORE, "events", "get list watch"),
        ),
    ),
    UpstreamRole(
        "kubeflow-training-view",
        _TRAINING,
        ("kubeflow-view",),
        rules=(
            _rule("kubeflow.org", _TRAINING_JOBS, "get list watch"),
            _rule("kubeflow.org", _TRAINING_STATUS, "get"),
        ),
    ),
    UpstreamRole("kubeflow-volume-ui-admin", _VOLUMES, ("kubeflow-admin",)),
    UpstreamRole(
        "kubeflow-volume-ui-edit",
        _VOLUMES,
        ("kubeflow-edit",),
        rules=(
            _rule(CORE, "persistentvolumeclaims", "create delete get list watch update patch"),
            _rule("kubeflow.org", "pvcviewers", "get list create delete"),
        ),
    ),
    UpstreamRole(
        "kubeflow-volume-ui-view",
        _VOLUMES,
        ("kubeflow-view",),
        rules=(
            _rule(CORE, "persistentvolumeclaims", "get list watch"),
            _rule("storage.k8s.io", "storageclasses", "get list watch"),
            _rule("kubeflow.org", "pvcviewers", "get list"),
        ),
    ),
    UpstreamRole("kubeflow-istio-admin", _ISTIO, ("kubeflow-admin",), collects=True),
    UpstreamRole(
        "kubeflow-istio-edit",
        _ISTIO,
        ("kubeflow-edit", "kubeflow-istio-admin"),
        rules=(_rule("istio.io networking.istio.io", "*", "get list watch"),),
    ),
    UpstreamRole(
        "kubeflow-istio-view",
        _ISTIO,
        ("kubeflow-view",),
        rules=(
            _rule("istio.io networking.istio.io", "*", "get list watch"),
            _rule("security.istio.io", "authorizationpolicies", "get list watch"),
        ),
    ),
)

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
    **dict.fromkeys(_TRAINING_JOBS.split(), "training"),
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

SUMMARY: Mapping[Role, str] = {
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
CLUSTER_WIDE_EXPOSURE: Mapping[Role, str] = {
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
    " kubeflow-admin (RoleBinding namespaceAdmin), contributors kubeflow-edit or kubeflow-view.",
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
    verbs: Mapping[Role, frozenset[str]]

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
    by_name = {upstream.name: upstream for upstream in UPSTREAM_ROLES}
    seen: set[str] = set()
    pending = [role]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        current = by_name[name]
        yield current
        if current.collects:
            pending.extend(u.name for u in UPSTREAM_ROLES if name in u.aggregate_to)


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


def resolve_role(text: str) -> Role | None:
    """Return the roster role named `text` (`edit` or `kubeflow-edit`), or None."""
    name = text.lower().removeprefix("kubeflow-")
    for role in ROLES:
        if role == name:
            return role
    return None


# --- Presentation: the chart as text, Markdown and JSON --------------------------------

LEGEND = (
    "read = get, list, watch · write = create, update, patch, delete, deletecollection"
    " · all = every verb (*) · = adds nothing · — none"
)


def _increment(lower: frozenset[str], verbs: frozenset[str]) -> str:
    """Write what `verbs` adds to the role below it."""
    added = verbs - lower
    if ALL_VERBS in lower or (lower and not added):
        return "="
    if not verbs:
        return "—"
    return describe_verbs(frozenset(added))


def _cells(row: Row, role: Role | None) -> list[str]:
    """Return the verb cells of a row: one role's verbs, or each role's additions."""
    if role is not None:
        return [describe_verbs(row.verbs[role])]
    view, edit, admin = (row.verbs[name] for name in ROLES)
    return [describe_verbs(view) or "—", _increment(view, edit), _increment(edit, admin)]


def _wrap_cell(cell: str) -> str:
    """Fold a long verb list onto several lines of one table cell."""
    return "\n".join(textwrap.wrap(cell, _CELL_WIDTH)) or cell


_CELL_WIDTH = 32


def _resource_label(row: Row) -> str:
    name = "* (every kind)" if row.resource == "*" else row.resource
    return f"{name} †" if row.cluster_scoped else name


def _areas(rows: tuple[Row, ...], role: Role | None) -> list[tuple[str, list[Row]]]:
    """Group rows by area in chart order, keeping only what `role` (when given) grants."""
    shown = [row for row in rows if role is None or row.verbs[role]]
    return [(area, [row for row in shown if row.area == area]) for area in AREAS]


def _headers(role: Role | None) -> list[str]:
    verbs = [role.upper()] if role else ["VIEW", "EDIT ADDS", "ADMIN ADDS"]
    return ["RESOURCE", "GROUP", *verbs]


def _title(role: Role | None) -> str:
    if role is None:
        return "kubeflow-admin ⊇ kubeflow-edit ⊇ kubeflow-view"
    return f"kubeflow-{role}"


def format_text(rows: tuple[Row, ...], role: Role | None = None, palette: Palette = PLAIN) -> str:
    """Format the chart (all three roles, or one) as aligned terminal tables."""
    roles = ROLES if role is None else (role,)
    lines = [palette.bold(_title(role)), *wrap(SOURCE, indent=2), ""]
    lines += definitions([(name, SUMMARY[name]) for name in roles])
    lines += ["", palette.bold("Bound cluster-wide (users[].clusterRole), in every namespace:")]
    lines += definitions(
        [(palette.paint(name, _DANGER[name]), CLUSTER_WIDE_EXPOSURE[name]) for name in roles]
    )
    areas = [(area, area_rows) for area, area_rows in _areas(rows, role) if area_rows]
    body = [
        [
            _resource_label(row),
            row.group,
            *_paint_cells(map(_wrap_cell, _cells(row, role)), palette),
        ]
        for _, area_rows in areas
        for row in area_rows
    ]
    # One layout for every area, so columns line up from one area's table to the next.
    header, *laid_out = table_rows(_headers(role), body, indent=2, palette=palette)
    for area, area_rows in areas:
        area_lines = [line for row in laid_out[: len(area_rows)] for line in row]
        lines += ["", palette.bold(area), *header, *area_lines]
        laid_out = laid_out[len(area_rows) :]
    lines += ["", *(palette.dim(line) for line in wrap(LEGEND))]
    lines += [palette.dim(line) for note in NOTES for line in wrap(f"- {note}", hang=2)]
    return "\n".join(lines) + "\n"


_DANGER: Mapping[Role, str] = {"view": "yellow", "edit": "red", "admin": "red"}


def _paint_cells(cells: Iterable[str], palette: Palette) -> list[str]:
    painted = []
    for index, cell in enumerate(cells):
        if cell in {"=", "—"}:
            painted.append(palette.dim(cell))
        elif index == 2:  # what admin adds beyond edit: the power to grant access
            painted.append("\n".join(palette.paint(line, "red") for line in cell.split("\n")))
        else:
            painted.append(cell)
    return painted


def format_markdown(rows: tuple[Row, ...], role: Role | None = None) -> str:
    """Format the chart as Markdown: a summary, then one table per area."""
    roles = ROLES if role is None else (role,)
    lines = [f"## {_title(role)}", "", SOURCE, ""]
    lines += markdown_table(
        ["Role", "In a namespace"], [[f"`kubeflow-{n}`", SUMMARY[n]] for n in roles]
    )
    lines += ["", "**Bound cluster-wide** (`users[].clusterRole`), in every namespace:", ""]
    lines += markdown_table(
        ["Role", "Cluster-wide"], [[f"`kubeflow-{n}`", CLUSTER_WIDE_EXPOSURE[n]] for n in roles]
    )
    for area, area_rows in _areas(rows, role):
        if not area_rows:
            continue
        body = [
            [f"`{_resource_label(row)}`", f"`{row.group}`", *_cells(row, role)] for row in area_rows
        ]
        headers = [header.capitalize() for header in _headers(role)]
        lines += ["", f"### {area}", "", *markdown_table(headers, body)]
    lines += ["", LEGEND, "", *(f"- {note}" for note in NOTES)]
    return "\n".join(lines) + "\n"


def to_json(rows: tuple[Row, ...], role: Role | None = None) -> dict[str, object]:
    """Return the chart as plain data: every role's full verbs per resource."""
    roles = ROLES if role is None else (role,)
    return {
        "upstream": UPSTREAM,
        "release": RELEASE,
        "roles": {
            f"kubeflow-{name}": {
                "summary": SUMMARY[name],
                "clusterWide": CLUSTER_WIDE_EXPOSURE[name],
            }
            for name in roles
        },
        "areas": [
            {
                "area": area,
                "resources": [
                    {
                        "group": row.group,
                        "resource": row.resource,
                        "clusterScoped": row.cluster_scoped,
                        "verbs": {
                            f"kubeflow-{name}": ordered_verbs(row.verbs[name]) for name in roles
                        },
                    }
                    for row in area_rows
                ],
            }
            for area, area_rows in _areas(rows, role)
            if area_rows
        ],
        "notes": list(NOTES),
    }


def format_json(rows: tuple[Row, ...], role: Role | None = None) -> str:
    """Format the chart as indented JSON."""
    return json.dumps(to_json(rows, role), indent=2, ensure_ascii=False) + "\n"
