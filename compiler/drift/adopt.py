"""Adopt drift: edit the roster so it grants what the cluster grants and a roster can say.

Contributors added in the dashboard (or by kubectl) join their profile's `contributors`,
self-registered or hand-made Profiles become `profiles` (with the quota, limits, plugins
and namespace ownership the cluster shows, as `kfroster import` writes them), cluster-wide
Kubeflow roles become `clusterRole`, and new people become `users`. Nothing that left the
roster is adopted again. The roster is edited in place with ruamel.yaml's round trip:
every comment and the order of every untouched key stay, and each added line carries a
comment saying where it came from. The result is validated; what it refuses is dropped
and listed, like everything else no roster can hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Final

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from compiler import pipeline
from compiler.drift.compare import Compared
from compiler.drift.model import Entry
from compiler.drift.present import shown
from compiler.importer.interpret import Contribution, Interpretation, UserDraft, interpret
from compiler.importer.roster_text import build_roster
from compiler.model import names
from compiler.model.roles import stronger
from compiler.problems import CompilerError, Problem, format_text
from compiler.yamlio.round_trip import block, dump, flow_map, index_of, round_trip, values_of

_COMMENT_MARK: Final = "# adopted by kfroster drift:"
_MAX_ROUNDS: Final = 8  # each round drops at least one adoption the roster refuses


class AdoptFailed(CompilerError):
    """The adopted roster does not validate for a reason no adoption explains: a bug."""


@dataclass(frozen=True)
class Adopted:
    """The roster's new text, what was written into it and what was not."""

    text: str
    added: tuple[str, ...]  # one line per adoption written
    refused: tuple[str, ...]  # adoptable entries the roster refused, with the reason
    not_adoptable: tuple[str, ...]  # drift no roster can hold, with the reason
    reformatted: bool = False  # ruamel.yaml could not keep the untouched lines byte for byte


@dataclass
class _Plan:
    """The adoptions still wanted, by what they add; rounds of validation drop some."""

    profiles: dict[str, Entry] = field(default_factory=dict)  # name -> entry
    contributors: dict[tuple[str, str], tuple[str, Entry]] = field(default_factory=dict)
    cluster_roles: dict[str, tuple[str, Entry]] = field(default_factory=dict)  # email -> role
    refused: list[str] = field(default_factory=list)


def adopt(compared: Compared) -> Adopted:
    """Return the roster text with every adoptable entry of the report written in."""
    drift = compared.drift
    plan = _Plan()
    for entry in drift.entries:
        adoption = entry.adoption
        if adoption is None:
            continue
        if adoption.kind == "profile":
            plan.profiles[adoption.profile] = entry
        elif adoption.kind == "contributor":
            plan.contributors[(adoption.profile, adoption.email)] = (adoption.role, entry)
        else:
            plan.cluster_roles[adoption.email] = (adoption.role, entry)
    not_adoptable = tuple(
        f"{entry.subject}: {entry.not_adopted}"
        for entry in drift.entries
        if entry.kind in ("granted", "unmanaged") and entry.adoption is None
    )
    if not (plan.profiles or plan.contributors or plan.cluster_roles):
        return Adopted(compared.source.text, (), (), not_adoptable)
    interpretation = interpret(compared.objects)
    _drop_unreadable(plan, interpretation, {user.email for user in compared.roster.users})
    for _round in range(_MAX_ROUNDS):
        editor = _Editor(compared, interpretation)
        added = editor.write(plan)
        checked = pipeline.check_text(editor.text, compared.source.name)
        errors = [p for p in checked.problems if p.level == "error"]
        if not errors:
            return Adopted(
                editor.text, tuple(added), tuple(plan.refused), not_adoptable, editor.reformatted
            )
        _drop_refused(plan, editor, errors)
    raise AdoptFailed("the adopted roster still does not validate after dropping what it refused")


def _drop_unreadable(plan: _Plan, interpretation: Interpretation, known: set[str]) -> None:
    """Drop what import did not read from the dump: a Profile, a person it found no grant of."""
    why = "import read no grant of theirs from the dump (their namespace has no Profile in it)"
    for name, entry in list(plan.profiles.items()):
        if name not in interpretation.profiles:
            del plan.profiles[name]
            plan.refused.append(
                f"{entry.subject}: import could not read it (kfroster import on the dump says why)"
            )
    for key, (_role, entry) in list(plan.contributors.items()):
        if key[1] not in known and key[1] not in interpretation.users:
            del plan.contributors[key]
            plan.refused.append(f"{entry.subject}: {why}")
    for email, (_role, entry) in list(plan.cluster_roles.items()):
        if email not in known and email not in interpretation.users:
            del plan.cluster_roles[email]
            plan.refused.append(f"{entry.subject}: {why}")


