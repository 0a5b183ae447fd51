"""Cross-record rules: what each record alone cannot tell (uniqueness, references, policy).

A rule is a function named after its kebab-case id, in the module of its concern
(records, naming, access, resources, release, scale, deploy). It yields Findings; `RULES` lists
every rule explicitly, in the order they run.

A rule's docstring ends with an example: the part of a roster that breaks that rule and
no other, written on top of EXAMPLE_BASE (its lists extend the base's, its other keys are
added). A line ending in `# N times` stands for N copies of itself, `{i}` counting 1 to N.
A test runs every example.
"""

from __future__ import annotations

from compiler.model import units
from compiler.model.resolve import RosterIndex
from compiler.problems import Problem
from compiler.roster.model_check import Parsed
from compiler.roster.rules.access import cluster_wide_role, email_domain
from compiler.roster.rules.deploy import argocd_without_repo_url, deploy_other_engine
from compiler.roster.rules.facts import Facts, Rule
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


def rule_id(rule: Rule) -> str:
    """Return a rule's kebab-case id, which is its function's name."""
    return rule.__name__.replace("_", "-")


def check(parsed: Parsed, source: Source) -> list[Problem]:
    """Run every rule on the sound part of the roster; return located problems."""
    index = RosterIndex.build(parsed.roster)
    limit = parsed.roster.policy.max_objects
    facts = Facts(parsed, index, units.count_objects(index, stop_above=limit))
    problems: list[Problem] = []
    for rule in RULES:
        if facts.too_many_objects and rule in PER_OBJECT_RULES:
            continue
        for finding in rule(facts):
            line, col = source.locate(finding.path, key=finding.key)
            problems.append(
                Problem(
                    source.name,
                    line,
                    col,
                    rule_id(rule),
                    finding.message,
                    finding.level,
                    path=finding.path,
                )
            )
    return problems
