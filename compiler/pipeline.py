"""The compiler's stages, end to end: load → validate → render → emit."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from compiler.model.clusters import Split
from compiler.model.keys import Manifest
from compiler.model.roster import Roster
from compiler.problems import (
    CompilerError,
    Problem,
    RosterInvalid,
    did_you_mean,
    has_errors,
    promote_warnings,
)
from compiler.render import render_tree
from compiler.roster import model_check, rules, source


@dataclass(frozen=True)
class Checked:
    """What every check found in a roster, and the roster when it has no errors.

    `source` is the loaded text, to locate what later stages find (the plan's risks);
    None when the text could not be loaded at all.
    """

    roster: Roster | None
    problems: tuple[Problem, ...]
    source: source.Source | None = None


@dataclass(frozen=True)
class Validated:
    """A roster without errors, and the warnings it raised."""

    roster: Roster
    warnings: tuple[Problem, ...]


@dataclass(frozen=True)
class DeployFiles:
    """The manifests that point Flux or Argo CD at out/ (settings.deploy), and where they go."""

    directory: Path  # settings.deploy.directory, under the roster's directory
    files: dict[str, str]
    # Where out/ must be inside the Git repository the engine reads (settings.deploy.path);
    # None when the engine reads an artifact (a Flux OCIRepository or Bucket) instead.
    repository_path: str | None


@dataclass(frozen=True)
class Compiled:
    """The text of every file of out/ (and of deploy/), and the warnings the roster raised."""

    files: dict[str, str]
    warnings: tuple[Problem, ...]
    deploy: DeployFiles | None = None


# Objects a paused stage leaves alive above which they are frozen rather than walked again.
_FREEZE_ABOVE: Final = 1_000_000


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Pause Python's cycle collector while a stage runs; reference counting still frees.

    Loading, checking and rendering (and reading a cluster for `kfroster import`) build
    hundreds of thousands of long-lived objects, hardly any in a cycle, and each full
    collection walks all of them again: with the collector on, these stages take up to
    twice as long at 10,000 users. What cycles there are (jsonschema's errors) are
    collected once the collector is back on.

    A stage that leaves millions of objects alive (a cluster of 100,000 objects read for
    `drift`) has them frozen when the collector resumes: otherwise its first collection
    walks every one of them (all still in the youngest generation), 1.6 s at 10,000 users.
    Frozen objects are still freed by reference counting; a smaller stage leaves its
    objects, and any cycles among them, to the collector as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if gc.get_count()[0] > _FREEZE_ABOVE:
                gc.freeze()
            gc.enable()


@cycle_collection_paused()
def check(path: Path, name: str | None = None, *, strict: bool = False) -> Checked:
    """Load and check a roster file; return all its problems (YAML, schema, model, policy)."""
    try:
        loaded = source.load(path, name)
    except RosterInvalid as err:
        return Checked(None, tuple(err.problems))
    return check_source(loaded, strict=strict)


@cycle_collection_paused()
def check_text(text: str | bytes, name: str, *, strict: bool = False) -> Checked:
    """Check roster text that is not a file of its own (a git revision, a test)."""
    try:
        loaded = source.loads(text, name)
    except RosterInvalid as err:
        return Checked(None, tuple(err.problems))
    return check_source(loaded, strict=strict)


@cycle_collection_paused()
def check_source(loaded: source.Source, *, strict: bool = False) -> Checked:
    """Run schema, model and policy checks on a loaded roster."""
    problems: list[Problem] = []
    # One Pydantic pass settles a valid roster; only a roster with problems pays for
    # jsonschema (ten times slower), whose errors word them.
    parsed = model_check.parse_whole(loaded)
    if parsed is None:
        # Imported here: jsonschema takes a noticeable share of a small roster's run.
        from compiler.roster import schema  # noqa: PLC0415

        problems = schema.check(loaded)
        parsed = model_check.parse(loaded, problems)
        problems.extend(parsed.problems)
    problems.extend(rules.check(parsed, loaded))
    if strict:
        problems = promote_warnings(problems)
    roster = None if has_errors(problems) else parsed.roster
    return Checked(roster, tuple(sorted(problems)), loaded)


def validate(path: Path, name: str | None = None, *, strict: bool = False) -> Validated:
    """Check a roster; raise RosterInvalid when it has errors."""
    checked = check(path, name, strict=strict)
    if checked.roster is None:
        raise RosterInvalid(checked.problems)
    return Validated(checked.roster, checked.problems)


def compile_roster(path: Path, name: str | None = None, *, strict: bool = False) -> Compiled:
    """Validate a roster and render the text of every output file."""
    valid = validate(path, name, strict=strict)
    files = render_files(valid.roster, path.name)
    return Compiled(files, valid.warnings, render_deploy(valid.roster, path))


def render_deploy(roster: Roster, path: Path) -> DeployFiles | None:
    """Render the deploy manifests of the roster at `path`; None when it sets no settings.deploy."""
    # Imported here, like schema above: only a roster that sets settings.deploy needs it.
    from compiler.output import deploy as deploying  # noqa: PLC0415

    setting = roster.settings.deploy
    if setting is None:
        return None
    from_git = setting.engine == "argocd" or (
        setting.flux is None or setting.flux.source_ref.kind == "GitRepository"
    )
    return DeployFiles(
        path.parent / setting.directory,
        deploying.render(roster, path.name),
        setting.path if from_git else None,
    )


@cycle_collection_paused()
def render_files(roster: Roster, roster_name: str) -> dict[str, str]:
    """Render a valid roster into the text of every file of out/ (relative path -> text).

    With clusters, each cluster's tree goes under its name (`prod-eu/profiles/alice.yaml`)
    and is what its one-cluster roster compiles to; nothing else is under out/.
    """
    # Imported here, like schema above: `validate` needs no emitter.
    from compiler.yamlio import emitter  # noqa: PLC0415

    # Text by manifests: a file that clusters render alike is emitted once. Each tuple is
    # kept with its text, so no other object can take its id meanwhile.
    texts: dict[int, tuple[tuple[Manifest, ...], str]] = {}
    files: dict[str, str] = {}
    for relative, manifests in render_tree(roster).items():
        known = texts.get(id(manifests))
        if known is None:
            known = texts[id(manifests)] = (manifests, emitter.dumps_file(manifests, roster_name))
        files[relative] = known[1]
    return files


class UnknownCluster(CompilerError):
    """A cluster name the roster does not name, or none where the roster names several."""


def cluster_roster(roster: Roster, cluster: str | None) -> Roster:
    """Return the roster one cluster gets: itself without clusters, else that cluster's.

    What `explain --cluster` and `drift --cluster` run on: one call, then everything
    downstream is as for a roster of one cluster. Raise UnknownCluster for a name the
    roster does not name (with the closest one), for a name given to a roster without
    clusters, and for none given to a roster with clusters.
    """
    names = tuple(c.name for c in roster.clusters)
    if cluster is None:
        if names:
            raise UnknownCluster(
                f"the roster names clusters ({', '.join(names)}): choose one with --cluster"
            )
        return roster
    if not names:
        raise UnknownCluster(f"the roster names no clusters, so there is no cluster {cluster!r}")
    if cluster not in names:
        hint = did_you_mean(cluster, names)
        raise UnknownCluster(
            f"the roster names no cluster {cluster!r}; {hint + ' ' if hint else ''}"
            f"(clusters: {', '.join(names)})"
        )
    return Split(roster).roster_of(cluster)
