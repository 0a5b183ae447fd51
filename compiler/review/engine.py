"""What the GitOps engine applies before and after, beyond what the roster change explains.

`diff --base` compiles both rosters with the kfroster that runs, so a new kfroster or
new defaults that change out/ would plan "No changes" while the committed out/ changes.
Here the committed out/ at the base revision (what the engine applies now) is compared
with this kfroster's compile of the same base roster, and the committed deploy/ at the
base with the working tree's. Whatever differs is a change no roster change explains:
its objects are listed in a section of their own and judged like any other change.
Files whose bytes agree (compared by git object id) are not even read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from compiler import pipeline
from compiler.importer.read import ClusterInputInvalid, read_objects
from compiler.model.clusters import Split
from compiler.model.keys import Manifest, ResourceKey, key_of
from compiler.model.roster import Roster
from compiler.render import render_tree
from compiler.review import clusters, gitrev
from compiler.review.compare import View, compare, diff_objects
from compiler.review.plan.common import format_path
from compiler.review.plan.model import Code, Message, ObjectChange, Part, Risk
from compiler.review.risks import assess
from compiler.review.thresholds import Severity
from compiler.yamlio import emitter

# Files GitOps engines read as manifests (Flux: .yaml/.yml; Argo CD also .json).
_MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
# Fields that differ between the Kustomizations of two apply units and mean nothing else.
_UNIT_FIELDS = (("metadata", "name"), ("spec", "path"))


@dataclass(frozen=True)
class EngineChange:
    """Object changes that come from no roster change, their risks, and what could not be read."""

    objects: tuple[ObjectChange, ...] = ()
    risks: tuple[Risk, ...] = ()
    notes: tuple[str, ...] = ()


def blob_id(content: bytes) -> str:
    """Return git's object id of file content, to compare with a committed file unread."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content, usedforsecurity=False).hexdigest()


@pipeline.cycle_collection_paused()
def engine_change(
    roster: Roster, roster_name: str, ref: str, out: Path, deploy: Path
) -> EngineChange:
    """Compare what the engine applies at `ref` with this compile, for out/ and deploy/."""
    notes: list[str] = []
    objects, risks = _out_change(roster, roster_name, ref, out, notes)
    deploy_objects, deploy_risks = _deploy_change(ref, deploy, out, notes)
    prefix: Message = (f"{out.name}/ at ", Code(ref), " against this compile: ")
    judged = tuple(replace(risk, message=(*prefix, *risk.message)) for risk in risks)
    return EngineChange(
        tuple(sorted((*objects, *deploy_objects), key=lambda change: change.key)),
        (*judged, *deploy_risks),
        tuple(notes),
    )


def _read_files(
    tree: gitrev.Tree, paths: list[str], where: str, notes: list[str]
) -> dict[str, dict[ResourceKey, Manifest]]:
    """Parse committed manifest files into objects, per file; note what cannot be read."""
    found: dict[str, dict[ResourceKey, Manifest]] = {}
    for path, content in tree.read(paths).items():
        entry = tree.entries[path]
        if content is None or entry.mode not in ("100644", "100755"):
            notes.append(f"{where}/{path} at the base is no file (mode {entry.mode}): not compared")
            continue
        try:
            found[path] = {obj.key: obj.body for obj in read_objects(content, f"{where}/{path}")}
        except ClusterInputInvalid as err:
            notes.append(f"{where}/{path} at the base is no manifest ({err.problems[0].message})")
    return found


def _read(
    tree: gitrev.Tree, paths: list[str], where: str, notes: list[str]
) -> dict[ResourceKey, Manifest]:
    """Parse committed manifest files into objects; note what cannot be read as manifests."""
    return {
        key: body
        for objects in _read_files(tree, paths, where, notes).values()
        for key, body in objects.items()
    }


def _out_change(
    roster: Roster, roster_name: str, ref: str, out: Path, notes: list[str]
) -> tuple[tuple[ObjectChange, ...], tuple[Risk, ...]]:
    committed = gitrev.tree_at(out, ref)
    if committed is None:
        if out.is_dir():
            notes.append(f"{out}/ does not exist at {ref}: the engine applies nothing of it yet")
        return (), ()
    manifests = render_tree(roster)
    texts = {
        path: emitter.dumps_file(found, roster_name).encode() for path, found in manifests.items()
    }
    paths = sorted(
        path
        for path in committed.entries.keys() | texts.keys()
        if (committed.entries[path].object_id if path in committed.entries else None)
        != (blob_id(texts[path]) if path in texts else None)
    )
    if not paths:
        return (), ()
    read = _read_files(committed, [p for p in paths if p in committed.entries], out.name, notes)
    if not roster.clusters:
        before = {key: body for objects in read.values() for key, body in objects.items()}
        after = {key_of(m): m for path in paths for m in manifests.get(path, ())}
        comparison = compare(View(roster, before), View(roster, after))
        return comparison.objects, assess(comparison)
    return _clusters_change(roster, paths, read, manifests)


