"""Rules on what the roster's Kubeflow release (settings.kubeflowVersion) cannot handle."""

from __future__ import annotations

from collections.abc import Iterator

from compiler.model.dashboard import email_refusal
from compiler.model.releases import release
from compiler.model.resolve import grants
from compiler.roster.rules.facts import Facts, Finding
from compiler.text import quote


def dashboard_email(facts: Facts) -> Iterator[Finding]:
    """The release's dashboard refuses an edit contributor's email, so it cannot remove them.

    Manage Contributors checks the email before it adds or removes a contributor; the
    check of Kubeflow 1.7 and 1.8 refuses '+', a '.' or '-' at an end, and a last domain
    part longer than 3 characters (see model/dashboard.py).

    settings: {kubeflowVersion: "1.8"}
    users:
      - {name: owner, email: owner@example.com}
      - {name: ann, email: ann+ml@example.com}
    profiles:
      - {name: team, owner: owner, contributors: [{user: ann, role: edit}]}
    """
    parsed = facts.parsed
    target = release(parsed.roster.settings.kubeflow_version)
    refused = {
        name: refusal
        for name, user in facts.index.users.items()
        if (refusal := email_refusal(user.email, target.dashboard_email_check)) is not None
    }
    if not refused:
        return  # most rosters: no need to expand every profile's contributors
    # Only edit contributors are listed in Manage Contributors, so only theirs matter.
    profiles: dict[str, list[str]] = {}
    for profile in sorted(parsed.roster.profiles, key=lambda p: p.name):
        for grant in grants(profile, facts.index):
            if grant.role == "edit" and grant.user.name in refused:
                profiles.setdefault(grant.user.name, []).append(profile.name)
    for name, where in profiles.items():
        user, refusal = facts.index.users[name], refused[name]
        shown = ", ".join(repr(profile) for profile in where[:3])
        more = f" and {len(where) - 3} more" if len(where) > 3 else ""
        yield Finding(
            parsed.path_of(user, "email"),
            f"the {target.name} dashboard's email check refuses {quote(user.email)} "
            f"({refusal}), so Manage Contributors can neither add nor remove this edit "
            f"contributor of {shown}{more}; the roster still grants it, and only the roster "
            "removes it (if the cluster runs 1.9 or later, say so in settings.kubeflowVersion)",
            "warning",
        )
