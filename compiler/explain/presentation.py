"""Write an explanation of what one person can do as text, Markdown or JSON (`explain`).

With clusters, one explanation per cluster: clusters where it reads the same are said once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Final

from compiler.formats import Format, Writer
from compiler.terminal import PLAIN, Palette, definitions, markdown_table, table, wrap
from compiler.text import noun

if TYPE_CHECKING:  # types only: the command line imports this module to list its formats
    from compiler.explain.access import ByCluster, Explanation, OwnedProfile
    from compiler.model.dashboard import Visibility
    from compiler.model.roster import LimitRange, ResourceQuota


def _elsewhere(explanation: Explanation) -> str:
    cluster = explanation.cluster
    other = " other" if explanation.namespaces else ""
    if cluster is None:
        return f"no access to any{other} namespace"
    return f"{cluster.cluster_role} in every{other} namespace (cluster-wide)"


def _resources(resources: Mapping[str, int | str]) -> str:
    return ", ".join(f"{name} {value}" for name, value in sorted(resources.items()))


def quota_text(quota: ResourceQuota) -> str:
    """Describe a quota in one line: its limits and scopes, or that there is none."""
    if quota.is_empty:
        return "none: the namespace may use the whole cluster"
    parts = [_resources(quota.hard)] if quota.hard else []
    if quota.scopes:
        parts.append("scopes " + ", ".join(quota.scopes))
    if quota.scope_selector is not None:
        parts.append(
            "scope selector "
            + ", ".join(
                f"{req.scope_name} {req.operator} {', '.join(req.values)}".rstrip()
                for req in quota.scope_selector.match_expressions
            )
        )
    return "; ".join(parts)


def limit_range_lines(limits: LimitRange) -> list[str]:
    """Describe a LimitRange, one line per kind of limit, or that there is none."""
    if limits.is_empty:
        return ["none: containers without requests or limits get none"]
    kinds = (
        ("default", limits.default),
        ("defaultRequest", limits.default_request),
        ("min", limits.min),
        ("max", limits.max),
        ("maxLimitRequestRatio", limits.max_limit_request_ratio),
    )
    return [f"{kind} {_resources(values)}" for kind, values in kinds if values]


def _labelled(what: str, is_default: bool) -> str:
    return f"{what} (defaults)" if is_default else what


def _origin(is_default: bool) -> str:
    return "defaults" if is_default else "the profile's own"


def _contributors_text(owned: OwnedProfile) -> list[str]:
    if not owned.contributors:
        return ["none"]
    return [
        f"{c.user} {c.role} ({', '.join(s.replace('group:', 'group ') for s in c.sources)});"
        f" {c.visibility.label}"
        for c in owned.contributors
    ]


def _role_style(role: str) -> str:
    return {"owner": "green", "admin": "red", "edit": "yellow"}.get(role, "cyan")


def format_text(explanation: Explanation, palette: Palette = PLAIN) -> str:
    """Format an explanation for a terminal: a header, then aligned tables."""
    user = explanation.user
    cluster = explanation.cluster
    if cluster is None:
        cluster_text = "none"
    else:
        cluster_text = (
            f"{palette.paint(cluster.cluster_role, 'red' if cluster.role != 'view' else 'yellow')}"
            f" in every namespace (ClusterRoleBinding {cluster.binding}): {cluster.exposes};"
            f" {cluster.visibility.detail}"
        )
    lines = [palette.bold(f"{user.name} <{user.email}>")]
    lines += definitions(
        [
            ("groups", ", ".join(explanation.groups) or "none"),
            ("cluster-wide", cluster_text),
        ]
    )
    lines += ["", palette.bold(f"Namespaces ({len(explanation.namespaces)})")]
    if explanation.namespaces:
        rows = [
            [
                access.namespace,
                palette.paint(access.role, _role_style(access.role)),
                access.cluster_role,
                ", ".join(source.describe() for source in access.sources),
                access.visibility.label,
            ]
            for access in explanation.namespaces
        ]
        lines += table(
            ["NAMESPACE", "ROLE", "CLUSTERROLE", "FROM", "DASHBOARD"],
            rows,
            indent=2,
            palette=palette,
        )
    lines += [f"  elsewhere: {_elsewhere(explanation)}"]
    if explanation.owned:
        lines += ["", palette.bold(f"Owned profiles ({len(explanation.owned)})")]
        rows = []
        for owned in explanation.owned:
            details = [
                [_labelled("quota", owned.quota_is_default), quota_text(owned.quota)],
                [
                    _labelled("limits", owned.limit_range_is_default),
                    "\n".join(limit_range_lines(owned.limit_range)),
                ],
                ["contributors", "\n".join(_contributors_text(owned))],
            ]
            if owned.plugins:
                details.append(["plugins", "\n".join(owned.plugins)])
            rows += [[palette.bold(owned.name), *details[0]], *(["", *d] for d in details[1:])]
        lines += table((), rows, indent=2)
    if explanation.leaving:
        lines += ["", palette.bold(f"Leaving the roster ({len(explanation.leaving)})")]
        lines += definitions(
            [(f"{d.namespace} (was {d.role})", d.describe()) for d in explanation.leaving]
        )
    if explanation.notes:
        lines.append("")
        for note in explanation.notes:
            lines += [palette.paint(line, "yellow") for line in wrap(f"note: {note}", hang=6)]
    return "\n".join(lines) + "\n"


def format_markdown(explanation: Explanation) -> str:
    """Format an explanation as Markdown, for a pull request or a ticket."""
    user = explanation.user
    cluster = explanation.cluster
    lines = [f"### {user.name} (`{user.email}`)", ""]
    lines.append(f"- **Groups:** {', '.join(explanation.groups) or 'none'}")
    if cluster is None:
        lines.append("- **Cluster-wide:** none")
    else:
        lines.append(
            f"- **Cluster-wide:** `{cluster.cluster_role}` in every namespace"
            f" (ClusterRoleBinding `{cluster.binding}`): {cluster.exposes};"
            f" {cluster.visibility.detail}"
        )
    lines += ["", f"#### Namespaces ({len(explanation.namespaces)})", ""]
    if explanation.namespaces:
        lines += markdown_table(
            ["Namespace", "Role", "ClusterRole", "From", "Binding", "Dashboard"],
            [
                [
                    f"`{a.namespace}`",
                    a.role,
                    f"`{a.cluster_role}`",
                    ", ".join(s.describe() for s in a.sources),
                    f"`{a.binding}`",
                    a.visibility.label,
                ]
                for a in explanation.namespaces
            ],
        )
        lines.append("")
    lines.append(f"Elsewhere: {_elsewhere(explanation)}.")
    if explanation.owned:
        lines += ["", f"#### Owned profiles ({len(explanation.owned)})", ""]
        lines += markdown_table(
            ["Profile", "Quota", "Limits", "Contributors", "Plugins"],
            [
                [
                    f"`{o.name}`",
                    f"{quota_text(o.quota)} ({_origin(o.quota_is_default)})",
                    "<br>".join(limit_range_lines(o.limit_range))
                    + f" ({_origin(o.limit_range_is_default)})",
                    "<br>".join(_contributors_text(o)),
                    "<br>".join(o.plugins) or "none",
                ]
                for o in explanation.owned
            ],
        )
    if explanation.leaving:
        lines += ["", f"#### Leaving the roster ({len(explanation.leaving)})", ""]
        lines += markdown_table(
            ["Namespace", "Was", "After the next apply"],
            [[f"`{d.namespace}`", d.role, d.describe()] for d in explanation.leaving],
        )
    if explanation.notes:
        lines += ["", *(f"> **Note:** {note}" for note in explanation.notes)]
    return "\n".join(lines) + "\n"


def as_data(explanation: Explanation) -> dict[str, object]:
    """Return an explanation as plain data, keys in camelCase like the roster."""
    user = explanation.user
    cluster = explanation.cluster
    return {
        "user": {"name": user.name, "email": user.email, "clusterRole": user.cluster_role},
        "matchedBy": explanation.matched_by,
        "groups": list(explanation.groups),
        "clusterWide": None
        if cluster is None
        else {
            "role": cluster.role,
            "clusterRole": cluster.cluster_role,
            "binding": cluster.binding,
            "exposes": cluster.exposes,
            "visibility": _visibility_json(cluster.visibility),
        },
        "namespaces": [
            {
                "namespace": a.namespace,
                "role": a.role,
                "clusterRole": a.cluster_role,
                "binding": a.binding,
                "effectiveRole": a.effective,
                "visibility": _visibility_json(a.visibility),
                "sources": [
                    {"kind": s.kind, "role": s.role, "group": s.group, "bound": s.bound}
                    for s in a.sources
                ],
            }
            for a in explanation.namespaces
        ],
        "ownedProfiles": [
            {
                "name": o.name,
                "resourceQuota": o.quota.model_dump(
                    mode="json", by_alias=True, exclude_defaults=True
                ),
                "resourceQuotaFrom": "defaults" if o.quota_is_default else "profile",
                "limitRange": o.limit_range.model_dump(
                    mode="json", by_alias=True, exclude_defaults=True
                ),
                "limitRangeFrom": "defaults" if o.limit_range_is_default else "profile",
                "contributors": [
                    {
                        "user": c.user,
                        "email": c.email,
                        "role": c.role,
                        "sources": list(c.sources),
                        "visibility": _visibility_json(c.visibility),
                    }
                    for c in o.contributors
                ],
                "plugins": list(o.plugins),
            }
            for o in explanation.owned
        ],
        "leaving": [
            {
                "namespace": d.namespace,
                "role": d.role,
                "accessKept": d.kept and d.role == "owner",
                "profileKept": d.kept,
                "after": d.describe(),
                "commands": list(d.commands),
            }
            for d in explanation.leaving
        ],
        "notes": list(explanation.notes),
    }


def _visibility_json(visibility: Visibility) -> dict[str, str]:
    return {"label": visibility.label, "detail": visibility.detail}


def format_json(explanation: Explanation) -> str:
    """Format an explanation as indented JSON."""
    return json.dumps(as_data(explanation), indent=2, ensure_ascii=False) + "\n"


def _alike(found: ByCluster, write: Callable[[Explanation], str]) -> list[tuple[list[str], str]]:
    """Group clusters whose explanation reads the same, in roster order of their first one."""
    groups: dict[str, list[str]] = {}
    for name, explanation in found:
        groups.setdefault(write(explanation), []).append(name)
    return [(where, text) for text, where in groups.items()]


def _cluster_list(where: Sequence[str], quote: str = "") -> str:
    quoted = [f"{quote}{name}{quote}" for name in where]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _in_clusters(where: Sequence[str], quote: str = "") -> str:
    """`In cluster prod-eu`, `In clusters (2) prod-eu and dev`."""
    count = len(where)
    return f"In {noun(count, 'cluster', f'clusters ({count})')} {_cluster_list(where, quote)}"


def _one(found: ByCluster) -> Explanation | None:
    """Return the explanation of a roster without clusters; None for one with clusters."""
    return found[0][1] if len(found) == 1 and not found[0][0] else None


def format_text_clusters(found: ByCluster, palette: Palette = PLAIN) -> str:
    """Format the explanations of clusters; a roster without clusters reads as it always has."""
    if (one := _one(found)) is not None:
        return format_text(one, palette)
    return "\n".join(
        palette.bold(f"== {_in_clusters(where)}") + "\n" + text
        for where, text in _alike(found, lambda e: format_text(e, palette))
    )


def format_markdown_clusters(found: ByCluster) -> str:
    """Format the explanations of clusters as Markdown, clusters alike said once."""
    if (one := _one(found)) is not None:
        return format_markdown(one)
    return "\n".join(
        f"## {_in_clusters(where, '`')}\n\n{text}" for where, text in _alike(found, format_markdown)
    )


def format_json_clusters(found: ByCluster) -> str:
    """Format the explanations of clusters as JSON: `{"clusters": [{"cluster": NAME, ...}]}`."""
    if (one := _one(found)) is not None:
        return format_json(one)
    data = {"clusters": [{"cluster": name, **as_data(e)} for name, e in found]}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# The writers of explain.formats.EXPLANATION_FORMATS (`kfroster explain --format`).
WRITERS: Final[Mapping[Format, Writer[ByCluster]]] = {
    Format.TEXT: lambda found, style: format_text_clusters(found, style.palette),
    Format.MARKDOWN: lambda found, _style: format_markdown_clusters(found),
    Format.JSON: lambda found, _style: format_json_clusters(found),
}
