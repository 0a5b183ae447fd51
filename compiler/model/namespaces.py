"""Which namespaces a profile may never take, and which only when the roster says so.

The profile controller adopts an existing namespace whose `owner` annotation matches the
Profile's owner (profile_controller.go, kubeflow/kubeflow v1.10.0, L174-197), and a
managed Namespace in out/ sets that annotation: a profile named like a namespace that
cluster software runs in hands that namespace, and everything in it, to one user.

`SYSTEM` namespaces (Kubernetes', Kubeflow's, Istio's, the GitOps engines') are never a
profile. `PLATFORM` namespaces, and every name ending in `-system`, are reserved by
default: a roster that really keeps a profile of such a name lists it in
`policy.allowNamespaces`, which the plan reports.
"""

from __future__ import annotations

from typing import Literal

SYSTEM_PREFIX = "kube-"
SYSTEM = frozenset(
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
# Created by the Kubeflow 1.11 manifests (kserve, jobset-system, lws-system) or commonly
# installed beside Kubeflow (monitoring, ingress-nginx, gatekeeper-system).
PLATFORM = frozenset(
    {"gatekeeper-system", "ingress-nginx", "jobset-system", "kserve", "lws-system", "monitoring"}
)
PLATFORM_SUFFIX = "-system"

Reservation = Literal["system", "platform"]


def reservation(name: str) -> Reservation | None:
    """Tell whether a namespace is reserved: never a profile ("system"), or by default."""
    if name in SYSTEM or name.startswith(SYSTEM_PREFIX):
        return "system"
    if name in PLATFORM or name.endswith(PLATFORM_SUFFIX):
        return "platform"
    return None
