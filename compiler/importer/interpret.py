"""Work out what access a cluster's objects grant, in the roster's terms.

Each kind has a reader that files its objects: a grant the roster can hold (owner,
contributor, cluster-wide role, quota, limits, settings), something the profile
controller or Kubernetes owns (left alone, counted), or a finding located at the object
(access the roster cannot express, or had to settle). Pure: objects in, data out.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from compiler.importer.live import CONTROLLER_BINDINGS, essence, owner_reference
from compiler.importer.read import ClusterObject, is_managed, mapping_of
from compiler.model import names, releases
from compiler.model.keys import ResourceKey
from compiler.model.kube import (
    CONTROLLER_QUOTA,
    ISTIO_SECURITY_GROUP,
    KFAM_ROLE_ANNOTATION,
    KFAM_USER_ANNOTATION,
    KUBEFLOW_GROUP,
    LIMIT_RANGE_NAME,
    MANAGED_BY,
    NAMESPACE_OWNER_ANNOTATION,
    OWNER_POLICY,
    RBAC_GROUP,
)
from compiler.model.resolve import email_key, sort_key_for_email
from compiler.model.roles import CLUSTER_ROLES, ContributorRoleName, RoleName, rank, stronger
from compiler.model.roster import DEFAULT_NAMESPACE_LABELS, EMAIL_PATTERN, Settings
from compiler.problems import Problem
from compiler.text import noun

# Every rule of a finding: what the roster cannot express or had to settle. docs/import.md
# lists them all.
REPORT_RULES: Final = (
    "unexpressed-subject",
    "subject-not-email",
    "subject-not-imported",
    "multi-subject-binding",
    "admin-contributor",
    "non-kubeflow-role",
    "binding-outside-profile",
    "other-cluster-binding",
    "binding-without-policy",
    "policy-without-binding",
    "kfam-mismatch",
    "unexpressed-policy",
    "cluster-role-merged",
    "contributor-merged",
    "email-case-collision",
    "contributor-name-collision",
    "namespace-owner-mismatch",
    "namespace-owned-by-profile",
    "settings-inconsistent",
    "setting-not-imported",
    "limit-range-not-imported",
    "profile-not-imported",
    "import-duplicate-object",
)


_OWNERS_OWN: Final = "owners' bindings in their own profile (ownership grants as much)"

# Labels the API server or kfroster itself sets on every namespace: no roster setting.
_NAMESPACE_LABELS_NOT_SETTINGS: Final = frozenset(
    {"kubernetes.io/metadata.name", *MANAGED_BY.keys()}
)
_BOOTSTRAP_LABEL: Final = ("kubernetes.io/bootstrapping", "rbac-defaults")
_KUBEFLOW_ROLES: Final[Mapping[str, RoleName]] = {
    names.cluster_role(role): role for role in CLUSTER_ROLES
}
_KFAM_NAME: Final = re.compile(r"user-[a-z0-9-]+-clusterrole-(admin|edit|view)").fullmatch
_HEADER_KEY: Final = re.compile(r"request\.headers\[(.+)\]").fullmatch
_EMAIL: Final = re.compile(EMAIL_PATTERN).fullmatch
_MAX_EMAIL: Final = 254
_LIMIT_FIELDS: Final = ("default", "defaultRequest", "max", "min", "maxLimitRequestRatio")
# The two shapes of KFAM's contributor policies: 1.7 writes no `from` clause.
_SHAPE_1_7: Final = "that of Kubeflow 1.7 (no from clause)"
_SHAPE_LATER: Final = "that of Kubeflow 1.8 and later (from the gateway and Pipelines UI)"


@dataclass
class UserDraft:
    email: str
    name: str = ""
    cluster_role: RoleName | None = None
    cluster_sources: list[ClusterObject] = field(default_factory=list)
    derived: bool = False  # the name was made from the email, not read from a binding


@dataclass
class Contribution:
    role: ContributorRoleName
    sources: list[ClusterObject]


@dataclass
class ProfileDraft:
    source: ClusterObject
    owner: str  # email
    quota: dict[str, Any]
    limit_range: dict[str, Any]
    limit_range_source: ClusterObject | None
    plugins: list[Any]
    contributors: dict[str, Contribution] = field(default_factory=dict)  # email -> grant
    # The namespace's ownerReference to its Profile: (position in the list, uid).
    owner_reference: tuple[int, str] | None = None

    @property
    def name(self) -> str:
        return self.source.name


@dataclass(frozen=True)
class _Grant:
    namespace: str  # "" for a cluster-wide grant
    email: str
    role: RoleName
    source: ClusterObject


@dataclass
class _Evidence:
    """What the objects say about one setting, and where they say it."""

    seen: dict[str, list[ClusterObject]] = field(default_factory=lambda: defaultdict(list))

    def add(self, value: str, source: ClusterObject) -> None:
        self.seen[value].append(source)

    def decide(self, default: str) -> str:
        """Return the value most objects agree on (ties: the default, then sorted)."""
        if not self.seen:
            return default
        return min(self.seen, key=lambda v: (-len(self.seen[v]), v != default, v))


@dataclass
class _State:
    """Everything interpret() learns, filled kind by kind."""

    findings: list[Problem] = field(default_factory=list)
    profiles: dict[str, ProfileDraft] = field(default_factory=dict)
    profile_namespaces: set[str] = field(default_factory=set)  # every Profile's, imported or not
    grants: list[_Grant] = field(default_factory=list)
    left_alone: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    headers: _Evidence = field(default_factory=_Evidence)
    prefixes: _Evidence = field(default_factory=_Evidence)
    principals: _Evidence = field(default_factory=_Evidence)
    labels: _Evidence = field(default_factory=_Evidence)
    shapes: _Evidence = field(default_factory=_Evidence)  # of contributor policies, by release
    # Contributor AuthorizationPolicies by (namespace, name), waiting for their RoleBinding.
    policies: dict[tuple[str, str], ClusterObject] = field(default_factory=dict)
    contributor_bindings: dict[tuple[str, str], ClusterObject] = field(default_factory=dict)
    namespaces: dict[str, ClusterObject] = field(default_factory=dict)
    partly_expressed: set[ResourceKey] = field(default_factory=set)  # grants more than imported
    kfroster_managed: bool = False  # the input holds objects kfroster applied
    managed_namespaces: bool = False  # and some Namespaces among them

    def note(self, source: ClusterObject, rule: str, message: str) -> None:
        self.findings.append(source.finding(rule, message))

    def leave(self, category: str, source: ClusterObject) -> None:
        self.left_alone[category].append(source.describe())


@dataclass(frozen=True)
class Interpretation:
    """The roster the objects amount to, before validation drops what it cannot hold."""

    users: dict[str, UserDraft]  # email -> user
    profiles: dict[str, ProfileDraft]  # name -> profile
    settings: dict[str, Any]
    settings_notes: tuple[str, ...]
    settings_sources: Mapping[str, ClusterObject]  # setting -> an object it was read from
    findings: tuple[Problem, ...]
    left_alone: Mapping[str, tuple[str, ...]]
    objects: Mapping[ResourceKey, ClusterObject]
    partly_expressed: frozenset[ResourceKey] = frozenset()


def interpret(objects: Sequence[ClusterObject]) -> Interpretation:
    """Work out the users, profiles, contributors and settings the objects grant."""
    state = _State()
    unique = _deduplicate(objects, state)
    by_kind: dict[tuple[str, str], list[ClusterObject]] = defaultdict(list)
    for obj in sorted(unique.values(), key=lambda o: o.key):
        by_kind[(obj.group, obj.kind)].append(obj)
        if is_managed(obj):
            state.kfroster_managed = True
    handlers: dict[tuple[str, str], Callable[[ClusterObject, _State], None]] = {
        (KUBEFLOW_GROUP, "Profile"): _read_profile,
        ("", "Namespace"): _read_namespace,
        (RBAC_GROUP, "RoleBinding"): _read_role_binding,
        (RBAC_GROUP, "ClusterRoleBinding"): _read_cluster_role_binding,
        (ISTIO_SECURITY_GROUP, "AuthorizationPolicy"): _read_policy,
        ("", "LimitRange"): _read_limit_range,
    }
    for obj in by_kind.get((KUBEFLOW_GROUP, "Profile"), []):
        state.profile_namespaces.add(obj.name)
    # Profiles first (they say which namespaces are profiles), LimitRanges after them.
    order = [(KUBEFLOW_GROUP, "Profile"), ("", "Namespace"), (RBAC_GROUP, "RoleBinding")]
    order += [
        (RBAC_GROUP, "ClusterRoleBinding"),
        (ISTIO_SECURITY_GROUP, "AuthorizationPolicy"),
        ("", "LimitRange"),
    ]
    for group_kind in order:
        for obj in by_kind.pop(group_kind, []):
            handlers[group_kind](obj, state)
    for (_group, kind), rest in sorted(by_kind.items()):
        for obj in rest:
            _read_other(obj, kind, state)
    _pair_contributors(state)
    users = _users(state)
    _contributors(state)
    settings, notes, sources = _settings(state)
    return Interpretation(
        users,
        state.profiles,
        settings,
        notes,
        sources,
        tuple(sorted(state.findings)),
        {k: tuple(sorted(v)) for k, v in sorted(state.left_alone.items())},
        unique,
        frozenset(state.partly_expressed),
    )


def _deduplicate(
    objects: Sequence[ClusterObject], state: _State
) -> dict[ResourceKey, ClusterObject]:
    unique: dict[ResourceKey, ClusterObject] = {}
    for obj in objects:
        first = unique.setdefault(obj.key, obj)
        if first is not obj and essence(first.body) != essence(obj.body):
            state.note(
                obj,
                "import-duplicate-object",
                f"also read at {first.file}:{first.line} with different content; "
                "the first one is imported",
            )
    return unique


def _read_profile(obj: ClusterObject, state: _State) -> None:
    spec = mapping_of(obj.body.get("spec"))
    owner = mapping_of(spec.get("owner"))
    email = owner.get("name")
    if owner.get("kind", "User") != "User" or not isinstance(email, str):
        state.note(
            obj,
            "profile-not-imported",
            f"its owner is {_subject_text(owner)}, not a User; a roster profile is owned by a "
            "person; the profile and its namespace stay as they are, unmanaged",
        )
        return
    if not _is_email(email):
        state.note(
            obj,
            "subject-not-email",
            f"its owner {email!r} is not an email address, which every roster user has; "
            "the profile and its namespace stay as they are, unmanaged",
        )
        return
    plugins = spec.get("plugins")
    state.profiles[obj.name] = ProfileDraft(
        source=obj,
        owner=email,
        quota=_quota(spec.get("resourceQuotaSpec")),
        limit_range={},
        limit_range_source=None,
        plugins=list(plugins) if isinstance(plugins, list) else [],
    )


def _quota(spec: object) -> dict[str, Any]:
    """Return a Profile's resourceQuotaSpec in roster form, in one canonical order."""
    quota = dict(mapping_of(spec))
    if isinstance(quota.get("hard"), dict):
        quota["hard"] = _quantities(quota["hard"])
        if not quota["hard"]:
            del quota["hard"]
    if isinstance(quota.get("scopes"), list):
        quota["scopes"] = sorted(quota["scopes"], key=str) if quota["scopes"] else None
    selector = quota.get("scopeSelector")
    if isinstance(selector, dict) and isinstance(selector.get("matchExpressions"), list):
        quota["scopeSelector"] = {
            "matchExpressions": [_scope_requirement(e) for e in selector["matchExpressions"]]
        }
    # The renderer writes keys in this order; keep unknown keys for validation to report.
    order = {"hard": 0, "scopes": 1, "scopeSelector": 2}
    return {
        k: quota[k] for k in sorted(quota, key=lambda k: order.get(k, 3)) if quota[k] is not None
    }


