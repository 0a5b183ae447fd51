"""Plan a change of a roster with clusters: compare cluster by cluster, say each change once.

Each cluster is compared on its own, exactly as a roster without clusters is: its
one-cluster roster at the base against its one-cluster roster at the head (model/
clusters.py), rendered, compared and judged. What several clusters share is then said
once: a risk, a roster fact or an object change that is the same in several clusters is
one line naming them, so a change on twenty clusters is one line, not twenty.

Which tree is compared with which:

- Both sides name clusters: by name. A cluster on one side only is compared with nothing
  (no profiles, no cluster-wide roles) on the other: everything in it is new, or goes.
- One side names none (the roster gains or drops `clusters`): its one tree is compared
  with every cluster of the other side, as if that tree had been applied to each. A
  cluster it was not applied to gets everything new, which the layout risk says.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from compiler.model.clusters import Split, cluster_names
from compiler.model.roster import ArgoCDDeploy, FluxDeploy, Roster
from compiler.review.plan.model import (
    Code,
    Fact,
    Message,
    ObjectChange,
    Part,
    People,
    Risk,
    Status,
    SubjectChange,
    SubjectType,
    listing,
    where_phrase,
)


@dataclass(frozen=True)
class Pair:
    """One cluster's one-cluster roster on each side of the change."""

    name: str
    base: Roster
    head: Roster


def nothing_like(roster: Roster) -> Roster:
    """Return a cluster with nothing in it: the roster's people and settings, no grants."""
    users = tuple(
        user if user.cluster_role is None else user.model_copy(update={"cluster_role": None})
        for user in roster.users
    )
    return roster.model_copy(update={"users": users, "profiles": ()})


def pairs(old: Roster, new: Roster) -> list[Pair]:
    """Pair the trees of two rosters, at least one of which names clusters; head order first."""
    old_names, new_names = cluster_names(old), cluster_names(new)
    if not old_names:
        head = Split(new)
        return [Pair(name, old, head.roster_of(name)) for name in new_names]
    base = Split(old)
    if not new_names:
        return [Pair(name, base.roster_of(name), new) for name in old_names]
    head = Split(new)
    found: list[Pair] = []
    for name in (*new_names, *(n for n in old_names if n not in new_names)):
        before = base.roster_of(name) if name in old_names else None
        after = head.roster_of(name) if name in new_names else None
        if before is None:
            assert after is not None
            before = nothing_like(after)
        elif after is None:
            after = nothing_like(before)
        found.append(Pair(name, before, after))
    return found


# --------------------------------------------------------------------------------------------
# Saying each change once
# --------------------------------------------------------------------------------------------


def _canonical(risk: Risk) -> Risk:
    """A risk with its people in name order, so the same risk of two clusters compares equal."""
    message = tuple(
        People(tuple(sorted(part.people))) if isinstance(part, People) else part
        for part in risk.message
    )
    return replace(risk, message=message, users=tuple(sorted(risk.users)), clusters=())


def merge_risks(found: Iterable[tuple[str, Iterable[Risk]]], names: Sequence[str]) -> list[Risk]:
    """Merge the risks of every cluster: one risk per distinct risk, naming its clusters.

    The clusters a risk holds in open its message (`in prod-eu and staging: ...`) and are
    listed in its `clusters`, so every format, and any format added later, says where.
    `names` are the clusters compared. A cluster named "" stands for what is in no cluster
    (a directory of no cluster): its risks name no cluster.
    """
    where: dict[Risk, list[str]] = {}
    for cluster, risks in found:
        for risk in risks:
            named = where.setdefault(_canonical(risk), [])
            if cluster and cluster not in named:
                named.append(cluster)
    return [_located(risk, tuple(clusters), names) for risk, clusters in where.items()]


def _located(risk: Risk, where: tuple[str, ...], names: Sequence[str]) -> Risk:
    if not where:
        return risk
    message = (*where_phrase(where, names), ": ", *risk.message)
    return replace(risk, message=message, clusters=where)


def merge_objects(found: Iterable[tuple[str, Iterable[ObjectChange]]]) -> tuple[ObjectChange, ...]:
    """Merge the object changes of every cluster: one per distinct change, naming its clusters.

    As for risks, a cluster named "" stands for no cluster.
    """
    where: dict[Hashable, tuple[ObjectChange, list[str]]] = {}
    for cluster, changes in found:
        for change in changes:
            _, named = where.setdefault(_object_identity(change), (change, []))
            if cluster:
                named.append(cluster)
    merged = [replace(change, clusters=tuple(clusters)) for change, clusters in where.values()]
    return tuple(sorted(merged, key=lambda change: (change.key, change.clusters)))


def _object_identity(change: ObjectChange) -> Hashable:
    """Return what makes two clusters' object changes the same change (field values are data)."""
    fields = tuple((f.path, _frozen(f.old), _frozen(f.new)) for f in change.fields)
    return (change.key, change.action, change.api_version, fields)


