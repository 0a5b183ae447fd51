"""The manifests that point Flux or Argo CD at the apply units of out/. Pure: no I/O.

What they say comes from the roster's `settings.deploy` (checked by the models and by
roster/rules/deploy.py), so `kfroster compile` writes them with out/ and they never fall
behind a change of `applyUnits`.

Flux gets one Kustomization per unit that holds files: Git keeps no empty directory and
Flux fails a Kustomization whose path is missing, so an empty unit gets none (and its
Kustomization is removed, with whatever it applied, when a unit empties). Argo CD gets
one ApplicationSet whose Git directory generator finds the units itself, so it never
points at a missing directory.

With clusters (model/clusters.py), each cluster's Flux applies its own directory,
deploy/<cluster>/, whose Kustomizations point at out/<cluster>/ and keep the names they
have without clusters: a roster that gains `clusters` moves each Kustomization's path in
place, and a cluster whose Flux reads the whole deploy/ fails its build on the duplicate
names instead of applying another cluster's tree. Argo CD, which manages every cluster
from one place, gets one ApplicationSet with a list generator: one element per cluster
and apply unit holding files, naming the Application (`<name>-<cluster>[-unit-NNN]`), its
path and the cluster's destination and project. Its template names both a destination
`name` and a `server`, one of them empty: Argo CD takes an empty field for an unset one
(util/argo/argo.go L1101 at argo-cd 37ee0097), and a template cannot leave a key out.

Pruning is on in both: removing a person must revoke their access. It is safe because
out/ protects what holds data (render/protection.py): Namespaces, and the Profiles whose
deletion would delete their namespace, carry `kustomize.toolkit.fluxcd.io/prune: disabled`
and `argocd.argoproj.io/sync-options: Prune=false,Delete=false`, which both engines also
honour when a whole Kustomization or Application is deleted.

That is also why the ApplicationSet keeps what Argo CD does by default when an element
goes (an apply unit empties, a cluster leaves the roster): the Application is deleted with
its `resources-finalizer` (applicationset/utils/utils.go L294-302 at 37ee0097), so what it
applied is deleted too, except each object marked Delete=false (controller/appcontroller.go
`shouldBeDeleted`, L1255-1264). Grants go, data stays, as when a profile leaves. Neither
`preserveResourcesOnDeletion: true` nor `applicationsSync: create-update` is set: both
would leave every grant of a unit or cluster that left the roster in place, unreviewed.

No `ignoreDifferences` on Profile `spec.plugins`: the one thing the profile controller
writes there, its default WorkloadIdentity, is rendered into out/ when the roster sets
`settings.defaultWorkloadIdentity`; ignoring the field would instead keep Argo CD (with
ApplyOutOfSyncOnly) from ever applying a plugin change made in the roster.
"""

from __future__ import annotations

from compiler.model import units
from compiler.model.clusters import Split
from compiler.model.keys import Manifest
from compiler.model.kube import MANAGED_BY
from compiler.model.names import applier_name
from compiler.model.roster import (
    ArgoCDDeploy,
    ArgoCDDestination,
    Deploy,
    Engine,
    FluxDeploy,
    FluxGitRepository,
    Roster,
)
from compiler.output import drift_reader
from compiler.yamlio import emitter

DEFAULT_NAMESPACE: dict[Engine, str] = {"flux": "flux-system", "argocd": "argocd"}

# Flux: retry a failed apply after a minute, give up on one attempt after 5 minutes (how
# often it reconciles is settings.deploy.flux.interval, 10 minutes by default).
FLUX_RETRY_INTERVAL = "1m"
# How often a GitRepository kfroster writes looks for new commits: a merge is applied
# within a minute.
FLUX_SOURCE_INTERVAL = "1m"
FLUX_TIMEOUT = "5m"
# The oldest release each engine applies the written manifests and out/ correctly with.
# Flux 2.0 ships kustomize-controller v1.0.0, the first with the Kustomization v1 API.
# Argo CD: ApplicationSet goTemplateOptions appears in v2.8.0 (applicationset_types.go);
# Delete=false is honoured from v2.7.0 (controller/appcontroller.go shouldBeDeleted).
REQUIRES: dict[Engine, str] = {
    "flux": "Needs Flux 2.0 or later (Kustomization v1).",
    "argocd": (
        "Needs Argo CD 2.8 or later: goTemplateOptions needs 2.8, and the Delete=false that "
        "keeps Namespaces (and protected Profiles) when an Application is deleted needs 2.7."
    ),
}
# Argo CD: retry a failed sync 5 times, 10 s, 20 s, 40 s ... at most 5 minutes apart.
ARGOCD_RETRY_LIMIT = 5
ARGOCD_BACKOFF = {"duration": "10s", "factor": 2, "maxDuration": "5m"}