def _scope_requirement(requirement: object) -> object:
    """Order a scope selector requirement as the roster writes it, its values sorted."""
    if not isinstance(requirement, dict):
        return requirement  # validation reports it
    ordered = {k: requirement[k] for k in ("scopeName", "operator", "values") if k in requirement}
    ordered.update(requirement)  # unknown keys go last; validation reports them
    values = ordered.get("values")
    if isinstance(values, list):
        ordered["values"] = sorted(values, key=str)
    if not ordered.get("values", True):
        del ordered["values"]
    return ordered


def _quantities(values: Mapping[str, Any]) -> dict[str, Any]:
    # Everything kfroster renders is text: `pods: 50` and `pods: "50"` are the same quota.
    return {
        key: str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        for key, value in sorted(values.items())
    }


def _read_namespace(obj: ClusterObject, state: _State) -> None:
    if obj.name not in state.profile_namespaces:
        state.leave("Namespaces without a Profile", obj)
        return
    profile = state.profiles.get(obj.name)
    if profile is None:
        state.leave("Namespaces of Profiles not imported", obj)
        return
    state.namespaces[obj.name] = obj
    if is_managed(obj):
        state.managed_namespaces = True
    labels = obj.labels()
    kept = {k: v for k, v in sorted(labels.items()) if k not in _NAMESPACE_LABELS_NOT_SETTINGS}
    state.labels.add(json.dumps(kept), obj)
    _read_owner_reference(obj, profile, state)
    owner = obj.annotations().get(NAMESPACE_OWNER_ANNOTATION)
    if owner != profile.owner:
        shown = "no owner annotation" if owner is None else f"the owner annotation {owner!r}"
        state.note(
            obj,
            "namespace-owner-mismatch",
            f"has {shown}, but its Profile's owner is {profile.owner!r}: the profile "
            "controller does not adopt it; compiling sets the annotation, and the "
            "controller then takes the namespace over",
        )


