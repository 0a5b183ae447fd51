"""Gaining or dropping `clusters` moves out/ to out/<cluster>/: no move deletes owned namespaces.

A roster that had no clusters was applied to one or more clusters from out/. When it gains
clusters, each cluster's engine applies out/<cluster>/ instead. The offboarding rule must
hold through that move, whatever order the engine reconciles in: a Profile that owns its
namespace (the controller made the namespace, with an ownerReference) is never deleted,
and no Namespace is, so no data goes.

Flux: tests/flux_simulation.py (the Kustomizations keep their names, deploy/<cluster>/ only
changes their paths, so each keeps its inventory; a unit that goes prunes what it applied).

Argo CD: the ApplicationSet names its Applications after the cluster once the roster has
clusters (model/names.py applier_name), so the old Applications go and new ones come. An
Application the ApplicationSet no longer generates is deleted with the resources finalizer
(argo-cd applicationset/utils/utils.go L294-302 at 37ee0097), which deletes every object it
tracks unless the live object says `Delete=false` (controller/appcontroller.go L1255-1264
at 37ee0097, shouldBeDeleted). Tracking is by label or annotation naming the Application;
an object another Application applied since is no longer the old one's.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from compiler import pipeline
from compiler.model.clusters import Split
from compiler.model.keys import Manifest, ResourceKey, key_of
from compiler.model.names import applier_name
from compiler.model.roster import Roster
from compiler.render import render_all
from compiler.render.protection import PROTECTION
from tests.flux_simulation import Cluster, Kustomization, units_of
from tests.system.test_flux_stages import FLUX, namespace, onboarded_by_hand, seed_data

OLD = """\
version: 1
settings: {applyUnits: 2}
users:
  - {name: ann, email: ann@example.com}
  - {name: bob, email: bob@example.com}
  - {name: cy, email: cy@example.com}
profiles:
  - {name: ann, owner: ann, namespaceOwnedByProfile: true, contributors: [{user: bob, role: edit}]}
  - {name: bob, owner: bob}
  - {name: cy, owner: cy}
"""
# prod-eu splits into 3 apply units (from 2 to 3 moves ann, and only ann: jump hashing);
# bob's profile leaves prod-eu; staging keeps everything as it was.
NEW = OLD.replace(
    "users:\n",
    "clusters:\n  - {name: prod-eu, settings: {applyUnits: 3}}\n  - {name: staging}\nusers:\n",
).replace("{name: bob, owner: bob}", "{name: bob, owner: bob, clusters: [staging]}")
CLUSTERS = ("prod-eu", "staging")
OWNED = ResourceKey("kubeflow.org", "Profile", "", "ann")


def checked(text: str) -> Roster:
    found = pipeline.check_text(text, "users.yaml")
    assert found.roster is not None, found.problems
    return found.roster


def one_tree(text: str, cluster: str) -> Roster:
    """Return the one-cluster roster a cluster's engine applies (the roster, without clusters)."""
    roster = checked(text)
    return Split(roster).roster_of(cluster) if roster.clusters else roster


def hand_onboarded() -> Cluster:
    """A cluster where the profile controller made ann's namespace (owned by her Profile)."""
    cluster = Cluster()
    onboarded_by_hand(cluster, "ann", "ann@example.com")
    return cluster


def data_everywhere(cluster: Cluster) -> list[ResourceKey]:
    return [seed_data(cluster, name) for name in ("ann", "bob", "cy")]


# --------------------------------------------------------------------------------------------
# Flux
# --------------------------------------------------------------------------------------------


def flux_move(
    old: Roster, new: Roster, flux: tuple[int, int], new_units_first: bool
) -> tuple[Cluster, list[ResourceKey], set[ResourceKey]]:
    """Apply `old`, then `new` one Kustomization at a time; return what every reconcile deleted."""
    cluster = hand_onboarded()
    flux_units = {unit: Kustomization(f"kubeflow-users-{unit}", flux) for unit in units_of(old)}
    for unit, manifests in units_of(old).items():
        flux_units[unit].reconcile(cluster, manifests)
    cluster.reconcile_profiles()
    data = data_everywhere(cluster)
    manifests = units_of(new)
    for unit in manifests:
        flux_units.setdefault(unit, Kustomization(f"kubeflow-users-{unit}", flux))
    order = sorted(flux_units, key=lambda unit: (unit in units_of(old)) == new_units_first)
    deleted: set[ResourceKey] = set()
    for unit in order:
        done = flux_units[unit].reconcile(cluster, manifests.get(unit, []))
        assert done.error is None
        deleted |= set(done.deleted)
        cluster.reconcile_profiles()
    return cluster, data, deleted


