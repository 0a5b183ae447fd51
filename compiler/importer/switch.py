"""The switch-over: what applying the imported roster's compiled objects does to the cluster.

Compiled objects are paired with the cluster's by key: new ones are created (naming
the hand-made objects they take over from), differing ones changed (field by field),
hand-made ones that still grant the same access are kept (to delete by hand), and
objects kfroster applied that are no longer compiled are pruned.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from compiler.importer.interpret import Interpretation, role_of
from compiler.importer.live import MISSING, ROUTINE, differences, path_text, value_text
from compiler.importer.read import ClusterObject, is_managed
from compiler.model import names
from compiler.model.keys import ResourceKey
from compiler.model.kube import LIMIT_RANGE_NAME, RBAC_GROUP
from compiler.model.resolve import RosterIndex, grants
from compiler.model.roster import Roster
from compiler.render import render_objects
from compiler.render.protection import release_namespace_command

Action = Literal["create", "change", "keep", "prune"]
_ACTIONS: Final[tuple[Action, ...]] = ("create", "change", "keep", "prune")


@dataclass(frozen=True)
class Change:
    """One object the switch-over creates, changes, leaves behind or prunes."""

    action: Action
    key: ResourceKey
    detail: str


@dataclass(frozen=True)
class SwitchOver:
    """What applying the compiled roster does to the objects that were imported."""

    changes: tuple[Change, ...]  # by action, then by key
    # Harmless additions to many existing objects, counted rather than listed.
    routine: tuple[tuple[str, int], ...]
    # Commands removing the ownerReference of each namespace its Profile owns, by name.
    releases: tuple[str, ...] = ()

    def count(self, action: Action) -> int:
        """Count the changes of one kind."""
        return sum(1 for change in self.changes if change.action == action)


def switch_over(
    roster: Roster,
    interpretation: Interpretation,
    replaced: Mapping[ResourceKey, Sequence[ClusterObject]],
    expressed: Mapping[ResourceKey, Sequence[str]],
) -> SwitchOver:
    """Compare the compiled roster with the cluster's objects.

    `replaced` names, for a compiled object, the hand-made objects it takes over from;
    `expressed` lists every imported object with the access the roster now expresses.
    """
    compiled = render_objects(roster)
    objects = interpretation.objects
    changes: list[Change] = []
    routine: Counter[str] = Counter()
    for key, manifest in compiled.items():
        existing = objects.get(key)
        if existing is None:
            olds = replaced.get(key, ())
            detail = (
                "replaces " + ", ".join(sorted(o.describe() for o in olds))
                if olds
                else _why_new(key, objects)
            )
            changes.append(Change("create", key, detail))
            continue
        # The API version is left out: every served version is the same stored object.
        body = {k: v for k, v in manifest.items() if k != "apiVersion"}
        differing = []
        routine_here: set[str] = set()
        for path, want, have in differences(body, existing.body):
            if have is MISSING and path in ROUTINE:
                routine_here.add(ROUTINE[path])
            else:
                differing.append((path, want, have))
        routine.update(routine_here)
        if differing:
            shown = "; ".join(
                f"{path_text(path)}: {value_text(have)} → {value_text(want)}"
                for path, want, have in differing
            )
            changes.append(Change("change", key, shown))
    for key, meanings in expressed.items():
        if key in compiled:
            continue
        if key in interpretation.partly_expressed:
            advice = "it also holds what the roster cannot express: change it rather than delete it"
        else:
            advice = "kfroster does not manage it: delete it by hand"
        changes.append(Change("keep", key, f"{'; '.join(sorted(set(meanings)))}; {advice}"))
    for key, obj in objects.items():
        if is_managed(obj) and key not in compiled:
            changes.append(Change("prune", key, "was applied from out/ and is no longer in it"))
    changes.sort(key=lambda c: (_ACTIONS.index(c.action), c.key))
    releases = tuple(
        release_namespace_command(profile.name, reference)
        for profile in sorted(roster.profiles, key=lambda p: p.name)
        if (reference := interpretation.profiles[profile.name].owner_reference) is not None
    )
    return SwitchOver(tuple(changes), tuple(sorted(routine.items())), releases)


def _why_new(key: ResourceKey, objects: Mapping[ResourceKey, ClusterObject]) -> str:
    _group, kind, namespace, name = key
    if kind == "Namespace":
        return "not in the input (it was not listed, or the profile controller has not made it)"
    if kind == "AuthorizationPolicy":
        if ResourceKey(RBAC_GROUP, "RoleBinding", namespace, name) in objects:
            return "the RoleBinding of the same name had none"
        return "pairs with the RoleBinding of the same name, as the dashboard expects"
    return "new"


def provenance(
    interpretation: Interpretation, roster: Roster
) -> tuple[dict[ResourceKey, list[ClusterObject]], dict[ResourceKey, list[str]]]:
    """Map each compiled object to the objects it takes over from; say what each one granted."""
    replaced: dict[ResourceKey, list[ClusterObject]] = defaultdict(list)
    expressed: dict[ResourceKey, list[str]] = defaultdict(list)

    def take_over(key: ResourceKey, source: ClusterObject, meaning: str) -> None:
        if source.key != key:
            replaced[key].append(source)
        expressed[source.key].append(meaning)

    for user in roster.users:
        if user.cluster_role is None:
            continue
        name = names.cluster_role_binding_name(user.name, user.cluster_role)
        key = ResourceKey(RBAC_GROUP, "ClusterRoleBinding", "", name)
        for source in interpretation.users[user.email].cluster_sources:
            role = names.cluster_role(role_of(source))
            take_over(key, source, f"grants {role} cluster-wide to {user.email}")
    index = RosterIndex.build(roster)
    for profile in roster.profiles:
        draft = interpretation.profiles[profile.name]
        for grant in grants(profile, index):
            name = names.kfam_name(grant.user.email, grant.role)
            key = ResourceKey(RBAC_GROUP, "RoleBinding", profile.name, name)
            meaning = f"grants {grant.role} in {profile.name} to {grant.user.email}"
            for source in draft.contributors[grant.user.email].sources:
                take_over(key, source, meaning)
        if draft.limit_range_source is not None and draft.limit_range:
            key = ResourceKey("", "LimitRange", profile.name, LIMIT_RANGE_NAME)
            take_over(key, draft.limit_range_source, f"the LimitRange of {profile.name}")
    return replaced, expressed
