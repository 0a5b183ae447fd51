"""Import a running cluster: read what kubectl prints, write the roster that grants the same access.

The data flows one way:

  read.read_objects        kubectl output (a List, documents, files) → located ClusterObjects
                           (read_cluster: every input, as `drift` reads them too;
                           read_json.read_list reads a plain JSON List faster, the same)
  interpret.interpret      objects → users, profiles and settings, plus findings: every grant
                           the roster cannot express, located at its object
  text.build_roster        the most common quota and LimitRange as defaults; sorted data
  text.dumps_roster        that data as a commented users.yaml
  switch.switch_over       the roster compiled again, compared with the objects it replaces

`import_cluster` runs them and validates the roster it writes (dropping, and reporting,
the records the roster cannot hold); reading files and writing the result stay at the
edges (`read_inputs`, `write_roster`).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Final

from compiler import pipeline
from compiler.importer.interpret import (
    REPORT_RULES,
    Interpretation,
    ProfileDraft,
    UserDraft,
    interpret,
)
from compiler.importer.read import (
    INPUT_RULES,
    ClusterInputInvalid,
    ClusterObject,
    read_inputs,
    read_objects,
)
from compiler.importer.read_json import read_list
from compiler.importer.roster_text import Comments, build_roster, dumps_roster, plural
from compiler.importer.switch import Change, SwitchOver, compiled_manifests, provenance, switch_over
from compiler.model.keys import ResourceKey
from compiler.model.roster import Roster
from compiler.problems import CompilerError, Problem, format_text

__all__ = [
    "INPUT_RULES",
    "REPORT_RULES",
    "ClusterInputInvalid",
    "ClusterObject",
    "Comments",
    "ImportFailed",
    "Imported",
    "compiled_manifests",
    "dumps_roster",
    "format_report",
    "import_cluster",
    "read_cluster",
    "read_inputs",
    "read_objects",
    "report_json",
    "write_roster",
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
    )


def read_cluster(inputs: Sequence[tuple[str, bytes | str]]) -> list[ClusterObject]:
    """Read the objects of every input (what kubectl printed), in order.

    Raises ClusterInputInvalid with the problems of every input that cannot be read,
    and when the inputs hold no object at all.
    """
    objects: list[ClusterObject] = []
    problems: list[Problem] = []
    for name, content in inputs:
        fast = read_list(content, name)
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


def format_report(imported: Imported, inputs: Sequence[str], output: str) -> list[str]:
    """Return the report's lines: what was read, findings, what was left alone, the switch-over."""
    total = sum(imported.read.values())
    kinds = ", ".join(f"{count} {kind}" for kind, count in imported.read.items())
    lines = [f"read {plural(total, 'object')} from {', '.join(inputs)}: {kinds or 'none'}"]
    lines.extend(format_text(p) for p in imported.findings)
    for category, items in imported.left_alone.items():
        lines.append(f"left alone: {len(items)} {category}")
    roster = imported.roster
    contributors = sum(len(p.contributors) for p in roster.profiles)
    lines.append(
        f"wrote {output}: {plural(len(roster.users), 'user')}, "
        f"{plural(len(roster.profiles), 'profile')}, {plural(contributors, 'contributor')}; "
        f"{plural(len(imported.findings), 'finding')} above"
    )
    lines.extend(format_text(p) for p in imported.warnings)
    switch = imported.switch
    lines.append("")
    lines.append(f"Switch-over: what applying `kfroster compile {output}` changes in the cluster")
    for change in switch.changes:
        lines.append(f"  {change.action:<6}  {change.key.describe()}: {change.detail}")
    for what, count in switch.routine:
        lines.append(f"  {plural(count, 'existing object')} {what}")
    lines.append(
        f"Plan: {switch.count('create')} to create, {switch.count('change')} to change, "
        f"{switch.count('keep')} to delete by hand, {switch.count('prune')} pruned."
    )
    commands = _delete_commands(switch.changes, imported.partly_expressed)
    if commands:
        lines.append("Once out/ is applied, delete what it replaced:")
        lines.extend(f"  {command}" for command in commands)
    if switch.releases:
        lines.append(
            "Namespaces their Profile owns go with it: the roster keeps those Profiles "
            "(namespaceOwnedByProfile). To let removing a profile revoke its owner's access "
            "and keep the data, remove the ownerReference, then drop namespaceOwnedByProfile:"
        )
        lines.extend(f"  {command}" for command in switch.releases)
    return lines


def _delete_commands(
    changes: Iterable[Change], partly_expressed: frozenset[ResourceKey]
) -> list[str]:
    """Return the kubectl commands that remove the objects the roster replaced."""
    doomed: dict[tuple[str, str], list[str]] = defaultdict(list)
    for change in changes:
        if change.action == "keep" and change.key not in partly_expressed:
            doomed[(change.key.kind.lower(), change.key.namespace)].append(change.key.name)
    return [
        f"kubectl delete {kind}{f' -n {namespace}' if namespace else ''} {' '.join(sorted(found))}"
        for (kind, namespace), found in sorted(doomed.items())
    ]


def report_json(imported: Imported) -> str:
    """Return the whole report as JSON, for bots and for keeping next to the roster."""
    document = {
        "read": dict(imported.read),
        "findings": [_problem_dict(p) for p in imported.findings],
        "validation": [_problem_dict(p) for p in imported.warnings],
        "leftAlone": {k: list(v) for k, v in imported.left_alone.items()},
        "switchOver": {
            "changes": [
                {
                    "action": c.action,
                    "group": c.key[0],
                    "kind": c.key[1],
                    "namespace": c.key[2],
                    "name": c.key[3],
                    "detail": c.detail,
                }
                for c in imported.switch.changes
            ],
            "routine": dict(imported.switch.routine),
            "releases": list(imported.switch.releases),
        },
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _problem_dict(problem: Problem) -> dict[str, Any]:
    found = asdict(problem)
    del found["path"]
    return found


def write_roster(path: Path, text: str, *, force: bool) -> None:
    """Write users.yaml; without force, never replace a file (even one made meanwhile)."""
    data = text.encode("utf-8")
    if not force:
        with path.open("xb") as file:
            file.write(data)
        return
    partial = path.with_name(f".{path.name}.kfroster-import")
    partial.write_bytes(data)
    partial.replace(path)
