"""Scaffold a roster repository: the files `kfroster init` writes, and how it writes them.

`scaffold()` returns every file (relative path -> text) of a repository that validates and
compiles as created: a commented starter roster (whose settings.deploy names the engine),
its schema, out/ and deploy/ compiled from it, the pull-request workflow, the pre-commit
configuration, and a short README. `survey()` compares them with a directory; `write()` writes.
Nothing is overwritten unless asked, file by file.
"""

from __future__ import annotations

import difflib
import io
import json
import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from compiler import pipeline
from compiler.model.roster import RELATIVE_PATH_PATTERN, Engine
from compiler.output import precommit
from compiler.output.files import write_atomically
from compiler.output.products import toplevel
from compiler.problems import CompilerError
from compiler.roster.schema import dumps_schema
from compiler.symlinks import find_symlink
from compiler.text import counted, noun, visible

ROSTER = "users.yaml"
SCHEMA = "schemas/users.schema.json"
OUT = "out"
DEPLOY = "deploy"
WORKFLOW = ".github/workflows/roster-review.yml"
DRIFT_WORKFLOW = ".github/workflows/kfroster-drift.yml"
PRE_COMMIT = ".pre-commit-config.yaml"
README = "README.md"
# The one place that says which kfroster CI and the pre-commit hooks install, and the script
# through which the hooks install it.
REQUIREMENTS = ".kfroster/requirements.txt"
HOOK = ".kfroster/hook.py"

# Package data (compiler/output/templates/) -> where it goes in the scaffold.

_REQUIREMENTS = """\
# The kfroster that checks this roster: CI (.github/workflows/roster-review.yml) and the
# pre-commit hooks (.kfroster/hook.py) install it from this file, so out/ is checked by the
# kfroster that compiled it. `kfroster init` pinned the one that ran it. Change it in a pull
# request of its own: the review workflow flags every change under .kfroster/.
{requirement}
"""


@dataclass(frozen=True)
class GitSource:
    """The Git repository Flux reads the roster's out/ from, when not its bootstrap one."""

    url: str
    branch: str = "main"


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
    #~clusters: [prod, staging]      # the clusters it exists in (default: all)
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
    @PATH@
    #~name: kubeflow-users           # the Kustomizations' name (prefix)
    #~namespace: flux-system
    @FLUX@""",
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
    @PATH@
    #~name: kubeflow-users
    #~namespace: argocd""",
}

# settings.deploy.path: an example at the repository's root, live below it.
_PATH_COMMENT = {
    "flux": "# out/ inside the Git repository Flux reads",
    "argocd": "# out/ inside the repository Argo CD clones",
}
# settings.deploy.flux: an example with Flux's bootstrap repository, live with one of its own.
_FLUX_BOOTSTRAP = """\
    #~flux:
    #~  interval: 10m                # how often Flux applies out/ again to undo drift
    #~  sourceRef: {kind: GitRepository, name: flux-system}   # what `flux bootstrap` made"""
_FLUX_OWN_SOURCE = """\
    flux:                            # Flux reads out/ through a GitRepository of its own
      sourceRef: {kind: GitRepository, name: kubeflow-users}
      gitRepository:                 # compile writes it into deploy/ too
        url: @GIT_URL@
        branch: @GIT_BRANCH@
        #~secretName: kubeflow-users-git   # credentials of a private repository
      #~interval: 10m                # how often Flux applies out/ again to undo drift"""