def _read_owner_reference(obj: ClusterObject, profile: ProfileDraft, state: _State) -> None:
    """Find the ownerReference the profile controller sets on a namespace it creates."""
    reference = owner_reference(obj.body)
    if reference is None:
        return
    position, uid, name = reference
    profile.owner_reference = (position, uid)
    state.note(
        obj,
        "namespace-owned-by-profile",
        f"has an ownerReference to Profile {name!r} (the profile "
        "controller created it): deleting the Profile deletes the namespace and all its "
        "data; the roster marks the profile namespaceOwnedByProfile: true, so compiling "
        "keeps the Profile and its LimitRange (prune disabled); the switch-over prints "
        "the command that removes the ownerReference",
    )


def _subjects(obj: ClusterObject) -> list[dict[str, Any]]:
    subjects = obj.body.get("subjects")
    if not isinstance(subjects, list):
        return []
    return [s if isinstance(s, dict) else {} for s in subjects]


def _role_ref(obj: ClusterObject) -> tuple[str, str]:
    ref = mapping_of(obj.body.get("roleRef"))
    kind, name = ref.get("kind"), ref.get("name")
    return (kind if isinstance(kind, str) else "?", name if isinstance(name, str) else "?")


def _subject_text(subject: Mapping[str, Any]) -> str:
    kind, name = subject.get("kind", "?"), subject.get("name", "?")
    namespace = subject.get("namespace")
    return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"