def render(roster: Roster, roster_name: str) -> dict[str, str]:
    """Return every file of the deploy directory (relative path -> text) for a valid roster.

    The roster must set settings.deploy; roster_name is its file name. With clusters, Flux
    gets a directory per cluster and Argo CD one ApplicationSet for all of them.
    """
    deploy = roster.settings.deploy
    if deploy is None:
        raise ValueError("the roster sets no settings.deploy")
    if roster.clusters:
        return _render_clusters(Split(roster), deploy, roster_name)
    if deploy.engine == "flux":
        flux = deploy.flux or FluxDeploy()
        manifests = [_kustomization(deploy, flux, unit) for unit in units.occupied(roster)]
    else:
        argocd = deploy.argocd or ArgoCDDeploy()
        manifests = [_application_set(deploy, argocd, split=roster.settings.apply_units > 1)]
    return _files(manifests, deploy, roster_name)


def _files(manifests: list[Manifest], deploy: Deploy, roster_name: str) -> dict[str, str]:
    header = emitter.header(roster_name) + f"# {REQUIRES[deploy.engine]}\n"
    files = {
        f"{manifest['metadata']['name']}.yaml": header + "---\n" + emitter.dumps(manifest)
        for manifest in manifests
    }
    flux = deploy.flux or FluxDeploy()
    if deploy.engine == "flux" and flux.git_repository is not None:
        source = _git_repository(deploy, flux, flux.git_repository)
        # Its own file name: it may bear the name of the Kustomization it feeds.
        files[f"{source['metadata']['name']}-gitrepository.yaml"] = (
            header + "---\n" + emitter.dumps(source)
        )
    if deploy.drift_reader:
        namespace = deploy.namespace or DEFAULT_NAMESPACE[deploy.engine]
        files.update(drift_reader.render(namespace, header))
    return dict(sorted(files.items()))


def _render_clusters(split: Split, deploy: Deploy, roster_name: str) -> dict[str, str]:
    """Render the deploy files of a roster with clusters, from each one-cluster roster."""
    if deploy.engine == "argocd":
        return _files([_cluster_application_set(split, deploy)], deploy, roster_name)
    files: dict[str, str] = {}
    for cluster in split.names:
        there = split.roster_of(cluster)
        merged = there.settings.deploy
        assert merged is not None  # the top-level setting, merged
        flux = merged.flux or FluxDeploy()
        manifests = [_kustomization(merged, flux, unit, cluster) for unit in units.occupied(there)]
        for relative, text in _files(manifests, merged, roster_name).items():
            files[f"{cluster}/{relative}"] = text
    return files


def _kustomization(deploy: Deploy, flux: FluxDeploy, unit: str, cluster: str = "") -> Manifest:
    source = flux.source_ref
    source_ref = {"kind": source.kind, "name": source.name}
    if source.namespace is not None:
        source_ref["namespace"] = source.namespace
    return {
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {
            "name": applier_name(deploy.name, unit),
            "namespace": deploy.namespace or DEFAULT_NAMESPACE["flux"],
            "labels": dict(MANAGED_BY),
        },
        "spec": {
            "interval": flux.interval,
            "retryInterval": FLUX_RETRY_INTERVAL,
            "timeout": FLUX_TIMEOUT,
            "path": "./" + "/".join(part for part in (deploy.path, cluster, unit) if part),
            "prune": True,
            # Health-checking every binding would poll thousands of objects per reconcile;
            # RBAC objects, Namespaces and Profiles have no rollout to wait for.
            "wait": False,
            "sourceRef": source_ref,
        },
    }


