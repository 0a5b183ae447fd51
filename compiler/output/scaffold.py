"""Scaffold a roster repository: the files `kfroster init` writes, and how it writes them.

`scaffold()` returns every file (relative path -> text) of a repository that validates and
compiles as created: a commented starter roster (whose settings.deploy names the engine),
its schema, out/ and deploy/ compiled from it, the pull-request workflow, the pre-commit
configuration, and a short README. `survey()` compares them with a directory; `write()` writes.
Nothing is overwritten unless asked, file by file.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from compiler import pipeline
from compiler.model.roster import Engine
from compiler.output.files import write_atomically
from compiler.problems import CompilerError
from compiler.roster.schema import dumps_schema
from compiler.symlinks import find_symlink
from compiler.text import counted, visible

ROSTER = "users.yaml"
SCHEMA = "schemas/users.schema.json"
OUT = "out"
DEPLOY = "deploy"
WORKFLOW = ".github/workflows/roster-review.yml"
DRIFT_WORKFLOW = ".github/workflows/kfroster-drift.yml"
PRE_COMMIT = ".pre-commit-config.yaml"
README = "README.md"

# Package data (compiler/output/templates/) -> where it goes in the scaffold.
_TEMPLATES = {"roster-review.yml": WORKFLOW, "pre-commit-config.yaml": PRE_COMMIT}

# A line of the starter roster starting `#~` (after its indentation) is an example:
# commented out in the scaffold, live in `starter_roster(examples=True)`, which a test
# validates so that every example stays correct as the schema evolves.
_EXAMPLE = re.compile(r"^(?P<indent> *)#~(?P<rest>.*)$")

_STARTER = """\
# yaml-language-server: $schema=schemas/users.schema.json
#
# Who may use Kubeflow here, and how. Change it in a pull request: CI validates it,
# checks that out/ is compiled from it, and comments what the change grants and removes.
# Lines starting '# ' below are examples of every feature: uncomment and adapt them.
version: 1

@SETTINGS@
#~  userIdHeader: kubeflow-userid    # the header the ingress puts the user's email in
#~  userIdPrefix: ""                 # e.g. "accounts.google.com:" behind Google IAP
#~  manageNamespaces: true           # emit each profile's Namespace before what lives in it
#~  applyUnits: 1                    # split out/ into this many directories (huge rosters)
#~  kubeflowVersion: "1.10"          # your Kubeflow release: policy shape, dashboard email checks
#~  authorizationPolicyApiVersion: security.istio.io/v1beta1   # or security.istio.io/v1
#~  defaultWorkloadIdentity: kf-default@my-project.iam.gserviceaccount.com  # controller's default
@DEPLOY@

#~policy:                            # rules the roster must obey
#~  emailDomains: [example.com]      # every email must be in one of these
#~  clusterWideRoles: warn           # allow | warn | deny clusterRole edit and view
#~  maxQuota: {cpu: "64", memory: 256Gi}
#~  reservedNamespaces: [ml-platform]

#~clusters:                          # several clusters from this roster: out/<name>/ each
#~  - name: prod
#~  - name: staging
#~    settings: {kubeflowVersion: "1.10"}   # what differs there (settings, defaults)

defaults:                            # every profile gets these unless it says otherwise
  resourceQuota:
    hard: {cpu: "8", memory: 32Gi, persistentvolumeclaims: "10"}
  # With a cpu/memory quota, pods that set no requests or limits are rejected unless a
  # LimitRange gives them defaults (Kubeflow Pipelines' driver pods set none).
  limitRange:
    default: {cpu: 800m, memory: 1Gi}
    defaultRequest: {cpu: 200m, memory: 256Mi}

users:
  # name: a DNS-1123 label used in object names; email: exactly what the identity provider
  # sends (RBAC compares it case-sensitively).
  - name: admin
    email: admin@example.com
    clusterRole: admin               # kubeflow-admin in every namespace: platform team only
  - name: alice
    email: alice@example.com
  #~- name: bob
  #~  email: bob@example.com
  #~  clusterRole: view              # reads every namespace, other tenants' too: auditors
  #~  clusters: [prod]               # the clusters where clusterRole holds (default: all)

#~groups:                            # teams: contributing a group grants each member
#~  - name: vision
#~    members: [alice, bob]

