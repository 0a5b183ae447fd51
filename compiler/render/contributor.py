"""Render a contributor in the exact form KFAM and the Kubeflow dashboard recognise.

KFAM lists, adds and removes contributors as a RoleBinding plus an Istio
AuthorizationPolicy of the same name, annotated with `user` and `role`; any other
shape is invisible to the dashboard, which then cannot remove the contributor.
"""

from __future__ import annotations

from compiler.model import names
from compiler.model.keys import Manifest
from compiler.model.roster import ContributorRole, Settings, User
from compiler.render.common import RBAC_GROUP, metadata, user_subject


def render_contributor(
    namespace: str, user: User, role: ContributorRole, settings: Settings
) -> tuple[Manifest, Manifest]:
    """Return the RoleBinding and AuthorizationPolicy granting `role` in `namespace`."""
    name = names.kfam_name(user.email, role)
    meta = metadata(name, namespace=namespace, annotations={"role": role, "user": user.email})
    binding = {
        "apiVersion": f"{RBAC_GROUP}/v1",
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
    policy = {
        "apiVersion": "security.istio.io/v1beta1",
        "kind": "AuthorizationPolicy",
        "metadata": metadata(
            name, namespace=namespace, annotations={"role": role, "user": user.email}
        ),
        "spec": {
            "rules": [
                {
                    "from": [
                        {
                            "source": {
                                "principals": [
                                    settings.ingress_gateway_principal,
                                    settings.pipelines_ui_principal,
                                ]
                            }
                        }
                    ],
                    "when": [
                        {
                            "key": f"request.headers[{settings.user_id_header}]",
                            "values": [settings.user_id_prefix + user.email],
                        }
                    ],
                }
            ],
        },
    }
    return binding, policy
