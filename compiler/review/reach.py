"""Read back what compiled objects grant: RBAC roles, Istio entry, owners, cloud identities.

The review judges what the cluster grants from the objects that reach it, not from the
roster fields that usually produce them: a default that changes, a release target that
writes AuthorizationPolicies differently, or an out/ compiled by another kfroster is
judged all the same. Pure: manifests in, facts out. Objects kfroster does not write are
read conservatively (an unknown source or condition counts as any).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from compiler.model.keys import Manifest
from compiler.model.kube import AWS_IAM_FOR_SERVICE_ACCOUNT, KFAM_USER_ANNOTATION, WORKLOAD_IDENTITY

# A rule without `from`: every workload of the mesh, and whatever reaches the pod directly.
ANY_SOURCE = "*"
# A rule without a header condition: any request, whoever it claims to come from.
ANY_USER = "*"
_HEADER_KEY = re.compile(r"^request\.headers\[(.+)\]$")
# Istio writes a workload's principal as cluster.local/ns/<namespace>/sa/<service account>.
_PRINCIPAL = re.compile(r"^[^/]+/ns/([^/]+)/sa/([^/]+)$")

GCP_SERVICE_ACCOUNT = WORKLOAD_IDENTITY
AWS_ROLE = AWS_IAM_FOR_SERVICE_ACCOUNT


class Identity(NamedTuple):
    """A cloud identity a profile's plugin gives the workloads of its namespace."""

    kind: str  # the plugin kind
    name: str  # the GCP service account, the AWS role ARN, or the spec of another plugin
    mutates: bool = True  # False: AWS annotateOnly, the role's trust policy is left alone


class Entry(NamedTuple):
    """Requests that an AuthorizationPolicy lets into a namespace.

    From `source` (a principal, or ANY_SOURCE), carrying `header: value`, where `value` is
    `prefix` + `user` (the person's email, from KFAM's `user` annotation).
    """

    namespace: str
    user: str
    header: str
    prefix: str
    source: str


@dataclass(frozen=True)
class Reach:
    """What a set of objects grants."""

    # (namespace, or "" cluster-wide; subject) -> the ClusterRoles or Roles bound.
    roles: Mapping[tuple[str, str], frozenset[str]] = field(default_factory=dict)
    # Profile -> its owner, whom the profile controller makes the namespace's admin.
    owners: Mapping[str, str] = field(default_factory=dict)
    entries: frozenset[Entry] = frozenset()
    # Profile -> the cloud identities its plugins give the namespace's default-editor.
    identities: Mapping[str, frozenset[Identity]] = field(default_factory=dict)
    # Namespace -> its labels (sidecar injection, ambient mode).
    labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


def subject_of(subject: Mapping[str, Any]) -> str:
    """Name an RBAC subject: a User by its name (the email), others as `Kind ns/name`."""
    kind, name = str(subject.get("kind", "?")), str(subject.get("name", "?"))
    if kind == "User":
        return name
    namespace = subject.get("namespace")
    return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"


def workload_of(principal: str) -> tuple[str, str] | None:
    """Return the (namespace, service account) a workload principal names, if it names one."""
    found = _PRINCIPAL.match(principal)
    return (found.group(1), found.group(2)) if found else None


def reach_of(objects: Iterable[Manifest]) -> Reach:
    """Read what the objects grant."""
    roles: dict[tuple[str, str], set[str]] = {}
    owners: dict[str, str] = {}
    entries: set[Entry] = set()
    identities: dict[str, frozenset[Identity]] = {}
    labels: dict[str, Mapping[str, str]] = {}
    for manifest in objects:
        kind = manifest.get("kind")
        meta = manifest.get("metadata") or {}
        namespace, name = str(meta.get("namespace") or ""), str(meta.get("name") or "")
        if kind in ("RoleBinding", "ClusterRoleBinding"):
            role = str((manifest.get("roleRef") or {}).get("name", "?"))
            scope = namespace if kind == "RoleBinding" else ""
            for subject in manifest.get("subjects") or ():
                roles.setdefault((scope, subject_of(subject)), set()).add(role)
        elif kind == "Profile":
            spec = manifest.get("spec") or {}
            owners[name] = subject_of(spec.get("owner") or {})
            identities[name] = frozenset(_identity(p) for p in spec.get("plugins") or ())
        elif kind == "AuthorizationPolicy":
            entries.update(_entries(namespace, manifest))
        elif kind == "Namespace":
            labels[name] = dict(meta.get("labels") or {})
    return Reach(
        {key: frozenset(found) for key, found in roles.items()},
        owners,
        frozenset(entries),
        identities,
        labels,
    )


def _identity(plugin: Mapping[str, Any]) -> Identity:
    kind = str(plugin.get("kind", "?"))
    spec = plugin.get("spec") or {}
    if kind == GCP_SERVICE_ACCOUNT and "gcpServiceAccount" in spec:
        return Identity(kind, str(spec["gcpServiceAccount"]))
    if kind == AWS_ROLE and "awsIamRole" in spec:
        return Identity(kind, str(spec["awsIamRole"]), not spec.get("annotateOnly", False))
    return Identity(kind, json.dumps(spec, sort_keys=True))


def _entries(namespace: str, policy: Manifest) -> Iterable[Entry]:
    """Yield the requests an ALLOW policy lets in; other actions grant nothing."""
    spec = policy.get("spec") or {}
    if spec.get("action", "ALLOW") != "ALLOW":
        return
    annotations = (policy.get("metadata") or {}).get("annotations") or {}
    user = str(annotations.get(KFAM_USER_ANNOTATION, ""))
    for rule in spec.get("rules") or ():
        sources = _sources(rule)
        matches = _header_matches(rule) or [("", ANY_USER)]
        for header, value in matches:
            who, prefix = (
                (user, value[: len(value) - len(user)])
                if user and value.endswith(user)
                else (value, "")
            )
            for source in sources:
                yield Entry(namespace, who, header, prefix, source)


def _sources(rule: Mapping[str, Any]) -> list[str]:
    """Return the principals a rule admits; ANY_SOURCE without `from` or with other fields."""
    if not rule.get("from"):
        return [ANY_SOURCE]
    sources: list[str] = []
    for item in rule["from"]:
        source = (item or {}).get("source") or {}
        principals = source.get("principals")
        if principals and set(source) == {"principals"}:
            sources.extend(str(principal) for principal in principals)
        else:  # namespaces, ipBlocks, notPrincipals ...: read as any source
            sources.append(ANY_SOURCE)
    return sources


def _header_matches(rule: Mapping[str, Any]) -> list[tuple[str, str]]:
    matches: list[tuple[str, str]] = []
    for condition in rule.get("when") or ():
        found = _HEADER_KEY.match(str((condition or {}).get("key", "")))
        if found:
            matches.extend((found.group(1), str(value)) for value in condition.get("values") or ())
    return matches