def _aligned(indent: int, content: str, comment: str, *, example: bool) -> str:
    """Return a roster line whose trailing comment starts in the starter's comment column
    (37), or two spaces after content too long for it; an example starts with '#~'."""
    mark = "#~" if example else ""
    text = " " * indent + mark + content
    return text + " " * max(2, 37 - len(text)) + comment


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
| `.kfroster/requirements.txt` | the kfroster CI and the hooks install: change it on purpose |
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
    prefix: str = "",
    git: GitSource | None = None,
) -> str:
    """Return the starter users.yaml, its examples commented out (or live, for tests).

    With an engine its settings.deploy is set, so compile writes deploy/; Argo CD needs
    `repo_url`, written quoted as YAML reads it back exactly. `prefix` is the roster's
    directory inside its Git repository: settings.deploy.path then says where out/ is.
    `git` (Flux only) is a GitRepository of its own for Flux to read this repository with.
    """
    text = _STARTER.replace("@SETTINGS@", _SETTINGS_LINE[engine])
    text = text.replace("@DEPLOY@", _DEPLOY[engine])
    if engine is not None:
        path = f"path: {prefix}/{OUT}" if prefix else f"path: {OUT}"
        line = _aligned(4, path, _PATH_COMMENT[engine], example=not prefix)
        text = text.replace("    @PATH@", line)
    if git is not None and engine != "flux":
        raise ValueError("--git-url applies to --flux only")
    if engine == "flux":
        if git is None:
            text = text.replace("    @FLUX@", _FLUX_BOOTSTRAP)
        else:
            # JSON strings are YAML double-quoted scalars: nothing in them can end them.
            own = _FLUX_OWN_SOURCE.replace("@GIT_URL@", json.dumps(git.url))
            text = text.replace("    @FLUX@", own.replace("@GIT_BRANCH@", json.dumps(git.branch)))
    # Live, or an example whose '#~' takes two columns of the padding: comments stay aligned.
    reader = "driftReader: true{pad}# the drift workflow's read-only identity"
    live, example = reader.format(pad=" " * 16), "#~" + reader.format(pad=" " * 14)
    text = text.replace("@DRIFT_READER@", live if drift else example)
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
    engine: Engine | None = None,
    repo_url: str | None = None,
    *,
    requirement: str,
    drift: bool = False,
    prefix: str = "",
    git: GitSource | None = None,
) -> dict[str, str]:
    """Return every file of a new roster repository (path from the repository's root ->
    text), sorted.

    `requirement` (one pip requirement line) is the kfroster CI and the hooks install.
    `engine` sets the starter roster's settings.deploy, so its deploy/ is compiled with out/
    (Argo CD needs `repo_url`; Flux reads `git` when given, else its bootstrap repository);
    `drift` adds the scheduled drift workflow and, with an engine, its read-only identity
    (settings.deploy.driftReader). `prefix` is the roster's directory inside an existing
    repository: the roster's files go there, the workflows and the pre-commit configuration
    stay at the root and work on it. Raise ValueError for options the roster refuses.
    """
    if repo_url is not None and engine != "argocd":
        raise ValueError("--repo-url applies to --argocd only")
    if prefix and not re.fullmatch(RELATIVE_PATH_PATTERN, prefix):
        raise ValueError(
            f"{visible(prefix)}: the roster's directory inside the repository must be a path "
            "of letters, digits and '_', joined by single '-', '.' or '/'"
        )
    roster_text = starter_roster(engine, repo_url, drift=drift, prefix=prefix, git=git)
    checked = pipeline.check_text(roster_text, ROSTER)
    if checked.roster is None:
        refused = [p.message for p in checked.problems if p.level == "error"]
        if engine == "argocd" and any("repoURL" in message for message in refused):
            raise ValueError(f"--repo-url: {'; '.join(refused)}")
        if git is not None and any("gitRepository" in message for message in refused):
            raise ValueError(f"--git-url/--git-branch: {'; '.join(refused)}")
        raise AssertionError(f"starter roster is invalid: {checked.problems}")  # ours: a bug
    files = {
        ROSTER: roster_text,
        SCHEMA: dumps_schema(),
        REQUIREMENTS: _REQUIREMENTS.format(requirement=requirement),
        HOOK: template("hook.py"),
    }
    for relative, text in pipeline.render_files(checked.roster, ROSTER).items():
        files[f"{OUT}/{relative}"] = text
    deploy_row = ""
    if drift:
        deploy_row += (
            "| `.github/workflows/kfroster-drift.yml` | compares the cluster with the roster "
            "daily and keeps one issue up to date |\n"
        )
    deployed = pipeline.render_deploy(checked.roster, Path(ROSTER))
    if deployed is not None:
        for relative, text in deployed.files.items():
            files[(deployed.directory / relative).as_posix()] = text
        what = "Kustomizations" if engine == "flux" else "ApplicationSet"
        if git is not None:
            what += " and the GitRepository they read"
        reader = " and the drift workflow's read-only identity" if drift else ""
        deploy_row += (
            f"| `deploy/` | the {what} that apply `out/`{reader}: written by `kfroster compile` "
            "from `settings.deploy` |\n"
        )
    apply = _APPLY[engine]
    if git is not None:
        apply = apply.replace(
            "the\n   GitRepository `flux-system`", "the\n   GitRepository in `deploy/`"
        )
    readme = _README.format(engine=_ENGINE_NAME[engine], apply=apply, deploy_row=deploy_row)
    if prefix:
        # These live at the repository's root, not beside this README.
        for path in (WORKFLOW, DRIFT_WORKFLOW, PRE_COMMIT):
            readme = readme.replace(f"| `{path}` |", f"| `{path}` (repository root) |")
    files[README] = readme
    placed = {f"{prefix}/{path}" if prefix else path: text for path, text in files.items()}
    placed[WORKFLOW] = placed_workflow(template("roster-review.yml"), prefix)
    placed[PRE_COMMIT] = placed_hooks(template("pre-commit-config.yaml"), prefix)
    if drift:
        placed[DRIFT_WORKFLOW] = placed_workflow(template("kfroster-drift.yml"), prefix)
    return dict(sorted(placed.items()))


