"""Judge what the compiled objects grant, whatever put it there.

The roster-level rules (risks.py) word a change in roster terms. These rules read both
sides' objects (reach.py) instead, so a grant that no roster field explains is judged
all the same: a plugin a default setting adds, AuthorizationPolicies that a release
target writes without `from`, an out/ compiled by another kfroster. Last, `unexplained`
checks every widening the objects show against the risks already found, and reports the
ones no risk names: no change of access goes into a plan without a risk.

Upstream behaviour relied on (kubeflow/kubeflow v1.10.0, the profile controller that
Kubeflow 1.10 and 1.11 ship, components/profile-controller/controllers/):
- plugin_workload_identity.go L34-50: WorkloadIdentity annotates the namespace's
  `default-editor` ServiceAccount with `iam.gke.io/gcp-service-account` and grants it
  roles/iam.workloadIdentityUser on the GCP service account;
- plugin_iam.go L24-44: AwsIamForServiceAccount annotates `default-editor` with
  `eks.amazonaws.com/role-arn` and, unless annotateOnly, adds it to the role's trust policy;
- profile_controller.go L283-292 applies every plugin on each reconcile; L308-320 revokes
  them only while the Profile is being deleted: a plugin removed from a living Profile
  keeps its annotation and its cloud-side grant.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from compiler.model import mesh, names
from compiler.model.kube import DEFAULT_EDITOR
from compiler.model.roles import CLUSTER_ROLES, rank
from compiler.review.compare import Comparison
from compiler.review.plan.model import (
    Code,
    Message,
    Part,
    People,
    Person,
    Record,
    Risk,
    enumeration,
    listing,
)
from compiler.review.reach import (
    ANY_SOURCE,
    ANY_USER,
    AWS_ROLE,
    GCP_SERVICE_ACCOUNT,
    Identity,
    Reach,
    workload_of,
)
from compiler.review.thresholds import Severity
from compiler.text import noun

_ROLE_RANK = {names.cluster_role(role): rank(role) for role in CLUSTER_ROLES}
_UNKNOWN_ROLE = 9  # any other role: a widening whenever it is new


def person_of(comparison: Comparison, email: str) -> Person:
    """Name the person behind an email: their roster name on either side, else the email."""
    user = comparison.head.by_email.get(email) or comparison.base.by_email.get(email)
    return Person(user.name if user else email, email)


def _people(comparison: Comparison, emails: Iterable[str]) -> People:
    return People(tuple(person_of(comparison, email) for email in sorted(set(emails))))


def _profiles(names: Iterable[str]) -> list[Part]:
    found = sorted(set(names))
    return [noun(len(found), "profile ", "profiles "), *listing(found)]


# --------------------------------------------------------------------------------------------
# Cloud identities (Profile plugins)
# --------------------------------------------------------------------------------------------


def _identity_phrase(identity: Identity) -> list[Part]:
    if identity.kind == GCP_SERVICE_ACCOUNT:
        return ["the GCP service account ", Code(identity.name)]
    if identity.kind == AWS_ROLE:
        return ["the AWS IAM role ", Code(identity.name)]
    return ["what plugin ", Code(identity.kind), " grants (", Code(identity.name), ")"]


def _editors(comparison: Comparison, profile: str) -> People:
    """Return who can run pods as default-editor in a profile: its owner and editors."""
    record = comparison.head.profiles.get(profile)
    if record is None:
        return People(())
    names = [record.owner]
    names += [
        name for name, grant in comparison.head.grants(profile).items() if grant.role == "edit"
    ]
    users = comparison.head.users
    return People(tuple(Person(n, users[n].email if n in users else n) for n in names))


def cloud_identity(comparison: Comparison) -> Iterator[Risk]:
    """A plugin gives a profile's workloads a cloud identity: new or changed HIGH, removed WARNING.

    Read from the compiled Profiles' spec.plugins, whatever put them there.
    """
    old, new = comparison.reaches
    for profile in sorted(new.identities):
        before = old.identities.get(profile, frozenset())
        after = new.identities[profile]
        gained = sorted(after - before)
        dropped = sorted(before - after)
        who = _editors(comparison, profile)
        if gained:
            yield _gained(profile, gained, dropped, who)
        elif dropped:
            yield _dropped(profile, dropped, who)


def _gained(
    profile: str, gained: Sequence[Identity], dropped: Sequence[Identity], who: People
) -> Risk:
    identities = enumeration([_identity_phrase(identity) for identity in gained], len(gained))
    trust: list[Part] = (
        [
            "; the profile controller also adds that ServiceAccount to the role's trust policy",
        ]
        if any(i.kind == AWS_ROLE and i.mutates for i in gained)
        else []
    )
    replaced: list[Part] = []
    # An identity that stays but changes how it is bound (annotateOnly) replaces nothing.
    dropped = [i for i in dropped if i.name not in {g.name for g in gained}]
    if dropped:
        old = enumeration([_identity_phrase(i) for i in dropped], len(dropped))
        replaced = [
            ". It replaces ",
            *old,
            ", which the profile controller does not revoke while the Profile exists: "
            "remove that grant in the cloud account by hand",
        ]
    message: Message = (
        "workloads in profile ",
        Code(profile),
        " act as ",
        *identities,
        ": the plugin binds it to the namespace's ServiceAccount ",
        Code(DEFAULT_EDITOR),
        *trust,
        ", so everything that identity may do in the cloud account, ",
        who,
        " can do by running a pod there",
        *replaced,
    )
    users = tuple(person.name for person in who.people)
    record = ("profiles", profile, "plugins")
    return Risk("privilege", "high", f"profile {profile}", message, users, record)


def _dropped(profile: str, dropped: Sequence[Identity], who: People) -> Risk:
    identities = enumeration([_identity_phrase(i) for i in dropped], len(dropped))
    message: Message = (
        "profile ",
        Code(profile),
        " drops the plugin that gives its workloads ",
        *identities,
        ". The profile controller revokes a plugin only when the Profile is deleted: the "
        "ServiceAccount ",
        Code(DEFAULT_EDITOR),
        " keeps its annotation and the cloud account keeps trusting it, so ",
        who,
        " keep that identity until an administrator removes both",
    )
    users = tuple(person.name for person in who.people)
    record = ("profiles", profile, "plugins")
    return Risk("privilege", "warning", f"profile {profile}", message, users, record)


# --------------------------------------------------------------------------------------------
# Who may send the user-id header (AuthorizationPolicy principals, header and prefix)
# --------------------------------------------------------------------------------------------

Trust = tuple[str, str, str]  # header, prefix, source


def _trust_by_person(reach: Reach) -> dict[tuple[str, str], set[Trust]]:
    found: dict[tuple[str, str], set[Trust]] = {}
    for entry in reach.entries:
        found.setdefault((entry.namespace, entry.user), set()).add(
            (entry.header, entry.prefix, entry.source)
        )
    return found


def header_trust(comparison: Comparison) -> Iterator[Risk]:
    """A principal, header or prefix change lets someone else present a contributor's identity.

    Compared per contributor whose AuthorizationPolicy exists on both sides, so new
    contributors stay the privilege rule's; read from the compiled policies, so a release
    target that drops `from` is caught as surely as a settings change.
    """
    old_reach, new_reach = comparison.reaches
    old, new = _trust_by_person(old_reach), _trust_by_person(new_reach)
    sources: dict[str, set[tuple[str, str]]] = {}
    headers: dict[tuple[tuple[str, ...], str], set[tuple[str, str]]] = {}
    prefixes: dict[tuple[str, tuple[str, ...], str], set[tuple[str, str]]] = {}
    for key, trusts in new.items():
        before = old.get(key)
        if not before or key[1] == ANY_USER:
            continue  # a new contributor, or any request at all: `unexplained` judges it
        known_sources = {source for _h, _p, source in before}
        known_headers = {header for header, _p, _s in before}
        known_prefixes = {prefix for _h, prefix, _s in before}
        for header, prefix, source in trusts - before:
            new_source = source not in known_sources
            if new_source:
                sources.setdefault(source, set()).add(key)
            if header not in known_headers:
                headers.setdefault((tuple(sorted(known_headers)), header), set()).add(key)
            if prefix not in known_prefixes:
                was = tuple(sorted(known_prefixes))
                prefixes.setdefault((header, was, prefix), set()).add(key)
            elif header in known_headers and not new_source:  # a new combination of old parts
                sources.setdefault(source, set()).add(key)
    for source, keys in sorted(sources.items()):
        yield _source_risk(comparison, source, keys)
    for (was, header), keys in sorted(headers.items()):
        yield _header_risk(comparison, was, header, keys)
    for (header, was_prefixes, prefix), keys in sorted(prefixes.items()):
        yield _prefix_risk(comparison, header, was_prefixes, prefix, keys)


def _victims(comparison: Comparison, keys: set[tuple[str, str]]) -> tuple[People, list[Part]]:
    people = _people(comparison, (user for _ns, user in keys))
    return people, _profiles(namespace for namespace, _user in keys)


def _who_sends(comparison: Comparison, source: str) -> list[Part]:
    """Say who can send requests as a source: a profile's workloads, any workload, ..."""
    if source == ANY_SOURCE:
        return [
            "every workload in the mesh, and whatever reaches a profile's pods directly (the "
            "policies no longer name the sources that may send the header)"
        ]
    workload = workload_of(source)
    if workload is None:
        return ["whoever presents the principal ", Code(source)]
    namespace, account = workload
    profile = comparison.head.profiles.get(namespace)
    if profile is None:
        return [
            "any pod running as ServiceAccount ",
            Code(account),
            " in namespace ",
            Code(namespace),
        ]
    return [
        "any pod running as ServiceAccount ",
        Code(account),
        " in profile ",
        Code(namespace),
        ", which ",
        _editors(comparison, namespace),
        " can start,",
    ]


