"""Cross-record rules: what each record alone cannot tell (uniqueness, references, policy).

A rule is a function named after its kebab-case id, in the module of its concern
(records, naming, access, resources, release, scale, deploy). Its docstring shows a roster
that breaks it, and it yields Findings; `RULES` lists every rule explicitly, in the order they run.
"""

from __future__ import annotations

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
from compiler.roster.rules.scale import apply_unit_too_large
from compiler.roster.source import Source

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
    deploy_other_engine,
    argocd_without_repo_url,
)


def rule_id(rule: Rule) -> str:
    """Return a rule's kebab-case id, which is its function's name."""
    return rule.__name__.replace("_", "-")


def check(parsed: Parsed, source: Source) -> list[Problem]:
    """Run every rule on the sound part of the roster; return located problems."""
    facts = Facts(parsed, RosterIndex.build(parsed.roster))
    problems: list[Problem] = []
    for rule in RULES:
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
