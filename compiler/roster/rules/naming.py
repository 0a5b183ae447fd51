"""Rules on the names kfroster derives: namespaces, KFAM object names, labels."""

from __future__ import annotations

from collections.abc import Iterator

from compiler.model import mesh, names, namespaces
from compiler.model.kube import MANAGED_BY
from compiler.model.resolve import grants
from compiler.problems import path_text
from compiler.roster.rules.facts import Facts, Finding
from compiler.text import quote

# Label prefixes the Kubernetes project keeps for itself, and kfroster's own labels.
_KUBERNETES_LABEL_PREFIXES = frozenset({"kubernetes.io", "k8s.io"})

_KFROSTER_LABELS = frozenset(MANAGED_BY)


def reserved_namespace(facts: Facts) -> Iterator[Finding]:
    """A profile would take over a namespace that cluster software runs in.

    Names like `monitoring` or `vault-system` may be taken on purpose, by listing them in
    policy.allowNamespaces; Kubernetes', Kubeflow's, Istio's and the engines' never.

    profiles:
      - {name: kube-system, owner: alice}
    """
    parsed = facts.parsed
    policy = parsed.roster.policy
    extra, allowed = set(policy.reserved_namespaces), set(policy.allow_namespaces)
    for profile in parsed.roster.profiles:
        name = profile.name
        reserved = namespaces.reservation(name)
        if reserved == "system":
            yield Finding(
                parsed.path_of(profile, "name"),
                f"profile name {name!r} is a reserved system namespace; a profile there would "
                "hand it to one user; choose another name",
            )
        elif reserved == "platform" and name not in allowed:
            yield Finding(
                parsed.path_of(profile, "name"),
                f"profile name {name!r} is a namespace that cluster software runs in (reserved "
                "by default); a profile there would hand it, with everything in it, to one "
                "user; choose another name, or list it in policy.allowNamespaces if this "
                "profile is meant to take it",
            )
        elif name in extra:
            yield Finding(
                parsed.path_of(profile, "name"),
                f"profile name {name!r} is listed in policy.reservedNamespaces; choose another "
                "name",
            )
    for position, name in enumerate(policy.allow_namespaces):
        path = ("policy", "allowNamespaces", position)
        reserved = namespaces.reservation(name)
        if reserved == "system":
            yield Finding(
                path,
                f"policy.allowNamespaces cannot allow {name!r}: it is a system namespace, "
                "never a profile; remove it",
            )
        elif reserved is None:
            yield Finding(
                path,
                f"policy.allowNamespaces lists {name!r}, which is not reserved; remove it",
                "warning",
            )


def kfam_name_collision(facts: Facts) -> Iterator[Finding]:
    """Two contributors of a profile get the same KFAM object name.

    KFAM's name merges every run of non-alphanumerics, also one at either end of the
    email (`_alice@example.com` is `alice@example.com`): see names.kfam_name.

    users:
      - {name: ab1, email: a.b@example.com}
      - {name: ab2, email: a-b@example.com}
    profiles:
      - name: vision
        owner: alice
        contributors: [{user: ab1, role: edit}, {user: ab2, role: edit}]
    """
    parsed = facts.parsed
    for profile in parsed.roster.profiles:
        contributors = profile.contributors
        if not contributors or (len(contributors) == 1 and contributors[0].user is not None):
            continue  # at most one contributor: nothing to collide with (most profiles)
        seen: dict[str, str] = {}
        for grant in grants(profile, facts.index):
            name = names.kfam_name(grant.user.email, grant.role)
            first = seen.setdefault(name, grant.user.email)
            if first != grant.user.email:
                yield Finding(
                    parsed.path_of(profile, "contributors"),
                    f"contributors {first!r} and {grant.user.email!r} of profile "
                    f"{profile.name!r} both map to the object name {name!r}, so one would "
                    "overwrite the other, and removing either in the Kubeflow dashboard "
                    "(KFAM finds a contributor by this name) would remove the other's access; "
                    "keep one of them",
                )