@pytest.mark.parametrize("flux", FLUX)
@pytest.mark.parametrize("cluster_name", CLUSTERS)
@pytest.mark.parametrize("new_units_first", [False, True], ids=["old-first", "new-first"])
@pytest.mark.parametrize("direction", ["gain", "drop"])
def test_flux_never_deletes_an_owned_profile_or_a_namespace_when_clusters_come_or_go(
    flux: tuple[int, int], cluster_name: str, new_units_first: bool, direction: str
) -> None:
    before, after = (OLD, NEW) if direction == "gain" else (NEW, OLD)
    old, new = one_tree(before, cluster_name), one_tree(after, cluster_name)
    cluster, data, deleted = flux_move(old, new, flux, new_units_first)
    assert OWNED not in deleted
    assert not any(key.kind == "Namespace" for key in deleted)
    assert all(cluster.get(key) is not None for key in data)
    assert cluster.admins_of("ann") == {"ann@example.com"}
    # What stays everywhere stays applied; what leaves a cluster leaves only its grants.
    held = {p.name for p in new.profiles}
    for name in ("ann", "bob", "cy"):
        assert namespace(cluster, name) is not None
        profile = cluster.get(ResourceKey("kubeflow.org", "Profile", "", name))
        assert (profile is not None) == (name in held or name == "ann")


# --------------------------------------------------------------------------------------------
# Argo CD
# --------------------------------------------------------------------------------------------

TRACKING = "app.kubernetes.io/instance"


def sync(cluster: Cluster, application: str, manifests: Sequence[Manifest]) -> None:
    for manifest in manifests:
        cluster.apply(manifest, {TRACKING: application})


def delete_application(cluster: Cluster, application: str) -> set[ResourceKey]:
    """Delete an Application with the resources finalizer: what it tracks goes, but Delete=false."""
    deleted: set[ResourceKey] = set()
    for key, live in sorted(cluster.objects.items()):
        meta = live["metadata"]
        if meta.get("labels", {}).get(TRACKING) != application:
            continue
        options = meta.get("annotations", {}).get("argocd.argoproj.io/sync-options", "")
        if "Delete=false" in [o.strip() for o in options.split(",")]:
            continue
        cluster.delete(key)
        deleted.add(key)
    return deleted


@pytest.mark.parametrize("cluster_name", CLUSTERS)
@pytest.mark.parametrize("new_first", [False, True], ids=["delete-first", "sync-first"])
@pytest.mark.parametrize("direction", ["gain", "drop"])
def test_argo_cd_never_deletes_an_owned_profile_or_a_namespace_when_clusters_come_or_go(
    cluster_name: str, new_first: bool, direction: str
) -> None:
    before, after = (OLD, NEW) if direction == "gain" else (NEW, OLD)
    old, new = one_tree(before, cluster_name), one_tree(after, cluster_name)
    old_names = {
        unit: applier_name("kubeflow-users", unit, cluster_name if direction == "drop" else "")
        for unit in units_of(old)
    }
    new_names = {
        unit: applier_name("kubeflow-users", unit, cluster_name if direction == "gain" else "")
        for unit in units_of(new)
    }
    assert not set(old_names.values()) & set(new_names.values())  # every Application is new
    cluster = hand_onboarded()
    for unit, manifests in units_of(old).items():
        sync(cluster, old_names[unit], manifests)
    cluster.reconcile_profiles()
    data = data_everywhere(cluster)
    deleted: set[ResourceKey] = set()

    def sync_new() -> None:
        for unit, manifests in units_of(new).items():
            sync(cluster, new_names[unit], manifests)
        cluster.reconcile_profiles()

    if new_first:
        sync_new()
    for application in old_names.values():
        deleted |= delete_application(cluster, application)
    cluster.reconcile_profiles()
    if not new_first:
        sync_new()
    assert OWNED not in deleted
    assert not any(key.kind == "Namespace" for key in deleted)
    assert all(cluster.get(key) is not None for key in data)
    assert cluster.admins_of("ann") == {"ann@example.com"}


def test_what_protects_them_is_on_every_tree_before_and_after() -> None:
    # The engines read protection from the live object: it must be in the tree applied
    # before the move, and stay in the tree after it (protection.py).
    for text in (OLD, NEW):
        roster = checked(text)
        trees = (
            [Split(roster).roster_of(name) for name in CLUSTERS] if roster.clusters else [roster]
        )
        for tree in trees:
            for manifests in render_all(tree).values():
                for manifest in manifests:
                    key = key_of(manifest)
                    if key.kind == "Namespace" or key == OWNED:
                        annotations = manifest["metadata"]["annotations"]
                        assert PROTECTION.items() <= annotations.items(), key
