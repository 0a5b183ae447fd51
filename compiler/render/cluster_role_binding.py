"""Render a user's cluster-wide role as a ClusterRoleBinding."""

from __future__ import annotations

from compiler.model import names
from compiler.model.keys import Manifest
from compiler.model.kube import RBAC_API_VERSION, RBAC_GROUP
from compiler.model.roles import RoleName
from compiler.model.roster import User
from compiler.render.common import metadata, user_subject


def render_cluster_role_binding(user: User, role: RoleName) -> Manifest:
    """Return the binding of `user` to ClusterRole `kubeflow-<role>`."""
    return {
        "apiVersion": RBAC_API_VERSION,
        "kind": "ClusterRoleBinding",
        "metadata": metadata(names.cluster_role_binding_name(user.name, role)),
        "roleRef": {
            "apiGroup": RBAC_GROUP,
            "kind": "ClusterRole",
            "name": names.cluster_role(role),
        },
        "subjects": [user_subject(user.email)],
    }
