"""Metadata shared by every object kfroster renders."""

from __future__ import annotations

from collections.abc import Mapping

from compiler.model.keys import Manifest
from compiler.model.kube import MANAGED_BY, RBAC_GROUP


def metadata(
    name: str,
    *,
    namespace: str | None = None,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
) -> Manifest:
    """Build metadata in Kubernetes' order, with label and annotation keys sorted."""
    meta: Manifest = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    meta["labels"] = dict(sorted({**(labels or {}), **MANAGED_BY}.items()))
    if annotations:
        meta["annotations"] = dict(sorted(annotations.items()))
    return meta


def user_subject(email: str) -> Manifest:
    """Return an RBAC subject for a user, with apiGroup spelled out.

    The API server would default apiGroup; writing it keeps GitOps tools from seeing a diff.
    """
    return {"apiGroup": RBAC_GROUP, "kind": "User", "name": email}


def quantities(resources: Mapping[str, int | str]) -> dict[str, str]:
    """Render a resource list with sorted keys and every quantity as a string."""
    return {name: str(value) for name, value in sorted(resources.items())}