def _git_repository(deploy: Deploy, flux: FluxDeploy, git: FluxGitRepository) -> Manifest:
    """The GitRepository the Kustomizations read: this repository, at the reviewed branch."""
    source = flux.source_ref
    spec: Manifest = {
        "interval": FLUX_SOURCE_INTERVAL,
        "url": git.url,
        "ref": {"branch": git.branch},
    }
    if git.secret_name is not None:
        spec["secretRef"] = {"name": git.secret_name}
    return {
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "GitRepository",
        "metadata": {
            "name": source.name,
            "namespace": source.namespace or deploy.namespace or DEFAULT_NAMESPACE["flux"],
            "labels": dict(MANAGED_BY),
        },
        "spec": spec,
    }


def _application_set(deploy: Deploy, argocd: ArgoCDDeploy, *, split: bool) -> Manifest:
    if argocd.repo_url is None:
        raise ValueError("settings.deploy.argocd.repoURL is required with engine argocd")
    generator = {
        "git": {
            "repoURL": argocd.repo_url,
            "revision": argocd.target_revision,
            # Only directories that exist in Git match: an empty unit has none.
            "directories": [{"path": f"{deploy.path}/unit-*" if split else deploy.path}],
        }
    }
    return _application_set_of(
        deploy,
        argocd,
        generator,
        application=f"{deploy.name}-{{{{.path.basename}}}}" if split else deploy.name,
        project=argocd.project,
        path="{{.path.path}}",
        destination=_destination(argocd.destination),
    )


def _application_set_of(
    deploy: Deploy,
    argocd: ArgoCDDeploy,
    generator: Manifest,
    *,
    application: str,
    project: str,
    path: str,
    destination: Manifest,
) -> Manifest:
    """The ApplicationSet every engine setting shares; the generator says what varies."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {
            "name": deploy.name,
            "namespace": deploy.namespace or DEFAULT_NAMESPACE["argocd"],
            "labels": dict(MANAGED_BY),
        },
        "spec": {
            "goTemplate": True,
            "goTemplateOptions": ["missingkey=error"],
            "generators": [generator],
            "template": {
                "metadata": {"name": application, "labels": dict(MANAGED_BY)},
                "spec": {
                    "project": project,
                    "source": {
                        "repoURL": argocd.repo_url,
                        "targetRevision": argocd.target_revision,
                        "path": path,
                        "directory": {"recurse": True},  # profiles/, cluster-role-bindings/
                    },
                    # Every object names its own namespace; Namespaces are in the unit.
                    "destination": destination,
                    "syncPolicy": _sync_policy(),
                },
            },
        },
    }


def _destination(destination: ArgoCDDestination) -> dict[str, str | None]:
    if destination.name is not None:
        return {"name": destination.name}
    return {"server": destination.server}


def _sync_policy() -> Manifest:
    return {
        "automated": {"prune": True, "selfHeal": True},
        # A unit holds up to 1,000 objects; apply only the ones that differ.
        "syncOptions": ["ApplyOutOfSyncOnly=true"],
        "retry": {"limit": ARGOCD_RETRY_LIMIT, "backoff": dict(ARGOCD_BACKOFF)},
    }


def _cluster_application_set(split: Split, deploy: Deploy) -> Manifest:
    """One ApplicationSet for every cluster: a list element per cluster and occupied unit."""
    argocd = deploy.argocd or ArgoCDDeploy()
    if argocd.repo_url is None:
        raise ValueError("settings.deploy.argocd.repoURL is required with engine argocd")
    elements: list[Manifest] = []
    for cluster in split.names:
        merged = split.roster_of(cluster).settings.deploy
        assert merged is not None
        there = merged.argocd or ArgoCDDeploy()
        destination = there.destination
        for unit in units.occupied(split.roster_of(cluster)):
            elements.append(
                {
                    "application": applier_name(deploy.name, unit, cluster),
                    "cluster": cluster,
                    "path": "/".join(part for part in (deploy.path, cluster, unit) if part),
                    "project": there.project,
                    # Exactly one is set; Argo CD reads an empty one as unset.
                    "destinationName": destination.name or "",
                    "destinationServer": destination.server or "",
                }
            )
    return _application_set_of(
        deploy,
        argocd,
        {"list": {"elements": elements}},
        application="{{.application}}",
        project="{{.project}}",
        path="{{.path}}",
        destination={"name": "{{.destinationName}}", "server": "{{.destinationServer}}"},
    )
