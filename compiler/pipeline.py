"""The compiler's stages, end to end: load → validate → render → emit."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from compiler import emit, parse, policy, schema, source
from compiler.models import Roster
from compiler.problems import Problem, RosterInvalid, has_errors, promote_warnings
from compiler.render import render_all


@dataclass(frozen=True)
class Checked:
    """What every check found in a roster, and the roster when it has no errors."""

    roster: Roster | None
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class Validated:
    """A roster without errors, and the warnings it raised."""

    roster: Roster
    warnings: tuple[Problem, ...]


@dataclass(frozen=True)
class Compiled:
    """The text of every file of out/, and the warnings the roster raised."""

    files: dict[str, str]
    warnings: tuple[Problem, ...]


def check(path: Path, name: str | None = None, *, strict: bool = False) -> Checked:
    """Load and check a roster file; return all its problems (YAML, schema, model, policy)."""
    try:
        loaded = source.load(path, name)
    except RosterInvalid as err:
        return Checked(None, tuple(err.problems))
    return check_source(loaded, strict=strict)


def check_text(text: str | bytes, name: str, *, strict: bool = False) -> Checked:
    """Check roster text that is not a file of its own (a git revision, a test)."""
    try:
        loaded = source.loads(text, name)
    except RosterInvalid as err:
        return Checked(None, tuple(err.problems))
    return check_source(loaded, strict=strict)


def check_source(loaded: source.Source, *, strict: bool = False) -> Checked:
    """Run schema, model and policy checks on a loaded roster."""
    problems = schema.check(loaded)
    parsed = parse.parse(loaded, problems)
    problems = [*problems, *parsed.problems, *policy.check(parsed, loaded)]
    if strict:
        problems = promote_warnings(problems)
    roster = None if has_errors(problems) else parsed.roster
    return Checked(roster, tuple(sorted(problems)))


def validate(path: Path, name: str | None = None, *, strict: bool = False) -> Validated:
    """Check a roster; raise RosterInvalid when it has errors."""
    checked = check(path, name, strict=strict)
    if checked.roster is None:
        raise RosterInvalid(checked.problems)
    return Validated(checked.roster, checked.problems)


def compile_roster(path: Path, name: str | None = None, *, strict: bool = False) -> Compiled:
    """Validate a roster and render the text of every output file."""
    valid = validate(path, name, strict=strict)
    files = {
        relative: emit.dumps_file(manifests, path.name)
        for relative, manifests in render_all(valid.roster).items()
    }
    return Compiled(files, valid.warnings)
