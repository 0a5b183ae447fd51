"""Import one more cluster into an existing roster: share what is equal, restrict what is not.

`kfroster import FILE... --cluster NAME --into users.yaml` imports the cluster as a plain
import does (a one-cluster roster, `imported`), then writes it into the roster the user
keeps, so one roster compiles both:

- a profile or cluster-wide role the new cluster holds as the roster does is shared:
  where the roster restricts it to some clusters, the new one joins them;
- one only the roster holds is restricted to the clusters it names (`clusters: [...]`),
  one only the new cluster holds is added, restricted to it;
- a setting the new cluster's objects show differently becomes its
  `clusters[].settings`, a default quota or LimitRange its `clusters[].defaults`;
- what no roster can say (a profile whose owner, contributors, quota or plugins differ
  between clusters, a person with two cluster-wide roles) is not imported: the profile
  stays out of the new cluster (the roster never grants there what the cluster did not),
  and each is reported, so nothing goes silently.

The first time (a roster without `clusters`), the roster becomes one named cluster: the
caller names it. Compiling the result gives the new cluster the objects it was imported
from and leaves every other cluster's tree as it was (a property test checks both). The
roster is edited in place (yamlio/round_trip.py): the user's comments and order stay.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from pydantic import BaseModel
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from compiler import pipeline
from compiler.model import names, releases
from compiler.model.resolve import RosterIndex, email_key, grants
from compiler.model.roster import LimitRange, Profile, ResourceQuota, Roster, Settings, User
from compiler.problems import CompilerError, Invalid
from compiler.roster.source import Source
from compiler.yamlio.round_trip import block, dump, flow_map, index_of, round_trip

# The settings a cluster's objects show (what import reads them from); the others
# (applyUnits, deploy, ...) say how out/ is laid out and applied, which a dump cannot show,
# so the new cluster takes the roster's.
_SHOWN: Final = (
    "user_id_header",
    "user_id_prefix",
    "ingress_gateway_principal",
    "pipelines_ui_principal",
    "manage_namespaces",
    "namespace_labels",
)


class MergeRefused(CompilerError):
    """The cluster cannot be imported into this roster (a name, a missing option)."""


class MergedInvalid(Invalid):
    """The merged roster does not validate: nothing is written."""


@dataclass(frozen=True)
class Merged:
    """The roster's new text, and what the merge did, a line each."""

    text: str
    roster: Roster
    written: tuple[str, ...]  # what changed in the roster
    not_imported: tuple[str, ...]  # what the new cluster holds that the roster cannot say
    reformatted: bool  # ruamel.yaml could not keep every untouched line byte for byte


@dataclass
class _Merge:
    """The state of one merge: the roster document being edited and the report."""

    roster: Roster
    imported: Roster
    cluster: str
    existing: tuple[str, ...]  # the roster's clusters before the merge
    document: CommentedMap
    written: list[str] = field(default_factory=list)
    not_imported: list[str] = field(default_factory=list)
    comments: set[str] = field(default_factory=set)
    names: dict[str, str] = field(default_factory=dict)  # email key -> roster user name

    @property
    def mark(self) -> str:
        return f"# imported by kfroster from cluster {self.cluster}"

    def section(self, key: str) -> CommentedSeq:
        found = self.document.get(key)
        if found is None:
            found = self.document[key] = CommentedSeq()
        return found  # type: ignore[no-any-return]

    def comment(self, node: CommentedSeq, index: int) -> None:
        """Mark an added item: at the end of its line, or of its first key's for a block."""
        self.comments.add(self.mark)
        item = node[index]
        if isinstance(item, CommentedMap) and not item.fa.flow_style():
            item.yaml_add_eol_comment(self.mark, next(iter(item)), column=0)
        else:
            node.yaml_add_eol_comment(self.mark, index, column=0)


def merge_cluster(
    loaded: Source, roster: Roster, imported: Roster, cluster: str, existing: str | None
) -> Merged:
    """Write the imported cluster into the roster's text; return it, validated.

    `existing` names the cluster the roster describes when it names none yet (required
    then, refused otherwise). Raises MergeRefused for names that do not fit,
    MergedInvalid when the result does not validate.
    """
    names = check_names(roster, cluster, existing)
    yaml, document, reformatted = round_trip(loaded.text)
    merge = _Merge(roster, imported, cluster, names, document)
    settings = _settings(merge)
    defaults = _defaults(merge)
    _users(merge)
    _profiles(merge, defaults)
    _cluster_roles(merge)
    _write_clusters(merge, existing, settings, defaults)
    text = dump(yaml, merge.document, loaded.text, merge.comments)
    # Problems of the merged text are located in it, not in the file on disk: say so.
    checked = pipeline.check_text(text, f"{loaded.name} (as merged)")
    if checked.roster is None:
        raise MergedInvalid(checked.problems)
    return Merged(
        text, checked.roster, tuple(merge.written), tuple(merge.not_imported), reformatted
    )