profiles:
  - name: alice                      # the namespace: a DNS-1123 label, not a system one
    owner: alice                     # gets kubeflow-admin there and can share it
    #~resourceQuota:                 # replaces defaults.resourceQuota; {} means no quota
    #~  hard: {cpu: "16", memory: 64Gi, requests.nvidia.com/gpu: "1"}
    #~limitRange:                    # replaces defaults.limitRange; {} means none
    #~  default: {cpu: "1", memory: 2Gi}
    #~  defaultRequest: {cpu: 250m, memory: 512Mi}
    #~contributors:                  # edit or view in this namespace
    #~  - {user: bob, role: edit}
    #~  - {group: vision, role: view}
    #~plugins:                       # passed to the profile controller
    #~  - kind: WorkloadIdentity
    #~    spec: {gcpServiceAccount: alice-kubeflow@my-project.iam.gserviceaccount.com}
    #~  - kind: AwsIamForServiceAccount
    #~    spec: {awsIamRole: "arn:aws:iam::123456789012:role/alice-kubeflow"}
    #~namespaceOwnedByProfile: true  # the controller made this namespace: keep its Profile
    #~clusters: [prod, staging]     # the clusters it exists in (default: all)
"""

# The first line of the settings section, and its deploy block, for each engine. With an
# engine the section is live (deploy/ is compiled from it); without, an example.
_SETTINGS_LINE = {
    None: "#~settings:                          # this installation; these are the defaults",
    "flux": "settings:                            # this installation; '#' lines: the defaults",
    "argocd": "settings:                            # this installation; '#' lines: the defaults",
}
_DEPLOY = {
    None: """\
#~  deploy:                          # how Flux or Argo CD applies out/; compile writes deploy/
#~    engine: flux                   # or argocd, with argocd: {repoURL: <this repository>}""",
    "flux": """\
  deploy:                            # how Flux applies out/: `kfroster compile` writes deploy/
    engine: flux                     # one Kustomization per apply unit
    @DRIFT_READER@
    #~directory: deploy              # where they go, beside users.yaml
    #~path: out                      # out/ inside the Git repository Flux reads
    #~name: kubeflow-users           # the Kustomizations' name (prefix)
    #~namespace: flux-system
    #~flux:
    #~  interval: 10m                # how often Flux applies out/ again to undo drift
    #~  sourceRef: {kind: GitRepository, name: flux-system}   # what `flux bootstrap` made""",
    "argocd": """\
  deploy:                            # how Argo CD applies out/: `kfroster compile` writes deploy/
    engine: argocd                   # one ApplicationSet: an Application per apply unit
    @DRIFT_READER@
    argocd:
      repoURL: @REPO_URL@
      #~targetRevision: HEAD         # the branch Argo CD applies: the one reviewed here
      #~project: default
      #~destination: {server: "https://kubernetes.default.svc"}   # or {name: <cluster>}
    #~directory: deploy              # where it goes, beside users.yaml
    #~path: out                      # out/ inside the repository Argo CD clones
    #~name: kubeflow-users
    #~namespace: argocd""",
}

_README = """\
# Kubeflow users

Who may use Kubeflow on this cluster, and how, as one reviewed file: `users.yaml`.
kfroster compiles it into the Profiles, Namespaces, LimitRanges and bindings under `out/`,
which {engine} applies to the cluster.

| Path | What it is |
| --- | --- |
| `users.yaml` | the roster: users, groups, profiles, quotas; edit this |
| `out/` | generated by `kfroster compile`; never edit by hand |
| `schemas/users.schema.json` | lets your editor complete and check `users.yaml` |
| `.github/workflows/roster-review.yml` | validates pull requests and comments the plan |
| `.pre-commit-config.yaml` | the same checks before each commit |
{deploy_row}
## Daily work

1. Branch, and edit `users.yaml` (add a user, a profile, a contributor).
2. `kfroster validate` prints every problem at its line; `kfroster compile` rewrites `out/`.
3. Commit `users.yaml` and `out/` together and open a pull request. The workflow checks
   that `out/` is compiled from the roster and comments what the change grants and removes,
   dangerous changes first. Reviewers read that comment, not the YAML.
4. Merge. {apply}

Questions: `kfroster explain alice` (everything one person can do, and why),
`kfroster roles` (what kubeflow-admin, -edit and -view allow).

Removing a profile revokes the access of its owner and contributors on the next apply (its
Profile and bindings are pruned); its namespace and the data in it stay until an
administrator deletes them on purpose (`kubectl delete namespace NAME`). Where deleting the
Profile would delete the namespace (`manageNamespaces: false`, or a profile marked
`namespaceOwnedByProfile`), the Profile is kept and its owner keeps access: the plan
comment then gives the commands that revoke it and keep the data.

`pip install pre-commit && pre-commit install` runs the checks before each commit.
"""