def _frozen(value: object) -> Hashable:
    """Turn a manifest value (mappings and lists within) into one that can be compared as a key."""
    if isinstance(value, Mapping):
        return ("map", tuple(sorted((str(k), _frozen(v)) for k, v in value.items())))
    if isinstance(value, list | tuple):
        return ("list", tuple(_frozen(item) for item in value))
    assert isinstance(value, Hashable)
    return value


def merge_subjects(
    found: Iterable[tuple[str, Iterable[SubjectChange]]],
    old: Roster,
    new: Roster,
    layout: SubjectChange | None = None,
) -> tuple[SubjectChange, ...]:
    """Merge the sections of every cluster: facts and objects once each, naming clusters.

    A user, group or profile is added or removed when the roster adds or removes it; one
    that only arrives in or leaves some clusters is changed.
    """
    grouped: dict[tuple[SubjectType, str], list[tuple[str, SubjectChange]]] = {}
    for cluster, changes in found:
        for change in changes:
            grouped.setdefault((change.type, change.name), []).append((cluster, change))
    records = {
        "user": ({u.name for u in old.users}, {u.name for u in new.users}),
        "group": ({g.name for g in old.groups}, {g.name for g in new.groups}),
        "profile": ({p.name for p in old.profiles}, {p.name for p in new.profiles}),
    }
    merged: list[SubjectChange] = [layout] if layout is not None else []
    for (subject_type, name), entries in grouped.items():
        facts: dict[Fact, list[str]] = {}
        objects: list[tuple[str, Sequence[ObjectChange]]] = []
        for cluster, change in entries:
            for fact in change.facts:
                facts.setdefault(fact, []).append(cluster)
            objects.append((cluster, change.objects))
        merged.append(
            SubjectChange(
                subject_type,
                name,
                _status(subject_type, name, [change.status for _, change in entries], records),
                tuple(replace(fact, clusters=tuple(where)) for fact, where in facts.items()),
                merge_objects(objects),
            )
        )
    return tuple(sorted(merged, key=SubjectChange.sort_key))


def _status(
    subject_type: SubjectType,
    name: str,
    statuses: Sequence[Status],
    records: Mapping[str, tuple[set[str], set[str]]],
) -> Status:
    if subject_type in records:
        before, after = records[subject_type]
        if name not in before:
            return "added"
        if name not in after:
            return "removed"
        return "changed"
    return statuses[0] if len(set(statuses)) == 1 else "changed"


def combined_signatures(found: Iterable[tuple[str, Mapping[str, Hashable]]]) -> dict[str, Hashable]:
    """Describe what changes for each user across the clusters, for rarest_first."""
    combined: dict[str, list[tuple[str, Hashable]]] = {}
    for cluster, signatures in found:
        for name, signature in signatures.items():
            combined.setdefault(name, []).append((cluster, signature))
    return {name: tuple(parts) for name, parts in combined.items()}


# --------------------------------------------------------------------------------------------
# The layout itself: clusters named, added or removed
# --------------------------------------------------------------------------------------------


def layout_change(old: Roster, new: Roster) -> SubjectChange | None:
    """Return the roster's `clusters` section as a change: each cluster added or removed.

    Each is a tree of out/ that an engine applies, or stops getting; the order of the list
    changes nothing.
    """
    old_names, new_names = cluster_names(old), cluster_names(new)
    added = [name for name in new_names if name not in old_names]
    removed = [name for name in old_names if name not in new_names]
    if not added and not removed:
        return None
    facts = [Fact(("cluster", name), None, f"out/{name}/") for name in added]
    facts += [Fact(("cluster", name), f"out/{name}/", None) for name in removed]
    status: Status = "added" if not old_names else "removed" if not new_names else "changed"
    return SubjectChange("clusters", "clusters", status, tuple(facts), ())


def layout_risks(old: Roster, new: Roster) -> list[Risk]:
    """Say what gaining, dropping, adding or removing clusters does to what the engines read."""
    old_names, new_names = cluster_names(old), cluster_names(new)
    deploy = new.settings.deploy or old.settings.deploy
    engine = deploy.engine if deploy is not None else None
    if not old_names and new_names:
        return [_introduced(new_names, old, engine)]
    if old_names and not new_names:
        return [_dropped(old_names, engine)]
    risks: list[Risk] = []
    added = [name for name in new_names if name not in old_names]
    removed = [name for name in old_names if name not in new_names]
    split = Split(new)
    for name in added:
        message: Message = (
            "cluster ",
            Code(name),
            " is added: compile writes its tree to ",
            Code(f"out/{name}/"),
            *_engine_reads(engine, name),
            *_applied_to(split.roster_of(name)),
            "; everything in it is new in that cluster (the risks of ",
            Code(name),
            " say what it grants)",
        )
        risks.append(Risk("settings", "warning", f"cluster {name}", message, clusters=(name,)))
    for name in removed:
        risks.append(_removed(name, engine))
    return risks


