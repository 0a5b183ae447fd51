"""Render a contributor in the exact form KFAM and the Kubeflow dashboard recognise.

KFAM lists, adds and removes contributors as a RoleBinding plus an Istio
AuthorizationPolicy of the same name, annotated with `user` and `role`; any other
shape is invisible to the dashboard, which then cannot remove the contributor. The
policy's rule has the shape KFAM writes in the roster's Kubeflow release (releases.py).
"""

from __future__ import annotations

from compiler.model import names
from compiler.model.keys import Manifest
from compiler.model.kube import (
    KFAM_ROLE_ANNOTATION,
    KFAM_USER_ANNOTATION,
    RBAC_API_VERSION,
    RBAC_GROUP,
)
from compiler.model.releases import release
from compiler.model.roles import ContributorRoleName
from compiler.model.roster import Settings, User
from compiler.render.common import metadata, user_subject


def render_contributor(
    namespace: str, user: User, role: ContributorRoleName, settings: Settings
) -> tuple[Manifest, Manifest]:
    """Return the RoleBinding and AuthorizationPolicy granting `role` in `namespace`."""
    name = names.kfam_name(user.email, role)
    annotations = {KFAM_ROLE_ANNOTATION: role, KFAM_USER_ANNOTATION: user.email}
    meta = metadata(name, namespace=namespace, annotations=annotations)
    binding = {
        "apiVersion": RBAC_API_VERSION,
        "kind": "RoleBinding",
        "metadata": meta,
        "roleRef": {
            "apiGroup": RBAC_GROUP,
            "kind": "ClusterRole",
            "name": names.cluster_role(role),
        },
        # Exactly one subject: an annotated binding with more breaks the dashboard's list.
        "subjects": [user_subject(user.email)],
    }
    rule: Manifest = {}
    if release(settings.kubeflow_version).contributor_policy_from:
        # Requests reach a namespace's apps through the gateway or the Pipelines UI only.
        principals = [settings.ingress_gateway_principal, settings.pipelines_ui_principal]
        rule["from"] = [{"source": {"principals": principals}}]
    rule["when"] = [
        {
            "key": f"request.headers[{settings.user_id_header}]",
            "values": [settings.user_id_prefix + user.email],
        }
    ]
    policy = {
        "apiVersion": settings.authorization_policy_api_version,
        "kind": "AuthorizationPolicy",
        "metadata": metadata(name, namespace=namespace, annotations=annotations),
        "spec": {"rules": [rule]},
    }
    return binding, policy