_APPLY = {
    None: (
        "Apply `out/` with Flux or Argo CD: set `settings.deploy` in `users.yaml` (see\n"
        "   the example there) and `kfroster compile` writes the manifests that do it into\n"
        "   `deploy/`, next to `out/`, from then on."
    ),
    "flux": (
        "Flux applies `out/` through the Kustomizations in `deploy/`, which\n"
        "   `kfroster compile` writes from `settings.deploy` in `users.yaml` (they read the\n"
        "   GitRepository `flux-system`): keep `deploy/` inside the path your Flux bootstrap\n"
        "   reconciles, or `kubectl apply -f deploy/` once."
    ),
    "argocd": (
        "Argo CD applies `out/` through the ApplicationSet in `deploy/`, which\n"
        "   `kfroster compile` writes from `settings.deploy` in `users.yaml`:\n"
        "   `kubectl apply -f deploy/` once."
    ),
}
_ENGINE_NAME = {None: "Flux or Argo CD", "flux": "Flux", "argocd": "Argo CD"}


def choose_engine(*, flux: bool, argocd: bool) -> Engine | None:
    """Return the engine the --flux/--argocd flags choose (at most one may be set)."""
    if flux and argocd:
        raise ValueError("choose one engine: --flux or --argocd")
    return "flux" if flux else "argocd" if argocd else None


def starter_roster(
    engine: Engine | None = None,
    repo_url: str | None = None,
    *,
    examples: bool = False,
    drift: bool = False,
) -> str:
    """Return the starter users.yaml, its examples commented out (or live, for tests).

    With an engine its settings.deploy is set, so compile writes deploy/; Argo CD needs
    `repo_url`, written quoted as YAML reads it back exactly.
    """
    text = _STARTER.replace("@SETTINGS@", _SETTINGS_LINE[engine])
    text = text.replace("@DEPLOY@", _DEPLOY[engine])
    reader = "    driftReader: true                # the drift workflow's read-only identity"
    text = text.replace("    @DRIFT_READER@", reader if drift else "    #~" + reader.strip())
    if engine == "argocd":
        if repo_url is None:
            raise ValueError(
                "--argocd needs --repo-url, the URL Argo CD clones this repository from"
            )
        # A JSON string is a YAML double-quoted scalar: nothing in the URL can end it.
        text = text.replace("@REPO_URL@", json.dumps(repo_url))
    lines = []
    for line in text.splitlines():
        match = _EXAMPLE.match(line)
        if match is None:
            lines.append(line)
        elif examples:
            lines.append(match["indent"] + match["rest"])
        else:
            lines.append(f"{match['indent']}# {match['rest']}".rstrip())
    return "\n".join(lines) + "\n"


def template(name: str) -> str:
    """Return a file of the package's templates/ directory."""
    return (
        resources.files("compiler.output").joinpath("templates", name).read_text(encoding="utf-8")
    )


def scaffold(
    engine: Engine | None = None, repo_url: str | None = None, *, drift: bool = False
) -> dict[str, str]:
    """Return every file of a new roster repository (relative POSIX path -> text), sorted.

    `engine` sets the starter roster's settings.deploy, so its deploy/ is compiled with out/
    (Argo CD needs `repo_url`); `drift` adds the scheduled drift workflow and, with an
    engine, its read-only identity (settings.deploy.driftReader). Raise ValueError for a
    repo_url the roster refuses.
    """
    if repo_url is not None and engine != "argocd":
        raise ValueError("--repo-url applies to --argocd only")
    roster_text = starter_roster(engine, repo_url, drift=drift)
    checked = pipeline.check_text(roster_text, ROSTER)
    if checked.roster is None:
        refused = [p.message for p in checked.problems if p.level == "error"]
        if engine == "argocd" and any("repoURL" in message for message in refused):
            raise ValueError(f"--repo-url: {'; '.join(refused)}")
        raise AssertionError(f"starter roster is invalid: {checked.problems}")  # ours: a bug
    files = {ROSTER: roster_text, SCHEMA: dumps_schema()}
    for name, destination in _TEMPLATES.items():
        files[destination] = template(name)
    for relative, text in pipeline.render_files(checked.roster, ROSTER).items():
        files[f"{OUT}/{relative}"] = text
    deploy_row = ""
    if drift:
        files[DRIFT_WORKFLOW] = template("kfroster-drift.yml")
        deploy_row += (
            "| `.github/workflows/kfroster-drift.yml` | compares the cluster with the roster "
            "daily and keeps one issue up to date |\n"
        )
    deployed = pipeline.render_deploy(checked.roster, Path(ROSTER))
    if deployed is not None:
        for relative, text in deployed.files.items():
            files[(deployed.directory / relative).as_posix()] = text
        what = "Kustomizations" if engine == "flux" else "ApplicationSet"
        reader = " and the drift workflow's read-only identity" if drift else ""
        deploy_row += (
            f"| `deploy/` | the {what} that apply `out/`{reader}: written by `kfroster compile` "
            "from `settings.deploy` |\n"
        )
    files[README] = _README.format(
        engine=_ENGINE_NAME[engine], apply=_APPLY[engine], deploy_row=deploy_row
    )
    return dict(sorted(files.items()))


