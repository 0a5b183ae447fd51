"""A simulated cluster, profile controller and Flux Kustomization, to apply out/ without a cluster.

Written from upstream source, not copied; each rule cites where it comes from.

Flux (kustomize-controller): the objects of a Kustomization are applied in stages.
- Flux < 2.7 (kustomize-controller v1.6.1, fluxcd/pkg ssa v0.48.0):
  internal/controller/kustomization_controller.go L797-824 puts `ssautil.IsClusterDefinition`
  objects (ssa/utils/is.go L26-35 at ssa/v0.48.0: CRDs and `v1` Namespaces) in the first
  stage, kinds ending in `Class` in the second, the rest in the last; L831-912 applies each
  stage with ApplyAll and waits for the first two (WaitForSet).
- Flux >= 2.7 (kustomize-controller v1.7.0 L899 calls ssa ApplyAllStaged, ssa v0.58.0):
  ssa/utils/is.go L27-38 adds ClusterRoles to the first stage; ApplyAllStaged (ssa
  manager_apply.go, L347-420 at fluxcd/pkg e2cfd1a2) then Class kinds, then, from
  kustomize-controller v1.8.0 (Flux 2.8), the kinds of `--custom-apply-stage-kinds`
  (main.go L123), applied without waiting, then the rest.
- ApplyAll (manager_apply.go L206-339 at e2cfd1a2; L144-234 at ssa/v0.48.0) dry-runs every
  object of the stage first and returns the first error before applying any (L316-318), so
  nothing of a stage is applied when one object fails; later stages and the prune are not
  reached (kustomization_controller.go v1.7.0 L445-449 returns before L484).
- A dry-run of a namespaced object whose namespace does not exist fails NotFound:
  `LimitRange/alice/kf-limit-range not found: namespaces "alice" not found` (ssa/errors/errors.go
  L54-58 at e2cfd1a2).
- Prune (kustomization_controller.go v1.7.0 L475-488, L1043-1060; ssa manager_delete.go L64-97
  at ssa/v0.58.0): the objects of the last inventory that are no longer applied are deleted
  (background propagation) unless the object in the cluster no longer carries this
  Kustomization's owner labels (another one applied it since) or carries
  `kustomize.toolkit.fluxcd.io/prune: disabled` as a label or an annotation.

Profile controller (components/profile-controller/controllers/profile_controller.go,
kubeflow/kubeflow v1.10.0; the same logic in v1.7.0 and kubeflow/dashboard main):
- A missing namespace is created with a controller ownerReference to the Profile (L126-167);
  an existing one is adopted, without one, only if its `owner` annotation is the Profile's
  owner (L173-197).
- namespaceAdmin, default-editor/-viewer, ns-owner-access-istio and kf-resource-quota are
  created with an ownerReference to the Profile (L200-280; SetControllerReference L521, L563,
  L601, L644).
- `profile-finalizer` is added after a successful pass (L296-308); while it is set, deleting
  the Profile waits for the controller to revoke its plugins and remove it (L309-331).

The garbage collector deletes, with an object, everything that has an ownerReference to it,
and a deleted Namespace takes everything in it.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from compiler.model.keys import Manifest, ResourceKey, key_of
from compiler.model.roster import Roster
from compiler.render import render_all

PRUNE = "kustomize.toolkit.fluxcd.io/prune"
OWNER_LABELS = ("kustomize.toolkit.fluxcd.io/name", "kustomize.toolkit.fluxcd.io/namespace")
FINALIZER = "profile-finalizer"
RBAC = "rbac.authorization.k8s.io"


class DryRunFailed(Exception):
    """A stage's dry-run failed: nothing of it was applied."""


# --------------------------------------------------------------------------------------------
# Flux's stages
# --------------------------------------------------------------------------------------------


def _is_definition(manifest: Manifest, flux: tuple[int, int]) -> bool:
    kind, api_version = manifest["kind"].lower(), manifest["apiVersion"]
    if kind == "customresourcedefinition" and api_version.startswith("apiextensions.k8s.io/"):
        return True
    if kind == "namespace" and api_version == "v1":
        return True
    return flux >= (2, 7) and kind == "clusterrole" and api_version.startswith(f"{RBAC}/")


@dataclass(frozen=True)
class Stage:
    """One stage of a staged apply: its objects, and whether Flux waits for them after."""

    name: str
    objects: tuple[Manifest, ...]
    wait: bool


