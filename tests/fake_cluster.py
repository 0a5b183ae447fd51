"""A fake cluster: what out/, the profile controller and the API server leave in one.

`cluster_of(roster)` is what a cluster holds once the compiled roster is applied and the
profile controller has run (profile_controller.go, kubeflow/kubeflow v1.10.0 L200-294:
namespaceAdmin, the default-editor and default-viewer service accounts and their
bindings, ns-owner-access-istio and kf-resource-quota, each with a controller
ownerReference to its Profile), plus objects every Kubeflow cluster has. `kubectl_list`
prints them as `kubectl get -o yaml|json` does, with the fields the API server adds. The
builders below make single objects for smaller clusters. Shared by the import and drift
tests and by benchmarks/run.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from compiler.model.keys import Manifest, ResourceKey
from compiler.model.resolve import effective_quota
from compiler.model.roster import DEFAULT_NAMESPACE_LABELS, Roster
from compiler.render import render_objects
from tests.kfam import binding_name

RBAC = "rbac.authorization.k8s.io"


def _subject(email: str) -> Manifest:
    return {"apiGroup": RBAC, "kind": "User", "name": email}


def _service_account(namespace: str, name: str) -> Manifest:
    return {"kind": "ServiceAccount", "name": name, "namespace": namespace}


def owner_references(profile: str) -> list[Manifest]:
    """Return the controller reference to a Profile: on what the controller makes for it."""
    return [
        {
            "apiVersion": "kubeflow.org/v1",
            "kind": "Profile",
            "name": profile,
            "uid": f"uid-of-profile-{profile}",
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]


def controller_objects(roster: Roster) -> list[Manifest]:
    """Return what the profile controller creates for each profile of a valid roster.

    The namespace itself only when kfroster does not emit it (with an ownerReference to
    its Profile); then the owner's admin binding, the two service accounts and their
    bindings, the owner's AuthorizationPolicy and, with a quota, the ResourceQuota.
    """
    settings_ = roster.settings
    emails = {user.name: user.email for user in roster.users}
    made: list[Manifest] = []
    for profile in roster.profiles:
        namespace, owner = profile.name, emails[profile.owner]
        if not settings_.manage_namespaces:
            made.append(
                {
                    "apiVersion": "v1",
                    "kind": "Namespace",
                    "metadata": {
                        "name": namespace,
                        "labels": dict(DEFAULT_NAMESPACE_LABELS),
                        "annotations": {"owner": owner},
                        "ownerReferences": owner_references(namespace),
                    },
                }
            )
        made.append(
            {
                "apiVersion": f"{RBAC}/v1",
                "kind": "RoleBinding",
                "metadata": {
                    "name": "namespaceAdmin",
                    "namespace": namespace,
                    "annotations": {"role": "admin", "user": owner},
                    "ownerReferences": owner_references(namespace),
                },
                "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": "kubeflow-admin"},
                "subjects": [_subject(owner)],
            }
        )
        for account, role in (("default-editor", "edit"), ("default-viewer", "view")):
            made.append(
                {
                    "apiVersion": "v1",
                    "kind": "ServiceAccount",
                    "metadata": {
                        "name": account,
                        "namespace": namespace,
                        "ownerReferences": owner_references(namespace),
                    },
                }
            )
            made.append(
                {
                    "apiVersion": f"{RBAC}/v1",
                    "kind": "RoleBinding",
                    "metadata": {
                        "name": account,
                        "namespace": namespace,
                        "ownerReferences": owner_references(namespace),
                    },
                    "roleRef": {
                        "apiGroup": RBAC,
                        "kind": "ClusterRole",
                        "name": f"kubeflow-{role}",
                    },
                    "subjects": [_service_account(namespace, account)],
                }
            )
        made.append(
            {
                "apiVersion": "security.istio.io/v1",
                "kind": "AuthorizationPolicy",
                "metadata": {
                    "name": "ns-owner-access-istio",
                    "namespace": namespace,
                    "annotations": {"role": "admin", "user": owner},
                    "ownerReferences": owner_references(namespace),
                },
                "spec": {
                    "rules": [
                        {
                            "from": [
                                {
                                    "source": {
                                        "principals": [
                                            settings_.ingress_gateway_principal,
                                            settings_.pipelines_ui_principal,
                                        ]
                                    }
                                }
                            ],
                            "when": [
                                {
                                    "key": f"request.headers[{settings_.user_id_header}]",
                                    "values": [settings_.user_id_prefix + owner],
                                }
                            ],
                        },
                        {"when": [{"key": "source.namespace", "values": [namespace]}]},
                        {"to": [{"operation": {"paths": ["/healthz", "/metrics"]}}]},
                    ]
                },
            }
        )
        # Kubeflow Pipelines' own controller adds policies between services.
        made.append(
            {
                "apiVersion": "security.istio.io/v1beta1",
                "kind": "AuthorizationPolicy",
                "metadata": {"name": "ml-pipeline-visualizationserver", "namespace": namespace},
                "spec": {
                    "rules": [
                        {
                            "from": [
                                {
                                    "source": {
                                        "principals": ["cluster.local/ns/kubeflow/sa/ml-pipeline"]
                                    }
                                }
                            ]
                        }
                    ]
                },
            }
        )
        quota = effective_quota(profile, roster)
        if quota.hard:
            made.append(
                {
                    "apiVersion": "v1",
                    "kind": "ResourceQuota",
                    "metadata": {
                        "name": "kf-resource-quota",
                        "namespace": namespace,
                        "ownerReferences": owner_references(namespace),
                    },
                    "spec": {"hard": {k: str(v) for k, v in quota.hard.items()}},
                }
            )
    return made


def system_objects() -> list[Manifest]:
    """Return bindings and policies every Kubeflow cluster has, none of them user access."""
    return [
        {
            "apiVersion": f"{RBAC}/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {
                "name": "cluster-admin",
                "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"},
            },
            "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": "cluster-admin"},
            "subjects": [{"apiGroup": RBAC, "kind": "Group", "name": "system:masters"}],
        },
        {
            "apiVersion": f"{RBAC}/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "ml-pipeline"},
            "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": "ml-pipeline"},
            "subjects": [_service_account("kubeflow", "ml-pipeline")],
        },
        {
            "apiVersion": f"{RBAC}/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "ml-pipeline", "namespace": "kubeflow"},
            "roleRef": {"apiGroup": RBAC, "kind": "Role", "name": "ml-pipeline"},
            "subjects": [_service_account("kubeflow", "ml-pipeline")],
        },
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kubeflow"}},
        {
            "apiVersion": "security.istio.io/v1beta1",
            "kind": "AuthorizationPolicy",
            "metadata": {"name": "global-deny-all", "namespace": "istio-system"},
            "spec": {},
        },
        {
            "apiVersion": "v1",
            "kind": "LimitRange",
            "metadata": {"name": "limits", "namespace": "kube-system"},
            "spec": {"limits": [{"type": "Container", "default": {"cpu": "1"}}]},
        },
    ]


def with_noise(manifest: Manifest, number: int, *, server_side: bool = False) -> Manifest:
    """Return a manifest as the API server prints it: ids, versions, managed fields, status.

    Applied with `kubectl apply` (the default): its last-applied annotation. Applied server
    side, as Flux and the profile controller do: managed fields that list every field.
    """
    noisy: Manifest = json.loads(json.dumps(manifest))
    metadata = noisy["metadata"]
    if server_side:
        mine = metadata.get("labels", {}).get("app.kubernetes.io/managed-by") == "kfroster"
        body = {k: v for k, v in manifest.items() if k not in ("apiVersion", "kind")}
        managed = {
            "fieldsV1": _fields(body),
            "manager": "kustomize-controller" if mine else "manager",
            "operation": "Apply" if mine else "Update",
        }
    else:
        metadata["annotations"] = {
            **metadata.get("annotations", {}),
            "kubectl.kubernetes.io/last-applied-configuration": json.dumps(manifest),
        }
        managed = {
            "fieldsV1": {"f:metadata": {"f:labels": {".": {}}}},
            "manager": "kubectl-client-side-apply",
            "operation": "Apply",
        }
    metadata["creationTimestamp"] = "2024-05-01T12:00:00Z"
    metadata["generation"] = 1
    metadata["resourceVersion"] = str(1000 + number)
    metadata["uid"] = f"6f1c{number:04d}-0000-4000-8000-000000000000"
    metadata["managedFields"] = [
        {
            "apiVersion": noisy["apiVersion"],
            "fieldsType": "FieldsV1",
            "fieldsV1": managed["fieldsV1"],
            "manager": managed["manager"],
            "operation": managed["operation"],
            "time": "2024-05-01T12:00:00Z",
        }
    ]
    if noisy["kind"] == "Namespace":
        metadata.setdefault("labels", {})["kubernetes.io/metadata.name"] = metadata["name"]
        noisy["spec"] = {"finalizers": ["kubernetes"]}
        noisy["status"] = {"phase": "Active"}
    if noisy["kind"] == "Profile":
        noisy["status"] = {"conditions": [{"type": "Successful", "status": "True"}]}
    return noisy


def _fields(value: Any) -> Any:
    """Return the FieldsV1 set of a value: every key as `f:key`; lists are atomic (`{}`)."""
    if isinstance(value, dict):
        return {f"f:{key}": _fields(item) for key, item in value.items()}
    return {}


def kubectl_list(manifests: Iterable[Manifest], *, server_side: bool = False) -> dict[str, Any]:
    """Wrap objects the way `kubectl get … -o yaml` does."""
    items = [
        with_noise(manifest, number, server_side=server_side)
        for number, manifest in enumerate(manifests)
    ]
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}


def compiled(roster: Roster) -> dict[ResourceKey, Manifest]:
    """Compile a roster into its manifests by key."""
    return render_objects(roster)


def cluster_of(roster: Roster) -> list[Manifest]:
    """Return every object a cluster holds after out/ was applied and the controller ran.

    A profile marked namespaceOwnedByProfile had its namespace made by the controller
    before kfroster applied it: it keeps the controller's ownerReference.
    """
    owned = {p.name for p in roster.profiles if p.namespace_owned_by_profile}
    applied = []
    for manifest in compiled(roster).values():
        name = manifest["metadata"]["name"]
        if manifest["kind"] == "Namespace" and name in owned:
            made = json.loads(json.dumps(manifest))
            made["metadata"]["ownerReferences"] = owner_references(name)
            applied.append(made)
        else:
            applied.append(manifest)
    return [*applied, *controller_objects(roster), *system_objects()]


def owned_namespaces(roster: Roster) -> set[str]:
    """Name the namespaces that have an ownerReference to their Profile in cluster_of()."""
    if not roster.settings.manage_namespaces:
        return {profile.name for profile in roster.profiles}
    return {profile.name for profile in roster.profiles if profile.namespace_owned_by_profile}


OWNER = "owner@example.com"


def profile(name: str = "team", owner: str = OWNER, **spec: Any) -> Manifest:
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "Profile",
        "metadata": {"name": name},
        "spec": {"owner": {"kind": "User", "name": owner}, **spec},
    }


def namespace(name: str = "team", owner: str | None = OWNER, **labels: str) -> Manifest:
    annotations = {"owner": owner} if owner else {}
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": labels or dict(DEFAULT_NAMESPACE_LABELS),
            "annotations": annotations,
        },
    }


def user(email: str) -> Manifest:
    return _subject(email)


def role_binding(
    name: str,
    role: str,
    *subjects: Manifest,
    namespace: str = "team",
    annotations: dict[str, str] | None = None,
) -> Manifest:
    metadata: Manifest = {"name": name, "namespace": namespace}
    if annotations:
        metadata["annotations"] = annotations
    return {
        "apiVersion": f"{RBAC}/v1",
        "kind": "RoleBinding",
        "metadata": metadata,
        "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": role},
        "subjects": list(subjects),
    }


def cluster_role_binding(name: str, role: str, *subjects: Manifest) -> Manifest:
    return {
        "apiVersion": f"{RBAC}/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": name},
        "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": role},
        "subjects": list(subjects),
    }


def policy(
    name: str,
    value: str,
    *,
    namespace: str = "team",
    annotations: dict[str, str] | None = None,
    header: str = "kubeflow-userid",
    principals: Sequence[str] = (
        "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account",
        "cluster.local/ns/kubeflow/sa/ml-pipeline-ui",
    ),
) -> Manifest:
    metadata: Manifest = {"name": name, "namespace": namespace}
    if annotations:
        metadata["annotations"] = annotations
    return {
        "apiVersion": "security.istio.io/v1beta1",
        "kind": "AuthorizationPolicy",
        "metadata": metadata,
        "spec": {
            "rules": [
                {
                    "from": [{"source": {"principals": list(principals)}}],
                    "when": [{"key": f"request.headers[{header}]", "values": [value]}],
                }
            ]
        },
    }


def contributor(
    email: str, role: str = "edit", *, prefix: str = "", namespace: str = "team", **kw: Any
) -> list[Manifest]:
    """Return a contributor's RoleBinding and AuthorizationPolicy, as KFAM writes them."""
    name = binding_name(email, role)
    annotations = {"role": role, "user": email}
    return [
        role_binding(
            name, f"kubeflow-{role}", user(email), namespace=namespace, annotations=annotations
        ),
        policy(name, prefix + email, namespace=namespace, annotations=annotations, **kw),
    ]


def limit_range(name: str, *limits: Manifest, namespace: str = "team") -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"limits": list(limits)},
    }
