"""Decide what Flux and Argo CD may delete when a profile leaves, and what stays behind.

Prune what grants, protect what holds data. The profile controller sets an ownerReference
to the Profile only on a namespace it creates itself; a namespace that exists first is
adopted without one (profile_controller.go, kubeflow/kubeflow v1.10.0 L126-198, the same
in v1.7.0 and kubeflow/dashboard main). Hence:

- A Namespace is always protected: deleting it deletes everything in it.
- A Profile is pruned where kfroster applies its Namespace first (manageNamespaces: true):
  deleting it revokes its owner's access (the garbage collector removes what the controller
  made for it) and leaves the adopted namespace and its data.
- A Profile is protected where deleting it would delete the namespace: manageNamespaces:
  false (the controller creates namespaces, with an ownerReference) and a profile marked
  namespaceOwnedByProfile. Its LimitRange is protected with it, so the quota the kept
  Profile still enforces never runs without container defaults.
- Contributor bindings and policies and ClusterRoleBindings are always pruned.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass

from compiler.model.keys import Manifest
from compiler.model.kube import (
    CONTROLLER_QUOTA,
    DEFAULT_EDITOR,
    DEFAULT_VIEWER,
    OWNER_BINDING,
    OWNER_POLICY,
)
from compiler.model.roster import Profile, Settings

# Flux skips deleting an object whose in-cluster labels or annotations carry this
# (fluxcd/pkg ssa/manager_delete.go; kustomize-controller's prune exclusions).
PRUNE_ANNOTATION = "kustomize.toolkit.fluxcd.io/prune"
_ARGOCD_SYNC_OPTIONS = "argocd.argoproj.io/sync-options"
_ARGOCD_COMPARE_OPTIONS = "argocd.argoproj.io/compare-options"

# Prune=false: a sync never deletes it; Delete=false (Argo CD 2.7+): nor does deleting the
# Application; IgnoreExtraneous: once it leaves Git, the Application still reads Synced.
PROTECTION: Mapping[str, str] = {
    _ARGOCD_COMPARE_OPTIONS: "IgnoreExtraneous",
    _ARGOCD_SYNC_OPTIONS: "Prune=false,Delete=false",
    PRUNE_ANNOTATION: "disabled",
}

# What the profile controller creates for a Profile, each with an ownerReference to it, so
# the garbage collector deletes them with the Profile (profile_controller.go v1.10.0
# L200-280, SetControllerReference in L521, L563, L601, L644).
CONTROLLER_OBJECTS = (
    f"RoleBinding {OWNER_BINDING} (the owner's kubeflow-admin)",
    f"AuthorizationPolicy {OWNER_POLICY} (the owner's web access)",
    f"ServiceAccounts and RoleBindings {DEFAULT_EDITOR} and {DEFAULT_VIEWER}",
    f"ResourceQuota {CONTROLLER_QUOTA}",
)


def protects_profile(profile: Profile, settings: Settings) -> bool:
    """Tell whether a profile's Profile and LimitRange must never be pruned.

    True where deleting the Profile deletes its namespace: the controller creates
    namespaces (manageNamespaces: false), or created this one before kfroster did.
    """
    return not settings.manage_namespaces or owns_its_namespace(profile)


def owns_its_namespace(profile: Profile) -> bool:
    """Tell whether a profile of a one-cluster roster is marked namespaceOwnedByProfile.

    A list of clusters belongs to a roster of several clusters, whose one-cluster rosters
    hold true or false (model/clusters.py); should one reach here, it counts as marked:
    when in doubt, protect.
    """
    return bool(profile.namespace_owned_by_profile)


def is_protected(manifest: Manifest) -> bool:
    """Tell whether a compiled object tells Flux and Argo CD never to delete it."""
    annotations = manifest["metadata"].get("annotations") or {}
    return bool(annotations.get(PRUNE_ANNOTATION) == "disabled")


def delete_profile_command(name: str) -> str:
    """Return the command that deletes a Profile (and what the controller made for it)."""
    return f"kubectl delete profile {shlex.quote(name)}"


def delete_namespace_command(name: str) -> str:
    """Return the command that deletes a namespace and everything in it."""
    return f"kubectl delete namespace {shlex.quote(name)}"


def release_namespace_command(name: str, reference: tuple[int, str] | None = None) -> str:
    """Return the command that removes a namespace's ownerReference to its Profile.

    Afterwards deleting the Profile leaves the namespace and its data in place. Given the
    reference's position and uid (read from the cluster), the JSON patch removes exactly
    that one, and fails without changing anything if it is no longer there. The name and
    the uid come from a cluster dump: both are quoted for the shell.
    """
    if reference is None:
        patch = '[{"op":"remove","path":"/metadata/ownerReferences"}]'
    else:
        position, uid = reference
        path = f"/metadata/ownerReferences/{position}"
        patch = (
            f'[{{"op":"test","path":"{path}/uid","value":{json.dumps(uid)}}},'
            f'{{"op":"remove","path":"{path}"}}]'
        )
    return f"kubectl patch namespace {shlex.quote(name)} --type=json -p {shlex.quote(patch)}"


@dataclass(frozen=True)
class Offboarding:
    """What happens to a profile that leaves the roster, and what an administrator runs.

    `protected`: the Profile stays (its owner keeps access until it is deleted by hand).
    `commands`: in order, what offboards the profile for good.
    """

    name: str
    protected: bool
    owned_namespace: bool  # namespaceOwnedByProfile: deleting the Profile deletes the data
    commands: tuple[str, ...]


def offboarding(profile: Profile, settings: Settings) -> Offboarding:
    """Say what applying a roster without `profile` does, under the settings it was applied with."""
    name = profile.name
    if not protects_profile(profile, settings):
        return Offboarding(name, False, False, (delete_namespace_command(name),))
    commands = (
        release_namespace_command(name),
        delete_profile_command(name),
        delete_namespace_command(name),
    )
    return Offboarding(name, True, owns_its_namespace(profile), commands)
