"""Who can use what through one object: each subject of a binding, each user a policy lets in.

Read the same way from a compiled manifest and from the live object, so access through
out/ and access in the cluster are compared as like with like. In scope, as a Kubeflow
administrator counts access:

- a ClusterRoleBinding to `cluster-admin`, `admin`, `edit` or a Kubeflow ClusterRole:
  that role in every namespace;
- a RoleBinding to a Kubeflow ClusterRole in any namespace, or to any role in a profile
  namespace;
- an Istio AuthorizationPolicy in a profile namespace that lets requests carrying a user-id
  header in: the namespace's web apps (notebooks, the Pipelines UI, ...).

Kubeflow's ClusterRoles are `kubeflow-admin`, `-edit`, `-view` and the per-application
roles aggregated into them (`kubeflow-<application>-<level>`, kubeflow/manifests
`common/kubeflow-roles/base/cluster-roles.yaml` and each application's own, v1.7.0 to
v1.11.0): a role's level is its name's last word.
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from compiler.importer.read import mapping_of
from compiler.model import names
from compiler.model.keys import ResourceKey
from compiler.model.kube import ISTIO_SECURITY_GROUP, RBAC_GROUP
from compiler.model.roles import RoleName
from compiler.model.roster import Settings

# What a policy grants: a way into the namespace's web apps, not an RBAC_GROUP role.
WEB: Final = "web apps"

Level = Literal["admin", "edit", "view", "other"]
# Kubernetes' own ClusterRoles that count cluster-wide (view reads no secrets: left out).
_KUBERNETES_ROLES: Final[Mapping[str, Level]] = {
    "cluster-admin": "admin",
    "admin": "admin",
    "edit": "edit",
}
_KUBEFLOW_ROLE: Final = re.compile(r"(?:aggregate-to-)?kubeflow-(?:[a-z0-9-]+-)?(admin|edit|view)")
_HEADER: Final = re.compile(r"request\.headers\[(.+)\]").fullmatch
_RANK: Final[Mapping[str, int]] = {"view": 1, "edit": 2, "admin": 3, "other": 0}


@dataclass(frozen=True, order=True)
class Subject:
    """Who a binding or policy grants: a User, Group, ServiceAccount, or a header value."""

    kind: str
    name: str
    namespace: str = ""  # a ServiceAccount's

    def describe(self) -> str:
        """Write the subject as RBAC_GROUP names it: `User a@x.io`, `ServiceAccount team/runner`."""
        if self.kind == "Header":
            return f"requests with header {self.name}"
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind} {where}"


@dataclass(frozen=True, order=True)
class Access:
    """One subject's role in one namespace ('' for every namespace)."""

    subject: Subject
    role: str  # a ClusterRole's name, `RoleName <name>` for a namespaced RoleName, or WEB
    scope: str

    @property
    def level(self) -> Level:
        """Say how much the role allows: admin, edit, view, or other (a role of its own)."""
        return level_of(self.role)


def kubeflow_level(role: str) -> RoleName | None:
    """Return the level of a Kubeflow ClusterRole (kubeflow-edit, kubeflow-katib-view) or None."""
    found = _KUBEFLOW_ROLE.fullmatch(role)
    return found.group(1) if found else None  # type: ignore[return-value]


def level_of(role: str) -> Level:
    """Return how much a role allows; WEB counts as edit (web apps run code as the namespace)."""
    if role == WEB:
        return "edit"
    return kubeflow_level(role) or _KUBERNETES_ROLES.get(role, "other")


def at_least(have: Level, want: Level) -> bool:
    """Tell whether one level allows at least as much as another."""
    return _RANK[have] >= _RANK[want] and want != "other"


def accesses(
    key: ResourceKey, body: Mapping[str, Any], profiles: Container[str], settings: Settings
) -> list[Access]:
    """Return what an object grants, for the kinds in scope; [] for everything else.

    `profiles` holds the profile namespaces (the roster's and the cluster's Profiles);
    `settings` says which header carries the user's email, behind which prefix.
    """
    group, kind, namespace, _name = key
    if group == RBAC_GROUP and kind == "ClusterRoleBinding":
        ref_kind, role = _role_ref(body)
        if ref_kind != "ClusterRole" or not (kubeflow_level(role) or role in _KUBERNETES_ROLES):
            return []
        return [Access(subject, role, "") for subject in _subjects(body)]
    if group == RBAC_GROUP and kind == "RoleBinding":
        ref_kind, role = _role_ref(body)
        kubeflow = ref_kind == "ClusterRole" and kubeflow_level(role) is not None
        if not kubeflow and namespace not in profiles:
            return []
        shown = role if ref_kind == "ClusterRole" else f"{ref_kind} {role}"
        return [Access(subject, shown, namespace) for subject in _subjects(body)]
    if group == ISTIO_SECURITY_GROUP and kind == "AuthorizationPolicy" and namespace in profiles:
        return [Access(subject, WEB, namespace) for subject in _let_in(body, settings)]
    return []


def _role_ref(body: Mapping[str, Any]) -> tuple[str, str]:
    ref = mapping_of(body.get("roleRef"))
    kind, name = ref.get("kind"), ref.get("name")
    return (kind if isinstance(kind, str) else "?", name if isinstance(name, str) else "?")


def _subjects(body: Mapping[str, Any]) -> list[Subject]:
    subjects = body.get("subjects")
    found = []
    for each in subjects if isinstance(subjects, list) else []:
        subject = mapping_of(each)
        kind, name = subject.get("kind"), subject.get("name")
        namespace = subject.get("namespace") if kind == "ServiceAccount" else ""
        found.append(Subject(_text(kind), _text(name), _text(namespace)))
    return found


def _text(value: object) -> str:
    return value if isinstance(value, str) else "?"


def _let_in(body: Mapping[str, Any], settings: Settings) -> list[Subject]:
    """Return whom an ALLOW policy lets in by a request header: each value of each match."""
    spec = mapping_of(body.get("spec"))
    if spec.get("action", "ALLOW") != "ALLOW":
        return []
    rules = spec.get("rules")
    found: list[Subject] = []
    for each_rule in rules if isinstance(rules, list) else []:
        conditions = mapping_of(each_rule).get("when")
        for each in conditions if isinstance(conditions, list) else []:
            condition = mapping_of(each)
            key, values = condition.get("key"), condition.get("values")
            matched = _HEADER(key) if isinstance(key, str) else None
            if matched is None or not isinstance(values, list):
                continue
            header = matched.group(1)
            for value in values:
                found.append(_header_subject(header, str(value), settings))
    return found


def _header_subject(header: str, value: str, settings: Settings) -> Subject:
    """Return the user a header value names; a value of another header stays what it is."""
    prefix = settings.user_id_prefix
    if header.lower() == settings.user_id_header.lower() and value.startswith(prefix):
        return Subject("User", value[len(prefix) :])
    return Subject("Header", f"{header}: {value}")


def kubeflow_role(role: RoleName) -> str:
    """Return the ClusterRole a roster role stands for (`kubeflow-edit`)."""
    return names.cluster_role(role)