@dataclass(frozen=True)
class Survey:
    """How the scaffold's files meet a directory."""

    new: tuple[str, ...]  # do not exist yet
    same: tuple[str, ...]  # exist with exactly the scaffold's text
    differ: tuple[tuple[str, str | None], ...]  # exist with other text (None: not UTF-8)
    blocked: tuple[tuple[str, str], ...]  # cannot be written even with --force: (path, why)

    @property
    def conflicts(self) -> tuple[str, ...]:
        """Return every path that exists already, as a file or otherwise, sorted."""
        paths = [*self.same, *(p for p, _ in self.differ), *(p for p, _ in self.blocked)]
        return tuple(sorted(paths))


def survey(files: dict[str, str], root: Path) -> Survey:
    """Compare the scaffold's files with what is under `root`, without changing anything."""
    new: list[str] = []
    same: list[str] = []
    differ: list[tuple[str, str | None]] = []
    blocked: list[tuple[str, str]] = []
    for relative in sorted(files):
        target = root / relative
        parent = _non_directory_parent(root, relative)
        link = find_symlink(target, inside=root)
        if link is not None:
            blocked.append((relative, f"{visible(str(link))} is a symlink"))
        elif parent is not None:
            blocked.append((relative, f"{parent} is not a directory"))
        elif target.is_symlink() or target.exists():
            if target.is_dir() and not target.is_symlink():
                blocked.append((relative, "is a directory"))
            elif not target.is_file():
                blocked.append((relative, "is not a regular file"))
            else:
                old = _read(target)
                if old == files[relative]:
                    same.append(relative)
                else:
                    differ.append((relative, old))
        else:
            new.append(relative)
    return Survey(tuple(new), tuple(same), tuple(differ), tuple(blocked))


class Refused(CompilerError):
    """Files of the scaffold exist already: nothing was written."""

    def __init__(self, root: Path, found: Survey, *, force: bool) -> None:
        self.survey = found
        lines = []
        if force:
            lines.append(f"{root}: cannot overwrite, nothing written:")
        else:
            lines.append(
                f"{root}: {counted(len(found.conflicts), 'file')} exist already, nothing written"
                " (--force overwrites them, showing a diff of each):"
            )
            lines += [f"  exists   {root / path}" for path in found.conflicts]
        lines += [f"  blocked  {root / path}: {why}" for path, why in found.blocked]
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class Outcome:
    """What `init` did to each file of the scaffold."""

    created: tuple[str, ...]
    overwritten: tuple[tuple[str, str], ...]  # (path, unified diff of the change)
    unchanged: tuple[str, ...]


def init(files: dict[str, str], root: Path, *, force: bool = False) -> Outcome:
    """Write the scaffold under root; raise Refused, writing nothing, over any existing file.

    With force every existing file is replaced (its diff returned) and identical ones are
    left alone; a path blocked by a directory or a non-directory parent still refuses all.
    """
    found = survey(files, root)
    if found.blocked or (found.conflicts and not force):
        raise Refused(root, found, force=force)
    overwritten = tuple((path, unified_diff(path, old, files[path])) for path, old in found.differ)
    write(files, root, (*found.new, *(path for path, _ in found.differ)))
    return Outcome(found.new, overwritten, found.same)


def _non_directory_parent(root: Path, relative: str) -> Path | None:
    """Return the first parent of `relative` under root that exists but is no directory."""
    current = root
    for part in Path(relative).parts[:-1]:
        current = current / part
        if (current.exists() or current.is_symlink()) and not current.is_dir():
            return current
    return None


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return None


def unified_diff(relative: str, old: str | None, new: str) -> str:
    """Return the unified diff of replacing a file's text (or unreadable bytes) by `new`."""
    before = (old or "").splitlines(keepends=True)
    lines = difflib.unified_diff(
        before, new.splitlines(keepends=True), fromfile=f"a/{relative}", tofile=f"b/{relative}"
    )
    text = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
    if old is None:
        text = f"(a/{relative} is not UTF-8 text)\n" + text
    return text


class ScaffoldError(CompilerError):
    """A file of the scaffold could not be written."""


def write(files: dict[str, str], root: Path, paths: tuple[str, ...]) -> None:
    """Write the given scaffold files under root, each replaced atomically."""
    for relative in paths:
        target = root / relative
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(target, files[relative])
        except OSError as err:
            raise ScaffoldError(f"{target}: cannot write ({err.strerror})") from err
