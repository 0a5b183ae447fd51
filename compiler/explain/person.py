"""Explain someone from roster files: the working tree's roster and, with a base, git's.

The wiring `kfroster explain` calls: load and validate the roster (RosterInvalid with
every problem), read the base revision's roster when asked (what the cluster was applied
from), then explain (access.py, pure).
"""

from __future__ import annotations

from pathlib import Path

from compiler import pipeline
from compiler.explain.access import Explanation, UnknownPerson, explain
from compiler.problems import CompilerError
from compiler.review import gitrev


def explain_person(roster: Path, who: str, base: str | None = None) -> Explanation:
    """Explain what WHO can do under the roster file; with a git revision, what leaves since."""
    valid = pipeline.validate(roster, str(roster))
    before = None
    if base is not None:
        at_base = pipeline.check_text(gitrev.read_at(roster, base), f"{roster}@{base}")
        if at_base.roster is None:
            raise CompilerError(f"{roster}@{base} is invalid; run kfroster diff --base {base}")
        before = at_base.roster
    try:
        return explain(valid.roster, who, before)
    except UnknownPerson as err:
        raise UnknownPerson(err.who, err.suggestions, roster=str(roster)) from None