def check_names(roster: Roster, cluster: str, existing: str | None) -> tuple[str, ...]:
    """Return the roster's clusters before the merge; raise MergeRefused if the names do not fit."""
    names = tuple(c.name for c in roster.clusters)
    if names:
        if existing is not None:
            raise MergeRefused(
                f"the roster names its clusters already ({', '.join(names)}): "
                "--existing-cluster is only for a roster without clusters"
            )
        if cluster in names:
            raise MergeRefused(
                f"the roster has a cluster {cluster!r} already; import a new cluster, "
                "or compare this one with kfroster drift --cluster"
            )
        return names
    if existing is None:
        raise MergeRefused(
            "the roster names no clusters yet: name the cluster it describes with "
            "--existing-cluster NAME (it becomes clusters[0])"
        )
    if existing == cluster:
        raise MergeRefused(f"--existing-cluster and --cluster both name {cluster!r}")
    return (existing,)


# --- settings and defaults -------------------------------------------------------------------


def _settings(merge: _Merge) -> dict[str, Any]:
    """Return the new cluster's settings overrides (by alias): what its objects show differently."""
    top, shown = merge.roster.settings, merge.imported.settings
    overrides: dict[str, Any] = {}
    for name in _SHOWN:
        if name == "namespace_labels" and not shown.manage_namespaces:
            continue  # no Namespace of kfroster's there: its labels are not shown
        value = getattr(shown, name)
        if value != getattr(top, name):
            overrides[_alias(Settings, name)] = _plain(value)
    had_from = releases.release(top.kubeflow_version).contributor_policy_from
    has_from = releases.release(shown.kubeflow_version).contributor_policy_from
    if had_from != has_from:
        if shown.kubeflow_version is not None:
            overrides["kubeflowVersion"] = shown.kubeflow_version
        else:
            merge.not_imported.append(
                f"settings.kubeflowVersion: cluster {merge.cluster}'s contributor policies have "
                f"the `from` clause of Kubeflow 1.8 and later, the roster's release "
                f"({top.kubeflow_version}) has none; set clusters[{merge.cluster}].settings."
                "kubeflowVersion to the cluster's release"
            )
    for key, value in overrides.items():
        merge.written.append(f"clusters: {merge.cluster} overrides settings.{key}: {value!r}")
    return overrides


def _defaults(merge: _Merge) -> dict[str, Any]:
    """Return the new cluster's defaults overrides: the quota and LimitRange its shared
    profiles that follow the defaults hold, when those differ from the roster's."""
    roster, imported = merge.roster, merge.imported
    theirs = {profile.name: profile for profile in imported.profiles}
    overrides: dict[str, Any] = {}
    for key, attribute in (("resourceQuota", "resource_quota"), ("limitRange", "limit_range")):
        seen = [
            _effective(theirs[p.name], imported, attribute)
            for p in roster.profiles
            if p.name in theirs and getattr(p, attribute) is None
        ]
        if not seen:
            continue
        counts = Counter(_key(value) for value in seen)
        best = min(counts, key=lambda k: (-counts[k], k))
        chosen = next(value for value in seen if _key(value) == best)
        if chosen != getattr(roster.defaults, attribute):
            overrides[key] = _plain(chosen)
            merge.written.append(
                f"clusters: {merge.cluster} overrides defaults.{key} (the one its profiles "
                "that follow the defaults hold)"
            )
    return overrides


def _merged_default(merge: _Merge, overrides: Mapping[str, Any], attribute: str) -> Any:
    key = _alias(Profile, attribute)
    if key in overrides:
        model = ResourceQuota if attribute == "resource_quota" else LimitRange
        return model.model_validate(overrides[key])
    return getattr(merge.roster.defaults, attribute)


def _effective(profile: Profile, roster: Roster, attribute: str) -> Any:
    own = getattr(profile, attribute)
    return own if own is not None else getattr(roster.defaults, attribute)


# --- users and cluster-wide roles ------------------------------------------------------------


def _users(merge: _Merge) -> None:
    """Name every person of the new cluster: as the roster does, or a new user."""
    merge.names = {email_key(user.email): user.name for user in merge.roster.users}
    taken = {user.name for user in merge.roster.users}
    users = merge.section("users")
    for user in merge.imported.users:
        key = email_key(user.email)
        if key in merge.names:
            continue
        name, _ = names.unique_label(user.name, taken)
        taken.add(name)
        merge.names[key] = name
        entry: dict[str, Any] = {"name": name, "email": user.email}
        if user.cluster_role is not None:
            entry |= {"clusterRole": user.cluster_role, "clusters": [merge.cluster]}
        users.append(_flow(entry, users))
        merge.comment(users, len(users) - 1)
        role = f", cluster-wide {user.cluster_role} there" if user.cluster_role else ""
        merge.written.append(f"users: {user.email} added as {name} ({merge.cluster}{role})")


