"""Render a profile's Namespace, so GitOps tools create it before what lives in it."""

from __future__ import annotations

from compiler.model.keys import Manifest
from compiler.model.kube import CORE_API_VERSION, NAMESPACE_OWNER_ANNOTATION
from compiler.model.roster import Profile, Settings, User
from compiler.render.common import metadata
from compiler.render.protection import PROTECTION


def render_namespace(profile: Profile, owner: User, settings: Settings) -> Manifest:
    """Return the profile's Namespace, annotated so the profile controller adopts it.

    The controller adopts an existing namespace only when its `owner` annotation equals
    the Profile's owner; Flux applies Namespaces in an earlier stage than the LimitRange
    and the Profile, so emitting it avoids a deadlock on the first apply. It holds the
    data, so it is never pruned (see protection.py).
    """
    return {
        "apiVersion": CORE_API_VERSION,
        "kind": "Namespace",
        "metadata": metadata(
            profile.name,
            labels=settings.namespace_labels,
            annotations={NAMESPACE_OWNER_ANNOTATION: owner.email, **PROTECTION},
        ),
    }