def _is_email(text: str) -> bool:
    return len(text) <= _MAX_EMAIL and _EMAIL(text) is not None


def _has_people(subjects: Sequence[Mapping[str, Any]]) -> bool:
    return any(s.get("kind") in ("User", "Group") for s in subjects)


def _user_emails(
    obj: ClusterObject,
    subjects: Sequence[Mapping[str, Any]],
    granted: str,
    state: _State,
    *,
    split: bool = True,
) -> list[str]:
    """Return the emails of a binding's User subjects; report every other subject.

    With split, a binding of several people is reported as becoming one grant each.
    """
    emails = []
    for subject in subjects:
        name = subject.get("name")
        if subject.get("kind") == "User" and isinstance(name, str) and _is_email(name):
            emails.append(name)
            continue
        state.partly_expressed.add(obj.key)
        if subject.get("kind") == "User":
            state.note(
                obj,
                "subject-not-email",
                f"grants {granted} to User {name!r}, which is not an email address like every "
                "roster user's; not imported, the binding stays as it is",
            )
        else:
            state.note(
                obj,
                "unexpressed-subject",
                f"grants {granted} to {_subject_text(subject)}; a roster grants access to "
                "people (User subjects) only; not imported, the binding stays as it is",
            )
    if split and len(subjects) > 1 and emails:
        state.note(
            obj,
            "multi-subject-binding",
            f"binds {len(subjects)} subjects; each User becomes a grant of its own (kfroster "
            "writes one binding per person), and this binding stays until you delete it",
        )
    return emails


def _read_role_binding(obj: ClusterObject, state: _State) -> None:
    subjects = _subjects(obj)
    ref_kind, ref_name = _role_ref(obj)
    role = _KUBEFLOW_ROLES.get(ref_name) if ref_kind == "ClusterRole" else None
    namespace = obj.namespace
    if namespace not in state.profile_namespaces:
        if _is_bootstrap(obj):
            state.leave("Kubernetes' own bindings", obj)
        elif role is not None or _has_people(subjects):
            shown = ", ".join(_subject_text(s) for s in subjects) or "no subject"
            state.note(
                obj,
                "binding-outside-profile",
                f"grants {ref_kind} {ref_name} to {shown} in namespace {namespace!r}, which is "
                "no profile; a roster grants access in profiles only; it stays as it is",
            )
        else:
            state.leave("bindings of service accounts outside profiles", obj)
        return
    if obj.name in CONTROLLER_BINDINGS:
        state.leave("objects the profile controller owns", obj)
        return
    profile = state.profiles.get(namespace)
    granted = f"{ref_kind} {ref_name} in {namespace}"
    if profile is None:
        if subjects:
            state.note(
                obj,
                "profile-not-imported",
                f"grants {granted}, whose Profile could not be imported; it stays as it is",
            )
        return
    if role is None:
        if subjects:
            shown = ", ".join(_subject_text(s) for s in subjects)
            state.note(
                obj,
                "non-kubeflow-role",
                f"grants {granted} to {shown}; a roster grants kubeflow-edit and kubeflow-view "
                "in profiles only; it stays as it is",
            )
        return
    emails = _user_emails(obj, subjects, granted, state, split=role != "admin")
    if role == "admin":
        others = [e for e in emails if e != profile.owner]
        if others:
            state.note(
                obj,
                "admin-contributor",
                f"grants kubeflow-admin in {namespace} to {', '.join(others)}; only the owner "
                "is admin of a profile, contributors edit or view; not imported, it stays as it is",
            )
        if profile.owner in emails:
            state.leave(_OWNERS_OWN, obj)
        return
    if emails and (_KFAM_NAME(obj.name) or KFAM_USER_ANNOTATION in obj.annotations()):
        state.contributor_bindings[(namespace, obj.name)] = obj
    for email in emails:
        state.grants.append(_Grant(namespace, email, role, obj))
    if len(emails) == 1 and len(subjects) == 1:
        _check_kfam_binding(obj, emails[0], role, state)


