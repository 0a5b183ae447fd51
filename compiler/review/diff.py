"""Make the plan of a roster change: compile both sides with the current code, compare, judge.

Both sides go through the same validation and renderers, so the plan shows what the
roster change does, never what a change of kfroster would. A side that fails validation
yields a plan that says so, with that side's problems, and no changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from compiler import pipeline
from compiler.model.keys import Manifest, ResourceKey, key_of
from compiler.model.names import applier_name
from compiler.model.roster import Group, Profile, Roster, User
from compiler.model.units import UNIT_PREFIX
from compiler.pipeline import Checked
from compiler.problems import CompilerError
from compiler.render import render_all, render_objects
from compiler.review import clusters, gitrev
from compiler.review.compare import (
    Comparison,
    View,
    compare,
    group_facts,
    profile_facts,
    user_facts,
)
from compiler.review.engine import engine_change
from compiler.review.history import NO_HISTORY, RosterHistory, past_profiles
from compiler.review.locate import locate_risks
from compiler.review.plan.model import (
    Move,
    ObjectChange,
    Plan,
    Risk,
    Status,
    SubjectChange,
    SubjectType,
)
from compiler.review.risks import assess, judge, rarest_first, signatures

# The problems source.load reports for a file it cannot or will not open: usage errors,
# not a roster's.
_UNREADABLE = frozenset({"file-unreadable", "file-symlink"})


class UnreadableRoster(CompilerError):
    """A roster file that cannot be read at all (missing, a directory, no permission)."""


@dataclass(frozen=True)
class Side:
    """One checked side of a diff: its display name and everything validation found."""

    name: str
    checked: Checked


def _checked(name: str, checked: Checked) -> Side:
    for problem in checked.problems:
        if problem.rule in _UNREADABLE:
            raise UnreadableRoster(f"{problem.file}: {problem.message}")
    return Side(name, checked)


def load_file(path: Path, name: str | None = None) -> Side:
    """Check the roster file at path; raise UnreadableRoster if it cannot be read at all."""
    shown = str(path) if name is None else name
    return _checked(shown, pipeline.check(path, shown))


def load_text(content: str | bytes, name: str) -> Side:
    """Check roster text that is not a file of its own (a git revision)."""
    return _checked(name, pipeline.check_text(content, name))


Objects = dict[ResourceKey, Manifest]


def _frame(roster: Roster) -> Roster:
    """The roster without its records: settings, policy, defaults, version."""
    return roster.model_copy(update={"users": (), "groups": (), "profiles": ()})


_Record = TypeVar("_Record", User, Group, Profile)


def _by_name(records: Iterable[_Record]) -> dict[str, _Record]:
    found: dict[str, _Record] = {}
    for record in records:
        found.setdefault(record.name, record)
    return found


def _differing(old: Mapping[str, object], new: Mapping[str, object]) -> set[str]:
    return {name for name in old.keys() | new.keys() if old.get(name) != new.get(name)}


def _dirty_profiles(base: Roster, head: Roster) -> set[str]:
    """Name the profiles whose rendered objects may differ: their record or a record they read.

    A profile's objects come from its own record, its owner's user record, and the
    users and groups (with their members) it names as contributors.
    """
    old_groups, new_groups = _by_name(base.groups), _by_name(head.groups)
    users = _differing(_by_name(base.users), _by_name(head.users))
    groups = _differing(old_groups, new_groups)
    old_profiles, new_profiles = _by_name(base.profiles), _by_name(head.profiles)
    dirty = _differing(old_profiles, new_profiles)
    for profiles, group_index in ((old_profiles, old_groups), (new_profiles, new_groups)):
        dirty.update(
            name
            for name, profile in profiles.items()
            if name not in dirty and _reads(profile, users, groups, group_index)
        )
    return dirty


def _reads(
    profile: Profile, users: set[str], groups: set[str], group_index: Mapping[str, Group]
) -> bool:
    """Tell whether a profile reads one of the changed users or groups."""
    if profile.owner in users:
        return True
    for contributor in profile.contributors:
        if contributor.user is not None and contributor.user in users:
            return True
        if contributor.group is not None:
            group = group_index.get(contributor.group)
            if contributor.group in groups or (group and not users.isdisjoint(group.members)):
                return True
    return False


def render_pair(base: Roster, head: Roster) -> tuple[Objects, Objects]:
    """Render both rosters, leaving out profiles whose objects cannot differ.

    When settings, policy or defaults differ every profile may change, so both are
    rendered whole; otherwise only the profiles that read a changed record are, and the
    objects left out are equal on both sides. ClusterRoleBindings are always rendered.
    """
    if _frame(base) != _frame(head):
        return render_objects(base), render_objects(head)
    dirty = _dirty_profiles(base, head)

    def partial(roster: Roster) -> Objects:
        kept = tuple(profile for profile in roster.profiles if profile.name in dirty)
        return render_objects(roster.model_copy(update={"profiles": kept}))

    return partial(base), partial(head)


@pipeline.cycle_collection_paused()
def make_plan(base: Side, head: Side, history: RosterHistory = NO_HISTORY) -> Plan:
    """Compare two checked sides and judge the change; report invalid sides instead.

    `history` says which profiles the head adds were in the roster before.
    """
    invalid = tuple(side.name for side in (base, head) if side.checked.roster is None)
    if invalid:
        problems = [
            p for side in (base, head) if side.name in invalid for p in side.checked.problems
        ]
        return Plan(base.name, head.name, problems=tuple(problems), invalid=invalid)
    old, new = base.checked.roster, head.checked.roster
    assert old is not None and new is not None
    if old.clusters or new.clusters:
        return _cluster_plan(base, head, old, new, history)
    old_objects, new_objects = render_pair(old, new)
    comparison = compare(View(old, old_objects), View(new, new_objects))
    return Plan(
        base.name,
        head.name,
        changes=subjects(comparison),
        objects=comparison.objects,
        risks=locate_risks(
            assess(comparison, history), (base.name, base.checked), (head.name, head.checked)
        ),
        problems=head.checked.problems,
    )


def _cluster_plan(base: Side, head: Side, old: Roster, new: Roster, history: RosterHistory) -> Plan:
    """Plan a change where either side names clusters: each cluster compared on its own."""
    pairs = clusters.pairs(old, new)
    risks: list[tuple[str, list[Risk]]] = []
    changes: list[tuple[str, tuple[SubjectChange, ...]]] = []
    objects: list[tuple[str, tuple[ObjectChange, ...]]] = []
    people: list[tuple[str, dict[str, object]]] = []
    old_names, new_names = {p.name for p in old.profiles}, {p.name for p in new.profiles}
    for pair in pairs:
        old_objects, new_objects = render_pair(pair.base, pair.head)
        old_here = old_names - {p.name for p in pair.base.profiles}
        new_here = new_names - {p.name for p in pair.head.profiles}
        comparison = compare(
            View(pair.base, old_objects, frozenset(old_here) if old.clusters else frozenset()),
            View(pair.head, new_objects, frozenset(new_here) if new.clusters else frozenset()),
        )
        risks.append((pair.name, judge(comparison, history)))
        changes.append((pair.name, subjects(comparison)))
        objects.append((pair.name, comparison.objects))
        people.append((pair.name, signatures(comparison)))
    merged = clusters.merge_risks(risks, [pair.name for pair in pairs])
    layout = clusters.layout_change(old, new)
    merged += clusters.layout_risks(old, new)
    ordered = rarest_first(clusters.combined_signatures(people), merged)
    return Plan(
        base.name,
        head.name,
        changes=clusters.merge_subjects(changes, old, new, layout),
        objects=clusters.merge_objects(objects),
        risks=locate_risks(
            sorted(ordered, key=Risk.sort_key), (base.name, base.checked), (head.name, head.checked)
        ),
        problems=head.checked.problems,
        clusters=tuple(pair.name for pair in pairs),
        moves=_moves(old, new, pairs) if bool(old.clusters) != bool(new.clusters) else (),
    )


def _unit_of(path: str) -> str:
    """Return the apply unit directory a path of one tree is in; "" for out/ itself."""
    first = path.split("/", 1)[0]
    return first if first.startswith(UNIT_PREFIX) else ""


def _moves(old: Roster, new: Roster, pairs: list[clusters.Pair]) -> tuple[Move, ...]:
    """Count, per cluster, the objects that stay the same but move to another directory.

    Only when a roster gains or drops clusters: out/ becomes out/<cluster>/, or back.
    """
    found: list[Move] = []
    for pair in pairs:
        before = _placed(pair.base)
        after = _placed(pair.head)
        counts: dict[tuple[str, str], int] = {}
        for key, (directory, manifest) in after.items():
            was = before.get(key)
            if was is not None and was[1] == manifest:
                counts[(was[0], directory)] = counts.get((was[0], directory), 0) + 1
        gaining = not old.clusters
        for (old_unit, new_unit), number in sorted(counts.items()):
            old_dir = old_unit if gaining else "/".join(p for p in (pair.name, old_unit) if p)
            new_dir = "/".join(p for p in (pair.name, new_unit) if p) if gaining else new_unit
            found.append(
                Move(
                    pair.name,
                    old_dir,
                    new_dir,
                    number,
                    _applier(old, old_unit, "" if gaining else pair.name),
                    _applier(new, new_unit, pair.name if gaining else ""),
                )
            )
    return tuple(found)


def _placed(roster: Roster) -> dict[ResourceKey, tuple[str, Manifest]]:
    """Index a one-cluster roster's objects with the apply unit directory they are in."""
    return {
        key_of(manifest): (_unit_of(path), manifest)
        for path, manifests in render_all(roster).items()
        for manifest in manifests
    }


