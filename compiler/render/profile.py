"""Render the Kubeflow Profile: owner, resource quota and plugins."""

from __future__ import annotations

from compiler.model.keys import Manifest
from compiler.model.kube import PROFILE_API_VERSION, WORKLOAD_IDENTITY
from compiler.model.roster import Profile, ResourceQuota, Settings, User
from compiler.render.common import metadata, quantities, user_subject
from compiler.render.protection import PROTECTION


def render_profile(
    profile: Profile, owner: User, quota: ResourceQuota, settings: Settings, *, protected: bool
) -> Manifest:
    """Return the Profile (kubeflow.org/v1) of a roster profile, protected when told to."""
    spec: Manifest = {"owner": user_subject(owner.email)}
    if not quota.is_empty:
        spec["resourceQuotaSpec"] = _quota_spec(quota)
    plugins = _plugins(profile, settings)
    if plugins:
        spec["plugins"] = plugins
    return {
        "apiVersion": PROFILE_API_VERSION,
        "kind": "Profile",
        "metadata": metadata(profile.name, annotations=PROTECTION if protected else None),
        "spec": spec,
    }


def _plugins(profile: Profile, settings: Settings) -> list[Manifest]:
    """Return the profile's plugins, then the default WorkloadIdentity if it has none.

    A controller started with `-workload-identity` appends exactly this on every
    reconcile to a Profile without a WorkloadIdentity plugin, and nothing otherwise
    (PatchDefaultPluginSpec, profile_controller.go v1.10.0 L710-730): written here, the
    Profile GitOps applies is the Profile the controller leaves alone.
    """
    plugins: list[Manifest] = [
        {"kind": plugin.kind, "spec": plugin.spec.model_dump(by_alias=True)}
        for plugin in profile.plugins
    ]
    default = settings.default_workload_identity
    if default is not None and all(p.kind != WORKLOAD_IDENTITY for p in profile.plugins):
        plugins.append({"kind": WORKLOAD_IDENTITY, "spec": {"gcpServiceAccount": default}})
    return plugins


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
