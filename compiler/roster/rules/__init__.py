"""Cross-record rules: what each record alone cannot tell (uniqueness, references, policy).

A rule is a function named after its kebab-case id, in the module of its concern
(records, clusters, naming, access, resources, release, scale, deploy). It yields Findings;
`RULES` lists every rule explicitly, in the order they run.

A roster that names clusters compiles one tree per cluster, each from its one-cluster
roster (model/clusters.py). The rules that read settings or defaults, or weigh what one
tree holds (`PER_CLUSTER_RULES`), run on each one-cluster roster instead of the roster; the
rules on resource lists also check each cluster's own defaults. A finding made there is
located at the cluster's override when the override wrote what it is about, and says in
which clusters it holds unless that is all of them.

A rule's docstring ends with an example: the part of a roster that breaks that rule and
no other, written on top of EXAMPLE_BASE (its lists extend the base's, its other keys are
added). A line ending in `# N times` stands for N copies of itself, `{i}` counting 1 to N.
A test runs every example.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Iterator, Mapping
from typing import Any

from compiler.model import units
from compiler.model.clusters import Split
from compiler.model.resolve import RosterIndex
from compiler.model.roster import Policy, Roster, Settings
from compiler.problems import NodePath, Problem
from compiler.roster.model_check import Parsed
from compiler.roster.rules.access import cluster_wide_role, email_domain
from compiler.roster.rules.clusters import (
    application_name_too_long,
    clusters_without_role,
    deploy_override_unused,
    duplicate_cluster,
    duplicate_destination,
    profile_without_cluster,
    reserved_cluster_name,
    unknown_cluster,
)
from compiler.roster.rules.deploy import argocd_without_repo_url, deploy_other_engine
from compiler.roster.rules.facts import Facts, Finding, Rule
from compiler.roster.rules.naming import (
    kfam_name_collision,
    name_too_long,
    namespace_label,
    reserved_namespace,
)
from compiler.roster.rules.records import (
    duplicate_email,
    duplicate_group,
    duplicate_profile,
    duplicate_user_name,
    owner_is_contributor,
    unknown_group,
    unknown_user,
    unused_group,
    user_without_access,
)
from compiler.roster.rules.release import dashboard_email
from compiler.roster.rules.resources import (
    limit_range_order,
    limit_range_resource,
    quantity_value,
    quota_above_max,
    quota_extended_resource,
    quota_resource,
    quota_scope,
    quota_without_limit_range,
)
from compiler.roster.rules.scale import apply_unit_too_large, max_objects
from compiler.roster.source import Source

# What every rule's example builds on: two users, each owning a profile of their name.
EXAMPLE_BASE = """\
version: 1
users:
  - {name: alice, email: alice@example.com}
  - {name: bob, email: bob@example.com}
profiles:
  - {name: alice, owner: alice}
  - {name: bob, owner: bob}
