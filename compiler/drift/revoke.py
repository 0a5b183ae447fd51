"""Revoke drift: the kubectl commands that remove what was granted outside the roster.

kfroster deletes nothing itself: it prints one `kubectl delete` per object, namespaced and
with its full resource name, for an administrator to read and run. Every name comes from
the dump, so each is quoted for a POSIX shell (`shlex.quote`), and one a shell line could
not carry as written (a line break, a control character) gets no command at all, only a
comment that shows it escaped. A Profile whose namespace its ownerReference ties to it is
first released, so deleting the Profile keeps the namespace and its data.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from typing import Final

from compiler.drift.model import Drift, Entry
from compiler.drift.present import defused, shown
from compiler.importer.live import owner_reference
from compiler.importer.read import ClusterObject
from compiler.model.keys import ResourceKey
from compiler.model.kube import ISTIO_SECURITY_GROUP, KUBEFLOW_GROUP, RBAC_GROUP
from compiler.render.protection import release_namespace_command

# Full resource names: a short name (`profiles`) could mean another API group's kind.
_RESOURCES: Final = {
    (RBAC_GROUP, "ClusterRoleBinding"): "clusterrolebindings.rbac.authorization.k8s.io",
    (RBAC_GROUP, "RoleBinding"): "rolebindings.rbac.authorization.k8s.io",
    (ISTIO_SECURITY_GROUP, "AuthorizationPolicy"): "authorizationpolicies.security.istio.io",
    (KUBEFLOW_GROUP, "Profile"): "profiles.kubeflow.org",
}


def script(drift: Drift, namespaces: dict[str, ClusterObject]) -> str:
    """Return a shell script that revokes every granted and unmanaged entry, most severe first.

    `namespaces` holds the dump's Namespaces by name, to release those a Profile owns.
    """
    lines = [
        "#!/bin/sh",
        f"# kfroster drift --revoke: {len(drift.entries)} entries read from "
        f"{', '.join(shown(name) for name in drift.inputs)} against {shown(drift.roster)}.",
        "# Read each command before you run it: kfroster deletes nothing itself.",
        "set -eu",
    ]
    done: set[ResourceKey] = set()
    for entry in drift.entries:
        if entry.kind not in ("granted", "unmanaged") or not entry.revoke:
            continue
        commands = list(_commands(entry, namespaces, done))
        if commands:
            lines.append("")
            lines.append(f"# {entry.severity.upper()} {entry.kind}: {shown(entry.subject)}")
            if entry.revoke_note:
                lines.append(f"# {entry.revoke_note}")
            lines += commands
    if len(lines) == 4:
        lines.append("# Nothing was granted outside the roster.")
    return defused("\n".join(lines) + "\n")


def _commands(
    entry: Entry, namespaces: dict[str, ClusterObject], done: set[ResourceKey]
) -> Iterator[str]:
    for key in entry.revoke:
        if key in done:
            continue
        done.add(key)
        if key.kind == "Profile":
            namespace = namespaces.get(key.name)
            reference = owner_reference(namespace.body) if namespace is not None else None
            if reference is not None:
                position, uid, _name = reference
                yield "# its namespace has an ownerReference to it: release it, keeping the data"
                yield (
                    _safe(key.name)
                    or _safe(uid)
                    or release_namespace_command(key.name, (position, uid))
                )
        yield delete_command(key)


def delete_command(key: ResourceKey) -> str:
    """Return the command that deletes one object, or a comment when no shell line can name it."""
    unsafe = _safe(key.name) or _safe(key.namespace)
    if unsafe:
        return unsafe
    resource = _RESOURCES.get((key.group, key.kind), f"{key.kind.lower()}.{key.group}".rstrip("."))
    words = ["kubectl", "delete", resource]
    if key.namespace:
        words += ["--namespace", key.namespace]
    words.append(key.name)
    return " ".join(shlex.quote(word) for word in words)


def _safe(text: str) -> str:
    """Return "" when text can go on a shell line quoted, else a comment that shows it."""
    if text.isprintable():
        return ""
    return f"# not printed as a command: the name {shown(text)} holds characters no line can carry"