def _applier(roster: Roster, unit: str, cluster: str) -> str:
    """Name the Kustomization or Application that applies a unit; "" without settings.deploy."""
    deploy = roster.settings.deploy
    if deploy is None:
        return ""
    if deploy.engine == "flux":
        where = f"{deploy.directory}/{cluster}/" if cluster else f"{deploy.directory}/"
        return f"Kustomization {applier_name(deploy.name, unit)} in {where}"
    return f"Application {applier_name(deploy.name, unit, cluster)}"


def _status(old: object, new: object) -> Status:
    if old is None:
        return "added"
    return "removed" if new is None else "changed"


def subjects(comparison: Comparison) -> tuple[SubjectChange, ...]:
    """Group the comparison by subject: roster sections, users, groups, profiles, others."""
    owned: dict[tuple[SubjectType, str], list[ObjectChange]] = {}
    for change in comparison.objects:
        owned.setdefault(comparison.owners[change.key], []).append(change)
    found = [
        SubjectChange(section, section, "changed", facts, ())
        for section, facts in comparison.sections.items()
    ]
    for name, user in comparison.users.items():
        facts = user_facts(user, comparison.head)
        objects = tuple(owned.pop(("user", name), ()))
        if facts or objects:
            found.append(SubjectChange("user", name, _status(user.old, user.new), facts, objects))
    for name, (old, new) in comparison.groups.items():
        facts = group_facts(old, new)
        if facts or old is None or new is None:  # members reordered: nothing changes
            found.append(SubjectChange("group", name, _status(old, new), facts, ()))
    for name, profile in comparison.profiles.items():
        facts = profile_facts(profile, comparison.base, comparison.head)
        objects = tuple(owned.pop(("profile", name), ()))
        if facts or objects:
            status = _status(profile.old, profile.new)
            found.append(SubjectChange("profile", name, status, facts, objects))
    for (subject_type, name), objects_left in owned.items():
        found.append(
            SubjectChange(subject_type, name, _object_status(objects_left), (), tuple(objects_left))
        )
    return tuple(sorted(found, key=SubjectChange.sort_key))