def _cluster_roles(merge: _Merge) -> None:
    """Share each cluster-wide role both sides hold; restrict the others to where they hold."""
    theirs = {email_key(user.email): user for user in merge.imported.users}
    users = merge.section("users")
    for user in merge.roster.users:
        there = theirs.get(email_key(user.email))
        role = there.cluster_role if there is not None else None
        mine = user.cluster_role
        if mine is None and role is None:
            continue
        node = users[index_of(users, "email", user.email)]
        if mine == role:
            if user.clusters is not None:
                _add_cluster(node, merge.cluster)
                merge.written.append(f"users: {user.name}'s clusterRole holds in {merge.cluster}")
            continue
        if mine is not None:
            if user.clusters is None:
                node["clusters"] = _flow_list(merge.existing)
                merge.written.append(
                    f"users: {user.name}'s clusterRole {mine} restricted to "
                    f"{', '.join(merge.existing)} (not in {merge.cluster})"
                )
            if role is not None:
                merge.not_imported.append(
                    f"users: {user.email} is cluster-wide {role} in {merge.cluster} and {mine} in "
                    f"the roster's clusters; a user has one clusterRole: none in "
                    f"{merge.cluster} (grant it by hand, if it should stay)"
                )
            continue
        node["clusterRole"] = role
        node["clusters"] = _flow_list((merge.cluster,))
        merge.written.append(f"users: {user.name} gets clusterRole {role} in {merge.cluster} only")


# --- profiles ---------------------------------------------------------------------------------


def _profiles(merge: _Merge, defaults: Mapping[str, Any]) -> None:
    roster, imported, cluster = merge.roster, merge.imported, merge.cluster
    theirs = {profile.name: profile for profile in imported.profiles}
    mine_index, their_index = RosterIndex.build(roster), RosterIndex.build(imported)
    quota = _merged_default(merge, defaults, "resource_quota")
    limits = _merged_default(merge, defaults, "limit_range")
    profiles = merge.section("profiles")
    for profile in roster.profiles:
        node = profiles[index_of(profiles, "name", profile.name)]
        there = theirs.get(profile.name)
        differences = (
            []
            if there is None
            else _differences(
                profile, mine_index, there, their_index, {"quota": quota, "limits": limits}
            )
        )
        if there is not None and not differences:
            _share(merge, node, profile, owned=there.namespace_owned_by_profile is True)
            continue
        if profile.clusters is None:
            node["clusters"] = _flow_list(merge.existing)
            merge.written.append(
                f"profiles: {profile.name} restricted to {', '.join(merge.existing)}"
                + (f" (it differs in {cluster})" if differences else "")
            )
        if differences:
            merge.not_imported.append(
                f"profiles: {profile.name} differs in {cluster} ({'; '.join(differences)}): "
                f"not in {cluster}'s tree, where it stays as it is, unmanaged (kfroster drift "
                f"--cluster {cluster} lists it); make the two agree, then import again"
            )
    known = {profile.name for profile in roster.profiles}
    for there in imported.profiles:
        if there.name in known:
            continue
        entry = _profile_entry(merge, there, their_index, {"quota": quota, "limits": limits})
        node = block(entry)
        node.fa.set_block_style()  # a profile is always a block: it grows over time
        profiles.append(node)
        merge.comment(profiles, len(profiles) - 1)
        merge.written.append(f"profiles: {there.name} added, in {cluster} only")


def _share(merge: _Merge, node: CommentedMap, profile: Profile, *, owned: bool) -> None:
    """The profile is the same in the new cluster: it is there too, owned where it is owned."""
    cluster = merge.cluster
    where = list(profile.clusters) if profile.clusters is not None else list(merge.existing)
    if profile.clusters is not None:
        _add_cluster(node, cluster)
        merge.written.append(f"profiles: {profile.name} is in {cluster} too")
    flag = profile.namespace_owned_by_profile
    holds = set(where) if flag is True else set() if flag is False else set(flag)
    if owned:
        holds.add(cluster)
    after = [*where, cluster]
    if holds == set(after):
        value: Any = True
    elif not holds:
        value = False
    else:
        value = [name for name in after if name in holds]
    if value != flag and not (value is True and flag is True):
        if value is False:
            del node["namespaceOwnedByProfile"]
        else:
            node["namespaceOwnedByProfile"] = _flow_list(value) if isinstance(value, list) else True
        merge.written.append(f"profiles: {profile.name}'s namespaceOwnedByProfile: {value}")


