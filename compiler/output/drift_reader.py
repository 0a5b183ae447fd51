"""The read-only identity the scheduled drift workflow reads the cluster with. Pure: no I/O.

`kfroster drift` needs what `kubectl get profiles,namespaces,clusterrolebindings,
rolebindings,limitranges,authorizationpolicies -A -o json` prints, and nothing more: a
ClusterRole with `get` and `list` on exactly those six kinds (no `watch`, no Secrets, no
write), bound to a ServiceAccount, and a token Secret for that account (Kubernetes fills
it in: `kubernetes.io/service-account-token`), from which the workflow's kubeconfig is
made. Reading bindings and Profiles shows who may do what; it grants none of it.
"""

from __future__ import annotations

from typing import Final

from compiler.model.keys import Manifest
from compiler.model.kube import MANAGED_BY, RBAC_GROUP
from compiler.yamlio import emitter

NAME: Final = "kfroster-drift"
ROLE: Final = "kfroster-drift-reader"
FILE: Final = f"{ROLE}.yaml"
TOKEN: Final = f"{NAME}-token"

# (API group, resources): exactly the kinds of the dump the workflow reads.
READ: Final = (
    ("kubeflow.org", ("profiles",)),
    ("", ("limitranges", "namespaces")),
    (RBAC_GROUP, ("clusterrolebindings", "rolebindings")),
    ("security.istio.io", ("authorizationpolicies",)),
)
# The command the workflow runs with that identity: full resource names, never short ones
# another API group could also answer to.
DUMP_COMMAND: Final = (
    "kubectl get profiles.kubeflow.org,namespaces,clusterrolebindings.rbac.authorization.k8s.io,"
    "rolebindings.rbac.authorization.k8s.io,limitranges,"
    "authorizationpolicies.security.istio.io -A -o json"
)


def manifests(namespace: str) -> list[Manifest]:
    """Return the ServiceAccount, its token Secret, the ClusterRole and its binding."""
    labels = dict(MANAGED_BY)
    return [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": NAME, "namespace": namespace, "labels": labels},
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": TOKEN,
                "namespace": namespace,
                "labels": labels,
                "annotations": {"kubernetes.io/service-account.name": NAME},
            },
            "type": "kubernetes.io/service-account-token",
        },
        {
            "apiVersion": f"{RBAC_GROUP}/v1",
            "kind": "ClusterRole",
            "metadata": {"name": ROLE, "labels": labels},
            "rules": [
                {"apiGroups": [group], "resources": list(resources), "verbs": ["get", "list"]}
                for group, resources in READ
            ],
        },
        {
            "apiVersion": f"{RBAC_GROUP}/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": ROLE, "labels": labels},
            "roleRef": {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": ROLE},
            "subjects": [{"kind": "ServiceAccount", "name": NAME, "namespace": namespace}],
        },
    ]


def render(namespace: str, header: str) -> dict[str, str]:
    """Return the reader's file of deploy/ (relative path -> text), under the given header."""
    documents = "".join(f"---\n{emitter.dumps(manifest)}" for manifest in manifests(namespace))
    return {FILE: header + documents}
