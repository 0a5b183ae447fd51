"""What the Kubeflow central dashboard shows of each grant kfroster renders, and which emails
its Manage Contributors dialog takes.

Read from kubeflow/dashboard d84246482d86 (the same code in kubeflow/kubeflow v1.7.0-v1.10.0
where noted), components/centraldashboard/app/api_workgroup.ts and KFAM's
components/access-management/kfam/bindings.go and api_default.go:

- A person's namespace list is every KFAM binding annotated with their email (owner
  `namespaceAdmin`, edit and view contributors): api_workgroup.ts getWorkgroupInfo
  L179-191, KFAM List bindings.go L196-239 (it needs annotations `user` and `role`
  and exactly one subject).
- Manage Contributors lists only bindings whose roleRef is kubeflow-edit, and adds and
  removes only those (`role: 'contributor'` = edit): getContributors L247-254,
  handleContributor L192-242. A view contributor is not listed there and cannot be
  removed there.
- Removal recomputes the KFAM name from the email (names.kfam_name) and needs the
  RoleBinding and the AuthorizationPolicy under it (bindings.go Delete L158-194).
- Before either, the email must pass the release's check (EMAIL_RGX, L12).
- ClusterRoleBindings are never read: the dashboard's cluster administrators are KFAM's
  `-cluster-admin` flag (api_default.go isClusterAdmin L311-322), not RBAC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from compiler.model.releases import DashboardEmailCheck, release
from compiler.model.roles import ContributorRoleName

# The checks are written here as plain, linear functions, not as the upstream regexes:
# the w3resource one, `^\w+([\.-]?\w+)*@\w+([\.-]?\w+)*(\.\w{2,3})+$` (kubeflow/kubeflow
# v1.7.0 and v1.8.0 api_workgroup.ts L12), backtracks exponentially on a long address
# that fails. It accepts words of [A-Za-z0-9_] joined by single '.' or '-' on both sides
# of the '@', ending in a domain part of 2 or 3 such characters.
_WORDS = re.compile(r"[A-Za-z0-9_]+(?:[.-][A-Za-z0-9_]+)*").fullmatch
_W3_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
_TOP_LEVEL = re.compile(r"[A-Za-z0-9_]{2,3}").fullmatch

# The WHATWG one (v1.9.0 and later, dashboard main, api_workgroup.ts L12):
# `^[a-zA-Z0-9.!#$%&'*+\/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?
#  (?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$`.
_WHATWG_LOCAL = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.!#$%&'*+/=?^_`{|}~-"
)
_WHATWG_LABEL = re.compile(r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?").fullmatch


# Both checks as one linear regex each, for the common case of an email they accept.
_ACCEPTS = {
    "w3resource": re.compile(
        r"[A-Za-z0-9_]+(?:[.-][A-Za-z0-9_]+)*@[A-Za-z0-9_]+(?:[.-][A-Za-z0-9_]+)*"
        r"\.[A-Za-z0-9_]{2,3}"
    ).fullmatch,
    "whatwg": re.compile(
        r"[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
        r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*"
    ).fullmatch,
}


def email_refusal(email: str, check: DashboardEmailCheck) -> str | None:
    """Say why the dashboard's email check refuses an email; None when it accepts it."""
    if _ACCEPTS[check](email):
        return None
    local, _at, domain = email.partition("@")
    reason = (
        _whatwg_refusal(local, domain) if check == "whatwg" else _w3resource_refusal(local, domain)
    )
    return reason or "it does not match"


def _w3resource_refusal(local: str, domain: str) -> str | None:
    for part, where in ((local, "the part before the '@'"), (domain, "the domain")):
        if not part:
            return f"{where} is empty"
        odd = next((char for char in part if char not in _W3_CHARACTERS), None)
        if odd is not None:
            return f"{where} has {odd!r}"
        if not _WORDS(part):
            return f"{where} {_misplaced_separator(part)}"
    last = domain.rpartition(".")[2]
    if "." not in domain or not _TOP_LEVEL(last):
        return f"the domain ends in {last!r}, not in 2 or 3 letters or digits"
    return None


def _misplaced_separator(part: str) -> str:
    """Say where a '.' or '-' stands that the w3resource check does not take."""
    if part[0] in ".-":
        return f"starts with {part[0]!r}"
    if part[-1] in ".-":
        return f"ends with {part[-1]!r}"
    pair = re.search(r"[.-]{2}", part)
    return f"has {pair.group() if pair else part!r}"


def _whatwg_refusal(local: str, domain: str) -> str | None:
    if not local:
        return "the part before the '@' is empty"
    odd = next((char for char in local if char not in _WHATWG_LOCAL), None)
    if odd is not None:
        return f"the part before the '@' has {odd!r}"
    bad = next((label for label in domain.split(".") if not _WHATWG_LABEL(label)), None)
    if bad is not None:
        return f"the domain has the part {bad!r}"
    return None


@dataclass(frozen=True)
class Visibility:
    """Where a grant shows in the dashboard, and whether it can be removed there."""

    label: str  # a few words, for a table column or a plan line
    detail: str  # the sentence behind them
    managed: bool = False  # the dashboard shows it and its owner can manage it there


OWNER_VISIBILITY = Visibility(
    "as owner",
    "the dashboard lists the namespace as the owner's, who adds and removes edit "
    "contributors there (Manage Contributors)",
    managed=True,
)
CLUSTER_WIDE_VISIBILITY = Visibility(
    "kubectl only",
    "the dashboard shows no ClusterRoleBinding: only kubectl shows this grant, and only "
    "the roster removes it",
)


def contributor_visibility(
    role: ContributorRoleName, email: str, kubeflow_version: str | None
) -> Visibility:
    """Say where a contributor grant shows, and whether the release's dashboard can remove it."""
    if role == "view":
        return Visibility(
            "not in Manage Contributors",
            "the person's namespace list shows it, but Manage Contributors lists edit "
            "contributors only: only kubectl shows this grant to the owner, and only the "
            "roster removes it",
        )
    refusal = email_refusal(email, release(kubeflow_version).dashboard_email_check)
    if refusal is not None:
        return Visibility(
            "in Manage Contributors, not removable",
            "Manage Contributors lists it but cannot remove it: the dashboard's email check "
            f"refuses the email ({refusal}); only the roster removes it",
        )
    return Visibility(
        "in Manage Contributors",
        "Manage Contributors lists it, and the owner can remove it there (GitOps applies it "
        "again until the roster drops it)",
        managed=True,
    )
