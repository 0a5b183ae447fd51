"""The permission charts of kubeflow-admin/edit/view, and the terminal helpers that print them."""

from __future__ import annotations

import io
import json

import pytest
from typer.testing import CliRunner

from compiler.cli import app
from compiler.explain.roles import chart as roles
from compiler.explain.roles import presentation
from compiler.explain.roles.upstream import vendored
from compiler.model.roles import RoleName
from compiler.terminal import (
    Palette,
    colour_enabled,
    definitions,
    markdown_table,
    strip_colour,
    table,
    visible_width,
)

ROWS = roles.chart()
BY_KEY = {(row.group, row.resource): row for row in ROWS}
REQUIRED_AREAS = ("core", "workloads", "notebooks", "pipelines", "Katib", "serving", "training")


def verbs(role: RoleName, group: str, resource: str) -> frozenset[str]:
    row = BY_KEY.get((group, resource))
    return row.verbs[role] if row else frozenset()


def test_every_area_the_chart_promises_has_resources() -> None:
    present = {row.area for row in ROWS}
    assert set(REQUIRED_AREAS) <= present
    assert present <= set(roles.AREAS)


@pytest.mark.parametrize("row", ROWS, ids=lambda row: f"{row.group}/{row.resource}")
def test_admin_includes_edit_includes_view(row: roles.Row) -> None:
    view, edit, admin = (row.verbs[role] for role in ("view", "edit", "admin"))
    assert view <= edit <= admin
    assert view or edit or admin  # no row for a resource nobody reaches


def test_every_verb_is_a_kubernetes_verb_or_a_pipelines_api_verb() -> None:
    for upstream in vendored().roles:
        for rule in upstream.rules:
            extra = set(rule.verbs) - {*roles.KUBERNETES_VERBS, roles.ALL_VERBS}
            assert extra <= set(roles.PIPELINES_VERBS), (upstream.name, extra)
            if extra:  # only Kubeflow Pipelines' API server knows these verbs
                assert rule.groups == ("pipelines.kubeflow.org",), upstream.name
            assert rule.verbs and rule.resources and rule.groups, upstream.name


def test_every_aggregation_selects_roles_of_the_data() -> None:
    upstream_roles = vendored().roles
    assert len({upstream.name for upstream in upstream_roles}) == len(upstream_roles)
    for upstream in upstream_roles:
        # A role with an aggregationRule gets its rules from the API server, never its own.
        assert not (upstream.collects and upstream.rules), upstream.name
        assert upstream.collects == bool(upstream.selectors), upstream.name
        for selector in upstream.selectors:
            assert any(other.matches(selector) for other in upstream_roles), upstream.name


def test_view_reads_most_objects_but_not_secrets_nor_exec() -> None:
    for resource in ("pods", "pods/log", "configmaps", "services", "persistentvolumeclaims"):
        assert {"get", "list", "watch"} <= verbs("view", "core", resource), resource
    for resource in ("secrets", "pods/exec", "pods/attach", "pods/portforward"):
        assert verbs("view", "core", resource) == frozenset(), resource
    assert not any(
        row.verbs["view"] & {"create", "update", "patch", "delete"}
        for row in ROWS
        if row.group in {"core", "apps", "batch"}
    )


def test_edit_adds_secrets_exec_and_writes_every_kubeflow_application() -> None:
    assert {"get", "list", "create", "update", "delete"} <= verbs("edit", "core", "secrets")
    for resource in ("pods/exec", "pods/attach", "pods/portforward"):
        assert "create" in verbs("edit", "core", resource), resource
    writes = {
        ("kubeflow.org", "notebooks"),
        ("kubeflow.org", "experiments"),  # Katib
        ("serving.kserve.io", "inferenceservices"),
        ("kubeflow.org", "pytorchjobs"),
        ("trainer.kubeflow.org", "trainjobs"),
        ("pipelines.kubeflow.org", "runs"),
        ("apps", "deployments"),
    }
    for group, resource in writes:
        assert {"create", "delete"} <= verbs("edit", group, resource), resource
        assert "create" not in verbs("view", group, resource), resource