def _engine_reads(engine: str | None, name: str) -> list[Part]:
    if engine == "flux":
        return [", and the Kustomizations its Flux applies to ", Code(f"deploy/{name}/")]
    if engine == "argocd":
        return [", and the ApplicationSet gets an element for each of its apply units"]
    return []


def _applied_to(roster: Roster) -> list[Part]:
    """Name where a cluster's tree lands, as its deploy setting says: its name proves nothing."""
    deploy = roster.settings.deploy
    if deploy is None:
        return []
    if deploy.engine == "argocd":
        destination = (deploy.argocd or ArgoCDDeploy()).destination
        if destination.name is not None:
            return [", which Argo CD applies to its cluster named ", Code(destination.name)]
        return [", which Argo CD applies to the API server ", Code(str(destination.server))]
    source = (deploy.flux or FluxDeploy()).source_ref
    return [", read from the Flux source ", Code(f"{source.kind}/{source.name}")]


def _introduced(names: Sequence[str], old: Roster, engine: str | None) -> Risk:
    # Flux: without a kustomization.yaml, kustomize-controller generates one listing every
    # YAML file under the path, subdirectories included (fluxcd/pkg kustomize/
    # kustomize_generator.go L575-601 at e2cfd1a2), and kustomize refuses two objects with
    # one id (api/resmap/reswrangler.go L80 at kustomize 12f9e639): the build fails, nothing
    # is applied or pruned. Argo CD: an Application the ApplicationSet no longer generates
    # is deleted with the resources finalizer (applicationset/utils/utils.go L294-302 at
    # argo-cd 37ee0097), which spares objects marked Delete=false (controller/
    # appcontroller.go L1255-1264).
    how: list[Part]
    if engine == "flux":
        how = [
            "Each cluster's Flux must now read ",
            Code("deploy/<cluster>/"),
            " (its Kustomizations keep their names; the Kustomization that applies deploy/ "
            "in each cluster needs that path): a Flux that reads all of ",
            Code("deploy/"),
            " fails on the duplicate names and changes nothing",
        ]
    elif engine == "argocd":
        how = [
            "The ApplicationSet now lists an element per cluster and apply unit: the old "
            "Applications are deleted with what they applied (Namespaces and protected "
            "Profiles stay, Delete=false) and the new ones create it again, so access drops "
            "for the moment between",
        ]
    else:
        how = ["Point each cluster's engine at its own directory"]
    single = old.settings.apply_units == 1
    danger: list[Part] = (
        [
            ". Until then, an engine that reads ",
            Code("out/"),
            " as one apply unit (Flux path ",
            Code("./out"),
            ", an Argo CD directory source with recurse) applies every cluster's tree to its "
            "cluster",
        ]
        if single
        else [
            ". Until then, an engine that reads the old apply units finds their directories "
            "gone and applies nothing new"
        ]
    )
    message: Message = (
        "the roster now names clusters (",
        *listing(list(names), limit=len(names)),
        "): out/ moves to ",
        Code("out/<cluster>/"),
        ", one tree per cluster. This plan compares each cluster's tree with the old out/, "
        "as if it had been applied there: in a cluster it was not applied to, everything "
        "in its tree is new. ",
        *how,
        *danger,
    )
    return Risk("settings", "high", "clusters", message, clusters=tuple(names))


def _dropped(names: Sequence[str], engine: str | None) -> Risk:
    message: Message = (
        "the roster no longer names clusters (",
        *listing(list(names), limit=len(names)),
        "): out/ holds one tree again, compared here with each cluster's old tree. ",
        "Point the engine of the one cluster it is for at out/ (and deploy/), and take the "
        "others off kfroster: "
        if engine is not None
        else "Point the engine of the one cluster it is for at out/, and take the others off "
        "kfroster: ",
        *_left_behind(engine),
    )
    return Risk("settings", "high", "clusters", message, clusters=tuple(names))


def _removed(name: str, engine: str | None) -> Risk:
    message: Message = (
        "cluster ",
        Code(name),
        " leaves the roster, and ",
        Code(f"out/{name}/"),
        " with it: ",
        *_left_behind(engine),
    )
    return Risk("settings", "warning", f"cluster {name}", message, clusters=(name,))


def _left_behind(engine: str | None) -> list[Part]:
    if engine == "flux":
        return [
            "a Flux that still reads its deploy/ directory finds it gone and stops before it "
            "prunes (what it applied stays, unmanaged: delete it by hand)",
        ]
    if engine == "argocd":
        return [
            "its Applications are deleted with what they applied, except Namespaces and "
            "protected Profiles (Delete=false): grants are revoked, data stays",
        ]
    return ["whatever applied its tree stops getting updates; what it applied stays"]