def _source_risk(comparison: Comparison, source: str, keys: set[tuple[str, str]]) -> Risk:
    victims, where = _victims(comparison, keys)
    header = _header_of(comparison, keys)
    message: Message = (
        "the AuthorizationPolicies of ",
        *where,
        " now admit requests from ",
        Code(source) if source != ANY_SOURCE else "any source",
        ": ",
        *_who_sends(comparison, source),
        " can send ",
        Code(f"{header}: <email>"),
        " and impersonate ",
        victims,
        " there",
    )
    record = _setting_changed(
        comparison, "ingressGatewayPrincipal", "pipelinesUiPrincipal", "kubeflowVersion"
    )
    return Risk("privilege", "high", f"principal {source}", message, _names(victims), record)


def _header_of(comparison: Comparison, keys: set[tuple[str, str]]) -> str:
    found = {
        entry.header
        for entry in comparison.reaches[1].entries
        if (entry.namespace, entry.user) in keys and entry.header
    }
    return sorted(found)[0] if found else "kubeflow-userid"


def _header_risk(
    comparison: Comparison, was: tuple[str, ...], header: str, keys: set[tuple[str, str]]
) -> Risk:
    victims, where = _victims(comparison, keys)
    message: Message = (
        "the AuthorizationPolicies of ",
        *where,
        " now trust the header ",
        Code(header),
        " instead of ",
        *listing(list(was)),
        ": unless the ingress sets it from the signed-in user and strips any copy a client "
        "sends, anyone who reaches the gateway can send ",
        Code(f"{header}: <email>"),
        " and impersonate ",
        victims,
        " (if the ingress does not send it, they lose access instead)",
    )
    record = _setting_changed(comparison, "userIdHeader")
    return Risk("privilege", "high", f"header {header}", message, _names(victims), record)