def test_only_admin_manages_roles_and_rolebindings() -> None:
    for resource in ("roles", "rolebindings"):
        assert {"create", "delete", "update"} <= verbs(
            "admin", "rbac.authorization.k8s.io", resource
        )
        assert verbs("edit", "rbac.authorization.k8s.io", resource) == frozenset()
    added = {(row.group, row.resource) for row in ROWS if row.verbs["admin"] != row.verbs["edit"]}
    assert added == {
        ("rbac.authorization.k8s.io", "roles"),
        ("rbac.authorization.k8s.io", "rolebindings"),
        ("authorization.k8s.io", "localsubjectaccessreviews"),
    }


def test_cluster_wide_exposure_names_what_reviewers_must_know() -> None:
    for role in ("view", "edit"):
        assert "kube-system" in roles.CLUSTER_WIDE_EXPOSURE[role]
        assert "other tenant" in roles.CLUSTER_WIDE_EXPOSURE[role]
    assert "secret" in roles.CLUSTER_WIDE_EXPOSURE["edit"]
    assert "rolebindings" in roles.CLUSTER_WIDE_EXPOSURE["admin"]


def test_verbs_are_described_compactly_and_in_kubectl_order() -> None:
    assert roles.describe_verbs(frozenset({"watch", "list", "get"})) == "read"
    assert roles.describe_verbs(roles.READ | roles.WRITE) == "read write"
    assert roles.describe_verbs(frozenset({"delete", "get", "create"})) == "get create delete"
    assert roles.describe_verbs(frozenset({"*", "get"})) == "all"
    assert roles.describe_verbs(frozenset({"readArtifact", "list"})) == "list readArtifact"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("edit", "edit"), ("kubeflow-view", "view"), ("Kubeflow-Admin", "admin"), ("owner", None)],
)
def test_resolve_role(text: str, expected: str | None) -> None:
    assert roles.resolve_role(text) == expected


def test_text_chart_lists_every_area_with_aligned_columns() -> None:
    text = presentation.format_text(ROWS)
    lines = text.splitlines()
    for area in REQUIRED_AREAS:
        assert area in lines
    assert all(line == line.rstrip() for line in lines)
    assert "\x1b" not in text
    headers = [line for line in lines if line.lstrip().startswith("RESOURCE")]
    assert len(headers) == len({row.area for row in ROWS})
    assert len(set(headers)) == 1  # one layout for every area
    columns = headers[0].index("EDIT ADDS")
    secrets = next(line for line in lines if line.split()[:2] == ["secrets", "core"])
    assert secrets[columns:].split()[:2] == ["read", "write"]


def test_one_role_chart_shows_only_what_it_grants() -> None:
    text = presentation.format_text(ROWS, "view")
    resources = {line.split()[0] for line in text.splitlines() if line.startswith("  ")}
    assert "pods" in resources
    assert "secrets" not in resources and "roles" not in resources


def test_markdown_chart_has_a_well_formed_table_per_area() -> None:
    lines = presentation.format_markdown(ROWS).splitlines()
    assert lines[0] == "## kubeflow-admin ⊇ kubeflow-edit ⊇ kubeflow-view"
    for area in REQUIRED_AREAS:
        assert f"### {area}" in lines
    table_lines = [line for line in lines if line.startswith("| `")]
    # Resources plus the summary rows of the two role tables.
    assert len(table_lines) == len(ROWS) + 2 * len(roles.ROLES)
    assert all(line.count(" | ") == 4 for line in table_lines if line.count("`") >= 4)


def test_json_chart_carries_full_verb_lists() -> None:
    data = json.loads(presentation.format_json(ROWS, "edit"))
    assert list(data["roles"]) == ["kubeflow-edit"]
    resources = {
        (item["group"], item["resource"]): item
        for area in data["areas"]
        for item in area["resources"]
    }
    assert resources[("core", "secrets")]["verbs"]["kubeflow-edit"] == [
        "get",
        "list",
        "watch",
        "create",
        "update",
        "patch",
        "delete",
        "deletecollection",
    ]
    assert resources[("core", "namespaces")]["clusterScoped"] is True