def _differences(
    mine: Profile,
    mine_index: RosterIndex,
    there: Profile,
    their_index: RosterIndex,
    defaults: Mapping[str, Any],
) -> list[str]:
    """Say what a profile holds differently in the new cluster than the roster says."""
    found = []
    owner_here = mine_index.users.get(mine.owner)
    owner_there = their_index.users.get(there.owner)
    if owner_here is None or owner_there is None:
        found.append("owner")
    elif email_key(owner_here.email) != email_key(owner_there.email):
        found.append(f"owner {owner_there.email}, not {owner_here.email}")
    if _grants(mine, mine_index) != _grants(there, their_index):
        found.append("contributors")
    quota = mine.resource_quota if mine.resource_quota is not None else defaults["quota"]
    if quota != _effective(there, their_index.roster, "resource_quota"):
        found.append("resourceQuota")
    limits = mine.limit_range if mine.limit_range is not None else defaults["limits"]
    if limits != _effective(there, their_index.roster, "limit_range"):
        found.append("limitRange")
    if mine.plugins != there.plugins:
        found.append("plugins")
    return found


def _grants(profile: Profile, index: RosterIndex) -> set[tuple[str, str]]:
    return {(email_key(grant.user.email), grant.role) for grant in grants(profile, index)}


def _profile_entry(
    merge: _Merge, there: Profile, index: RosterIndex, defaults: Mapping[str, Any]
) -> dict[str, Any]:
    """Write a profile only the new cluster holds, as the roster names its people."""

    def name(user_name: str) -> str:
        user: User = index.users[user_name]
        return merge.names[email_key(user.email)]

    entry: dict[str, Any] = {"name": there.name, "owner": name(there.owner)}
    quota = _effective(there, index.roster, "resource_quota")
    if quota != defaults["quota"]:
        entry["resourceQuota"] = _plain(quota)
    limits = _effective(there, index.roster, "limit_range")
    if limits != defaults["limits"]:
        entry["limitRange"] = _plain(limits)
    contributors = [
        {"user": name(c.user), "role": c.role} for c in there.contributors if c.user is not None
    ]
    if contributors:
        entry["contributors"] = contributors
    if there.plugins:
        entry["plugins"] = [_plain(plugin) for plugin in there.plugins]
    if there.namespace_owned_by_profile is True:
        entry["namespaceOwnedByProfile"] = True
    entry["clusters"] = [merge.cluster]
    return entry


# --- clusters ---------------------------------------------------------------------------------


def _write_clusters(
    merge: _Merge, existing: str | None, settings: Mapping[str, Any], defaults: Mapping[str, Any]
) -> None:
    clusters = merge.section("clusters")
    if existing is not None:
        clusters.append(flow_map({"name": existing}, like=()))
        merge.written.append(f"clusters: the roster so far is cluster {existing}")
    entry: dict[str, Any] = {"name": merge.cluster}
    settings = dict(settings)
    deploy = merge.roster.settings.deploy
    if deploy is not None and deploy.engine == "argocd":
        # One Argo CD applies every cluster: the new one needs a destination of its own
        # (two clusters on one is an error). A dump cannot say how Argo CD names the
        # cluster; its roster name is the likeliest, and the report says to check it.
        settings["deploy"] = {"argocd": {"destination": {"name": merge.cluster}}}
        merge.written.append(
            f"clusters: {merge.cluster} deploys to the Argo CD cluster named "
            f"{merge.cluster!r} (settings.deploy.argocd.destination): change it if Argo CD "
            "knows the cluster by another name"
        )
    if settings:
        entry["settings"] = settings
    if defaults:
        entry["defaults"] = dict(defaults)
    node = block(entry) if len(entry) > 1 else flow_map(entry, like=())
    if len(entry) > 1:
        node.fa.set_block_style()
    clusters.append(node)
    merge.comment(clusters, len(clusters) - 1)
    merge.written.append(f"clusters: {merge.cluster} added")


# --- helpers ----------------------------------------------------------------------------------


def _alias(model: type[BaseModel], name: str) -> str:
    return model.model_fields[name].alias or name


def _plain(value: Any) -> Any:
    """Return a value as roster data: models by their roster keys, without default fields."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    if isinstance(value, Mapping):
        return dict(value)
    return value


def _key(value: Any) -> str:
    return repr(_plain(value))


def _flow(values: Mapping[str, Any], like: Iterable[Any]) -> CommentedMap:
    """Return a record for a list of records: on one line, its lists too, if the list's are."""
    return flow_map(
        {k: _flow_list(v) if isinstance(v, list) else v for k, v in values.items()}, like=like
    )


def _flow_list(values: Sequence[str]) -> CommentedSeq:
    seq = CommentedSeq(values)
    seq.fa.set_flow_style()
    return seq


def _add_cluster(node: CommentedMap, cluster: str) -> None:
    restriction = node.get("clusters")
    if restriction is None:
        return
    restriction.append(cluster)
