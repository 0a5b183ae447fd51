"""Compiled trees applied the way Flux applies them, in stages, without an API server.

tests/flux_simulation.py follows fluxcd/pkg ssa and kustomize-controller (stage order, a
whole-stage dry-run before anything is applied, a namespaced object failing while its
Namespace is absent, prune exclusions read from the object in the cluster) and the profile
controller (adoption versus creation with an ownerReference, owned objects, the finalizer).
Each test applies a first roster, then a changed one, for Flux before and after 2.7.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from compiler import pipeline
from compiler.model.keys import Manifest, ResourceKey
from compiler.model.roster import Roster
from compiler.model.units import directory_of
from tests.flux_simulation import Cluster, Kustomization, Reconciled, Stage, stages, units_of

FLUX = [pytest.param((2, 6), id="flux-2.6"), pytest.param((2, 7), id="flux-2.7")]
PROFILE = ("kubeflow.org", "Profile")

ROSTER = """\
version: 1
settings: {manageNamespaces: MANAGE, applyUnits: UNITS}
defaults:
  resourceQuota: {hard: {cpu: "8"}}
  limitRange: {default: {cpu: 500m}, defaultRequest: {cpu: 100m}}
users:
  - {name: ann, email: ann@example.com}
  - {name: bob, email: bob@example.com}
  - {name: cy, email: cy@example.com}
profiles:
  - name: ann
    owner: ann
    contributors: [{user: bob, role: edit}]
    plugins:
      - kind: WorkloadIdentity
        spec: {gcpServiceAccount: ann-kubeflow@p.iam.gserviceaccount.com}
    FLAG
  - {name: bob, owner: bob}
  - {name: cy, owner: cy, limitRange: {}}
"""
WITHOUT_ANN = "\n".join(
    line for line in ROSTER.splitlines() if not line.startswith(("  - name: ann", "    "))
)


def roster(
    text: str = ROSTER, *, manage: bool = True, units: int = 1, flag: bool = False
) -> Roster:
    text = text.replace("MANAGE", "true" if manage else "false").replace("UNITS", str(units))
    text = text.replace("FLAG", "namespaceOwnedByProfile: true" if flag else "")
    checked = pipeline.check_text(text, "users.yaml")
    assert checked.roster is not None, checked.problems
    return checked.roster


def kustomizations(
    roster_: Roster, flux: tuple[int, int], custom: frozenset[tuple[str, str]] = frozenset()
) -> dict[str, Kustomization]:
    return {
        unit: Kustomization(f"kubeflow-users{'-' + unit if unit else ''}", flux, custom)
        for unit in units_of(roster_)
    }


def apply(
    cluster: Cluster,
    roster_: Roster,
    flux_units: dict[str, Kustomization],
    order: Sequence[str] | None = None,
) -> dict[str, Reconciled]:
    """Reconcile every unit's Kustomization once (in `order`), then run the profile controller.

    A unit the roster no longer has reconciles with no objects, as when its directory and
    then its Kustomization go: it prunes everything it applied.
    """
    manifests = units_of(roster_)
    for unit in manifests:
        flux_units.setdefault(unit, Kustomization(f"kubeflow-users-{unit}", _flux(flux_units)))
    done = {}
    for unit in order or sorted(flux_units):
        done[unit] = flux_units[unit].reconcile(cluster, manifests.get(unit, []))
    cluster.reconcile_profiles()
    return done


def _flux(flux_units: dict[str, Kustomization]) -> tuple[int, int]:
    return next(iter(flux_units.values())).flux


def namespace(cluster: Cluster, name: str) -> Manifest | None:
    return cluster.get(ResourceKey("", "Namespace", "", name))


def seed_data(cluster: Cluster, name: str) -> ResourceKey:
    """Put a user's notebook volume into a namespace: what offboarding must not delete."""
    key = ResourceKey("", "PersistentVolumeClaim", name, "workspace")
    cluster.create(
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "workspace", "namespace": name},
        }
    )
    return key


# --------------------------------------------------------------------------------------------
# The stages
# --------------------------------------------------------------------------------------------


def obj(api_version: str, kind: str, name: str = "x", namespace: str | None = None) -> Manifest:
    meta = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {"apiVersion": api_version, "kind": kind, "metadata": meta}


