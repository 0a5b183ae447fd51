"""What differs between the Kubeflow releases kfroster targets (`settings.kubeflowVersion`).

Two things kfroster renders or checks differ between releases; each is read from the
components a release deploys (kubeflow/manifests pins them; docs/kubeflow-releases.md
cites the files):

- KFAM's contributor AuthorizationPolicy: Kubeflow 1.7 writes one rule with `when`
  only; 1.8 and later add `from.source.principals` (the ingress gateway and the
  Pipelines UI). kubeflow/kubeflow components/access-management/kfam/bindings.go,
  getAuthorizationPolicy: v1.7.0 L79-94, v1.8.0 L79-110.
- The email check of the dashboard's Manage Contributors (add and remove alike):
  1.7 and 1.8 deploy a w3resource regex, 1.9 and later the WHATWG one
  (components/centraldashboard/app/api_workgroup.ts L12); see dashboard.py.

Manifests 1.10 and 1.11 deploy the 1.10 images, so 1.9, 1.10 and 1.11 behave alike here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# Which check Manage Contributors applies to an email before KFAM sees it.
DashboardEmailCheck = Literal["w3resource", "whatwg"]


@dataclass(frozen=True)
class Release:
    """How the Kubeflow components that read kfroster's output behave, for one release."""

    name: str  # "Kubeflow 1.7", "Kubeflow 1.10.2", or what an unset version means
    contributor_policy_from: bool  # whether KFAM's contributor rule has a `from` clause
    dashboard_email_check: DashboardEmailCheck


# An unset settings.kubeflowVersion: today's shape (1.8 and later) and the newest check.
LATEST = Release("Kubeflow 1.8 or later", True, "whatwg")


def release(version: str | None) -> Release:
    """Return the behaviour of a settings.kubeflowVersion value ("1.7" … "1.11.x")."""
    if version is None:
        return LATEST
    minor = int(version.split(".")[1])
    return Release(
        f"Kubeflow {version}",
        contributor_policy_from=minor >= 8,
        dashboard_email_check="w3resource" if minor <= 8 else "whatwg",
    )


def version_of_policy(has_from: bool) -> str | None:
    """Return the kubeflowVersion a contributor policy's shape implies (None: the default)."""
    return None if has_from else "1.7"
