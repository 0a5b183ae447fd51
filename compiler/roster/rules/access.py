"""Rules of the organisation's policy on who may be granted what."""

from __future__ import annotations

from collections.abc import Iterator

from compiler.problems import Level
from compiler.roster.rules.facts import Facts, Finding


def email_domain(facts: Facts) -> Iterator[Finding]:
    """An email is outside the domains the policy allows.

    policy: {emailDomains: [example.com]}
    users:
      - {name: mallory, email: mallory@example.org}
    profiles:
      - {name: mallory, owner: mallory}
    """
    parsed = facts.parsed
    allowed = parsed.roster.policy.email_domains
    if not allowed:
        return
    for user in parsed.roster.users:
        domain = user.email.rpartition("@")[2].lower()
        if domain not in allowed:
            yield Finding(
                parsed.path_of(user, "email"),
                f"email {user.email!r} is not in an allowed domain ({', '.join(allowed)}); "
                "policy.emailDomains decides who may be granted access: use an address in one "
                "of them, or add its exact domain to the policy (subdomains are not included)",
            )


def cluster_wide_role(facts: Facts) -> Iterator[Finding]:
    """A user has cluster-wide edit or view, which reaches every namespace.

    policy: {clusterWideRoles: deny}
    users:
      - {name: carol, email: carol@example.com, clusterRole: edit}
    """
    parsed = facts.parsed
    mode = parsed.roster.policy.cluster_wide_roles
    if mode == "allow":
        return
    level: Level = "error" if mode == "deny" else "warning"
    reach = {
        "edit": "reads and changes every namespace, kube-system and other tenants included, "
        "and reads every secret",
        "view": "reads most objects of every namespace, other tenants included",
    }
    for user in parsed.roster.users:
        role = user.cluster_role
        if role in reach:
            yield Finding(
                parsed.path_of(user, "clusterRole"),
                f"{user.name!r} gets cluster-wide {role}, which {reach[role]}; make "
                f"{user.name!r} a contributor of the profiles they need instead, or set "
                "policy.clusterWideRoles: allow",
                level,
            )