"""

RULES: tuple[Rule, ...] = (
    duplicate_user_name,
    duplicate_email,
    duplicate_group,
    duplicate_profile,
    unknown_user,
    unknown_group,
    owner_is_contributor,
    duplicate_cluster,
    reserved_cluster_name,
    unknown_cluster,
    profile_without_cluster,
    clusters_without_role,
    deploy_override_unused,
    duplicate_destination,
    application_name_too_long,
    reserved_namespace,
    email_domain,
    quantity_value,
    quota_resource,
    quota_extended_resource,
    limit_range_resource,
    quota_scope,
    limit_range_order,
    quota_above_max,
    kfam_name_collision,
    name_too_long,
    namespace_label,
    dashboard_email,
    cluster_wide_role,
    quota_without_limit_range,
    unused_group,
    user_without_access,
    apply_unit_too_large,
    max_objects,
    deploy_other_engine,
    argocd_without_repo_url,
)
# Rules whose work grows with the objects the roster compiles to, not with the roster:
# they are skipped when max-objects refuses it, so a refusal takes a moment.
PER_OBJECT_RULES: frozenset[Rule] = frozenset({kfam_name_collision, apply_unit_too_large})
# Rules that read merged settings or defaults, or what one tree holds: with clusters, they
# run on each cluster's one-cluster roster.
PER_CLUSTER_RULES: frozenset[Rule] = frozenset(
    {
        namespace_label,
        dashboard_email,
        quota_above_max,
        quota_without_limit_range,
        apply_unit_too_large,
        deploy_other_engine,
        argocd_without_repo_url,
    }
)
# Rules on resource lists (the defaults among them): with clusters they also check the
# defaults of each cluster that overrides them.
DEFAULTS_RULES: tuple[Rule, ...] = (
    quantity_value,
    quota_resource,
    quota_extended_resource,
    limit_range_resource,
    quota_scope,
    limit_range_order,
)


def rule_id(rule: Rule) -> str:
    """Return a rule's kebab-case id, which is its function's name."""
    return rule.__name__.replace("_", "-")


# A finding, and the cluster whose one-cluster roster it was made on (None: the roster).
_Found = tuple[Rule, Finding, str | None]


def check(parsed: Parsed, source: Source) -> list[Problem]:
    """Run every rule on the sound part of the roster; return located problems."""
    roster = parsed.roster
    index = RosterIndex.build(roster)
    split = Split(roster) if roster.clusters else None
    facts = Facts(parsed, index, _count_objects(roster, index, split), split)
    found: list[_Found] = []
    for rule in RULES:
        if facts.too_many_objects and rule in PER_OBJECT_RULES:
            continue
        if split is not None and rule in PER_CLUSTER_RULES:
            continue
        found += [(rule, finding, None) for finding in rule(facts)]
    if split is not None:
        for name in split.names:
            found += _cluster_findings(facts, split, name, source)
    return [
        Problem(
            source.name,
            *source.locate(finding.path, key=finding.key),
            rule_id(rule),
            finding.message,
            finding.level,
            path=finding.path,
        )
        for rule, finding in _merge(found, split.names if split is not None else ())
    ]


def _count_objects(roster: Roster, index: RosterIndex, split: Split | None) -> int:
    """Count the objects of every tree, up to one past policy.maxObjects."""
    limit = roster.policy.max_objects
    if split is None:
        return units.count_objects(index, stop_above=limit)
    total = 0
    for name in split.names:
        there = RosterIndex.build(split.roster_of(name))
        total += units.count_objects(there, stop_above=limit - total)
        if total > limit:
            break
    return total


def _written(source: Source, path: NodePath) -> Any:
    """Return what the roster text holds at a path (a cluster's record, as written)."""
    node: Any = source.data
    for part in path:
        node = node[part]
    return node


def _cluster_findings(facts: Facts, split: Split, name: str, source: Source) -> Iterator[_Found]:
    """Run the per-cluster rules on a cluster's one-cluster roster, and check its defaults."""
    parsed = facts.parsed
    cluster = split.cluster(name)
    position = parsed.path_of(cluster)
    raw = _written(source, position)
    there = split.roster_of(name)
    index = RosterIndex.build(there)
    local = _parsed_as(parsed, there, split)
    local_facts = Facts(local, index, facts.objects, None)
    for rule in RULES:
        if rule not in PER_CLUSTER_RULES:
            continue
        if facts.too_many_objects and rule in PER_OBJECT_RULES:
            continue
        for finding in rule(local_facts):
            yield rule, _at_override(finding, position, raw), name
    if cluster.defaults.model_fields_set:
        # Only the defaults: the profiles' own resources are the roster's, checked once.
        alone = Roster.model_construct(
            version=1,
            settings=Settings(),
            policy=Policy(),
            defaults=there.defaults,
            users=(),
            groups=(),
            profiles=(),
            clusters=(),
        )
        defaults_facts = Facts(_parsed_as(parsed, alone, split), RosterIndex.build(alone))
        for rule in DEFAULTS_RULES:
            for finding in rule(defaults_facts):
                yield rule, _at_override(finding, position, raw), name


def _parsed_as(parsed: Parsed, roster: Roster, split: Split) -> Parsed:
    """Return `parsed` for a one-cluster roster: its records located where they were written."""
    copies: dict[int, NodePath] = {
        id(roster.settings): ("settings",),
        id(roster.defaults): ("defaults",),
    }
    for copy, original in split.originals.items():
        copies[copy] = parsed.origins[original]
    return Parsed(
        roster,
        ChainMap(copies, dict(parsed.origins)),
        parsed.dropped,
        parsed.incomplete,
        parsed.partial,
    )


def _at_override(finding: Finding, cluster: NodePath, raw: Mapping[str, Any]) -> Finding:
    """Locate a finding on a merged setting or default at the cluster's override of it.

    Only when the override wrote the whole path: a finding on what the top level wrote
    stays there.
    """
    path = finding.path
    if len(path) < 2 or path[0] not in ("settings", "defaults"):
        return finding
    node: Any = raw
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return finding
        node = node[part]
    return Finding((*cluster, *path), finding.message, finding.level, finding.key)


def _merge(found: list[_Found], clusters: tuple[str, ...]) -> Iterator[tuple[Rule, Finding]]:
    """Report each finding once; one found in some clusters only says in which."""
    where: dict[tuple[Rule, Finding], set[str | None]] = {}
    for rule, finding, cluster in found:
        where.setdefault((rule, finding), set()).add(cluster)
    for (rule, finding), places in where.items():
        if None in places or len(places) == len(clusters):
            yield rule, finding
            continue
        named = sorted(str(place) for place in places)
        noun = "cluster" if len(named) == 1 else "clusters"
        shown = ", ".join(named[:-1]) + (" and " if len(named) > 1 else "") + named[-1]
        message = f"{finding.message} (in {noun} {shown})"
        yield rule, Finding(finding.path, message, finding.level, finding.key)