def name_too_long(facts: Facts) -> Iterator[Finding]:
    r"""An object name derived from an email exceeds the Kubernetes limit of 253 characters.

    Of the names kfroster derives, only the contributor name can: a Namespace or Profile
    is the profile's name (a DNS label, at most 63 characters), a ClusterRoleBinding is
    `kubeflow-<role>-<user>` (at most 78), and label values come from the roster as
    written, checked by the schema.

    users:  # a 243-character email; in double quotes '\' joins the lines
      - name: long
        email: "a@dddddddddddddddddddddddddddddddddddddddddddddddddddddddddd.\
          dddddddddddddddddddddddddddddddddddddddddddddddddddddddddd.\
          dddddddddddddddddddddddddddddddddddddddddddddddddddddddddd.\
          dddddddddddddddddddddddddddddddddddddddddddddddddddd.example.com"
    profiles:
      - {name: long, owner: long}
    """
    parsed = facts.parsed
    for user in parsed.roster.users:
        name = names.kfam_name(user.email, "edit")
        if len(name) > names.MAX_OBJECT_NAME:
            yield Finding(
                parsed.path_of(user, "email"),
                f"email {quote(user.email)} is too long for the name of its contributor "
                f"RoleBinding and AuthorizationPolicy: user-<email>-clusterrole-<role> would be "
                f"{len(name)} characters, and Kubernetes allows {names.MAX_OBJECT_NAME}; use an "
                f"email of at most {len(user.email) - (len(name) - names.MAX_OBJECT_NAME)} "
                "characters",
            )


def namespace_label(facts: Facts) -> Iterator[Finding]:
    """A namespace label is Kubernetes' or kfroster's own, or weakens every profile's namespace.

    Leaving out `istio-injection: enabled` is warned like writing `disabled`, unless the
    namespaces are in Istio's ambient mode.

    settings:
      namespaceLabels: {istio-injection: enabled, pod-security.kubernetes.io/enforce: privileged}
    """
    parsed = facts.parsed
    path = ("settings", "namespaceLabels")
    for key, value in sorted(parsed.roster.settings.namespace_labels.items()):
        prefix = key.rpartition("/")[0]
        if prefix in _KUBERNETES_LABEL_PREFIXES:
            yield Finding(
                (*path, key),
                f"label {key!r} in {path_text(path)} uses the prefix {prefix}/, which is "
                "reserved for Kubernetes itself (the API server sets "
                "kubernetes.io/metadata.name to the namespace's name); remove it",
                key=True,
            )
        elif key in _KFROSTER_LABELS:
            yield Finding(
                (*path, key),
                f"label {key!r} in {path_text(path)} is set by kfroster on every object it "
                "writes, so this value would be ignored; remove it",
                key=True,
            )
        elif key == "pod-security.kubernetes.io/enforce" and value == "privileged":
            yield Finding(
                (*path, key),
                f"{path_text((*path, key))}: privileged lets the pods of every profile "
                "namespace run privileged, with full access to their node; remove the label, "
                "or use baseline or restricted",
            )
    labels = parsed.roster.settings.namespace_labels
    if not mesh.enforced(labels):
        # Writing `disabled` and leaving the label out do the same: no sidecar.
        written = labels.get(mesh.INJECTION_LABEL)
        where = (*path, mesh.INJECTION_LABEL) if written is not None else path
        what = written if written is not None else f"leaving out {mesh.INJECTION_LABEL}: enabled"
        yield Finding(
            where,
            f"{path_text(where)}: {what} leaves the pods of every profile namespace without "
            "an Istio sidecar, so the AuthorizationPolicies that limit who reaches a profile "
            f"are not enforced at its pods; set {mesh.INJECTION_LABEL}: enabled, unless the "
            f"namespaces are in ambient mode ({mesh.DATAPLANE_MODE_LABEL}: {mesh.AMBIENT})",
            "warning",
        )