def _clusters_change(
    roster: Roster,
    paths: list[str],
    before: Mapping[str, dict[ResourceKey, Manifest]],
    manifests: Mapping[str, tuple[Manifest, ...]],
) -> tuple[tuple[ObjectChange, ...], tuple[Risk, ...]]:
    """Compare each cluster's directory of out/ on its own; a file in none is compared alone."""
    split = Split(roster)
    grouped: dict[str, list[str]] = {}
    for path in paths:
        first = path.split("/", 1)[0]
        grouped.setdefault(first if first in split.names and "/" in path else "", []).append(path)
    objects: list[tuple[str, tuple[ObjectChange, ...]]] = []
    risks: list[tuple[str, list[Risk]]] = []
    for name, group in grouped.items():
        there = split.roster_of(name) if name else Roster(version=1)
        old = {key: m for path in group for key, m in before.get(path, {}).items()}
        new = {key_of(m): m for path in group for m in manifests.get(path, ())}
        comparison = compare(View(there, old), View(there, new))
        objects.append((name, comparison.objects))
        risks.append((name, list(assess(comparison))))
    merged = clusters.merge_risks(risks, split.names)
    return clusters.merge_objects(objects), tuple(sorted(merged, key=Risk.sort_key))


def _manifest_files(directory: Path) -> Iterator[Path]:
    for path in sorted(directory.rglob("*")):
        if path.is_file() and not path.is_symlink() and path.suffix in _MANIFEST_SUFFIXES:
            yield path


def _deploy_change(
    ref: str, deploy: Path, out: Path, notes: list[str]
) -> tuple[tuple[ObjectChange, ...], tuple[Risk, ...]]:
    """Compare deploy/ at the base with the working tree, each directory of it on its own.

    With clusters each cluster's Flux reads its own deploy/<cluster>/, whose Kustomizations
    have the names of every other cluster's: objects are paired within a directory only,
    and a change names the directory (the cluster) it is in.
    """
    committed = gitrev.tree_at(deploy, ref)
    if committed is None and not deploy.is_dir():
        return (), ()
    before: dict[str, dict[ResourceKey, Manifest]] = {}
    if committed is not None:
        paths = [p for p in committed.entries if p.endswith(_MANIFEST_SUFFIXES)]
        for relative, objects in _read_files(committed, paths, deploy.name, notes).items():
            before.setdefault(_directory(relative), {}).update(objects)
    after: dict[str, dict[ResourceKey, Manifest]] = {}
    for file in _manifest_files(deploy) if deploy.is_dir() else ():
        try:
            read = read_objects(file.read_bytes(), str(file))
        except ClusterInputInvalid as err:
            notes.append(f"{file} is no manifest ({err.problems[0].message})")
            continue
        where = after.setdefault(_directory(file.relative_to(deploy).as_posix()), {})
        where.update((obj.key, obj.body) for obj in read)
    found: list[tuple[str, tuple[ObjectChange, ...]]] = []
    risks: list[tuple[str, list[Risk]]] = []
    # A new unit's Kustomization is like one anywhere in deploy/ at the base, a cluster's too.
    anywhere = {key: body for objects in before.values() for key, body in objects.items()}
    for directory in sorted(before.keys() | after.keys()):
        old, new = before.get(directory, {}), after.get(directory, {})
        changes = diff_objects(old, new)
        found.append((directory, changes))
        risks.append((directory, [_deploy_risk(c, anywhere, new, out) for c in changes]))
    if set(before) | set(after) <= {""}:
        only = found[0][1] if found else ()
        return only, tuple(risks[0][1]) if risks else ()
    names = [directory for directory, _ in found if directory]
    return clusters.merge_objects(found), tuple(clusters.merge_risks(risks, names))


def _directory(path: str) -> str:
    """Return the directory of deploy/ a file is in ("" for deploy/ itself)."""
    return path.rpartition("/")[0]


def _unit_shape(manifest: Manifest) -> Manifest:
    """A Kustomization without what tells one apply unit's from another's."""
    shape = {
        **manifest,
        "metadata": dict(manifest.get("metadata") or {}),
        "spec": dict(manifest.get("spec") or {}),
    }
    for section, field in _UNIT_FIELDS:
        shape[section].pop(field, None)
    return shape


def _is_unit(manifest: Manifest, before: Mapping[ResourceKey, Manifest], out: Path) -> bool:
    """Tell whether a new Kustomization only points at another apply unit of out/."""
    path = str((manifest.get("spec") or {}).get("path", "")).removeprefix("./")
    inside = path == out.name or path.startswith(f"{out.name}/")
    shape = _unit_shape(manifest)
    similar = any(
        key.kind == manifest.get("kind") and _unit_shape(other) == shape
        for key, other in before.items()
    )
    return inside and similar and manifest.get("kind") == "Kustomization"


def _deploy_risk(
    change: ObjectChange,
    before: Mapping[ResourceKey, Manifest],
    after: Mapping[ResourceKey, Manifest],
    out: Path,
) -> Risk:
    verb = {"add": "adds", "change": "changes"}.get(change.action, "removes")
    what: list[Part] = [f"deploy/ {verb} ", Code(change.key.describe())]
    subject = f"deploy {change.key.describe()}"
    if change.action in ("delete", "orphan"):
        message: Message = (
            *what,
            ": the engine stops applying what it points at, and with prune on deletes what it "
            "applied (Namespaces and Profiles are protected from pruning)",
        )
        return Risk("settings", "warning", subject, message)
    manifest = after[change.key]
    if change.action == "add" and _is_unit(manifest, before, out):
        message = (
            *what,
            ": the engine applies one more apply unit of out/, which compile --check reads",
        )
        return Risk("settings", "warning", subject, message)
    fields = [format_path(field.path) for field in change.fields][:5]
    detail: list[Part] = [" (", ", ".join(fields), ")"] if fields else []
    severity: Severity = "high"
    message = (
        *what,
        *detail,
        ": it changes what the engine applies, or from where; no roster review reads content "
        "it points at outside out/, and patches it carries change every object it applies",
    )
    return Risk("privilege", severity, subject, message)
