"""The Kubernetes and Kubeflow words every stage shares: API groups, labels, annotations, names.

A word that the renderers write and another stage reads back (the plan, `import`,
`explain`) lives here once, so the two can never disagree. Prune protection (what Flux
and Argo CD must never delete) has its own home, render/protection.py; Istio's mesh
labels are in mesh.py.
"""

from __future__ import annotations

from typing import Final

# API groups and versions of the objects kfroster renders. (The AuthorizationPolicy's
# version is a roster setting: settings.authorizationPolicyApiVersion.)
CORE_API_VERSION: Final = "v1"
RBAC_GROUP: Final = "rbac.authorization.k8s.io"
RBAC_API_VERSION: Final = f"{RBAC_GROUP}/v1"
ISTIO_SECURITY_GROUP: Final = "security.istio.io"
KUBEFLOW_GROUP: Final = "kubeflow.org"
PROFILE_API_VERSION: Final = f"{KUBEFLOW_GROUP}/v1"

# Every object kfroster applies carries this label; `import` and the plan tell kfroster's
# own objects from hand-made ones by it.
MANAGED_BY_LABEL: Final = "app.kubernetes.io/managed-by"
MANAGED_BY: Final = {MANAGED_BY_LABEL: "kfroster"}

# The profile controller adopts an existing Namespace only when this annotation holds
# the Profile's owner (components/profile-controller/controllers/profile_controller.go,
# kubeflow/kubeflow v1.10.0 L129 and L175).
NAMESPACE_OWNER_ANNOTATION: Final = "owner"
# KFAM lists a contributor only from a RoleBinding and AuthorizationPolicy annotated with
# the user's email and the role (components/access-management/kfam/bindings.go L36-37,
# L121, L141, L204-211, kubeflow/dashboard @d84246482d86).
KFAM_USER_ANNOTATION: Final = "user"
KFAM_ROLE_ANNOTATION: Final = "role"

# What the profile controller creates in each profile namespace (profile_controller.go
# v1.10.0 L51, L56, L74-75, L233): kfroster never renders them, and `import` leaves them.
OWNER_BINDING: Final = "namespaceAdmin"  # RoleBinding: the owner's kubeflow-admin
OWNER_POLICY: Final = "ns-owner-access-istio"  # AuthorizationPolicy: the owner's web access
DEFAULT_EDITOR: Final = "default-editor"  # ServiceAccount and RoleBinding; plugins bind it
DEFAULT_VIEWER: Final = "default-viewer"  # ServiceAccount and RoleBinding
CONTROLLER_QUOTA: Final = "kf-resource-quota"  # ResourceQuota from spec.resourceQuotaSpec

# The LimitRange kfroster renders in each profile namespace (the controller makes none).
LIMIT_RANGE_NAME: Final = "kf-limit-range"

# The kinds of a Profile's spec.plugins, as the profile controller reads them.
WORKLOAD_IDENTITY: Final = "WorkloadIdentity"
AWS_IAM_FOR_SERVICE_ACCOUNT: Final = "AwsIamForServiceAccount"