def _check_kfam_binding(obj: ClusterObject, email: str, role: RoleName, state: _State) -> None:
    """Report a contributor binding that KFAM (the dashboard) would not recognise."""
    annotations = obj.annotations()
    looks_kfam = (
        _KFAM_NAME(obj.name) is not None
        or KFAM_USER_ANNOTATION in annotations
        or KFAM_ROLE_ANNOTATION in annotations
    )
    if not looks_kfam:
        return  # a hand-made binding: the switch-over lists its KFAM replacement
    expected = names.kfam_name(email, "edit" if role == "edit" else "view")
    wrong = []
    if obj.name != expected:
        wrong.append(f"its name should be {expected}")
    if annotations.get(KFAM_USER_ANNOTATION) != email:
        wrong.append(f"annotation user is {annotations.get('user')!r}, the subject {email!r}")
    if annotations.get(KFAM_ROLE_ANNOTATION) != role:
        wrong.append(f"annotation role is {annotations.get('role')!r}, the role {role!r}")
    if wrong:
        state.note(
            obj,
            "kfam-mismatch",
            f"is not what the dashboard recognises as a contributor: {'; '.join(wrong)}; "
            "compiling writes the KFAM form",
        )


def _is_bootstrap(obj: ClusterObject) -> bool:
    key, value = _BOOTSTRAP_LABEL
    return obj.labels().get(key) == value


def _read_cluster_role_binding(obj: ClusterObject, state: _State) -> None:
    subjects = _subjects(obj)
    ref_kind, ref_name = _role_ref(obj)
    role = _KUBEFLOW_ROLES.get(ref_name) if ref_kind == "ClusterRole" else None
    if role is None:
        if _is_bootstrap(obj):
            state.leave("Kubernetes' own bindings", obj)
        elif _has_people(subjects):
            shown = ", ".join(
                _subject_text(s) for s in subjects if s.get("kind") != "ServiceAccount"
            )
            state.note(
                obj,
                "other-cluster-binding",
                f"grants ClusterRole {ref_name} to {shown}; a roster grants kubeflow-admin, "
                "-edit or -view only; it stays as it is",
            )
        else:
            state.leave("ClusterRoleBindings of service accounts to other roles", obj)
        return
    for email in _user_emails(obj, subjects, f"ClusterRole {ref_name} cluster-wide", state):
        state.grants.append(_Grant("", email, role, obj))


def _read_policy(obj: ClusterObject, state: _State) -> None:
    if obj.namespace not in state.profile_namespaces:
        state.leave("AuthorizationPolicies outside profiles", obj)
        return
    match = _header_match(obj)
    profile = state.profiles.get(obj.namespace)
    if obj.name == OWNER_POLICY:
        state.leave("objects the profile controller owns", obj)
        if match is not None and profile is not None:
            _add_evidence(obj, match, profile.owner, state)
        return
    if match is None:
        state.leave("AuthorizationPolicies between services", obj)
        return
    if profile is None:
        state.note(obj, "profile-not-imported", "its Profile could not be imported")
        return
    if _KFAM_NAME(obj.name) or KFAM_USER_ANNOTATION in obj.annotations():
        state.policies[(obj.namespace, obj.name)] = obj
        state.shapes.add(_shape_of(obj), obj)
        return
    header, values, _principals = match
    state.note(
        obj,
        "unexpressed-policy",
        f"lets requests with header {header} = {', '.join(map(repr, values))} into "
        f"{obj.namespace}; it is no contributor's (not named like KFAM's), so it is not "
        "imported and stays as it is",
    )


_HeaderMatch = tuple[str, list[str], list[str]]


def _header_match(obj: ClusterObject) -> _HeaderMatch | None:
    """Return the user-id header, its values and the principals of a policy's user rule."""
    rules = mapping_of(obj.body.get("spec")).get("rules")
    for each_rule in rules if isinstance(rules, list) else []:
        rule = mapping_of(each_rule)
        conditions = rule.get("when")
        for each_condition in conditions if isinstance(conditions, list) else []:
            condition = mapping_of(each_condition)
            key, values = condition.get("key"), condition.get("values")
            matched = _HEADER_KEY(key) if isinstance(key, str) else None
            if matched and isinstance(values, list):
                return matched.group(1), [str(v) for v in values], _principals(rule)
    return None


def _shape_of(policy: ClusterObject) -> str:
    """Return which release's shape a contributor policy has: _SHAPE_1_7 or _SHAPE_LATER."""
    rules = mapping_of(policy.body.get("spec")).get("rules")
    first = mapping_of(rules[0]) if isinstance(rules, list) and rules else {}
    return _SHAPE_1_7 if releases.version_of_policy("from" in first) else _SHAPE_LATER


def _principals(rule: Mapping[str, Any]) -> list[str]:
    sources = rule.get("from")
    if not isinstance(sources, list) or len(sources) != 1:
        return []
    principals = mapping_of(mapping_of(sources[0]).get("source")).get("principals")
    return [str(p) for p in principals] if isinstance(principals, list) else []


def _add_evidence(obj: ClusterObject, match: _HeaderMatch, email: str, state: _State) -> bool:
    """Learn the header, prefix and principals from a policy; False if its value is not email's."""
    header, values, principals = match
    state.headers.add(header, obj)
    if len(principals) == 2:
        state.principals.add(json.dumps(principals), obj)
    if len(values) == 1 and values[0].endswith(email):
        state.prefixes.add(values[0][: len(values[0]) - len(email)], obj)
        return True
    return False