def _drop_refused(plan: _Plan, editor: _Editor, errors: Sequence[Problem]) -> None:
    """Drop the adoptions whose roster nodes the errors point at; raise if none does."""
    dropped = False
    for problem in errors:
        reason = f"{problem.message} [{problem.rule}]"
        for path, what in editor.written.items():
            if problem.path[: len(path)] != path:
                continue
            dropped |= _drop(plan, what, reason)
    if not dropped:
        lines = "; ".join(format_text(problem) for problem in errors[:5])
        raise AdoptFailed(f"the adopted roster does not validate: {lines}")


def _drop(plan: _Plan, what: tuple[str, ...], reason: str) -> bool:
    kind, *rest = what
    if kind == "profile" and rest[0] in plan.profiles:
        entry = plan.profiles.pop(rest[0])
        plan.refused.append(f"{entry.subject}: the roster refuses it: {reason}")
        for key in [key for key in plan.contributors if key[0] == rest[0]]:
            del plan.contributors[key]
        return True
    if kind == "contributor" and (rest[0], rest[1]) in plan.contributors:
        _role, entry = plan.contributors.pop((rest[0], rest[1]))
        plan.refused.append(f"{entry.subject}: the roster refuses it: {reason}")
        return True
    if kind == "cluster-role" and rest[0] in plan.cluster_roles:
        _role, entry = plan.cluster_roles.pop(rest[0])
        plan.refused.append(f"{entry.subject}: the roster refuses it: {reason}")
        return True
    if kind == "user":
        email = rest[0]
        found = False
        for key in [key for key in plan.contributors if key[1] == email]:
            found |= _drop(plan, ("contributor", *key), reason)
        if email in plan.cluster_roles:
            found |= _drop(plan, ("cluster-role", email), reason)
        for name in [
            n for n, e in plan.profiles.items() if e.adoption and e.adoption.email == email
        ]:
            found |= _drop(plan, ("profile", name), reason)
        return found
    return False