def _round_trip() -> YAML:
    """A YAML reader and writer that gives back the templates byte for byte."""
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _dump(yaml: YAML, document: Any) -> str:
    stream = io.StringIO()
    yaml.dump(document, stream)
    return stream.getvalue()


def placed_workflow(text: str, prefix: str) -> str:
    """Return a workflow template working on a roster in `prefix` ("" : at the root)."""
    if not prefix:
        return text
    yaml = _round_trip()
    document = yaml.load(text)
    triggers = document["on"].get("pull_request")
    if triggers is not None:
        paths = triggers["paths"]
        for number, path in enumerate(paths):
            if not path.startswith(".github/"):
                paths[number] = f"{prefix}/{path}"
    environments = [document.get("env") or {}]
    environments += [job.get("env") or {} for job in document["jobs"].values()]
    for env in environments:
        for key in ("KFROSTER_REQUIREMENTS", "ROSTER", "OUT_DIR"):
            if key in env:
                env[key] = f"{prefix}/{env[key]}"
    return _dump(yaml, document)


def placed_hooks(text: str, prefix: str) -> str:
    """Return the pre-commit template working on a roster in `prefix` ("" : at the root)."""
    if not prefix:
        return text
    yaml = _round_trip()
    document = yaml.load(text)
    for hook in document["repos"][0]["hooks"]:
        words = hook["entry"].split()
        assert words[:2] == ["python", HOOK] and words[2] in ("validate", "compile"), words
        words[1] = f"{prefix}/{HOOK}"
        words.insert(3, f"{prefix}/{ROSTER}")
        if words[2] == "compile":
            words[4:4] = ["--out", f"{prefix}/{OUT}"]
        hook["entry"] = " ".join(words)  # the prefix holds no character a shell would read
        pattern = hook["files"]
        assert pattern.startswith("^"), pattern
        hook["files"] = f"^{re.escape(prefix + '/')}{pattern[1:]}"
    return _dump(yaml, document)


