"""Import a running cluster: read what kubectl prints, write the roster that grants the same access.

The data flows one way:

  read.read_objects        kubectl output (a List, documents, files) → located ClusterObjects
                           (read_cluster: every input, as `drift` reads them too;
                           read_json / read_yaml.read_list read a plain JSON / YAML List
                           faster, the same)
  interpret.interpret      objects → users, profiles and settings, plus findings: every grant
                           the roster cannot express, located at its object
  text.build_roster        the most common quota and LimitRange as defaults; sorted data
  text.dumps_roster        that data as a commented users.yaml
  switch.switch_over       the roster compiled again, compared with the objects it replaces
  into.merge_cluster       with --into: that roster written into an existing roster as one
                           more cluster (import_into)

`import_cluster` runs them and validates the roster it writes (dropping, and reporting,
the records the roster cannot hold); reading files (`read_inputs`) stays at the edge, and
the command writes the result with output.files.write_atomically.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

from compiler import pipeline
from compiler.importer import read_json, read_yaml
from compiler.importer.interpret import (
    REPORT_RULES,
    Interpretation,
    ProfileDraft,
    UserDraft,
    interpret,
)
from compiler.importer.into import Merged, MergedInvalid, MergeRefused, check_names, merge_cluster
from compiler.importer.read import (
    INPUT_RULES,
    ClusterInputInvalid,
    ClusterObject,
    read_inputs,
    read_objects,
)
from compiler.importer.roster_text import Comments, build_roster, dumps_roster
from compiler.importer.switch import SwitchOver, provenance, switch_over
from compiler.model.keys import ResourceKey
from compiler.model.roster import Roster
from compiler.problems import CompilerError, Problem, RosterInvalid
from compiler.roster import source as roster_source

__all__ = [
    "INPUT_RULES",
    "REPORT_RULES",
    "ClusterInputInvalid",
    "ClusterObject",
    "Comments",
    "ImportFailed",
    "Imported",
    "MergeRefused",
    "Merged",
    "MergedInvalid",
    "dumps_roster",
    "import_cluster",
    "import_into",
    "read_cluster",
    "read_inputs",
    "read_objects",
]

_MAX_ROUNDS: Final = 8  # records dropped by validation; each round drops at least one


class ImportFailed(CompilerError):
    """The imported roster does not validate: a bug, reported with the problems found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__(
            "the imported roster does not validate: "
            + "; ".join(f"{p.message} [{p.rule}]" for p in self.problems[:5])
        )


@dataclass(frozen=True)
class Imported:
    """The roster text, what it could not express, and what the switch-over does."""

    text: str
    roster: Roster
    findings: tuple[Problem, ...]
    warnings: tuple[Problem, ...]  # what `kfroster validate` says about the roster
    switch: SwitchOver
    left_alone: Mapping[str, tuple[str, ...]]
    read: Mapping[str, int]  # kind -> objects read
    partly_expressed: frozenset[ResourceKey]  # objects that also grant what was not imported
    derived: Mapping[str, str]  # user name made from the email -> that email, by name


@pipeline.cycle_collection_paused()  # reading a large cluster builds millions of objects
def import_cluster(inputs: Sequence[tuple[str, bytes | str]], output_name: str) -> Imported:
    """Read kubectl output, interpret it, write the roster, validate it, plan the switch-over.

    Raises ClusterInputInvalid when the input cannot be read, ImportFailed (a bug) when
    the roster written does not validate.
    """
    interpretation = interpret(read_cluster(inputs))
    findings = list(interpretation.findings)
    interpretation = _drop_invalid(interpretation, output_name, findings)
    data, comments = build_roster(interpretation)
    text = dumps_roster(data, comments)
    checked = pipeline.check_text(text, output_name)
    if checked.roster is None:
        raise ImportFailed(checked.problems)
    replaced, expressed = provenance(interpretation, checked.roster)
    return Imported(
        text=text,
        roster=checked.roster,
        findings=tuple(sorted(findings)),
        warnings=checked.problems,
        switch=switch_over(checked.roster, interpretation, replaced, expressed),
        left_alone=interpretation.left_alone,
        read=dict(sorted(Counter(o.kind for o in interpretation.objects.values()).items())),
        partly_expressed=interpretation.partly_expressed,
        derived=_derived(interpretation, checked.roster),
    )


