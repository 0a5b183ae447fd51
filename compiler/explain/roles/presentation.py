"""The permission chart as text, Markdown and JSON, for `kfroster roles`."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterable, Mapping
from typing import Final, NamedTuple

from compiler.explain.roles.chart import (
    ALL_VERBS,
    AREAS,
    CLUSTER_WIDE_EXPOSURE,
    NOTES,
    ROLES,
    SUMMARY,
    Row,
    describe_verbs,
    ordered_verbs,
)
from compiler.explain.roles.upstream import vendored
from compiler.formats import Format, Writer
from compiler.model.roles import RoleName
from compiler.terminal import PLAIN, Palette, definitions, markdown_table, table_rows, wrap

LEGEND = (
    "read = get, list, watch · write = create, update, patch, delete, deletecollection"
    " · all = every verb (*) · = adds nothing · — none"
)


# Every file the chart is read from is the same at tag 26.03 (d68ebc7fab36) as at the vendored
# commit. How the releases settings.kubeflowVersion names differ: up to 1.11
# kubeflow-kubernetes-edit, which aggregates into kubeflow-edit (so kubeflow-admin), also
# impersonates service accounts (common/kubeflow-roles/base/cluster-roles.yaml L93-98 at
# v1.11.0; gone at 26.03).
RELEASE = "Kubeflow 26.03"


def source_sentence() -> str:
    """Say where the chart comes from, and how the older releases differ."""
    return (
        f"From {RELEASE} ({vendored().describe()}). Kubeflow 1.7 to 1.11 differ: there "
        "kubeflow-edit, and so kubeflow-admin, may also impersonate the service accounts of "
        "every namespace it is bound in (all of them, bound cluster-wide)."
    )


def _increment(lower: frozenset[str], verbs: frozenset[str]) -> str:
    """Write what `verbs` adds to the role below it."""
    added = verbs - lower
    if ALL_VERBS in lower or (lower and not added):
        return "="
    if not verbs:
        return "—"
    return describe_verbs(frozenset(added))


def _cells(row: Row, role: RoleName | None) -> list[str]:
    """Return the verb cells of a row: one role's verbs, or each role's additions."""
    if role is not None:
        return [describe_verbs(row.verbs[role])]
    view, edit, admin = (row.verbs[name] for name in ROLES)
    return [describe_verbs(view) or "—", _increment(view, edit), _increment(edit, admin)]


def _wrap_cell(cell: str) -> str:
    """Fold a long verb list onto several lines of one table cell."""
    return "\n".join(textwrap.wrap(cell, _CELL_WIDTH)) or cell


_CELL_WIDTH = 32


def _resource_label(row: Row) -> str:
    name = "* (every kind)" if row.resource == "*" else row.resource
    return f"{name} †" if row.cluster_scoped else name


def _areas(rows: tuple[Row, ...], role: RoleName | None) -> list[tuple[str, list[Row]]]:
    """Group rows by area in chart order, keeping only what `role` (when given) grants."""
    shown = [row for row in rows if role is None or row.verbs[role]]
    return [(area, [row for row in shown if row.area == area]) for area in AREAS]


def _headers(role: RoleName | None) -> list[str]:
    verbs = [role.upper()] if role else ["VIEW", "EDIT ADDS", "ADMIN ADDS"]
    return ["RESOURCE", "GROUP", *verbs]


def _title(role: RoleName | None) -> str:
    if role is None:
        return "kubeflow-admin ⊇ kubeflow-edit ⊇ kubeflow-view"
    return f"kubeflow-{role}"


def format_text(
    rows: tuple[Row, ...], role: RoleName | None = None, palette: Palette = PLAIN
) -> str:
    """Format the chart (all three roles, or one) as aligned terminal tables."""
    roles = ROLES if role is None else (role,)
    lines = [palette.bold(_title(role)), *wrap(source_sentence(), indent=2), ""]
    lines += definitions([(name, SUMMARY[name]) for name in roles])
    lines += ["", palette.bold("Bound cluster-wide (users[].clusterRole), in every namespace:")]
    lines += definitions(
        [(palette.paint(name, _DANGER[name]), CLUSTER_WIDE_EXPOSURE[name]) for name in roles]
    )
    areas = [(area, area_rows) for area, area_rows in _areas(rows, role) if area_rows]
    body = [
        [
            _resource_label(row),
            row.group,
            *_paint_cells(map(_wrap_cell, _cells(row, role)), palette),
        ]
        for _, area_rows in areas
        for row in area_rows
    ]
    # One layout for every area, so columns line up from one area's table to the next.
    header, *laid_out = table_rows(_headers(role), body, indent=2, palette=palette)
    for area, area_rows in areas:
        area_lines = [line for row in laid_out[: len(area_rows)] for line in row]
        lines += ["", palette.bold(area), *header, *area_lines]
        laid_out = laid_out[len(area_rows) :]
    lines += ["", *(palette.dim(line) for line in wrap(LEGEND))]
    lines += [palette.dim(line) for note in NOTES for line in wrap(f"- {note}", hang=2)]
    return "\n".join(lines) + "\n"


_DANGER: Mapping[RoleName, str] = {"view": "yellow", "edit": "red", "admin": "red"}


def _paint_cells(cells: Iterable[str], palette: Palette) -> list[str]:
    painted = []
    for index, cell in enumerate(cells):
        if cell in {"=", "—"}:
            painted.append(palette.dim(cell))
        elif index == 2:  # what admin adds beyond edit: the power to grant access
            painted.append("\n".join(palette.paint(line, "red") for line in cell.split("\n")))
        else:
            painted.append(cell)
    return painted


def format_markdown(rows: tuple[Row, ...], role: RoleName | None = None) -> str:
    """Format the chart as Markdown: a summary, then one table per area."""
    roles = ROLES if role is None else (role,)
    lines = [f"## {_title(role)}", "", source_sentence(), ""]
    lines += markdown_table(
        ["Role", "In a namespace"], [[f"`kubeflow-{n}`", SUMMARY[n]] for n in roles]
    )
    lines += ["", "**Bound cluster-wide** (`users[].clusterRole`), in every namespace:", ""]
    lines += markdown_table(
        ["Role", "Cluster-wide"], [[f"`kubeflow-{n}`", CLUSTER_WIDE_EXPOSURE[n]] for n in roles]
    )
    for area, area_rows in _areas(rows, role):
        if not area_rows:
            continue
        body = [
            [f"`{_resource_label(row)}`", f"`{row.group}`", *_cells(row, role)] for row in area_rows
        ]
        headers = [header.capitalize() for header in _headers(role)]
        lines += ["", f"### {area}", "", *markdown_table(headers, body)]
    lines += ["", LEGEND, "", *(f"- {note}" for note in NOTES)]
    return "\n".join(lines) + "\n"


def as_data(rows: tuple[Row, ...], role: RoleName | None = None) -> dict[str, object]:
    """Return the chart as plain data: every role's full verbs per resource."""
    roles = ROLES if role is None else (role,)
    return {
        "upstream": vendored().describe(),
        "release": RELEASE,
        "roles": {
            f"kubeflow-{name}": {
                "summary": SUMMARY[name],
                "clusterWide": CLUSTER_WIDE_EXPOSURE[name],
            }
            for name in roles
        },
        "areas": [
            {
                "area": area,
                "resources": [
                    {
                        "group": row.group,
                        "resource": row.resource,
                        "clusterScoped": row.cluster_scoped,
                        "verbs": {
                            f"kubeflow-{name}": ordered_verbs(row.verbs[name]) for name in roles
                        },
                    }
                    for row in area_rows
                ],
            }
            for area, area_rows in _areas(rows, role)
            if area_rows
        ],
        "notes": list(NOTES),
    }


def format_json(rows: tuple[Row, ...], role: RoleName | None = None) -> str:
    """Format the chart as indented JSON."""
    return json.dumps(as_data(rows, role), indent=2, ensure_ascii=False) + "\n"


class Shown(NamedTuple):
    """What `kfroster roles` shows: the chart's rows, and one role (None: all three)."""

    rows: tuple[Row, ...]
    role: RoleName | None = None


# The writers of explain.formats.ROLES_FORMATS (`kfroster roles --format`).
WRITERS: Final[Mapping[Format, Writer[Shown]]] = {
    Format.TEXT: lambda shown, style: format_text(shown.rows, shown.role, style.palette),
    Format.MARKDOWN: lambda shown, _style: format_markdown(shown.rows, shown.role),
    Format.JSON: lambda shown, _style: format_json(shown.rows, shown.role),
}
