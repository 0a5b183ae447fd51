"""The manifests that point Flux or Argo CD at the apply units of out/. Pure: no I/O.

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

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Literal

from compiler.model import units
from compiler.model.keys import Manifest
from compiler.model.roster import Roster
from compiler.output import drift_reader
from compiler.yamlio import emitter

Engine = Literal["flux", "argocd"]

DEFAULT_NAME = "kubeflow-users"
DEFAULT_PATH = "out"
DEFAULT_NAMESPACE: dict[Engine, str] = {"flux": "flux-system", "argocd": "argocd"}
# What `flux bootstrap` names the GitRepository of the repository it was bootstrapped from.
DEFAULT_FLUX_SOURCE = "flux-system"
DEFAULT_REVISION = "HEAD"
DEFAULT_PROJECT = "default"

# Flux: reconcile every 10 minutes (drift correction; a new commit is applied at once),
# retry a failed apply after a minute, give up on one attempt after 5 minutes.
FLUX_INTERVAL = "10m"
FLUX_RETRY_INTERVAL = "1m"
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
IN_CLUSTER = "https://kubernetes.default.svc"
MANAGED_BY = {"app.kubernetes.io/managed-by": "kfroster"}

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?").fullmatch
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?").fullmatch
# The longest unit suffix a Kustomization or Application name gets: "-unit-255".
_UNIT_SUFFIX = len("-unit-000")
_GLOB = frozenset("*?[]{}\\")


@dataclass(frozen=True)
class Target:
    """Where the compiled out/ is, and how the engine should reach it.

    Fields left None take the engine's default; the ones of the other engine must stay None.
    """

    engine: Engine
    name: str = DEFAULT_NAME  # the ApplicationSet, or the prefix of every Kustomization
    path: str = DEFAULT_PATH  # out/ inside the Git repository
    namespace: str | None = None  # where the engine's objects live
    source: str | None = None  # Flux: the GitRepository to read from
    repo_url: str | None = None  # Argo CD: the repository URL (required)
    revision: str | None = None  # Argo CD: branch, tag or commit
    project: str | None = None  # Argo CD: the AppProject of the Applications
    drift_reader: bool = False  # also the read-only identity of the drift workflow


def check_target(target: Target) -> list[str]:
    """Return what is wrong with a target, one sentence each; empty when usable."""
    mistakes: list[str] = []
    if not _DNS_LABEL(target.name) or len(target.name) > 63 - _UNIT_SUFFIX:
        mistakes.append(
            f"--name {target.name!r} must be a DNS-1123 label of at most "
            f"{63 - _UNIT_SUFFIX} characters (unit names are appended to it)"
        )
    if target.namespace is not None and (
        not _DNS_LABEL(target.namespace) or len(target.namespace) > 63
    ):
        mistakes.append(f"--namespace {target.namespace!r} must be a DNS-1123 label")
    mistakes += _path_mistakes(target.path)
    flux_only = {"--source": target.source}
    argocd_only = {
        "--repo-url": target.repo_url,
        "--revision": target.revision,
        "--project": target.project,
    }
    other = argocd_only if target.engine == "flux" else flux_only
    mistakes += [
        f"{option} applies to {_other(target.engine)} only"
        for option, value in other.items()
        if value is not None
    ]
    for option, value in (*flux_only.items(), ("--project", target.project)):
        if value is not None and (not _DNS_SUBDOMAIN(value) or len(value) > 253):
            mistakes.append(f"{option} {value!r} must be a Kubernetes object name")
    if target.engine == "argocd" and not target.repo_url:
        mistakes.append("--argocd needs --repo-url, the URL Argo CD clones the repository from")
    for option, value in (("--repo-url", target.repo_url), ("--revision", target.revision)):
        if value is not None and (not value or not value.isprintable() or " " in value):
            mistakes.append(f"{option} {value!r} must be non-empty, without spaces")
    return mistakes


def render(target: Target, roster: Roster, roster_name: str) -> dict[str, str]:
    """Return every file of the deploy directory (relative path -> text) for a valid roster.

    The target must pass check_target(); roster_name is the roster's file name.
    """
    mistakes = check_target(target)
    if mistakes:
        raise ValueError("; ".join(mistakes))
    header = (
        f"{emitter.GENERATED_MARK} deploy from {_bare(roster_name)}. "
        f"Do not edit: run `{command_line(target)}` again.\n# {REQUIRES[target.engine]}\n"
    )
    if target.engine == "flux":
        manifests = [_kustomization(target, unit) for unit in units.occupied(roster)]
    else:
        manifests = [_application_set(target, split=roster.settings.apply_units > 1)]
    files = {
        f"{manifest['metadata']['name']}.yaml": header + "---\n" + emitter.dumps(manifest)
        for manifest in manifests
    }
    if target.drift_reader:
        namespace = target.namespace or DEFAULT_NAMESPACE[target.engine]
        files.update(drift_reader.render(namespace, header))
    return dict(sorted(files.items()))


def command_line(target: Target) -> str:
    """Return the `kfroster deploy` command that writes this target: options not at defaults."""
    words = ["kfroster", "deploy", f"--{target.engine}"]
    for option, value, default in (
        ("--path", target.path, DEFAULT_PATH),
        ("--name", target.name, DEFAULT_NAME),
        ("--namespace", target.namespace, None),
        ("--source", target.source, None),
        ("--repo-url", target.repo_url, None),
        ("--revision", target.revision, None),
        ("--project", target.project, None),
    ):
        if value is not None and value != default:
            words += [option, value]
    if target.drift_reader:
        words.append("--drift-reader")
    return " ".join(words)


def _kustomization(target: Target, unit: str) -> Manifest:
    path = _normal_path(target.path)
    return {
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {
            "name": f"{target.name}-{unit}" if unit else target.name,
            "namespace": target.namespace or DEFAULT_NAMESPACE["flux"],
            "labels": dict(MANAGED_BY),
        },
        "spec": {
            "interval": FLUX_INTERVAL,
            "retryInterval": FLUX_RETRY_INTERVAL,
            "timeout": FLUX_TIMEOUT,
            "path": f"./{path}/{unit}" if unit else f"./{path}",
            "prune": True,
            # Health-checking every binding would poll thousands of objects per reconcile;
            # RBAC objects, Namespaces and Profiles have no rollout to wait for.
            "wait": False,
            "sourceRef": {"kind": "GitRepository", "name": target.source or DEFAULT_FLUX_SOURCE},
        },
    }


def _application_set(target: Target, *, split: bool) -> Manifest:
    path = _normal_path(target.path)
    revision = target.revision or DEFAULT_REVISION
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {
            "name": target.name,
            "namespace": target.namespace or DEFAULT_NAMESPACE["argocd"],
            "labels": dict(MANAGED_BY),
        },
        "spec": {
            "goTemplate": True,
            "goTemplateOptions": ["missingkey=error"],
            "generators": [
                {
                    "git": {
                        "repoURL": target.repo_url,
                        "revision": revision,
                        # Only directories that exist in Git match: an empty unit has none.
                        "directories": [{"path": f"{path}/unit-*" if split else path}],
                    }
                }
            ],
            "template": {
                "metadata": {
                    "name": f"{target.name}-{{{{.path.basename}}}}" if split else target.name,
                    "labels": dict(MANAGED_BY),
                },
                "spec": {
                    "project": target.project or DEFAULT_PROJECT,
                    "source": {
                        "repoURL": target.repo_url,
                        "targetRevision": revision,
                        "path": "{{.path.path}}",
                        "directory": {"recurse": True},  # profiles/, cluster-role-bindings/
                    },
                    # Every object names its own namespace; Namespaces are in the unit.
                    "destination": {"server": IN_CLUSTER},
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


def _other(engine: Engine) -> str:
    return "Argo CD (--argocd)" if engine == "flux" else "Flux (--flux)"


def _normal_path(path: str) -> str:
    return str(PurePosixPath(path))


def _path_mistakes(path: str) -> list[str]:
    pure = PurePosixPath(path)
    if (
        not path
        or pure.is_absolute()
        or ".." in pure.parts
        or str(pure) == "."
        or _GLOB.intersection(path)
        or not path.isprintable()
    ):
        return [
            f"--path {path!r} must be the relative path of the compiled directory inside the "
            "repository (e.g. out), without '..' or glob characters"
        ]
    return []


def _bare(roster_name: str) -> str:
    name = PurePosixPath(roster_name).name
    if not name or not name.isprintable():
        raise ValueError(f"roster name must be a file name: {roster_name!r}")
    return name