def _prefix_risk(
    comparison: Comparison,
    header: str,
    was: tuple[str, ...],
    prefix: str,
    keys: set[tuple[str, str]],
) -> Risk:
    victims, where = _victims(comparison, keys)
    old = listing([f"{p}<email>" for p in was])
    message: Message = (
        "the AuthorizationPolicies of ",
        *where,
        " now let in ",
        Code(f"{header}: {prefix}<email>"),
        " instead of ",
        *old,
        ": whoever the ingress passes on as ",
        Code(f"{prefix}<email>"),
        " can impersonate ",
        victims,
        " (if the identity provider gives such names to others, they get in as these "
        "contributors; if it gives none, these contributors lose access instead)",
    )
    record = _setting_changed(comparison, "userIdPrefix")
    return Risk("privilege", "high", f"prefix {prefix}", message, _names(victims), record)


def _setting_changed(comparison: Comparison, *fields: str) -> Record:
    """Name the first of these settings the change touches: the one the policies follow."""
    changed = {str(fact.path[0]) for fact in comparison.sections.get("settings", ())}
    found = next((field for field in fields if field in changed), None)
    return ("settings", found) if found else ("settings",)


def _names(people: People) -> tuple[str, ...]:
    return tuple(person.name for person in people.people)


# --------------------------------------------------------------------------------------------
# Sidecar enforcement (Namespace labels)
# --------------------------------------------------------------------------------------------


def sidecar(comparison: Comparison) -> Iterator[Risk]:
    """Profile namespaces whose pods lose Istio's enforcement of the AuthorizationPolicies.

    Removing `istio-injection: enabled` is judged like writing `disabled`; ambient mode
    needs no sidecar (compiler/model/mesh.py).
    """
    old, new = (reach.labels for reach in comparison.reaches)
    lost = sorted(
        name
        for name, labels in new.items()
        if not mesh.enforced(labels)
        and mesh.enforced(old.get(name, {mesh.INJECTION_LABEL: "enabled"}))
    )
    if not lost:
        return
    message: Message = (
        *_profiles(lost),
        " lose ",
        Code(f"{mesh.INJECTION_LABEL}: enabled"),
        ": their new pods start without an Istio sidecar, so the AuthorizationPolicies that "
        "limit who reaches a profile are not enforced at them; keep the label unless the "
        "namespaces are in ambient mode (",
        Code(f"{mesh.DATAPLANE_MODE_LABEL}: {mesh.AMBIENT}"),
        ")",
    )
    subject = f"profile {lost[0]}" if len(lost) == 1 else "settings.namespaceLabels"
    record = ("profiles", lost[0]) if len(lost) == 1 else ("settings", "namespaceLabels")
    yield Risk("settings", "warning", subject, message, record=record)


