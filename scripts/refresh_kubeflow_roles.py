"""Refresh the vendored Kubeflow roles from a kubeflow/manifests checkout; no network.

    python scripts/refresh_kubeflow_roles.py ~/src/manifests              # its HEAD commit
    python scripts/refresh_kubeflow_roles.py ~/src/manifests --commit SHA # a copy without .git

It reads the files in SOURCES, keeps the ClusterRoles that take part in Kubeflow's role
aggregation (a label `rbac.authorization.kubeflow.org/aggregate-to-…`, or an
aggregationRule selecting one), keeps of each only what `kfroster roles` reads (name,
those labels, aggregationRule, rules), and writes them, with a header naming the
repository and commit, to compiler/explain/roles/kubeflow-roles.yaml. Review the diff
like code: `kfroster roles` charts exactly this file.

Every other file of the checkout that mentions such a label must be in SKIPPED, with the
reason it is left out; otherwise the refresh stops, so a new application's roles are
never missed silently.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from compiler.output.files import write_atomically
from compiler.yamlio import emitter, events

REPOSITORY = "https://github.com/kubeflow/manifests"
TARGET = Path(__file__).resolve().parents[1] / "compiler/explain/roles/kubeflow-roles.yaml"
LABEL_PREFIX = "rbac.authorization.kubeflow.org/aggregate-to-"

# The files holding the aggregated roles the chart shows, in the order they are written.
# example/kustomization.yaml installs them all except training-operator, which it leaves
# commented out (line 91 at 009c88084074); the chart keeps its roles, as it always has.
SOURCES = (
    "common/kubeflow-roles/base/cluster-roles.yaml",
    "applications/admission-webhook/upstream/base/cluster-role.yaml",
    "applications/jupyter/jupyter-web-app/upstream/base/cluster-role.yaml",
    "applications/jupyter/notebook-controller/upstream/rbac/user_cluster_roles.yaml",
    "applications/katib/upstream/installs/katib-with-kubeflow/kubeflow-katib-roles.yaml",
    "applications/kserve/kserve/kserve_kubeflow.yaml",
    "applications/pipeline/upstream/base/installs/multi-user/view-edit-cluster-roles.yaml",
    "applications/spark/spark-operator/base/aggregated-roles.yaml",
    "applications/tensorboard/tensorboards-web-app/upstream/base/cluster-role.yaml",
    "applications/trainer/upstream/overlays/kubeflow-platform/kubeflow-trainer-roles.yaml",
    "applications/training-operator/upstream/overlays/kubeflow/kubeflow-training-roles.yaml",
    "applications/volumes-web-app/upstream/base/cluster-role.yaml",
    "common/istio/kubeflow-istio-resources/base/cluster-roles.yaml",
)
# Files (or folders, ending in '/') that mention the label but are not vendored, and why.
SKIPPED = {
    "applications/kserve/kserve/aggregated-roles.yaml": (
        "an older copy of the roles in kserve_kubeflow.yaml; its kustomization.yaml lists only"
        " the latter"
    ),
    "common/knative/": (
        "patches adding the labels to Knative's own namespaced roles, whose rules ship with"
        " Knative (the chart's notes say so)"
    ),
    "experimental/": "not part of the default install",
}

HEADER = """\
# Kubeflow's aggregated ClusterRoles: the data `kfroster roles` charts.
# source: {repository}
# commit: {commit}
# Written by scripts/refresh_kubeflow_roles.py from a checkout of that commit; do not edit.
# Of each ClusterRole taking part in the rbac.authorization.kubeflow.org aggregation only
# its name, aggregation labels, aggregationRule and rules are kept; `# from:` names its file.
"""


def normalise(role: dict[str, Any]) -> dict[str, Any] | None:
    """Return what the chart reads of a ClusterRole, or None when it takes no part."""
    metadata = role.get("metadata") or {}
    labels = {
        key: value
        for key, value in sorted((metadata.get("labels") or {}).items())
        if key.startswith(LABEL_PREFIX)
    }
    selectors = []
    for selector in (role.get("aggregationRule") or {}).get("clusterRoleSelectors") or []:
        if set(selector) != {"matchLabels"}:
            raise ValueError(f"{metadata.get('name')}: only matchLabels selectors are understood")
        selectors.append({"matchLabels": dict(sorted(selector["matchLabels"].items()))})
    if not labels and not any(
        key.startswith(LABEL_PREFIX) for s in selectors for key in s["matchLabels"]
    ):
        return None
    kept_metadata: dict[str, Any] = {"name": metadata["name"]}
    if labels:
        kept_metadata["labels"] = labels
    kept: dict[str, Any] = {
        "apiVersion": role["apiVersion"],
        "kind": "ClusterRole",
        "metadata": kept_metadata,
    }
    if selectors:
        kept["aggregationRule"] = {"clusterRoleSelectors": selectors}
    rules = role.get("rules") or []
    for rule in rules:
        if set(rule) != {"apiGroups", "resources", "verbs"}:
            raise ValueError(f"{metadata['name']}: a rule with {sorted(rule)}, not understood")
    kept["rules"] = [
        {key: rule[key] for key in ("apiGroups", "resources", "verbs")} for rule in rules
    ]
    return kept


def aggregated_roles(checkout: Path, path: str) -> Iterator[dict[str, Any]]:
    """Yield the normalised aggregated ClusterRoles of one file of the checkout."""
    text = (checkout / path).read_text(encoding="utf-8")
    try:
        documents = events.load_all(text)
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None
    for document in documents:
        if isinstance(document, dict) and document.get("kind") == "ClusterRole":
            kept = normalise(document)
            if kept is not None:
                yield kept


def render(commit: str, roles: list[tuple[str, dict[str, Any]]]) -> str:
    """Return the vendored file: the header, then one document per role with its source."""
    parts = [HEADER.format(repository=REPOSITORY, commit=commit)]
    parts += [f"---\n# from: {path}\n{emitter.dumps(role)}" for path, role in roles]
    return "".join(parts)


def unlisted(checkout: Path) -> list[str]:
    """Return the files mentioning an aggregation label that are neither vendored nor skipped."""
    found = []
    for file in sorted(checkout.rglob("*.y*ml")):
        path = file.relative_to(checkout).as_posix()
        if path.startswith(".") or path in SOURCES:
            continue
        if any(path == skip or (skip.endswith("/") and path.startswith(skip)) for skip in SKIPPED):
            continue
        if LABEL_PREFIX in file.read_text(encoding="utf-8", errors="replace"):
            found.append(path)
    return found


def head_commit(checkout: Path) -> str:
    """Return the checkout's commit; refuse local changes, which that commit does not hold."""
    git = ["git", "-C", str(checkout)]
    commit = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
    dirty = subprocess.run(
        [*git, "status", "--porcelain", "--", *SOURCES], capture_output=True, text=True, check=True
    )
    if dirty.stdout:
        raise SystemExit(f"{checkout}: local changes to vendored files; commit or stash them")
    return commit.stdout.strip()


def main(argv: list[str] | None = None) -> int:
    """Write the vendored file; return 1 when the checkout has unlisted role files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkout", type=Path, help="a kubeflow/manifests checkout")
    parser.add_argument("--commit", help="the checkout's commit (default: ask git)")
    parser.add_argument("--output", type=Path, default=TARGET, help="default: %(default)s")
    args = parser.parse_args(argv)
    commit = args.commit or head_commit(args.checkout)
    missing = unlisted(args.checkout)
    if missing:
        for path in missing:
            print(
                f"{path}: mentions {LABEL_PREFIX}…; add it to SOURCES or SKIPPED", file=sys.stderr
            )
        return 1
    roles = [(path, role) for path in SOURCES for role in aggregated_roles(args.checkout, path)]
    write_atomically(args.output, render(commit, roles))
    print(f"wrote {len(roles)} ClusterRoles from {commit} to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