def _read_limit_range(obj: ClusterObject, state: _State) -> None:
    profile = state.profiles.get(obj.namespace)
    if profile is None:
        if obj.namespace in state.profile_namespaces:
            state.note(obj, "profile-not-imported", "its Profile could not be imported")
        else:
            state.leave("LimitRanges outside profiles", obj)
        return
    current = profile.limit_range_source
    # kfroster's own name wins; otherwise the first by name, the others are reported.
    if current is not None and (current.name == LIMIT_RANGE_NAME or obj.name != LIMIT_RANGE_NAME):
        state.note(
            obj,
            "limit-range-not-imported",
            f"is a second LimitRange in {obj.namespace}; a profile has one "
            f"({current.name} is imported); this one stays as it is and still applies",
        )
        return
    if current is not None:
        state.note(
            current,
            "limit-range-not-imported",
            f"is a second LimitRange in {obj.namespace}; a profile has one ({obj.name} is "
            "imported); this one stays as it is and still applies",
        )
    limits = mapping_of(obj.body.get("spec")).get("limits")
    items = [mapping_of(item) for item in limits] if isinstance(limits, list) else []
    containers = [item for item in items if item.get("type") == "Container"]
    others = sorted({str(item.get("type")) for item in items if item.get("type") != "Container"})
    if others or len(containers) > 1:
        state.partly_expressed.add(obj.key)
        what = f"limits of type {', '.join(others)}" if others else "several Container limits"
        imported = "the first Container limits are" if containers else "nothing is"
        after = (
            "compiling rewrites it without the rest"
            if obj.name == LIMIT_RANGE_NAME
            else f"it stays next to kfroster's {LIMIT_RANGE_NAME} until you change it"
        )
        state.note(
            obj,
            "limit-range-not-imported",
            f"has {what}, but a roster holds one set of Container limits: {imported} "
            f"imported, and {after}",
        )
    limit_range: dict[str, Any] = {}
    if containers:
        item = containers[0]
        for key in _LIMIT_FIELDS:
            if isinstance(item.get(key), dict) and item[key]:
                limit_range[key] = _quantities(item[key])
    profile.limit_range = limit_range
    profile.limit_range_source = obj


def _read_other(obj: ClusterObject, kind: str, state: _State) -> None:
    in_profile = obj.namespace in state.profile_namespaces
    if kind == "ServiceAccount" or (kind == "ResourceQuota" and obj.name == CONTROLLER_QUOTA):
        state.leave("objects the profile controller owns", obj)
    elif in_profile:
        state.leave(f"other objects in profiles ({kind})", obj)
    else:
        state.leave(f"other objects ({kind})", obj)


def _pair_contributors(state: _State) -> None:
    """Match contributor RoleBindings with their AuthorizationPolicies, as KFAM pairs them."""
    for (namespace, name), binding in sorted(state.contributor_bindings.items()):
        policy = state.policies.pop((namespace, name), None)
        if policy is None:
            state.note(
                binding,
                "binding-without-policy",
                "has no AuthorizationPolicy of the same name, so the contributor can use the "
                "Kubernetes API but not the web apps; imported as a contributor: compiling "
                "creates the AuthorizationPolicy",
            )
            continue
        # The subject is who the binding grants; the annotation is only what KFAM shows.
        subjects = _subjects(binding)
        email = subjects[0].get("name") if len(subjects) == 1 else None
        match = _header_match(policy)
        wrong = []
        if policy.annotations().get(KFAM_USER_ANNOTATION) != binding.annotations().get(
            KFAM_USER_ANNOTATION
        ):
            wrong.append("its user annotation differs from the RoleBinding's")
        if policy.annotations().get(KFAM_ROLE_ANNOTATION) != binding.annotations().get(
            KFAM_ROLE_ANNOTATION
        ):
            wrong.append("its role annotation differs from the RoleBinding's")
        if (
            match is None
            or not isinstance(email, str)
            or not _add_evidence(policy, match, email, state)
        ):
            wrong.append("it does not match the contributor's email in the user-id header")
        if wrong:
            state.note(
                policy,
                "kfam-mismatch",
                f"does not agree with its RoleBinding: {'; '.join(wrong)}; compiling rewrites it",
            )
    # A policy that a grant's KFAM pair will overwrite anyway is no orphan.
    paired = {
        (g.namespace, names.kfam_name(g.email, "edit" if g.role == "edit" else "view"))
        for g in state.grants
        if g.namespace
    }
    for key, policy in sorted(state.policies.items()):
        if key in paired:
            continue
        match = _header_match(policy)
        who = ", ".join(map(repr, match[1])) if match else "?"
        state.note(
            policy,
            "policy-without-binding",
            f"lets {who} into the namespace's web apps but has no RoleBinding of the same "
            "name, so the dashboard does not list the contributor; not imported, it stays as it is",
        )