def stages(
    manifests: Iterable[Manifest],
    flux: tuple[int, int],
    custom_kinds: frozenset[tuple[str, str]] = frozenset(),
) -> list[Stage]:
    """Split a Kustomization's objects into Flux's apply stages, in order (empty ones left out).

    `custom_kinds` are (group, kind) pairs of `--custom-apply-stage-kinds`, Flux 2.8 and later.
    """
    if custom_kinds and flux < (2, 8):
        raise ValueError("--custom-apply-stage-kinds appeared in kustomize-controller v1.8.0")
    found: dict[str, list[Manifest]] = {"definitions": [], "classes": [], "custom": [], "rest": []}
    for manifest in manifests:
        group, kind = key_of(manifest).group, manifest["kind"]
        if _is_definition(manifest, flux):
            found["definitions"].append(manifest)
        elif kind.endswith("Class"):
            found["classes"].append(manifest)
        elif (group, kind) in custom_kinds:
            found["custom"].append(manifest)
        else:
            found["rest"].append(manifest)
    waits = {"definitions": True, "classes": True, "custom": False, "rest": False}
    return [Stage(name, tuple(objs), waits[name]) for name, objs in found.items() if objs]


# --------------------------------------------------------------------------------------------
# The cluster: objects, the garbage collector, the profile controller
# --------------------------------------------------------------------------------------------


@dataclass
class Cluster:
    """Objects by key, with uids, ownerReferences and a garbage collector."""

    objects: dict[ResourceKey, Manifest] = field(default_factory=dict)
    revoked_plugins: list[tuple[str, str]] = field(default_factory=list)  # (profile, kind)
    _uids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def get(self, key: ResourceKey) -> Manifest | None:
        return self.objects.get(key)

    def namespace_exists(self, name: str) -> bool:
        return ResourceKey("", "Namespace", "", name) in self.objects

    def dry_run(self, manifest: Manifest) -> None:
        """Fail as the API server does for a namespaced object in a missing namespace."""
        key = key_of(manifest)
        if key.namespace and not self.namespace_exists(key.namespace):
            raise DryRunFailed(
                f"{key.kind}/{key.namespace}/{key.name} not found: "
                f'namespaces "{key.namespace}" not found'
            )

    def apply(self, manifest: Manifest, labels: Mapping[str, str] = {}) -> None:
        """Server-side apply: create, or overwrite the fields given, keeping the rest.

        ownerReferences, finalizers and uid set by others stay, as the field managers of
        server-side apply keep them.
        """
        self.dry_run(manifest)
        key = key_of(manifest)
        applied = copy.deepcopy(manifest)
        applied["metadata"].setdefault("labels", {}).update(labels)
        existing = self.objects.get(key)
        meta = applied["metadata"]
        if existing is None:
            meta["uid"] = f"uid-{next(self._uids)}"
        else:
            kept = existing["metadata"]
            meta["uid"] = kept["uid"]
            for kept_field in ("ownerReferences", "finalizers", "deletionTimestamp"):
                if kept_field in kept:
                    meta[kept_field] = kept[kept_field]
        self.objects[key] = applied

    def create(self, manifest: Manifest, owner: Manifest | None = None) -> Manifest:
        """Create an object as a controller does, with a controller ownerReference to `owner`."""
        made = copy.deepcopy(manifest)
        made["metadata"]["uid"] = f"uid-{next(self._uids)}"
        if owner is not None:
            made["metadata"]["ownerReferences"] = [
                {
                    "apiVersion": owner["apiVersion"],
                    "kind": owner["kind"],
                    "name": owner["metadata"]["name"],
                    "uid": owner["metadata"]["uid"],
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ]
        self.objects[key_of(made)] = made
        return made

    def delete(self, key: ResourceKey) -> None:
        """Delete an object; one with finalizers only gets a deletion timestamp."""
        found = self.objects.get(key)
        if found is None:
            return
        if found["metadata"].get("finalizers"):
            found["metadata"]["deletionTimestamp"] = "now"
            return
        self._remove(key)

    def _remove(self, key: ResourceKey) -> None:
        gone = self.objects.pop(key)
        uid = gone["metadata"]["uid"]
        dependents = [
            other
            for other, obj in self.objects.items()
            if any(ref["uid"] == uid for ref in obj["metadata"].get("ownerReferences", ()))
            or (key.kind == "Namespace" and other.namespace == key.name)
        ]
        for other in dependents:
            if other in self.objects:
                self.delete(other)

    # --- the profile controller -------------------------------------------------------------

    def reconcile_profiles(self) -> None:
        """Run the profile controller once over every Profile."""
        for key in sorted(k for k in self.objects if k.kind == "Profile"):
            profile = self.objects.get(key)
            if profile is not None:
                self._reconcile(profile)

    def _reconcile(self, profile: Manifest) -> None:
        name = profile["metadata"]["name"]
        owner = profile["spec"]["owner"]["name"]
        namespace = self.objects.get(ResourceKey("", "Namespace", "", name))
        if namespace is None:
            namespace = self.create(
                {
                    "apiVersion": "v1",
                    "kind": "Namespace",
                    "metadata": {"name": name, "annotations": {"owner": owner}},
                },
                owner=profile,
            )
        elif namespace["metadata"].get("annotations", {}).get("owner") != owner:
            return  # refused: "namespace already exist, but not owned by profile creator"
        for made in _controller_objects(name, owner, profile):
            if key_of(made) not in self.objects:
                self.create(made, owner=profile)
        meta = profile["metadata"]
        if "deletionTimestamp" in meta:
            for plugin in profile["spec"].get("plugins", ()):
                self.revoked_plugins.append((name, plugin["kind"]))
            meta["finalizers"] = [f for f in meta.get("finalizers", ()) if f != FINALIZER]
            if not meta["finalizers"]:
                self._remove(key_of(profile))
        elif FINALIZER not in meta.setdefault("finalizers", []):
            meta["finalizers"].append(FINALIZER)

    # --- what a person can do -----------------------------------------------------------------

    def admins_of(self, namespace: str) -> set[str]:
        """Return who namespaceAdmin binds in a namespace (the owner's kubeflow-admin)."""
        binding = self.objects.get(ResourceKey(RBAC, "RoleBinding", namespace, "namespaceAdmin"))
        return {s["name"] for s in binding["subjects"]} if binding else set()

    def bound_users(self, namespace: str) -> set[str]:
        """Return every user a RoleBinding in the namespace binds."""
        return {
            subject["name"]
            for key, obj in self.objects.items()
            if key.kind == "RoleBinding" and key.namespace == namespace
            for subject in obj.get("subjects", ())
            if subject.get("kind") == "User"
        }


def _controller_objects(name: str, owner: str, profile: Manifest) -> list[Manifest]:
    subject = {"apiGroup": RBAC, "kind": "User", "name": owner}
    made: list[Manifest] = [
        {
            "apiVersion": "security.istio.io/v1beta1",
            "kind": "AuthorizationPolicy",
            "metadata": {"name": "ns-owner-access-istio", "namespace": name},
        },
        {
            "apiVersion": f"{RBAC}/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "namespaceAdmin", "namespace": name},
            "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": "kubeflow-admin"},
            "subjects": [subject],
        },
    ]
    for account in ("default-editor", "default-viewer"):
        made.append(
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": {"name": account, "namespace": name},
            }
        )
    if profile["spec"].get("resourceQuotaSpec", {}).get("hard"):
        made.append(
            {
                "apiVersion": "v1",
                "kind": "ResourceQuota",
                "metadata": {"name": "kf-resource-quota", "namespace": name},
            }
        )
    return made


