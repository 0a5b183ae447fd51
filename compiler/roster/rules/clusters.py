"""Rules on `clusters`: names that resolve, restrictions that mean something, one tree each.

Everything else about a cluster (its merged settings and defaults, what its tree holds)
is checked by the other rules, run on the cluster's one-cluster roster (see
rules/__init__.py); these check what only the whole roster can tell.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from compiler.model import names, units
from compiler.model.clusters import Split, merge_settings
from compiler.model.roster import Cluster
from compiler.problems import NodePath, did_you_mean, path_text
from compiler.roster.rules.facts import Facts, Finding
from compiler.roster.rules.records import duplicates

# The directories of a tree without clusters (model/units.py).
_TREE_DIRECTORY = re.compile(
    "|".join(
        (
            f"{re.escape(units.UNIT_PREFIX)}[0-9]+",
            re.escape(units.PROFILES_DIR),
            re.escape(units.CLUSTER_ROLE_BINDINGS_DIR),
        )
    )
)
# With label tracking (the default before Argo CD 3.0), Argo CD writes an Application's
# name as is into the label `app.kubernetes.io/instance` of every object it applies, and
# Kubernetes refuses a label value over 63 characters (util/argo/resource_tracking.go
# L169-178 at argo-cd 37ee0097).
MAX_APPLICATION_NAME = 63


def duplicate_cluster(facts: Facts) -> Iterator[Finding]:
    """Two clusters share a name, so they would share out/<name>/.

    clusters:
      - {name: prod}
      - {name: prod}
    """
    yield from duplicates(facts, facts.parsed.roster.clusters, lambda c: c.name, "cluster", "name")


def reserved_cluster_name(facts: Facts) -> Iterator[Finding]:
    """A cluster is named like a directory of a tree without clusters (an apply unit, profiles).

    An engine that still reads out/ as it was before the roster named clusters would apply
    that cluster's whole tree as if it were its own: `out/unit-003/` was an apply unit.

    clusters:
      - {name: unit-003}
    """
    parsed = facts.parsed
    for cluster in parsed.roster.clusters:
        if _TREE_DIRECTORY.fullmatch(cluster.name):
            yield Finding(
                parsed.path_of(cluster, "name"),
                f"cluster name {cluster.name!r} is the name of a directory of out/ without "
                "clusters (an apply unit, profiles, cluster-role-bindings): an engine that "
                f"still reads out/{cluster.name}/ from before would apply this cluster's tree "
                "in its own cluster; choose another name",
            )


def unknown_cluster(facts: Facts) -> Iterator[Finding]:
    """A profile or a user names a cluster that is not in clusters.

    clusters:
      - {name: prod}
    profiles:
      - {name: vision, owner: alice, clusters: [prd]}
    """
    parsed = facts.parsed
    roster = parsed.roster
    known = list(dict.fromkeys(cluster.name for cluster in roster.clusters))
    # A cluster whose record failed its own checks is still one the roster names.
    named = known + sorted(parsed.dropped.get("clusters", frozenset()) - set(known))
    restrictions: list[tuple[object, str, Sequence[str]]] = []
    for profile in roster.profiles:
        if profile.clusters is not None:
            restrictions.append((profile, "clusters", profile.clusters))
        if not isinstance(profile.namespace_owned_by_profile, bool):
            restrictions.append(
                (profile, "namespaceOwnedByProfile", profile.namespace_owned_by_profile)
            )
    restrictions += [(u, "clusters", u.clusters) for u in roster.users if u.clusters is not None]
    for record, field, written in restrictions:
        for position, name in enumerate(written):
            if name in known or parsed.may_exist("clusters", name):
                continue  # a cluster record that failed its own checks is reported already
            path = parsed.path_of(record, field, position)  # type: ignore[arg-type]
            if not named:
                fix = "the roster names no clusters: list them under clusters, or remove this"
            else:
                hint = did_you_mean(name, named)
                fix = f"{hint} If not, add the cluster" if hint else "add the cluster"
                fix += f" or fix the name (clusters: {', '.join(named)})"
            yield Finding(path, f"{path_text(path)} names cluster {name!r}; {fix}")


def profile_without_cluster(facts: Facts) -> Iterator[Finding]:
    """A profile is restricted to no cluster, so it exists nowhere.

    clusters:
      - {name: prod}
    profiles:
      - {name: vision, owner: alice, clusters: []}
    """
    parsed = facts.parsed
    for profile in parsed.roster.profiles:
        if profile.clusters == ():
            yield Finding(
                parsed.path_of(profile, "clusters"),
                f"profile {profile.name!r} is restricted to no cluster (clusters: []), so it "
                "exists in none: name its clusters, or remove clusters to have it in every one",
            )


def clusters_without_role(facts: Facts) -> Iterator[Finding]:
    """A user's clusters restrict nothing: they restrict only a cluster-wide role.

    clusters:
      - {name: prod}
    users:
      - {name: carol, email: carol@example.com, clusters: [prod]}
    profiles:
      - {name: carol, owner: carol}
    """
    parsed = facts.parsed
    for user in parsed.roster.users:
        if user.clusters is not None and user.cluster_role is None:
            yield Finding(
                parsed.path_of(user, "clusters"),
                f"user {user.name!r} has clusters but no clusterRole: a user's clusters restrict "
                "only their cluster-wide role; what they own or contribute to follows each "
                "profile, in every cluster the profile is in (restrict the profiles instead)",
                "warning",
            )


def deploy_override_unused(facts: Facts) -> Iterator[Finding]:
    """A cluster overrides settings.deploy, which the roster does not set: nothing reads it.

    clusters:
      - name: prod
        settings: {deploy: {flux: {interval: 5m}}}
    """
    parsed = facts.parsed
    if parsed.roster.settings.deploy is not None or "settings" in parsed.incomplete:
        return
    for cluster in parsed.roster.clusters:
        if cluster.settings.deploy is not None:
            yield Finding(
                parsed.path_of(cluster, "settings", "deploy"),
                f"cluster {cluster.name!r} overrides settings.deploy, which the roster does "
                "not set, so nothing reads it: set settings.deploy, or remove this",
                key=True,
            )


def duplicate_destination(facts: Facts) -> Iterator[Finding]:
    """Two clusters deploy to the same Argo CD destination, so two trees fight in one cluster.

    clusters:
      - {name: prod}
      - {name: staging}
    settings:
      deploy:
        engine: argocd
        argocd: {repoURL: "https://git.example.com/platform/users.git"}
    """
    parsed = facts.parsed
    roster = parsed.roster
    if roster.settings.deploy is None or roster.settings.deploy.engine != "argocd":
        return
    seen: dict[tuple[str | None, str | None], str] = {}
    for cluster in roster.clusters:
        merged = merge_settings(roster.settings, cluster.settings).deploy
        if merged is None or merged.argocd is None:
            continue
        destination = merged.argocd.destination
        key = (destination.name, destination.server)
        first = seen.setdefault(key, cluster.name)
        if first != cluster.name:
            shown = destination.name or destination.server
            yield Finding(
                _destination_path(facts, cluster),
                f"cluster {cluster.name!r} deploys to the Argo CD destination {shown!r}, as "
                f"cluster {first!r} does: their Applications would apply two trees to one "
                "cluster, each undoing the other; give each cluster its own "
                "settings.deploy.argocd.destination",
            )


def _destination_path(facts: Facts, cluster: Cluster) -> NodePath:
    deploy = cluster.settings.deploy
    if deploy is not None and deploy.argocd is not None and deploy.argocd.destination is not None:
        return facts.parsed.path_of(cluster, "settings", "deploy", "argocd", "destination")
    return facts.parsed.path_of(cluster, "name")


def application_name_too_long(facts: Facts) -> Iterator[Finding]:
    """An Argo CD Application name (deploy name, cluster, unit) is over 63 characters.

    clusters:
      - {name: production-europe-west-frankfurt-primary}
    settings:
      deploy:
        engine: argocd
        name: kubeflow-users-of-the-platform
        argocd: {repoURL: "https://git.example.com/platform/users.git"}
    """
    parsed = facts.parsed
    split: Split | None = facts.clusters
    deploy = parsed.roster.settings.deploy
    if split is None or deploy is None or deploy.engine != "argocd":
        return
    for cluster in parsed.roster.clusters:
        if cluster.name not in split.names:
            continue
        units_there = split.roster_of(cluster.name).settings.apply_units
        unit = units.unit_name(0) if units_there > 1 else ""
        longest = names.applier_name(deploy.name, unit, cluster.name)
        if len(longest) > MAX_APPLICATION_NAME:
            yield Finding(
                parsed.path_of(cluster, "name"),
                f"cluster {cluster.name!r} makes Argo CD Application names such as "
                f"{longest!r}, {len(longest)} characters long; Argo CD keeps an Application's "
                f"name in a label, at most {MAX_APPLICATION_NAME}: shorten the cluster's name "
                "or settings.deploy.name",
            )