def _users(state: _State) -> dict[str, UserDraft]:
    """Decide each person's email spelling, cluster role and user name."""
    spellings: dict[str, set[str]] = defaultdict(set)
    owned = {profile.owner for profile in state.profiles.values()}
    for email in owned:
        spellings[email_key(email)].add(email)
    for grant in state.grants:
        spellings[email_key(grant.email)].add(grant.email)
    chosen: dict[str, str] = {}
    for key, found in spellings.items():
        # Emails differing only in case are one roster user: the owner's spelling wins.
        chosen[key] = min(found, key=lambda e: (e not in owned, sort_key_for_email(e)))
    for name, profile in sorted(state.profiles.items()):
        if chosen[email_key(profile.owner)] != profile.owner:
            state.note(
                profile.source,
                "email-case-collision",
                f"is owned by {profile.owner!r}, which differs only in case from "
                f"{chosen[email_key(profile.owner)]!r}; a roster holds one of them; "
                "not imported, it stays as it is",
            )
            del state.profiles[name]
    users = {email: UserDraft(email) for email in sorted(set(chosen.values()))}
    kept = []
    for grant in state.grants:
        if chosen[email_key(grant.email)] != grant.email:
            state.note(
                grant.source,
                "email-case-collision",
                f"grants {grant.role} to {grant.email!r}, which differs only in case from "
                f"{chosen[email_key(grant.email)]!r}; a roster holds one of them; not imported",
            )
        else:
            kept.append(grant)
    state.grants = kept
    for grant in kept:
        if grant.namespace:
            continue
        user = users[grant.email]
        if stronger(grant.role, user.cluster_role):
            user.cluster_role = grant.role
        user.cluster_sources.append(grant.source)
    for user in users.values():
        roles = sorted({_role_ref(s)[1] for s in user.cluster_sources})
        if len(user.cluster_sources) > 1:
            state.note(
                user.cluster_sources[0],
                "cluster-role-merged",
                f"is one of {len(user.cluster_sources)} ClusterRoleBindings of {user.email} "
                f"({', '.join(roles)}); the roster keeps the strongest, kubeflow-"
                f"{user.cluster_role}; the others stay until you delete them",
            )
    _name_users(users, {profile.owner for profile in state.profiles.values()})
    return users


def _name_users(users: Mapping[str, UserDraft], owners: set[str]) -> None:
    """Give each user a DNS-label name: the one in a `kubeflow-<role>-<name>` binding, if any.

    The others get one made from the email. Owners claim first, then people with a
    cluster-wide role, then everyone else (each by email): `alice@a.io`, a contributor,
    must not take `alice` from `alice@b.io`, who owns a profile, and leave it `alice-2`.
    """
    taken: set[str] = set()
    for user in sorted(users.values(), key=lambda u: sort_key_for_email(u.email)):
        for source in sorted(user.cluster_sources, key=lambda s: -rank(role_of(s))):
            role = role_of(source)
            prefix = names.cluster_role_binding_name("", role)
            candidate = source.name.removeprefix(prefix)
            if (
                source.name.startswith(prefix)
                and len(_subjects(source)) == 1
                and _is_label(candidate)
                and candidate not in taken
            ):
                user.name = candidate
                taken.add(candidate)
                break
    numbers: dict[str, int] = {}  # a derived base name -> the next number to try after it

    def claim_order(user: UserDraft) -> tuple[int, tuple[str, str]]:
        rank = 0 if user.email in owners else 1 if user.cluster_role is not None else 2
        return (rank, sort_key_for_email(user.email))

    for user in sorted(users.values(), key=claim_order):
        if not user.name:
            user.name = _derive_name(user.email, taken, numbers)
            user.derived = True
            taken.add(user.name)


def role_of(binding: ClusterObject) -> RoleName:
    """Return the roster role of a binding to a Kubeflow ClusterRole."""
    return _KUBEFLOW_ROLES[_role_ref(binding)[1]]


_LABEL: Final = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?").fullmatch
_NOT_LABEL: Final = re.compile(r"[^a-z0-9]+")


def _is_label(text: str) -> bool:
    return len(text) <= names.MAX_LABEL and _LABEL(text) is not None


def _derive_name(email: str, taken: set[str], numbers: dict[str, int]) -> str:
    """Make a unique DNS label from an email's local part: `Jane.Doe+ml@x` → `jane-doe-ml`.

    `numbers` remembers, per base name, where to go on counting (`-2`, `-3`, ...), so
    20,000 people called alice take linear time, not quadratic.
    """
    local = email.rpartition("@")[0]
    base = _NOT_LABEL.sub("-", local.lower()).strip("-")[: names.MAX_LABEL].strip("-") or "user"
    name, numbers[base] = names.unique_label(base, taken, numbers.get(base, 2))
    return name


