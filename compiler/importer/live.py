"""What a live object holds beyond the manifest it came from, and how the rest is compared.

Both readers of a cluster (`import`'s switch-over and `drift`) ask one question of an
object kubeflow could have applied: does it still say what the manifest says? The API
server adds metadata (uid, resourceVersion, managedFields, creationTimestamp, generation,
last-applied annotations, the `kubernetes.io/metadata.name` label of a namespace), a
status and defaulted fields; the profile controller adds labels to a namespace it adopts
and a finalizer to each Profile, and makes objects of its own in every profile namespace
(profile_controller.go, kubeflow/kubeflow v1.10.0 L200-294, the same in v1.7.0 and
kubeflow/dashboard main). None of that is a difference: only the fields a manifest writes
are compared, quantities by their amount (the API server prints the LimitRange's `1000m`
as `1`). This module is the one place that knows it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any, Final

from compiler.model.keys import Manifest
from compiler.model.kube import (
    DEFAULT_EDITOR,
    DEFAULT_VIEWER,
    KUBEFLOW_GROUP,
    MANAGED_BY,
    MANAGED_BY_LABEL,
    OWNER_BINDING,
)
from compiler.model.quantity import QuantityError, parse_quantity
from compiler.problems import NodePath
from compiler.render.protection import PROTECTION

# What the profile controller makes in each profile namespace (profile_controller.go
# v1.10.0: the owner's RoleBinding L228-251, the service accounts and their bindings
# L208-224 and L592-668, the owner's AuthorizationPolicy L200-206, the quota L252-280).
# kfroster never emits them: they are the controller's, not drift, never imported.
SERVICE_ACCOUNT_ROLES: Final[Mapping[str, str]] = {
    DEFAULT_EDITOR: "kubeflow-edit",
    DEFAULT_VIEWER: "kubeflow-view",
}
CONTROLLER_BINDINGS: Final = frozenset({OWNER_BINDING, *SERVICE_ACCOUNT_ROLES})


class _Missing:
    """The value of a field the live object does not have."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()

# Fields kfroster writes that an object made by someone else lacks, without granting
# anything more or less: the next apply adds them.
ROUTINE: Final[Mapping[NodePath, str]] = {
    ("metadata", "labels", MANAGED_BY_LABEL): (
        f"gain the label {MANAGED_BY_LABEL}: {MANAGED_BY[MANAGED_BY_LABEL]}"
    ),
    **{
        ("metadata", "annotations", key): "gain prune protection (what holds data)"
        for key in PROTECTION
    },
    ("spec", "owner", "apiGroup"): "get spec.owner.apiGroup written out (the same owner)",
}

# Mappings whose values are Kubernetes quantities: a LimitRange's limits, a quota's hard.
_QUANTITY_MAPS: Final = frozenset(
    {"hard", "default", "defaultRequest", "max", "min", "maxLimitRequestRatio"}
)


def differences(want: Any, have: Any, path: NodePath = ()) -> Iterator[tuple[NodePath, Any, Any]]:
    """Yield (path, manifest value, live value) where the live object differs from the manifest.

    Only what the manifest writes is compared: fields the API server or other tools add
    stay. Lists of the same length are compared item by item, so a change names its
    field; a live value that is absent is MISSING.
    """
    if want == have:
        return  # the common case, settled in C for a whole subtree
    # Equal children are skipped here, not in a generator of their own: drift compares
    # every field of 50,000 objects, nearly all equal.
    if isinstance(want, dict) and (isinstance(have, dict) or have is MISSING):
        present = have if isinstance(have, dict) else {}
        for key, value in want.items():
            theirs = present.get(key, MISSING)
            if value != theirs:
                yield from differences(value, theirs, (*path, key))
    elif isinstance(want, list) and isinstance(have, list) and len(want) == len(have):
        for index, (mine, theirs) in enumerate(zip(want, have, strict=True)):
            if mine != theirs:
                yield from differences(mine, theirs, (*path, index))
    elif not _same_amount(want, have, path):
        yield path, want, have


def _same_amount(want: Any, have: Any, path: NodePath) -> bool:
    """Tell whether two values of a quantity field are the same amount (`1000m` and `1`)."""
    if len(path) < 2 or path[-2] not in _QUANTITY_MAPS:
        return False
    if not isinstance(want, str | int) or not isinstance(have, str | int):
        return False
    if isinstance(want, bool) or isinstance(have, bool):
        return False
    try:
        return parse_quantity(want) == parse_quantity(have)
    except QuantityError:
        return False


def path_text(path: NodePath) -> str:
    """Write a field path as a reader looks for it: `metadata.labels[a.b/c]`, `subjects[0]`."""
    text = ""
    for part in path:
        if isinstance(part, int) or "." in part or "/" in part:
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def value_text(value: object, limit: int = 80) -> str:
    """Write a field's value as compact JSON, cut to limit characters; `(none)` when absent."""
    if value is MISSING:
        return "(none)"
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def owner_reference(body: Manifest) -> tuple[int, str, object] | None:
    """Return a namespace's ownerReference to a Profile: (position, uid, the Profile's name).

    The profile controller sets it only on a namespace it creates (profile_controller.go,
    kubeflow/kubeflow v1.10.0 L139-149), never on one it adopts: the garbage collector
    then deletes the namespace, and everything in it, with the Profile.
    """
    metadata = body.get("metadata")
    references = metadata.get("ownerReferences") if isinstance(metadata, dict) else None
    for position, reference in enumerate(references if isinstance(references, list) else []):
        if not isinstance(reference, dict):
            continue
        api_version = reference.get("apiVersion")
        if (
            reference.get("kind") == "Profile"
            and isinstance(api_version, str)
            and api_version.startswith(f"{KUBEFLOW_GROUP}/")
        ):
            uid = reference.get("uid")
            return position, uid if isinstance(uid, str) else "", reference.get("name")
    return None


def essence(body: Manifest) -> str:
    """Return an object's content without what the API server adds, for comparing copies."""
    kept = {k: v for k, v in body.items() if k not in ("apiVersion", "metadata", "status")}
    metadata = body.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    kept["metadata"] = {k: metadata.get(k) for k in ("labels", "annotations")}
    return json.dumps(kept, sort_keys=True, default=str)
