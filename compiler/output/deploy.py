"""The manifests that point Flux or Argo CD at the apply units of out/. Pure: no I/O.

What they say comes from the roster's `settings.deploy` (checked by the models and by
roster/rules/deploy.py), so `kfroster compile` writes them with out/ and they never fall
behind a change of `applyUnits`.

Flux gets one Kustomization per unit that holds files: Git keeps no empty directory and
Flux fails a Kustomization whose path is missing, so an empty unit gets none (and its
Kustomization is removed, with whatever it applied, when a unit empties). Argo CD gets
one ApplicationSet whose Git directory generator finds the units itself, so it never
points at a missing directory.

Pruning is on in both: removing a person must revoke their access. It is safe because
out/ protects what holds data (render/protection.py): Namespaces, and the Profiles whose
deletion would delete their namespace, carry `kustomize.toolkit.fluxcd.io/prune: disabled`
and `argocd.argoproj.io/sync-options: Prune=false,Delete=false`, which both engines also
honour when a whole Kustomization or Application is deleted.

No `ignoreDifferences` on Profile `spec.plugins`: the one thing the profile controller
writes there, its default WorkloadIdentity, is rendered into out/ when the roster sets
`settings.defaultWorkloadIdentity`; ignoring the field would instead keep Argo CD (with
ApplyOutOfSyncOnly) from ever applying a plugin change made in the roster.
"""

from __future__ import annotations

from compiler.model import units
from compiler.model.keys import Manifest
from compiler.model.kube import MANAGED_BY
from compiler.model.roster import (
    ArgoCDDeploy,
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

    The roster must set settings.deploy; roster_name is its file name.
    """
    deploy = roster.settings.deploy
    if deploy is None:
        raise ValueError("the roster sets no settings.deploy")
    header = emitter.header(roster_name) + f"# {REQUIRES[deploy.engine]}\n"
    if deploy.engine == "flux":
        flux = deploy.flux or FluxDeploy()
        manifests = [_kustomization(deploy, flux, unit) for unit in units.occupied(roster)]
    else:
        argocd = deploy.argocd or ArgoCDDeploy()
        manifests = [_application_set(deploy, argocd, split=roster.settings.apply_units > 1)]
    files = {
        f"{manifest['metadata']['name']}.yaml": header + "---\n" + emitter.dumps(manifest)
        for manifest in manifests
    }
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


def _kustomization(deploy: Deploy, flux: FluxDeploy, unit: str) -> Manifest:
    source = flux.source_ref
    source_ref = {"kind": source.kind, "name": source.name}
    if source.namespace is not None:
        source_ref["namespace"] = source.namespace
    return {
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {
            "name": f"{deploy.name}-{unit}" if unit else deploy.name,
            "namespace": deploy.namespace or DEFAULT_NAMESPACE["flux"],
            "labels": dict(MANAGED_BY),
        },
        "spec": {
            "interval": flux.interval,
            "retryInterval": FLUX_RETRY_INTERVAL,
            "timeout": FLUX_TIMEOUT,
            "path": f"./{deploy.path}/{unit}" if unit else f"./{deploy.path}",
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
    destination = argocd.destination
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
            "generators": [
                {
                    "git": {
                        "repoURL": argocd.repo_url,
                        "revision": argocd.target_revision,
                        # Only directories that exist in Git match: an empty unit has none.
                        "directories": [
                            {"path": f"{deploy.path}/unit-*" if split else deploy.path}
                        ],
                    }
                }
            ],
            "template": {
                "metadata": {
                    "name": f"{deploy.name}-{{{{.path.basename}}}}" if split else deploy.name,
                    "labels": dict(MANAGED_BY),
                },
                "spec": {
                    "project": argocd.project,
                    "source": {
                        "repoURL": argocd.repo_url,
                        "targetRevision": argocd.target_revision,
                        "path": "{{.path.path}}",
                        "directory": {"recurse": True},  # profiles/, cluster-role-bindings/
                    },
                    # Every object names its own namespace; Namespaces are in the unit.
                    "destination": (
                        {"name": destination.name}
                        if destination.name is not None
                        else {"server": destination.server}
                    ),
                    "syncPolicy": {
                        "automated": {"prune": True, "selfHeal": True},
                        # A unit holds up to 1,000 objects; apply only the ones that differ.
                        "syncOptions": ["ApplyOutOfSyncOnly=true"],
                        "retry": {"limit": ARGOCD_RETRY_LIMIT, "backoff": dict(ARGOCD_BACKOFF)},
                    },
                },
            },
        },
    }