def _contributors(state: _State) -> None:
    """Turn the namespace grants into each profile's contributors (strongest role wins)."""
    for grant in state.grants:
        profile = state.profiles.get(grant.namespace) if grant.namespace else None
        if profile is None or grant.role == "admin":
            continue
        if grant.email == profile.owner:
            state.leave(_OWNERS_OWN, grant.source)
            continue
        current = profile.contributors.get(grant.email)
        if current is None:
            profile.contributors[grant.email] = Contribution(grant.role, [grant.source])
            continue
        current.sources.append(grant.source)
        if grant.role != current.role:
            state.note(
                grant.source,
                "contributor-merged",
                f"grants {grant.role} to {grant.email} in {grant.namespace}, who also has "
                f"{current.role} there; the roster keeps edit",
            )
            current.role = "edit"
    for profile in state.profiles.values():
        seen: dict[str, str] = {}
        for email in sorted(profile.contributors, key=sort_key_for_email):
            contribution = profile.contributors[email]
            object_name = names.kfam_name(email, contribution.role)
            first = seen.setdefault(object_name, email)
            if first != email:
                state.note(
                    contribution.sources[0],
                    "contributor-name-collision",
                    f"grants {contribution.role} to {email}, whose KFAM object name equals "
                    f"{first}'s ({object_name}); a roster cannot hold both; not imported",
                )
                del profile.contributors[email]


def _settings(
    state: _State,
) -> tuple[dict[str, Any], tuple[str, ...], dict[str, ClusterObject]]:
    """Decide the settings from the evidence, reporting the objects that disagree.

    Returns the settings, a comment on them, and for each one an object that says so.
    """
    default = Settings()
    header = state.headers.decide(default.user_id_header)
    prefix = state.prefixes.decide(default.user_id_prefix)
    both = state.principals.decide(
        json.dumps([default.ingress_gateway_principal, default.pipelines_ui_principal])
    )
    settings: dict[str, Any] = {"userIdHeader": header, "userIdPrefix": prefix}
    ingress, pipelines_ui = json.loads(both)
    if ingress != default.ingress_gateway_principal:
        settings["ingressGatewayPrincipal"] = ingress
    if pipelines_ui != default.pipelines_ui_principal:
        settings["pipelinesUiPrincipal"] = pipelines_ui
    # The roster keeps KFAM 1.7's looser shape only when every contributor policy has it:
    # import never drops a `from` clause.
    shape = _SHAPE_1_7 if set(state.shapes.seen) == {_SHAPE_1_7} else _SHAPE_LATER
    if shape == _SHAPE_1_7:
        settings["kubeflowVersion"] = releases.version_of_policy(has_from=False)
    _disagreements(state, "user-id header", state.headers, header)
    _disagreements(state, "user-id prefix", state.prefixes, prefix)
    _disagreements(state, "principals (ingress gateway, pipelines UI)", state.principals, both)
    _disagreements(state, "shape of contributor AuthorizationPolicies", state.shapes, shape)
    # A cluster kfroster already manages, whose profile namespaces kfroster did not apply,
    # was compiled with manageNamespaces: false.
    if state.kfroster_managed and state.namespaces and not state.managed_namespaces:
        settings["manageNamespaces"] = False
    else:
        labels = state.labels.decide(json.dumps(DEFAULT_NAMESPACE_LABELS))
        if json.loads(labels) != DEFAULT_NAMESPACE_LABELS:
            settings["namespaceLabels"] = json.loads(labels)
        _disagreements(state, "set of namespace labels", state.labels, labels)
    if state.headers.seen:
        count = sum(len(found) for found in state.headers.seen.values())
        policies = noun(count, "AuthorizationPolicy", "AuthorizationPolicies")
        note = (
            f"The user-id header and prefix that {count} {policies} of the cluster match users by."
        )
    else:
        note = "No AuthorizationPolicy matched a user-id header: these are the defaults."
    sources: dict[str, ClusterObject] = {}
    for key, evidence, value in (
        ("userIdHeader", state.headers, header),
        ("userIdPrefix", state.prefixes, prefix),
        ("ingressGatewayPrincipal", state.principals, both),
        ("pipelinesUiPrincipal", state.principals, both),
        ("namespaceLabels", state.labels, json.dumps(settings.get("namespaceLabels"))),
        ("kubeflowVersion", state.shapes, shape),
    ):
        if evidence.seen.get(value):
            sources[key] = evidence.seen[value][0]
    return settings, (note,), sources


def _disagreements(state: _State, what: str, evidence: _Evidence, chosen: str) -> None:
    for value, sources in sorted(evidence.seen.items()):
        if value == chosen:
            continue
        shown = ", ".join(source.describe() for source in sources[:3])
        more = f" and {len(sources) - 3} more" if len(sources) > 3 else ""
        state.note(
            sources[0],
            "settings-inconsistent",
            f"the {what} here is {value}, but {len(evidence.seen[chosen])} other objects have "
            f"{chosen}, which the roster takes; compiling changes {shown}{more}",
        )