# --------------------------------------------------------------------------------------------
# Widenings no other risk names
# --------------------------------------------------------------------------------------------


def _rank(role: str) -> int:
    return _ROLE_RANK.get(role, _UNKNOWN_ROLE)


def _wider_roles(before: frozenset[str], after: frozenset[str]) -> list[str]:
    ceiling = max((_rank(role) for role in before), default=0)
    return sorted(
        role for role in after - before if _rank(role) > ceiling or _rank(role) == _UNKNOWN_ROLE
    )


def unexplained(comparison: Comparison, found: Sequence[Risk]) -> Iterator[Risk]:
    """Report each widening the objects show that no risk in `found` names.

    A widening is a role bound to someone where they had less, a new owner of a Profile,
    or someone the Istio policies newly let into a namespace. A risk names it when it can
    fail a check and is about that profile (or the cluster-wide role, or the user) and
    names the person.
    """
    old, new = comparison.reaches
    named: dict[str, set[str]] = {}
    for risk in found:
        if risk.blocking:
            for user in risk.users:
                named.setdefault(user, set()).add(risk.subject)

    def covered(where: str, email: str) -> bool:
        person = person_of(comparison, email)
        subjects = named.get(person.name, set())
        return where in subjects or f"user {person.name}" in subjects

    for (scope, subject), roles in sorted(new.roles.items()):
        wider = _wider_roles(old.roles.get((scope, subject), frozenset()), roles)
        where = f"profile {scope}" if scope else "cluster-wide role"
        if wider and not covered(where, subject):
            yield _role_risk(comparison, scope, subject, wider)
    for profile, owner in sorted(new.owners.items()):
        if old.owners.get(profile) != owner and not covered(f"profile {profile}", owner):
            yield _owner_risk(comparison, profile, owner, old.owners.get(profile))
    before = _trust_by_person(old)
    for (namespace, user), trusts in sorted(_trust_by_person(new).items()):
        if before.get((namespace, user)) or (
            user != ANY_USER and covered(f"profile {namespace}", user)
        ):
            continue
        yield _entry_risk(comparison, namespace, user, sorted(trusts))


def _role_risk(comparison: Comparison, scope: str, subject: str, roles: list[str]) -> Risk:
    who = person_of(comparison, subject)
    where: list[Part] = ["in namespace ", Code(scope)] if scope else ["in every namespace"]
    cluster_admin = not scope and any(_rank(role) >= _ROLE_RANK["kubeflow-admin"] for role in roles)
    severity: Severity = "critical" if cluster_admin else "high"
    message: Message = (
        People((who,)),
        " gains ",
        *listing(roles),
        " ",
        *where,
        ", and no roster change explains it: the objects grant it by themselves",
    )
    subject_text = f"profile {scope}" if scope else "cluster-wide role"
    record = ("profiles", scope) if scope else ("users", who.name, "clusterRole")
    return Risk("privilege", severity, subject_text, message, (who.name,), record)


def _owner_risk(comparison: Comparison, profile: str, owner: str, was: str | None) -> Risk:
    who = person_of(comparison, owner)
    before: list[Part] = [" (was ", People((person_of(comparison, was),)), ")"] if was else []
    message: Message = (
        People((who,)),
        " becomes the owner of profile ",
        Code(profile),
        *before,
        ", an administrator of its namespace through the profile controller, and no roster "
        "change explains it",
    )
    record = ("profiles", profile, "owner")
    return Risk("owner", "high", f"profile {profile}", message, (who.name,), record)


def _entry_risk(
    comparison: Comparison, namespace: str, user: str, trusts: list[tuple[str, str, str]]
) -> Risk:
    sources = sorted({source for _h, _p, source in trusts})
    shown: list[Part] = (
        ["any source"] if ANY_SOURCE in sources else ["requests from ", *listing(sources)]
    )
    if user == ANY_USER:
        message: Message = (
            "an AuthorizationPolicy in namespace ",
            Code(namespace),
            " lets in ",
            *shown,
            " without any user-id condition: every request gets into the profile's web apps",
        )
        return Risk(
            "privilege", "high", f"profile {namespace}", message, record=("profiles", namespace)
        )
    header, prefix, _source = trusts[0]
    who = person_of(comparison, user)
    message = (
        "the AuthorizationPolicies in namespace ",
        Code(namespace),
        " newly let in ",
        People((who,)),
        " (",
        Code(f"{header}: {prefix}{user}"),
        ", ",
        *shown,
        "), and no roster change explains it",
    )
    record = ("profiles", namespace)
    return Risk("privilege", "high", f"profile {namespace}", message, (who.name,), record)
