"""Names of the objects kfroster emits, derived from roster names and emails."""

from __future__ import annotations

import re
from collections.abc import Container

from compiler.model.roles import ContributorRoleName, RoleName

# Kubernetes object names (DNS-1123 subdomains) are at most this long; roster names, which
# become namespaces and label values, are DNS-1123 labels of at most MAX_LABEL.
MAX_OBJECT_NAME = 253
MAX_LABEL = 63

# KFAM's separator class: ASCII letters and digits survive, every other run becomes one '-'.
_NON_ALPHANUMERIC_RUN = re.compile(r"[^a-zA-Z0-9]+")


def kfam_name(email: str, role: ContributorRoleName) -> str:
    """Return the name KFAM gives a contributor's RoleBinding and AuthorizationPolicy.

    KFAM (`getBindingName`, kubeflow/dashboard components/access-management/kfam/bindings.go
    L61-78 @d84246482d86, the same in kubeflow/kubeflow v1.7.0-v1.10.0) replaces each run
    of non-alphanumerics in the email by '-', joins `User-<that>-ClusterRole-<role>`,
    lower-cases it, then replaces each run again. That second pass merges a '-' left at
    either end of the email with the joiner: `_alice@x.io` and `alice@x.io` get one name.
    KFAM deletes by this recomputed name, so the dashboard recognises (and removes) a
    contributor only under it. (Its url.QueryEscape between the passes changes nothing:
    only letters, digits and '-' are left by then.)
    """
    escaped = _NON_ALPHANUMERIC_RUN.sub("-", email)
    joined = "-".join(("User", escaped, "ClusterRole", role)).lower()
    return _NON_ALPHANUMERIC_RUN.sub("-", joined)


def cluster_role_binding_name(user: str, role: RoleName) -> str:
    """Return the ClusterRoleBinding name of a user's cluster-wide role.

    The role is part of the name because a binding's roleRef is immutable: a new role
    must be a new object, or the apply fails.
    """
    return f"kubeflow-{role}-{user}"


def cluster_role(role: RoleName) -> str:
    """Return the Kubeflow ClusterRole that a roster role stands for."""
    return f"kubeflow-{role}"


def unique_label(base: str, taken: Container[str], first: int = 2) -> tuple[str, int]:
    """Return base, or the first of base-FIRST, base-FIRST+1, ... that `taken` lacks.

    Cut so that the suffix fits in a label. Also returns the number to go on from, so a
    caller naming many people after one base (20,000 alices) counts on in linear time.
    """
    name, number = base, first
    while name in taken:
        suffix = f"-{number}"
        name = base[: MAX_LABEL - len(suffix)].rstrip("-") + suffix
        number += 1
    return name, number


def applier_name(deploy_name: str, unit: str = "", cluster: str = "") -> str:
    """Return the name of the Flux Kustomization or Argo CD Application of one apply unit.

    `<settings.deploy.name>[-<cluster>][-unit-NNN]`: a Flux Kustomization lives in its own
    cluster and leaves the cluster out; Argo CD's Applications of every cluster live side by
    side in one namespace, so theirs name it.
    """
    return "-".join(part for part in (deploy_name, cluster, unit) if part)