MIXED = [
    obj("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
    obj("v1", "Namespace"),
    obj("rbac.authorization.k8s.io/v1", "ClusterRole"),
    obj("storage.k8s.io/v1", "StorageClass"),
    obj("kubeflow.org/v1", "Profile"),
    obj("v1", "LimitRange", namespace="x"),
    obj("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
]


def kinds(found: list[Stage]) -> list[tuple[str, list[str]]]:
    return [(stage.name, [m["kind"] for m in stage.objects]) for stage in found]


def test_flux_before_2_7_stages_crds_and_namespaces_then_classes_then_the_rest() -> None:
    assert kinds(stages(MIXED, (2, 6))) == [
        ("definitions", ["CustomResourceDefinition", "Namespace"]),
        ("classes", ["StorageClass"]),
        ("rest", ["ClusterRole", "Profile", "LimitRange", "ClusterRoleBinding"]),
    ]


def test_flux_2_7_adds_cluster_roles_to_the_first_stage_and_2_8_a_custom_stage() -> None:
    assert kinds(stages(MIXED, (2, 7))) == [
        ("definitions", ["CustomResourceDefinition", "Namespace", "ClusterRole"]),
        ("classes", ["StorageClass"]),
        ("rest", ["Profile", "LimitRange", "ClusterRoleBinding"]),
    ]
    assert kinds(stages(MIXED, (2, 8), frozenset({PROFILE})))[2:] == [
        ("custom", ["Profile"]),
        ("rest", ["LimitRange", "ClusterRoleBinding"]),
    ]
    with pytest.raises(ValueError, match=r"v1\.8\.0"):
        stages(MIXED, (2, 7), frozenset({PROFILE}))


@pytest.mark.parametrize("flux", FLUX)
@pytest.mark.parametrize("manage", [True, False])
def test_only_namespaces_of_a_compiled_tree_go_first_profiles_wait_for_the_last_stage(
    flux: tuple[int, int], manage: bool
) -> None:
    (manifests,) = units_of(roster(manage=manage)).values()
    found = stages(manifests, flux)
    first = {m["kind"] for m in found[0].objects}
    assert first == (
        {"Namespace"} if manage else {"Profile", "LimitRange", "RoleBinding", "AuthorizationPolicy"}
    )
    assert {m["kind"] for m in found[-1].objects} >= {"Profile", "LimitRange", "RoleBinding"}


# --------------------------------------------------------------------------------------------
# A first apply
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("flux", FLUX)
@pytest.mark.parametrize("units", [1, 3])
def test_first_apply_with_managed_namespaces_converges_and_the_controller_adopts_them(
    flux: tuple[int, int], units: int
) -> None:
    cluster, first = Cluster(), roster(units=units)
    done = apply(cluster, first, kustomizations(first, flux))
    assert [r.error for r in done.values()] == [None] * len(done)
    for name, owner in (
        ("ann", "ann@example.com"),
        ("bob", "bob@example.com"),
        ("cy", "cy@example.com"),
    ):
        found = namespace(cluster, name)
        assert found is not None
        # Applied before its Profile, so adopted: no ownerReference, it outlives the Profile.
        assert "ownerReferences" not in found["metadata"]
        assert cluster.admins_of(name) == {owner}
    assert "bob@example.com" in cluster.bound_users("ann")


@pytest.mark.parametrize("flux", [*FLUX, pytest.param((2, 8), id="flux-2.8")])
def test_first_apply_without_managed_namespaces_blocks_the_whole_unit(
    flux: tuple[int, int],
) -> None:
    cluster, first = Cluster(), roster(manage=False)
    flux_units = kustomizations(first, flux)
    for _round in range(5):
        (done,) = apply(cluster, first, flux_units).values()
        # ann's LimitRange fails its dry-run, so nothing of the last stage is applied: not
        # ann's Profile, which would make the namespace, nor bob's and cy's, which need none.
        assert done.error == 'LimitRange/ann/kf-limit-range not found: namespaces "ann" not found'
        assert done.applied == []
    assert [key for key in cluster.objects if key.kind == "Profile"] == []


def test_a_custom_profile_stage_lets_the_controller_make_namespaces_between_reconciles() -> None:
    cluster, first = Cluster(), roster(manage=False)
    flux_units = kustomizations(first, (2, 8), frozenset({PROFILE}))
    (done,) = apply(cluster, first, flux_units).values()
    assert done.stage_of_error == "rest" and len(done.applied) == 3  # the three Profiles
    (done,) = apply(cluster, first, flux_units).values()
    assert done.error is None
    for name in ("ann", "bob", "cy"):
        found = namespace(cluster, name)
        assert found is not None
        # Made by the controller: owned by the Profile, and deleted with it.
        (reference,) = found["metadata"]["ownerReferences"]
        assert (reference["kind"], reference["name"]) == ("Profile", name)


# --------------------------------------------------------------------------------------------
# Removing a profile
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("flux", FLUX)
@pytest.mark.parametrize("units", [1, 3])
def test_removing_a_profile_revokes_every_access_and_keeps_the_namespace_and_its_data(
    flux: tuple[int, int], units: int
) -> None:
    cluster, first = Cluster(), roster(units=units)
    flux_units = kustomizations(first, flux)
    apply(cluster, first, flux_units)
    data = seed_data(cluster, "ann")
    done = apply(cluster, roster(WITHOUT_ANN, units=units), flux_units)
    deleted = {key for result in done.values() for key in result.deleted}
    skipped = {key for result in done.values() for key in result.skipped}
    assert ResourceKey("kubeflow.org", "Profile", "", "ann") in deleted
    assert ResourceKey("", "LimitRange", "ann", "kf-limit-range") in deleted
    assert skipped == {ResourceKey("", "Namespace", "", "ann")}
    # The Profile went, and with it what the controller made for its owner.
    assert cluster.get(ResourceKey("kubeflow.org", "Profile", "", "ann")) is None
    assert cluster.admins_of("ann") == set()
    assert cluster.bound_users("ann") == set()
    assert cluster.revoked_plugins == [("ann", "WorkloadIdentity")]
    # The namespace and what people kept in it stay, until someone deletes them on purpose.
    assert namespace(cluster, "ann") is not None
    assert cluster.get(data) is not None


def onboarded_by_hand(cluster: Cluster, name: str, owner: str) -> None:
    """Make a namespace the way a hand-onboarded cluster has it: created by the controller."""
    cluster.create(
        {
            "apiVersion": "kubeflow.org/v1",
            "kind": "Profile",
            "metadata": {"name": name},
            "spec": {"owner": {"kind": "User", "name": owner}},
        }
    )
    cluster.reconcile_profiles()


@pytest.mark.parametrize(
    ("flux", "manage"),
    [
        # The controller makes every namespace: only a custom Profile stage gets it applied.
        pytest.param((2, 8), False, id="manageNamespaces-false"),
        pytest.param((2, 6), True, id="owned-flux-2.6"),
        pytest.param((2, 7), True, id="owned-flux-2.7"),
    ],
)
def test_removing_a_protected_profile_keeps_it_the_owner_and_the_data(
    flux: tuple[int, int], manage: bool
) -> None:
    cluster = Cluster()
    if manage:  # a hand-onboarded namespace, marked by import
        onboarded_by_hand(cluster, "ann", "ann@example.com")
    first = roster(manage=manage, flag=manage)
    flux_units = kustomizations(first, flux, frozenset() if manage else frozenset({PROFILE}))
    apply(cluster, first, flux_units)
    apply(cluster, first, flux_units)
    data = seed_data(cluster, "ann")
    (done,) = apply(cluster, roster(WITHOUT_ANN, manage=manage), flux_units).values()
    assert done.error is None
    assert ResourceKey("kubeflow.org", "Profile", "", "ann") in done.skipped
    assert ResourceKey("", "LimitRange", "ann", "kf-limit-range") in done.skipped
    assert cluster.get(data) is not None
    # The contributor goes; the owner keeps kubeflow-admin: the plan's HIGH owner risk.
    assert cluster.bound_users("ann") == {"ann@example.com"}
    assert cluster.admins_of("ann") == {"ann@example.com"}
    assert cluster.revoked_plugins == []


@pytest.mark.parametrize("flux", FLUX)
def test_without_the_flag_pruning_a_profile_deletes_the_namespace_the_controller_made(
    flux: tuple[int, int],
) -> None:
    # What namespaceOwnedByProfile prevents: import marks such namespaces for this reason.
    cluster = Cluster()
    onboarded_by_hand(cluster, "ann", "ann@example.com")
    first = roster()
    flux_units = kustomizations(first, flux)
    apply(cluster, first, flux_units)
    data = seed_data(cluster, "ann")
    apply(cluster, roster(WITHOUT_ANN), flux_units)
    assert namespace(cluster, "ann") is None
    assert cluster.get(data) is None


# --------------------------------------------------------------------------------------------
# Moving between apply units
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("flux", FLUX)
@pytest.mark.parametrize("flag", [False, True], ids=["pruned", "owned"])
@pytest.mark.parametrize("old_first", [True, False], ids=["old-unit-first", "new-unit-first"])
def test_a_profile_moving_to_another_unit(
    flux: tuple[int, int], flag: bool, old_first: bool
) -> None:
    # From 2 to 3 units jump hashing moves ann, and only ann.
    moved = [n for n in ("ann", "bob", "cy") if directory_of(n, 2) != directory_of(n, 3)]
    assert moved == ["ann"]
    name, owner = "ann", "ann@example.com"
    old_unit, new_unit = directory_of(name, 2), directory_of(name, 3)
    cluster = Cluster()
    if flag:
        onboarded_by_hand(cluster, name, owner)
    first = roster(units=2, flag=flag)
    flux_units = kustomizations(first, flux)
    apply(cluster, first, flux_units)
    data = seed_data(cluster, name)
    order = [old_unit, new_unit] if old_first else [new_unit, old_unit]
    second = roster(units=3, flag=flag)
    manifests = units_of(second)
    flux_units.setdefault(new_unit, Kustomization(f"kubeflow-users-{new_unit}", flux))
    # One Kustomization reconciles, the controller reacts, then the other one.
    flux_units[order[0]].reconcile(cluster, manifests.get(order[0], []))
    cluster.reconcile_profiles()
    between = cluster.admins_of(name)
    flux_units[order[1]].reconcile(cluster, manifests.get(order[1], []))
    cluster.reconcile_profiles()
    # The old unit first deletes an unprotected Profile: its owner loses access until
    # the new unit creates it again. The namespace and its data always stay.
    assert between == (set() if old_first and not flag else {owner})
    assert cluster.admins_of(name) == {owner}
    assert cluster.get(data) is not None