def locate(directory: Path) -> tuple[Path, str]:
    """Return where the scaffold's paths start, and the roster's directory from there.

    Inside an existing Git repository (below its top) that is the repository's top and
    the path to `directory`; otherwise `directory` itself and "".
    """
    existing = directory.resolve()
    while not existing.is_dir() and existing != existing.parent:
        existing = existing.parent
    top = toplevel(existing)
    if top is None:
        return directory, ""
    try:
        inside = Path(os.path.realpath(directory)).relative_to(top).as_posix()
    except ValueError:
        return directory, ""
    return (directory, "") if inside == "." else (top, inside)


@dataclass(frozen=True)
class Hooks:
    """How kfroster's pre-commit hooks meet a configuration that exists already."""

    files: dict[str, str]  # the scaffold, its .pre-commit-config.yaml merged or left out
    merged: frozenset[str]  # the configuration, when kfroster's entry was added to it
    by_hand: str | None = None  # the entry to add by hand, when it was not
    why: str = ""


def add_hooks(files: dict[str, str], root: Path, *, skip_existing: bool = False) -> Hooks:
    """Merge kfroster's hooks into root's existing .pre-commit-config.yaml (never replace
    it): kept as it is when they are there already; left alone, with the entry to add by
    hand, when it cannot be merged safely or --skip-existing says to leave files alone."""
    target = root / PRE_COMMIT
    ours = files[PRE_COMMIT]
    if target.is_symlink() or not target.is_file():
        return Hooks(files, frozenset())  # new, or blocked: survey() says which
    existing = _read(target)
    if existing is None or existing == ours:
        return Hooks(files, frozenset())
    rest = {path: text for path, text in files.items() if path != PRE_COMMIT}
    merged = precommit.merge(existing, ours)
    if merged.present:
        return Hooks(rest, frozenset())
    if skip_existing:
        return Hooks(rest, frozenset(), precommit.entry(ours), "--skip-existing")
    if merged.text is None:
        return Hooks(rest, frozenset(), precommit.entry(ours), merged.why)
    return Hooks({**rest, PRE_COMMIT: merged.text}, frozenset({PRE_COMMIT}))


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
                f"{root}: {counted(len(found.conflicts), 'file')}"
                f" {noun(len(found.conflicts), 'exists', 'exist')} already, nothing written"
                " (--force overwrites them, showing a diff of each; --skip-existing leaves"
                " them alone):"
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
    skipped: tuple[tuple[str, str], ...] = ()  # (path, why): left as it was, --skip-existing
    merged: tuple[tuple[str, str], ...] = ()  # (path, unified diff): kfroster's part added


def init(
    files: dict[str, str],
    root: Path,
    *,
    force: bool = False,
    skip_existing: bool = False,
    merged: frozenset[str] = frozenset(),
) -> Outcome:
    """Write the scaffold under root; raise Refused, writing nothing, over any existing file.

    With force every existing file is replaced (its diff returned) and identical ones are
    left alone; a path blocked by a directory or a non-directory parent still refuses all.
    With skip_existing existing and blocked paths are left alone and only new files
    written. Paths in `merged` hold an existing file with kfroster's part added: written
    without force, their diff returned.
    """
    if force and skip_existing:
        raise ValueError("--force and --skip-existing contradict each other: choose one")
    found = survey(files, root)
    conflicts = [path for path in found.conflicts if path not in merged]
    if not skip_existing and (found.blocked or (conflicts and not force)):
        raise Refused(root, found, force=force)
    changed = [(path, old) for path, old in found.differ if path in merged or not skip_existing]
    skipped = tuple(
        [(path, "exists") for path, _ in found.differ if path not in merged and skip_existing]
        + (list(found.blocked) if skip_existing else [])
    )
    diffs = {path: unified_diff(path, old, files[path]) for path, old in changed}
    write(files, root, (*found.new, *(path for path, _ in changed)))
    return Outcome(
        found.new,
        tuple((path, diff) for path, diff in diffs.items() if path not in merged),
        found.same,
        tuple(sorted(skipped)),
        tuple((path, diff) for path, diff in diffs.items() if path in merged),
    )


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
