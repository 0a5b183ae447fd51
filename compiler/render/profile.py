"""Render the Kubeflow Profile: owner, resource quota and plugins."""

from __future__ import annotations

from compiler.model.keys import Manifest
from compiler.model.roster import Profile, ResourceQuota, User
from compiler.render.common import PRUNE_PROTECTION, metadata, quantities, user_subject


def render_profile(profile: Profile, owner: User, quota: ResourceQuota) -> Manifest:
    """Return the Profile (kubeflow.org/v1) of a roster profile."""
    spec: Manifest = {"owner": user_subject(owner.email)}
    if not quota.is_empty:
        spec["resourceQuotaSpec"] = _quota_spec(quota)
    if profile.plugins:
        spec["plugins"] = [
            {"kind": plugin.kind, "spec": plugin.spec.model_dump(by_alias=True)}
            for plugin in profile.plugins
        ]
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "Profile",
        "metadata": metadata(profile.name, annotations=PRUNE_PROTECTION),
        "spec": spec,
    }


def _quota_spec(quota: ResourceQuota) -> Manifest:
    spec: Manifest = {}
    if quota.hard:
        spec["hard"] = quantities(quota.hard)
    if quota.scopes:
        spec["scopes"] = sorted(quota.scopes)
    if quota.scope_selector is not None:
        spec["scopeSelector"] = {
            "matchExpressions": [
                {
                    "operator": requirement.operator,
                    "scopeName": requirement.scope_name,
                    **({"values": sorted(requirement.values)} if requirement.values else {}),
                }
                for requirement in quota.scope_selector.match_expressions
            ]
        }
    return spec