class _Editor:
    """One edit of the roster text: the adoptions written into its round-trip document."""

    def __init__(self, compared: Compared, interpretation: Interpretation) -> None:
        self.source_text = compared.source.text
        self.roster = compared.roster
        self.interpretation = interpretation
        self.yaml, self.document, self.reformatted = round_trip(self.source_text)
        self.text = self.source_text
        self.written: dict[tuple[str | int, ...], tuple[str, ...]] = {}
        self.comments: set[str] = set()
        self.names = {user.email: user.name for user in self.roster.users}
        self.taken = {user.name for user in self.roster.users}

    def write(self, plan: _Plan) -> list[str]:
        added: list[str] = []
        for email, (role, entry) in sorted(plan.cluster_roles.items()):
            added.append(self.cluster_role(email, role, entry))
        for name, entry in sorted(plan.profiles.items()):
            added.append(self.profile(name, entry, plan))
        for (profile, email), (role, entry) in sorted(plan.contributors.items()):
            if profile not in plan.profiles:  # else written with its profile
                added.append(self.contributor(profile, email, role, entry))
        self.text = dump(self.yaml, self.document, self.source_text, self.comments)
        return added

    def comment(self, node: CommentedMap | CommentedSeq, key: object, text: str) -> None:
        """Add an end-of-line comment to a node's key or item, and remember its text."""
        self.comments.add(text)
        node.yaml_add_eol_comment(text, key)

    def user_name(self, email: str, entry: Entry) -> str:
        """Return the roster name of a person, adding them to `users` when new."""
        if email in self.names:
            return self.names[email]
        name, _ = names.unique_label(self.interpretation.users[email].name, self.taken)
        self.taken.add(name)
        self.names[email] = name
        users = self._section("users")
        item = flow_map({"name": name, "email": email}, like=users)
        users.append(item)
        index = len(users) - 1
        self.comment(users, index, _comment(entry))
        self.written[("users", index)] = ("user", email)
        return name

    def cluster_role(self, email: str, role: str, entry: Entry) -> str:
        users = self._section("users")
        if email in self.names:
            index = index_of(users, "email", email)
            assert index is not None  # self.names holds the roster's users
            users[index]["clusterRole"] = role
            self.written[("users", index)] = ("cluster-role", email)
            self.comment(users, index, _comment(entry))
        else:
            self.user_name(email, entry)
            users[-1]["clusterRole"] = role
            self.written[("users", len(users) - 1)] = ("cluster-role", email)
        return f"users: {email} gets clusterRole {role} ({_origin(entry)})"

    def contributor(self, profile: str, email: str, role: str, entry: Entry) -> str:
        profiles = self._section("profiles")
        index = index_of(profiles, "name", profile)
        assert index is not None  # judge adopts contributors of the roster's profiles only
        name = self.user_name(email, entry)
        mapping = profiles[index]
        if mapping.fa.flow_style():
            # A profile on one line grows a block, as import writes profiles: that line changes.
            mapping.fa.set_block_style()
        contributors = mapping.get("contributors")
        if contributors is None:
            contributors = CommentedSeq()
            mapping["contributors"] = contributors
        elif contributors.fa.flow_style():
            contributors.fa.set_block_style()  # one entry per line, each with its comment
        existing = (
            index_of(contributors, "user", name)
            if name in values_of(contributors, "user")
            else None
        )
        if existing is not None and stronger(role, str(contributors[existing]["role"])):
            contributors[existing]["role"] = role
            position = existing
        else:
            contributors.append(flow_map({"user": name, "role": role}, like=contributors))
            position = len(contributors) - 1
        self.comment(contributors, position, _comment(entry))
        self.written[("profiles", index, "contributors", position)] = (
            "contributor",
            profile,
            email,
        )
        return f"profiles: {profile} gains contributor {email} ({role}; {_origin(entry)})"

    def profile(self, name: str, entry: Entry, plan: _Plan) -> str:
        draft = self.interpretation.profiles[name]
        wanted = {
            email: Contribution("edit" if role == "edit" else "view", [])
            for (profile, email), (role, _entry) in plan.contributors.items()
            if profile == name
        }
        emails = [draft.owner, *sorted(wanted)]
        users = {email: UserDraft(email, name=self.user_name(email, entry)) for email in emails}
        only = replace(
            self.interpretation,
            users=users,
            profiles={name: replace(draft, contributors=wanted)},
        )
        data, comments = build_roster(only, with_defaults=False)
        profiles = self._section("profiles")
        item = block(data["profiles"][0])
        item.fa.set_block_style()  # a profile is always a block: it grows over time
        for path, note in comments.trailing.items():
            if path[:2] == ("profiles", 0) and len(path) == 3 and isinstance(path[2], str):
                self.comment(item, path[2], f"# {note}")
        self.comment(item, "name", _comment(entry))
        profiles.append(item)
        index = len(profiles) - 1
        self.written[("profiles", index)] = ("profile", name)
        for email in wanted:
            position = index_of(item["contributors"], "user", users[email].name)
            assert position is not None  # build_roster wrote every wanted contributor
            _role, source = plan.contributors[(name, email)]
            self.comment(item["contributors"], position, _comment(source))
            self.written[("profiles", index, "contributors", position)] = (
                "contributor",
                name,
                email,
            )
        return f"profiles: {name} owned by {draft.owner} ({_origin(entry)})"

    def _section(self, key: str) -> CommentedSeq:
        section: CommentedSeq | None = self.document.get(key)
        if section is None:
            section = CommentedSeq()
            self.document[key] = section
        return section


def _comment(entry: Entry) -> str:
    """Say where an adopted line came from; dump text shown on one line, never as YAML."""
    located = f" at {entry.objects[0].where()}" if entry.objects else ""
    objects = ", ".join(f"{o.key.kind} {o.key.name}" for o in entry.objects[:2])
    more = f" and {len(entry.objects) - 2} more" if len(entry.objects) > 2 else ""
    return f"{_COMMENT_MARK} {_origin(entry)}, {shown(objects + more)}{shown(located)}"


def _origin(entry: Entry) -> str:
    return {
        "dashboard": "made in the dashboard",
        "registration": "self-registered",
        "kubectl": "made with kubectl",
        "kfroster": "left by an earlier out/",
        None: "found in the cluster",
    }[entry.made_by]