def _object_status(objects: Iterable[ObjectChange]) -> Status:
    actions = {change.action for change in objects}
    if actions == {"add"}:
        return "added"
    return "removed" if actions == {"delete"} else "changed"


def plan_against(
    roster: Path, ref: str, out: Path | None = None, deploy: Path | None = None
) -> Plan:
    """Plan the change from `roster` at git revision `ref` to the working-tree `roster`.

    The plan also compares what the engine applies now, `out` and `deploy` (next to the
    roster unless given) as committed at `ref`, with this compile of the base roster.
    """
    base = load_text(gitrev.read_at(roster, ref), f"{roster}@{ref}")
    head = load_file(roster)
    plan = make_plan(base, head, past_profiles(roster, ref, added_profiles(base, head)))
    if base.checked.roster is None or not plan.valid:
        return plan
    found = engine_change(
        base.checked.roster,
        roster.name,
        ref,
        out if out is not None else roster.parent / "out",
        deploy if deploy is not None else roster.parent / "deploy",
    )
    risks = tuple(sorted((*plan.risks, *found.risks), key=Risk.sort_key))
    return replace(plan, engine=found.objects, risks=risks, notes=found.notes)


def added_profiles(base: Side, head: Side) -> set[str]:
    """Name the profiles the head adds; none when a side is invalid."""
    old, new = base.checked.roster, head.checked.roster
    if old is None or new is None:
        return set()
    return {p.name for p in new.profiles} - {p.name for p in old.profiles}


def plan_between(old: Path, new: Path) -> Plan:
    """Plan the change from roster file `old` to roster file `new`."""
    return make_plan(load_file(old), load_file(new))