def test_cli_roles_prints_the_chart_off_a_terminal_without_colour(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    runner = CliRunner()
    result = runner.invoke(app, ["roles"], catch_exceptions=False)
    assert (result.exit_code, result.stderr) == (0, "")
    assert "\x1b" not in result.stdout
    lines = result.stdout.splitlines()
    assert lines[0] == "kubeflow-admin ⊇ kubeflow-edit ⊇ kubeflow-view"
    secrets = next(line for line in lines if line.split()[:2] == ["secrets", "core"])
    assert secrets.split()[2:] == ["—", "read", "write", "="]  # view none; edit adds; admin =


def test_cli_roles_of_one_role_in_each_format() -> None:
    runner = CliRunner()
    one = runner.invoke(app, ["roles", "Kubeflow-Admin", "-f", "json"], catch_exceptions=False)
    assert one.exit_code == 0
    data = json.loads(one.stdout)
    assert list(data["roles"]) == ["kubeflow-admin"]
    assert all(
        list(r["verbs"]) == ["kubeflow-admin"] for a in data["areas"] for r in a["resources"]
    )
    markdown = runner.invoke(app, ["roles", "view", "--format", "markdown"], catch_exceptions=False)
    assert markdown.stdout.startswith("## kubeflow-view\n")
    assert "`secrets`" not in markdown.stdout and "`pods`" in markdown.stdout


def test_cli_roles_refuses_an_unknown_role() -> None:
    result = CliRunner().invoke(app, ["roles", "owner"], catch_exceptions=False)
    assert result.exit_code == 2
    assert "choose admin, edit or view" in result.stderr


# --- compiler/terminal.py -----------------------------------------------------------------


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("stream", "environ", "expected"),
    [
        (FakeTerminal(), {}, True),
        (FakeTerminal(), {"NO_COLOR": "1"}, False),
        (FakeTerminal(), {"NO_COLOR": ""}, True),  # no-color.org: only a non-empty value counts
        (FakeTerminal(), {"TERM": "dumb"}, False),
        (io.StringIO(), {}, False),  # piped
    ],
)
def test_colour_only_on_a_terminal_without_no_color(
    stream: io.StringIO, environ: dict[str, str], expected: bool
) -> None:
    assert colour_enabled(stream, environ) is expected


def test_palette_off_leaves_text_alone_and_on_wraps_it() -> None:
    assert Palette(False).paint("x", "red") == "x"
    painted = Palette(True).paint("x", "red", "bold")
    assert painted == "\x1b[31;1mx\x1b[0m"
    assert strip_colour(painted) == "x" and visible_width(painted) == 1


def test_table_aligns_on_visible_width_and_grows_multiline_cells() -> None:
    coloured = Palette(True).paint("ab", "red")
    lines = table(["A", "B", "C"], [[coloured, "x\ny", "z"], ["abcd", "", "w"]], indent=1)
    plain = [strip_colour(line) for line in lines]
    assert plain == [" A     B  C", " ab    x  z", "       y", " abcd     w"]


def test_definitions_wrap_under_the_description_column() -> None:
    pairs = [("a", "alpha beta gamma delta epsilon"), ("long", "x")]
    lines = definitions(pairs, indent=2, width=30)
    assert lines == ["  a     alpha beta gamma delta", "        epsilon", "  long  x"]


def test_markdown_table_escapes_pipes() -> None:
    assert markdown_table(["h"], [["a|b"]]) == ["| h |", "| --- |", "| a\\|b |"]


def test_every_format_names_the_kubeflow_release_of_the_chart() -> None:
    rows = roles.chart()
    assert "From Kubeflow 26.03 (kubeflow/manifests " in presentation.format_text(rows)
    assert "Kubeflow 1.7 to 1.11 differ" in " ".join(presentation.format_text(rows).split())
    assert "From Kubeflow 26.03 (kubeflow/manifests " in presentation.format_markdown(rows)
    assert presentation.as_data(rows)["release"] == "Kubeflow 26.03"
