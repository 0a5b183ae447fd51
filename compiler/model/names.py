"""Names of the objects kfroster emits, derived from roster names and emails."""

from __future__ import annotations

import re

from compiler.model.roster import ContributorRole, Role

# Kubernetes object names (DNS-1123 subdomains) are at most this long.
MAX_OBJECT_NAME = 253

_NON_ALPHANUMERIC_RUN = re.compile(r"[^a-z0-9]+")


def kfam_name(email: str, role: ContributorRole) -> str:
    """Return the name KFAM gives a contributor's RoleBinding and AuthorizationPolicy.

    The dashboard recognises a contributor only under this exact name:
    `user-<email lower-cased, each run of non-alphanumerics replaced by '-'>-clusterrole-<role>`.
    """
    slug = _NON_ALPHANUMERIC_RUN.sub("-", email.lower())
    return f"user-{slug}-clusterrole-{role}"


def cluster_role_binding_name(user: str, role: Role) -> str:
    """Return the ClusterRoleBinding name of a user's cluster-wide role.

    The role is part of the name because a binding's roleRef is immutable: a new role
    must be a new object, or the apply fails.
    """
    return f"kubeflow-{role}-{user}"


def cluster_role(role: Role) -> str:
    """Return the Kubeflow ClusterRole that a roster role stands for."""
    return f"kubeflow-{role}"