def import_into(
    inputs: Sequence[tuple[str, bytes | str]],
    roster_path: Path,
    cluster: str,
    existing: str | None,
) -> tuple[Imported, Merged]:
    """Import a cluster as one more cluster of the roster at roster_path (see into.py).

    Raises RosterInvalid for a roster with errors, MergeRefused for cluster names that do
    not fit it (before the dump is read), ClusterInputInvalid for input that is not
    kubectl output, MergedInvalid when the merged roster does not validate.
    """
    loaded = roster_source.load(roster_path, str(roster_path))
    checked = pipeline.check_source(loaded)
    if checked.roster is None:
        raise RosterInvalid(checked.problems)
    check_names(checked.roster, cluster, existing)
    imported = import_cluster(inputs, str(roster_path))
    return imported, merge_cluster(loaded, checked.roster, imported.roster, cluster, existing)


def _derived(interpretation: Interpretation, roster: Roster) -> dict[str, str]:
    """Return the user names made from emails that the roster keeps, by name."""
    kept = {user.name for user in roster.users}
    found = (u for u in interpretation.users.values() if u.derived and u.name in kept)
    return dict(sorted((user.name, user.email) for user in found))


def read_cluster(
    inputs: Sequence[tuple[str, bytes | str]], *, unchecked: bool = False
) -> list[ClusterObject]:
    """Read the objects of every input (what kubectl printed), in order.

    Raises ClusterInputInvalid with the problems of every input that cannot be read,
    and when the inputs hold no object at all. Unchecked, a JSON List is read without
    looking for what only the checked read refuses (read_json.read_list): the caller
    trusts the objects only once read_json.same_unchecked() says so of every input.
    """
    objects: list[ClusterObject] = []
    problems: list[Problem] = []
    for name, content in inputs:
        fast = read_json.read_list(content, name, unchecked=unchecked)
        if fast is None:
            fast = read_yaml.read_list(content, name)
        if fast is not None:
            objects.extend(fast)
            continue
        try:
            objects.extend(read_objects(content, name))
        except ClusterInputInvalid as err:
            problems.extend(err.problems)
    if not objects and not problems and inputs:
        message = "no Kubernetes objects in the input; is it what kubectl printed?"
        problems.append(Problem(inputs[0][0], 1, 1, "import-not-an-object", message))
    if problems:
        raise ClusterInputInvalid(problems)
    return objects


def _drop_invalid(
    interpretation: Interpretation, output_name: str, findings: list[Problem]
) -> Interpretation:
    """Drop the profiles and users the roster cannot hold, reporting each; keep the rest."""
    users = dict(interpretation.users)
    profiles = dict(interpretation.profiles)
    settings = dict(interpretation.settings)
    for _round in range(_MAX_ROUNDS):
        current = replace(interpretation, users=users, profiles=profiles, settings=settings)
        data, _comments = build_roster(current, with_defaults=False)
        checked = pipeline.check_text(dumps_roster(data, Comments({}, {})), output_name)
        errors = [p for p in checked.problems if p.level == "error"]
        if not errors:
            return current
        user_list = data.get("users", [])
        profile_list = data.get("profiles", [])
        by_name = {u.name: u for u in users.values()}
        unplaced = []
        for problem in errors:
            section, index = (*problem.path, None, None)[:2]
            reason = f"{problem.message} [{problem.rule}]"
            if section == "profiles" and isinstance(index, int):
                draft = profiles.pop(profile_list[index]["name"], None)
                if draft is not None:
                    findings.append(
                        draft.source.finding(
                            "profile-not-imported",
                            f"the roster cannot hold it ({reason}); it stays as it is, unmanaged",
                        )
                    )
            elif section == "users" and isinstance(index, int):
                user = by_name.get(user_list[index]["name"])
                if user is not None and users.pop(user.email, None) is not None:
                    _drop_user(user, profiles, reason, findings)
            elif section == "settings" and len(problem.path) >= 2:
                key = str(problem.path[1])
                settings.pop(key, None)
                message = f"settings.{key} cannot be written ({reason}); the default is used"
                source = interpretation.settings_sources.get(key)
                findings.append(
                    source.finding("setting-not-imported", message)
                    if source is not None
                    else Problem(output_name, 1, 1, "setting-not-imported", message, "warning")
                )
            else:
                unplaced.append(problem)
        if unplaced:
            raise ImportFailed(unplaced)
    raise ImportFailed(errors)


def _drop_user(
    user: UserDraft, profiles: dict[str, ProfileDraft], reason: str, findings: list[Problem]
) -> None:
    for source in user.cluster_sources:
        findings.append(source.finding("subject-not-imported", f"{user.email}: {reason}"))
    for name, profile in sorted(profiles.items()):
        if profile.owner == user.email:
            del profiles[name]
            findings.append(
                profile.source.finding(
                    "profile-not-imported", f"its owner {user.email} cannot be a user ({reason})"
                )
            )
            continue
        contribution = profile.contributors.pop(user.email, None)
        if contribution is not None:
            findings.append(
                contribution.sources[0].finding(
                    "subject-not-imported", f"{user.email} cannot be a user ({reason})"
                )
            )