# --------------------------------------------------------------------------------------------
# Flux: one Kustomization
# --------------------------------------------------------------------------------------------


@dataclass
class Reconciled:
    """What one reconcile of a Kustomization did."""

    applied: list[ResourceKey] = field(default_factory=list)
    deleted: list[ResourceKey] = field(default_factory=list)
    skipped: list[ResourceKey] = field(default_factory=list)  # prune skipped
    error: str | None = None
    stage_of_error: str | None = None


@dataclass
class Kustomization:
    """A Flux Kustomization with `prune: true`, its inventory kept between reconciles."""

    name: str
    flux: tuple[int, int]
    custom_kinds: frozenset[tuple[str, str]] = frozenset()
    inventory: set[ResourceKey] = field(default_factory=set)

    @property
    def labels(self) -> dict[str, str]:
        return {OWNER_LABELS[0]: self.name, OWNER_LABELS[1]: "flux-system"}

    def reconcile(self, cluster: Cluster, manifests: Sequence[Manifest]) -> Reconciled:
        """Apply the manifests stage by stage, then prune what the last inventory had."""
        done = Reconciled()
        for stage in stages(manifests, self.flux, self.custom_kinds):
            try:
                for manifest in stage.objects:  # the whole stage is dry-run first
                    cluster.dry_run(manifest)
            except DryRunFailed as err:
                done.error, done.stage_of_error = str(err), stage.name
                return done  # nothing of this stage, no later stage, no prune
            for manifest in stage.objects:
                cluster.apply(manifest, self.labels)
                done.applied.append(key_of(manifest))
        current = {key_of(m) for m in manifests}
        for key in sorted(self.inventory - current):
            live = cluster.get(key)
            if live is None:
                continue
            meta = live["metadata"]
            ours = all(meta.get("labels", {}).get(k) == v for k, v in self.labels.items())
            disabled = "disabled" in (
                meta.get("labels", {}).get(PRUNE),
                meta.get("annotations", {}).get(PRUNE),
            )
            if not ours or disabled:
                done.skipped.append(key)
                continue
            cluster.delete(key)
            done.deleted.append(key)
        self.inventory = current
        return done


def units_of(roster: Roster) -> dict[str, list[Manifest]]:
    """Return the manifests of each apply unit of out/ ('' when out/ is one unit)."""
    found: dict[str, list[Manifest]] = {}
    for path, manifests in render_all(roster).items():
        unit = path.split("/", 1)[0] if roster.settings.apply_units > 1 else ""
        found.setdefault(unit, []).extend(manifests)
    return found
