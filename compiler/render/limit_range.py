"""Render the LimitRange the profile controller never creates.

Without it, a namespace with a cpu or memory quota rejects every pod that sets no
requests or limits, Kubeflow Pipelines' driver pods among them.
"""

from __future__ import annotations

from compiler.model.keys import Manifest
from compiler.model.kube import CORE_API_VERSION, LIMIT_RANGE_NAME
from compiler.model.roster import LimitRange, Profile
from compiler.render.common import metadata, quantities
from compiler.render.protection import PROTECTION

_FIELDS = ("default", "defaultRequest", "max", "min", "maxLimitRequestRatio")


def render_limit_range(profile: Profile, limits: LimitRange, *, protected: bool) -> Manifest:
    """Return the profile's `kf-limit-range` for containers, protected with its Profile.

    A kept Profile keeps its quota (the controller's kf-resource-quota); pruning the
    LimitRange under it would leave pods without the defaults that quota needs.
    """
    values = limits.model_dump(by_alias=True)
    item: Manifest = {"type": "Container"}
    for field in _FIELDS:
        if values[field]:
            item[field] = quantities(values[field])
    return {
        "apiVersion": CORE_API_VERSION,
        "kind": "LimitRange",
        "metadata": metadata(
            LIMIT_RANGE_NAME, namespace=profile.name, annotations=PROTECTION if protected else None
        ),
        "spec": {"limits": [item]},
    }
