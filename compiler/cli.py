"""The command line: options in, one pipeline call, problems and products out, an exit code.

Exit codes: 0 OK; 1 an invalid roster, a stale out/ or schema under --check;
2 a usage error. Products go to stdout (or -o/--output FILE), problems and progress to
stderr. Heavy modules are imported inside commands so `--help` stays instant.

How a command is written, so every command reads the same (port new ones this way):

- Options come from one vocabulary, defined once below: the ROSTER argument; `--out DIR`,
  the compiled tree; `--deploy DIR`, the deploy manifests; `-o/--output FILE`, the one
  file a command writes (never a directory); `-f/--format FORMAT`, whose names come from
  the output's registry (compiler/formats.py); `--check`; `--strict`. Every parameter
  has a metavar and a sentence of help; a renamed option keeps its old spelling for one
  release as a hidden option that warns (`_deprecated`).
- The body runs inside `with _reported(...)`, the one place our errors become located
  messages and exit codes; anything else is a bug and crashes with its traceback.
- A product is written by `_emit` (stdout, or -o FILE atomically), problems by `_report`.
- `--help` lists commands in COMMAND_ORDER, the order of the daily workflow.
"""

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
import typer.core

from compiler import __version__
from compiler.drift.formats import DRIFT_FORMATS
from compiler.explain.formats import EXPLANATION_FORMATS, ROLES_FORMATS
from compiler.formats import Format, Formats, Style
from compiler.problems import PROBLEM_FORMATS
from compiler.review.plan.formats import PLAN_FORMATS
from compiler.review.pr_comment import ACTIONS_BOT
from compiler.text import counted

if TYPE_CHECKING:
    from compiler.model.roster import Deploy
    from compiler.output.products import Product
    from compiler.output.tree import TreeDiff
    from compiler.pipeline import Compiled
    from compiler.problems import Problem
    from compiler.review.thresholds import Threshold

# The daily workflow first; a command missing here is listed after these.
COMMAND_ORDER = (
    "init",
    "validate",
    "compile",
    "diff",
    "comment",
    "explain",
    "roles",
    "import",
    "deploy",
    "drift",
    "schema",
)


class _Group(typer.core.TyperGroup):
    """The command group, listing its commands in the order of the daily workflow."""

    def list_commands(self, ctx: Any) -> list[str]:
        known = {name: number for number, name in enumerate(COMMAND_ORDER)}
        return sorted(super().list_commands(ctx), key=lambda name: known.get(name, len(known)))


class _Command(typer.core.TyperCommand):
    """A command whose help names each argument by its metavar, with no internal type."""

    def format_options(self, ctx: Any, formatter: Any) -> None:
        arguments, options = [], []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                # Typer appends the Python type (`<path>`, `<list[Path]>`) to the name.
                arguments.append((param.metavar or str(param.name).upper(), record[1]))
            else:
                options.append(record)
        for title, records in (("Arguments", arguments), ("Options", options)):
            if records:
                with formatter.section(title):
                    formatter.write_dl(records)


app = typer.Typer(
    name="kfroster",
    cls=_Group,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)


# --- The option vocabulary ------------------------------------------------------------------


def _format_option(formats: Formats[Any], default: str = "text") -> Any:
    """Return `-f/--format FORMAT`, accepting exactly the names of one output's registry."""

    def choose(value: str | None) -> Format | None:
        if value is None:
            return None
        try:
            return formats.choose(value)
        except ValueError as err:
            raise typer.BadParameter(str(err)) from None

    return typer.Option(
        "--format",
        "-f",
        metavar="FORMAT",
        callback=choose,
        show_default=False,
        help=formats.describe(default),
    )


RosterArgument = Annotated[
    Path,
    typer.Argument(
        metavar="ROSTER",
        help="The roster to read [default: users.yaml].",
        show_default=False,
    ),
]
DEFAULT_ROSTER = Path("users.yaml")
OutDir = Annotated[
    Path,
    typer.Option(
        "--out",
        metavar="DIR",
        help="The directory of the compiled manifests.",
        show_default=True,
    ),
]
OutputFile = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="Write the output to FILE (atomically) instead of stdout.",
        show_default=False,
    ),
]
Strict = Annotated[bool, typer.Option("--strict", help="Treat warnings as errors.")]
BaseRef = Annotated[
    str | None,
    typer.Option(
        "--base",
        metavar="REF",
        help="Compare with ROSTER at git revision REF (nothing is checked out).",
        show_default=False,
    ),
]
MaxChars = Annotated[
    int,
    typer.Option(
        "--max-chars",
        metavar="N",
        parser=lambda text: _at_least(text, 2000),
        help="Markdown: at most N characters, at least 2000.",
    ),
]


def _cluster_option(help_text: str) -> Any:
    """Return `--cluster NAME`, one of the clusters a roster names; each command says which."""
    return typer.Option("--cluster", metavar="NAME", show_default=False, help=help_text)


ProblemFormat = Annotated[
    str | None,
    _format_option(PROBLEM_FORMATS, "github under GITHUB_ACTIONS=true, else text"),
]
# An option's old spelling, kept hidden for one release: `_deprecated` warns when it is used.
OldOutDir = Annotated[Path | None, typer.Option("-o", hidden=True, show_default=False)]
OldDeployDir = Annotated[Path | None, typer.Option("--out", "-o", hidden=True, show_default=False)]


def _version(show: bool) -> None:
    if show:
        typer.echo(f"kfroster {__version__}")
        raise typer.Exit


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Compile one reviewed users.yaml into Kubeflow profiles and permissions.

    Exit codes: 0 OK; 1 an invalid roster, or a stale out/ or schema under --check;
    2 a usage error.
    """


# --- The commands, in the order of the daily workflow ---------------------------------------


@app.command(cls=_Command)
def init(
    directory: Annotated[
        Path,
        typer.Argument(
            metavar="DIR",
            help="Where to create the repository [default: the current directory].",
            show_default=False,
        ),
    ] = Path(),
    *,
    flux: Annotated[
        bool,
        typer.Option("--flux", help="Set settings.deploy to Flux: compile writes Kustomizations."),
    ] = False,
    argocd: Annotated[
        bool,
        typer.Option("--argocd", help="Set settings.deploy to Argo CD (needs --repo-url)."),
    ] = False,
    repo_url: Annotated[
        str | None,
        typer.Option(
            "--repo-url", metavar="URL", help="Argo CD: the URL it clones this repository from."
        ),
    ] = None,
    git_url: Annotated[
        str | None,
        typer.Option(
            "--git-url",
            metavar="URL",
            help="Flux: write a GitRepository of this URL for Flux to read the roster from.",
        ),
    ] = None,
    git_branch: Annotated[
        str,
        typer.Option("--git-branch", metavar="BRANCH", help="Flux: the branch it applies."),
    ] = "main",
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite existing files, printing a diff of each.")
    ] = False,
    skip_existing: Annotated[
        bool,
        typer.Option("--skip-existing", help="Leave existing files alone; write only new ones."),
    ] = False,
    drift: Annotated[
        bool,
        typer.Option(
            "--drift",
            help="Add the daily drift workflow (and, with an engine, its read-only identity).",
        ),
    ] = False,
    kfroster: Annotated[
        str | None,
        typer.Option(
            "--kfroster",
            metavar="REQUIREMENT",
            help="The pip requirement CI and the hooks install [default: this kfroster, pinned].",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Scaffold a roster repository: users.yaml, schema, out/, CI, pre-commit, deploy, README.

    CI and the pre-commit hooks install the kfroster named in .kfroster/requirements.txt:
    by default the one running now, pinned to its commit, archive hash or index version.
    Inside an existing Git repository, DIR holds the roster, and the workflow and the hooks
    go to the repository's root, working on DIR.
    """
    from compiler.output import provenance, scaffold

    try:
        engine = scaffold.choose_engine(flux=flux, argocd=argocd)
        requirement = None if kfroster is None else provenance.checked(kfroster)
        if force and skip_existing:
            raise ValueError("--force and --skip-existing contradict each other: choose one")
    except ValueError as err:
        raise typer.BadParameter(str(err)) from None
    if requirement is None:
        with _reported(code=2):
            pin = provenance.running()
        requirement = pin.requirement
        if pin.note is not None:
            _say(f"warning: {pin.note}")
    root, prefix = scaffold.locate(directory)
    git = None if git_url is None else scaffold.GitSource(git_url, git_branch)
    try:
        files = scaffold.scaffold(
            engine, repo_url, requirement=requirement, drift=drift, prefix=prefix, git=git
        )
    except ValueError as err:
        raise typer.BadParameter(str(err)) from None
    if prefix:
        _say(
            f"{directory} is inside the Git repository at {root}: the roster goes to {prefix}/, "
            f"the workflows and the pre-commit hooks to the repository's root, working on it"
        )
    hooks = scaffold.add_hooks(files, root, skip_existing=skip_existing)
    with _reported():
        done = scaffold.init(
            hooks.files, root, force=force, skip_existing=skip_existing, merged=hooks.merged
        )
    for _, diff in (*done.overwritten, *done.merged):
        _write(diff)
    for path, why in done.skipped:
        _say(f"  skipped  {root / path}: {why}, left as it is")
    if hooks.by_hand is not None:
        _say(
            f"{root / scaffold.PRE_COMMIT}: not changed ({hooks.why}); add this entry to its "
            "'repos:' list by hand (printed on stdout):"
        )
        _write(hooks.by_hand)
    where = f"{directory}" if not prefix else f"{root} ({prefix}/)"
    _say(
        f"initialised {where}: {len(done.created)} created, {len(done.overwritten)} "
        f"overwritten, {len(done.merged)} merged, {len(done.skipped)} skipped, "
        f"{len(done.unchanged)} unchanged; edit users.yaml, run `kfroster compile`"
    )
    kept = root / (f"{prefix}/" if prefix else "") / scaffold.REQUIREMENTS
    if any(root / path == kept for path, _ in done.skipped):
        # --skip-existing left the team's pin alone: say what CI installs, not what init chose.
        _say(f"CI and the pre-commit hooks install what {kept} names (left as it was)")
    else:
        _say(f"CI and the pre-commit hooks install {requirement}")


@app.command(cls=_Command)
def validate(
    roster: RosterArgument = DEFAULT_ROSTER,
    strict: Strict = False,
    output_format: ProblemFormat = None,
) -> None:
    """Check ROSTER and print every problem; exit 1 when it has errors."""
    from compiler import pipeline

    chosen = _problem_format(output_format)
    checked = pipeline.check(roster, str(roster), strict=strict)
    _report(checked.problems, chosen)
    if checked.roster is None:
        raise typer.Exit(1)
    if chosen is Format.TEXT:
        _say(f"{roster}: valid ({_count(checked.problems, 'warning')})")


@app.command("compile", cls=_Command)
def compile_(
    roster: RosterArgument = DEFAULT_ROSTER,
    *,
    out: OutDir = Path("out"),
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Write nothing; exit 1 when DIR (or deploy/) is not what ROSTER compiles to.",
        ),
    ] = False,
    strict: Strict = False,
    output_format: ProblemFormat = None,
    old_out: OldOutDir = None,
) -> None:
    """Validate ROSTER and compile it into DIR (--out), and into deploy/ if it says so."""
    from compiler import pipeline
    from compiler.output import products

    out = _deprecated(old_out, "kfroster compile -o DIR", "--out DIR") or out
    chosen = _problem_format(output_format)
    with _reported(chosen, invalid=f"{roster}: invalid, nothing written ({{errors}})"):
        compiled = pipeline.compile_roster(roster, str(roster), strict=strict)
        _report(compiled.warnings, chosen)
        made = _products(compiled, out)
        if check:
            found = products.compare(made)
            if not all(plan.clean for plan in found):
                # The command that fixes it, with --out when it is not the default.
                again = f"kfroster compile {roster}" + (
                    "" if out == Path("out") else f" --out {out}"
                )
                _fail_stale(made, found, roster, again)
            for product in made:
                files = counted(len(product.files), "file")
                _say(f"{product.directory}/ is up to date with {roster} ({files})")
            return
        changes = products.write(made, lock=roster)
    for product, change in zip(made, changes, strict=True):
        _say(
            f"compiled {roster} into {product.directory}/: {counted(len(product.files), 'file')}, "
            f"{len(change.missing)} added, {len(change.changed)} changed, "
            f"{len(change.stale)} removed"
        )


def _products(compiled: "Compiled", out: Path) -> "list[Product]":
    """Return what a compile writes: out/, and deploy/ when the roster sets settings.deploy."""
    from compiler.output.products import Product

    if compiled.deploy is None:
        return [Product(out, compiled.files)]
    deploy = compiled.deploy
    return [
        Product(out, compiled.files, deploy.repository_path),
        Product(deploy.directory, deploy.files),
    ]


@app.command(cls=_Command)
def diff(
    rosters: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="[ROSTER] | OLD NEW",
            help="With --base: the roster (default users.yaml). Without: two roster files.",
            show_default=False,
        ),
    ] = None,
    *,
    base: BaseRef = None,
    output_format: Annotated[str, _format_option(PLAN_FORMATS)] = Format.TEXT,
    output: OutputFile = None,
    max_chars: MaxChars = 65536,
    exit_code: Annotated[
        bool, typer.Option("--exit-code", help="Exit 1 when anything changes.")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            metavar="DIR",
            show_default=False,
            help="With --base: the compiled out/ whose committed state at REF the plan compares "
            "with this compile [default: out next to ROSTER].",
        ),
    ] = None,
    deploy: Annotated[
        Path | None,
        typer.Option(
            "--deploy",
            metavar="DIR",
            show_default=False,
            help="With --base: the deploy/ directory compared at REF and in the worktree "
            "[default: deploy next to ROSTER].",
        ),
    ] = None,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            metavar="THRESHOLD[,THRESHOLD]",
            show_default=False,
            help="Exit 1 when a risk at a threshold is found: a kind (privilege, data, owner, "
            "quota, settings: its warnings and above), kind:severity (owner:high) or a severity "
            "(high: HIGH and CRITICAL of every kind; recommended).",
        ),
    ] = None,
) -> None:
    """Plan a roster change: who gains or loses what, risks first, then every object.

    `kfroster diff --base REF [ROSTER]` reads ROSTER at git revision REF (nothing is
    checked out); `kfroster diff OLD NEW` compares two files. Both sides are compiled
    with this kfroster, so only the roster change shows.

    Risk kinds: privilege (new or wider access, a cloud identity, an email change), data
    (a profile leaves), owner (an owner changes, a profile is added), quota (a quota or
    limit tightens), settings (a setting every profile reads, a looser policy). Severities:
    critical, high, warning, info; privilege lost is only information and never fails.

    Exit codes: 0 the plan was made; 1 a side is invalid (its problems are printed and
    the plan says so), or --exit-code and something changes, or --fail-on and such a
    risk is found; 2 a usage error: a bad revision, an unreadable file, an unknown KIND.
    """
    import shlex

    from compiler.review import diff as planning
    from compiler.review.plan.model import RISK_KINDS

    chosen = Format(output_format)
    thresholds = _thresholds(fail_on, RISK_KINDS, "risk")
    paths = rosters or []
    if (base is not None and len(paths) > 1) or (base is None and len(paths) != 2):
        raise typer.BadParameter("give --base REF [ROSTER], or OLD NEW", param_hint="ROSTERS")
    if base is None and (out is not None or deploy is not None):
        raise typer.BadParameter("--out and --deploy compare with REF: give --base REF too")
    with _reported(code=2):
        if base is not None:
            roster = paths[0] if paths else DEFAULT_ROSTER
            plan = planning.plan_against(roster, base, out, deploy)
            command = shlex.join(["kfroster", "diff", "--base", base, str(roster)])
        else:
            plan = planning.plan_between(paths[0], paths[1])
            command = shlex.join(["kfroster", "diff", *map(str, paths)])
        _report(plan.problems, Format.GITHUB if chosen is Format.GITHUB else None)
        style = _style(output, max_chars=max_chars, command=command)
        _emit(
            PLAN_FORMATS.write(chosen, plan, style),
            output,
            "the plan",
            colour=style.palette.enabled,
            commands=chosen is Format.GITHUB,
        )
    failing = plan.failing(thresholds)
    if not plan.valid:
        _say(f"no plan: {' and '.join(plan.invalid)} failed validation")
    elif failing:
        found = dict.fromkeys(f"{risk.kind} ({risk.severity.upper()})" for risk in failing)
        _say(f"risks found that --fail-on refuses: {', '.join(found)}")
    raise typer.Exit(1 if not plan.valid or failing or (exit_code and plan.has_changes) else 0)


def _drift_status(value: str | None) -> str | None:
    if value is not None and value not in {"0", "1"}:
        raise typer.BadParameter(f"{value!r} is not 0 or 1, the exit codes of kfroster drift")
    return value


@app.command(cls=_Command)
def comment(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="The Markdown report: the plan `kfroster diff --format markdown --output "
            "FILE` wrote, or drift's.",
            show_default=False,
        ),
    ],
    *,
    pr: Annotated[
        int | None,
        typer.Option(
            "--pr",
            metavar="NUMBER",
            parser=lambda text: _at_least(text, 1),
            show_default=False,
            help="The pull request to comment on [default: the one GITHUB_EVENT_PATH names].",
        ),
    ] = None,
    author: Annotated[
        str,
        typer.Option(
            "--author",
            metavar="LOGIN",
            help="Edit only a comment (or drift issue) written by this login ('' for any): "
            "the login of the token in GITHUB_TOKEN.",
        ),
    ] = ACTIONS_BOT,
    drift_issue: Annotated[
        str | None,
        typer.Option(
            "--drift-issue",
            metavar="STATUS",
            callback=_drift_status,
            show_default=False,
            help="Keep the repository's one drift issue instead, from the report `kfroster "
            "drift --format markdown` wrote: STATUS is drift's exit code (1 opens or edits "
            "the issue, 0 closes it).",
        ),
    ] = None,
) -> None:
    """Post FILE as the pull request's one plan comment: create it, or edit it in place.

    Runs in a GitHub Actions job, after diff (or, with --drift-issue, after drift). The
    comment (or issue) is the one whose first line is the report's marker, by --author. The
    body is read from FILE, never from an argument; the token, repository and API come from
    GITHUB_TOKEN, GITHUB_REPOSITORY and GITHUB_API_URL, a link to the run from
    GITHUB_SERVER_URL and GITHUB_RUN_ID. Exit codes: 0 written, or not written because
    there is no pull request or the token may not write (a fork's: a notice says so, the
    report stays in the job summary); 1 another API failure; 2 a usage error or an
    unreadable FILE.
    """
    if drift_issue is not None:
        if pr is not None:
            raise typer.BadParameter("--pr names a pull request: give it or --drift-issue")
        from compiler.drift.issue import keep_issue

        raise typer.Exit(keep_issue(file, drift=drift_issue == "1", author=author))
    from compiler.review.pr_comment import post_plan

    raise typer.Exit(post_plan(file, number=pr, author=author))


@app.command(cls=_Command)
def explain(
    who: Annotated[
        str,
        typer.Argument(
            metavar="WHO",
            help="A user name (alice) or an email (alice@example.com, any case).",
            show_default=False,
        ),
    ],
    roster: RosterArgument = DEFAULT_ROSTER,
    *,
    output_format: Annotated[str, _format_option(EXPLANATION_FORMATS)] = Format.TEXT,
    output: OutputFile = None,
    base: Annotated[
        str | None,
        typer.Option(
            "--base",
            metavar="REF",
            show_default=False,
            help="Also say what happens to WHO's access in profiles that left since git REF.",
        ),
    ] = None,
    cluster: Annotated[
        str | None,
        _cluster_option(
            "With a roster that names clusters: only this cluster [default: each cluster]."
        ),
    ] = None,
) -> None:
    """Show everything WHO can do: cluster-wide role, namespaces and why, owned profiles.

    A roster that names clusters is explained per cluster (clusters where WHO's access
    reads the same are shown together), or in the one --cluster names.
    """
    from compiler.explain.person import explain_person

    with _reported(invalid=f"{roster}: invalid ({{errors}})"):
        found = explain_person(roster, who, base, cluster)
        style = _style(output)
        text = EXPLANATION_FORMATS.write(Format(output_format), found, style)
        _emit(text, output, "the explanation", colour=style.palette.enabled)


@app.command(cls=_Command)
def roles(
    role: Annotated[
        str | None,
        typer.Argument(
            metavar="ROLE",
            help="admin, edit or view (kubeflow- prefix optional) [default: all three].",
            show_default=False,
        ),
    ] = None,
    output_format: Annotated[str, _format_option(ROLES_FORMATS)] = Format.TEXT,
    output: OutputFile = None,
) -> None:
    """Chart what kubeflow-admin, kubeflow-edit and kubeflow-view allow, by area."""
    from compiler.explain.roles.chart import chart, resolve_role
    from compiler.explain.roles.presentation import Shown

    chosen = None if role is None else resolve_role(role)
    if role is not None and chosen is None:
        raise typer.BadParameter("choose admin, edit or view", param_hint="ROLE")
    with _reported():
        style = _style(output)
        text = ROLES_FORMATS.write(Format(output_format), Shown(chart(), chosen), style)
        _emit(text, output, "the chart", colour=style.palette.enabled)


@app.command("import", cls=_Command)
def import_(
    files: Annotated[
        list[str],
        typer.Argument(
            metavar="FILE",
            help="What `kubectl get profiles,namespaces,clusterrolebindings,rolebindings,"
            "limitranges,authorizationpolicies -A -o yaml` printed (YAML or JSON; '-' is stdin).",
            show_default=False,
        ),
    ],
    *,
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", metavar="FILE", help="Where to write the roster; '-' for stdout."
        ),
    ] = DEFAULT_ROSTER,
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            metavar="FILE",
            show_default=False,
            help="Also write the report to this file, as JSON.",
        ),
    ] = None,
    into: Annotated[
        Path | None,
        typer.Option(
            "--into",
            metavar="ROSTER",
            show_default=False,
            help="Import the cluster into this roster, in place, as cluster --cluster NAME.",
        ),
    ] = None,
    cluster: Annotated[
        str | None, _cluster_option("With --into: the name of the cluster FILE is from.")
    ] = None,
    existing_cluster: Annotated[
        str | None,
        typer.Option(
            "--existing-cluster",
            metavar="NAME",
            show_default=False,
            help="With --into a roster without clusters: the name of the cluster it describes.",
        ),
    ] = None,
) -> None:
    """Write the roster that grants what a running cluster grants; report what it cannot.

    With --into ROSTER --cluster NAME, write it into ROSTER as one more cluster instead:
    what equals the roster is shared, what differs is restricted to its clusters or
    becomes the cluster's settings and defaults; what no roster can say is reported.
    """
    from compiler import importer
    from compiler.importer.report import REPORT_FORMATS, Report
    from compiler.output.files import write_atomically

    if into is not None or cluster is not None or existing_cluster is not None:
        if into is None or cluster is None:
            raise typer.BadParameter(
                "--into ROSTER and --cluster NAME go together: the roster to import into, "
                "and the name of the cluster FILE is from"
            )
        if report is not None or force or str(output) != str(DEFAULT_ROSTER):
            raise typer.BadParameter(
                "--into writes ROSTER in place: --output, --force and --report do not apply"
            )
        _import_into(files, into, cluster, existing_cluster)
        return
    to_stdout = str(output) == "-"
    if not to_stdout and output.exists() and not force:
        _say(f"error: {output} exists; pass --force to replace it, or choose another --output")
        raise typer.Exit(1)
    invalid = "nothing written: give kfroster import what kubectl printed"
    with _reported(Format.TEXT, invalid=invalid):
        inputs = importer.read_inputs(files, sys.stdin.buffer)
        imported = importer.import_cluster(inputs, "users.yaml" if to_stdout else str(output))
        if to_stdout:
            sys.stdout.write(imported.text)
        else:
            write_atomically(output, imported.text, exclusive=not force)
        found = Report(imported, [name for name, _ in inputs], str(output))
        if report is not None:
            write_atomically(report, REPORT_FORMATS.write(Format.JSON, found))
    for line in REPORT_FORMATS.write(Format.TEXT, found).splitlines():
        _say(line)


def _import_into(files: list[str], into: Path, cluster: str, existing: str | None) -> None:
    """Import a cluster into a roster as one more cluster; say what was written and what not."""
    from compiler import importer
    from compiler.output.files import write_atomically
    from compiler.problems import format_text

    invalid = f"nothing written: {into} is unchanged"
    with _reported(Format.TEXT, invalid=invalid):
        imported, merged = importer.import_into(
            importer.read_inputs(files, sys.stdin.buffer), into, cluster, existing
        )
        for finding in imported.findings:
            _say(format_text(finding))
        write_atomically(into, merged.text)
    _say(f"imported cluster {cluster} into {into}: {counted(len(merged.written), 'change')}")
    for line in merged.written:
        _say(f"  + {line}")
    if merged.not_imported:
        _say("not imported (no roster can say it; the cluster keeps it as it is):")
        for line in merged.not_imported:
            _say(f"  - {line}")
    if merged.reformatted:
        _say(
            f"note: ruamel.yaml could not keep every untouched line of {into} as it was "
            "(its indentation is uneven); review the whole diff"
        )
    _say(f"next: kfroster compile {into}, then review the plan (kfroster diff) and commit")


Deprecated = Annotated[
    str | None,
    typer.Option(
        metavar="VALUE",
        help="Deprecated, like --flux: a field of settings.deploy.",
        show_default=False,
    ),
]


@app.command(cls=_Command)
def deploy(
    roster: RosterArgument = DEFAULT_ROSTER,
    *,
    directory: Annotated[
        Path | None,
        typer.Option(
            "--deploy",
            metavar="DIR",
            help="Where to write them; '-' prints them [default: settings.deploy.directory, "
            "beside ROSTER].",
            show_default=False,
        ),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 when DIR is stale.")
    ] = False,
    flux: Annotated[
        bool,
        typer.Option(
            "--flux",
            help="Deprecated until the next release, like the options below: for a roster "
            "without settings.deploy; prints the settings.deploy block that replaces them.",
        ),
    ] = False,
    argocd: Annotated[bool, typer.Option("--argocd", help="Deprecated, like --flux.")] = False,
    path: Deprecated = None,
    name: Deprecated = None,
    namespace: Deprecated = None,
    source: Deprecated = None,
    repo_url: Deprecated = None,
    revision: Deprecated = None,
    project: Deprecated = None,
    old_directory: OldDeployDir = None,
) -> None:
    """Write the manifests settings.deploy describes, which point Flux or Argo CD at out/.

    `kfroster compile` writes them with out/ already; this command prints them
    (`--deploy -`), writes them elsewhere, or checks them on their own (`--check`).
    """
    from compiler import pipeline
    from compiler.output import deploy as deploying
    from compiler.output import tree
    from compiler.output.products import Product

    deprecated = _deprecated(
        old_directory,
        "kfroster deploy --out DIR (or -o DIR)",
        "--deploy DIR; in the next release --out names the compiled tree, as in compile",
    )
    directory = deprecated or directory
    old_options = {
        "path": path,
        "name": name,
        "namespace": namespace,
        "source": source,
        "repo-url": repo_url,
        "revision": revision,
        "project": project,
    }
    given = {option: value for option, value in old_options.items() if value is not None}
    legacy = (
        _deploy_from_options(flux=flux, argocd=argocd, given=given)
        if (flux or argocd or given)
        else None
    )
    with _reported(invalid=f"{roster}: invalid, nothing written ({{errors}})"):
        model = pipeline.validate(roster, str(roster)).roster
        if legacy is not None:
            if model.settings.deploy is not None:
                raise typer.BadParameter(
                    f"{roster} sets settings.deploy already; drop the deprecated options"
                )
            model = model.model_copy(
                update={"settings": model.settings.model_copy(update={"deploy": legacy})}
            )
        setting = model.settings.deploy
        if setting is None:
            _say(
                f"{roster} sets no settings.deploy, so there is nothing to deploy with: add it, "
                "e.g. `settings: {deploy: {engine: flux}}` (see docs/deploy.md), and run "
                "kfroster compile"
            )
            raise typer.Exit(1)
        files = deploying.render(model, roster.name)
        target = directory if directory is not None else roster.parent / setting.directory
        if str(target) == "-":
            _write("".join(files[relative] for relative in sorted(files)))
            return
        changes = tree.compare_tree(files, target) if check else tree.write_tree(files, target)
    if check and not changes.clean:
        fix = "kfroster deploy with the same options, without --check" if legacy else ""
        _fail_stale([Product(target, files)], [changes], roster, fix)
    _say(
        f"{target}/ is up to date with {roster} ({counted(len(files), 'file')})"
        if check
        else f"wrote {target}/ for {setting.engine}: {counted(len(files), 'file')}, "
        f"{len(changes.missing)} added, {len(changes.changed)} changed, "
        f"{len(changes.stale)} removed"
    )


def _deploy_from_options(*, flux: bool, argocd: bool, given: dict[str, str]) -> "Deploy":
    """Turn the deprecated deploy options into the settings.deploy they mean, checked as one.

    Prints the deprecation warning with the block to put in the roster instead; exits 2
    when the options are wrong, with the problems the roster would have.
    """
    from pathlib import PurePosixPath

    from compiler import pipeline
    from compiler.yamlio import emitter

    if flux == argocd:
        raise typer.BadParameter("choose one engine: --flux or --argocd")
    setting: dict[str, Any] = {"engine": "flux" if flux else "argocd"}
    if "path" in given:  # the option took ./out/ too
        setting["path"] = str(PurePosixPath(given["path"])) if given["path"] else ""
    setting.update({key: given[key] for key in ("name", "namespace") if key in given})
    if "source" in given:
        setting["flux"] = {"sourceRef": {"name": given["source"]}}
    for option, key in (
        ("repo-url", "repoURL"),
        ("revision", "targetRevision"),
        ("project", "project"),
    ):
        if option in given:
            setting.setdefault("argocd", {})[key] = given[option]
    text = emitter.dumps({"version": 1, "settings": {"deploy": setting}})
    block = text.split("\n", 1)[1]
    _say(
        "warning: --flux, --argocd and the options that go with them are deprecated and go "
        "in the next release; put this in the roster instead, and `kfroster compile` writes "
        "deploy/ together with out/ (and checks it with compile --check):"
    )
    for line in block.splitlines():
        _say(f"  {line}")
    checked = pipeline.check_text(text, "the deploy options")
    if checked.roster is None or checked.roster.settings.deploy is None:
        for problem in checked.problems:
            _say(f"{problem.level}: {problem.message} [{problem.rule}]")
        raise typer.BadParameter("these options make no valid settings.deploy")
    return checked.roster.settings.deploy


@app.command(cls=_Command)
def drift(
    files: Annotated[
        list[str],
        typer.Argument(
            metavar="FILE",
            help="What `kubectl get profiles,namespaces,clusterrolebindings,rolebindings,"
            "limitranges,authorizationpolicies -A -o json` printed (JSON or YAML; '-' is stdin).",
            show_default=False,
        ),
    ],
    *,
    roster: Annotated[
        Path,
        typer.Option("--roster", "-r", metavar="ROSTER", help="The roster the cluster is held to."),
    ] = DEFAULT_ROSTER,
    cluster: Annotated[
        str | None,
        _cluster_option(
            "The roster's cluster the dump is from (required when the roster names clusters)."
        ),
    ] = None,
    output_format: Annotated[str, _format_option(DRIFT_FORMATS)] = Format.TEXT,
    output: OutputFile = None,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            metavar="THRESHOLD[,THRESHOLD]",
            show_default=False,
            help="Exit 1 only for these: a kind (granted, missing, changed, unmanaged: its "
            "warnings and above), kind:severity (granted:critical) or a severity (high).",
        ),
    ] = None,
    adopt: Annotated[
        bool, typer.Option("--adopt", help="Write what can be adopted into ROSTER, in place.")
    ] = False,
    revoke: Annotated[
        bool,
        typer.Option("--revoke", help="Print the kubectl commands that remove the drift instead."),
    ] = False,
    max_chars: MaxChars = 65536,
) -> None:
    """Hold the cluster to the roster: access granted outside it, objects missing or changed.

    Reads FILE as `import` does and compares it with what ROSTER compiles to (for a roster
    with clusters, what it compiles to for --cluster NAME: out/NAME/); nothing is written.
    Kinds: granted (access not through out/), missing and changed (objects of out/),
    unmanaged (Profiles the roster does not hold), info (never drift). Exit codes:
    0 nothing but info; 1 drift (with --fail-on, only what it selects); 2 a usage error,
    input that is not kubectl output, or a roster with errors.
    """
    import shlex

    from compiler.drift import compare as drifting
    from compiler.drift.adopt import adopt as adopting
    from compiler.drift.model import FAILING_KINDS
    from compiler.importer import read_inputs
    from compiler.output.files import write_atomically

    thresholds = _thresholds(fail_on, FAILING_KINDS) if fail_on is not None else None
    if adopt and revoke:
        raise typer.BadParameter("choose --adopt or --revoke, not both")
    if adopt and cluster is not None:
        # A grant adopted from one cluster's dump would hold in every cluster its profile
        # or user is in: more than the dump shows, in clusters nobody looked at.
        raise typer.BadParameter(
            "--adopt does not take --cluster: what it would write into the roster holds in "
            "every cluster the record is in, not only this one; write it in by hand, "
            "restricted with clusters, or use --revoke"
        )
    chosen = Format(output_format)
    with _reported(Format.TEXT, code=2, invalid_code=2):
        compared = drifting.compare(read_inputs(files, sys.stdin.buffer), roster, cluster=cluster)
        _report(compared.drift.problems, Format.TEXT)
        if adopt:
            adopted = adopting(compared)
            if adopted.text != compared.source.text:
                write_atomically(roster, adopted.text)
            for line in drifting.adoption_report(adopted, str(roster)):
                _say(line)
        where = [] if cluster is None else ["--cluster", cluster]
        command = shlex.join(["kfroster", "drift", *files, "--roster", str(roster), *where])
        style = _style(output, max_chars=max_chars, command=command)
        if revoke:
            text = drifting.revoke_script(compared)
        else:
            text = DRIFT_FORMATS.write(chosen, compared.drift, style)
        _emit(
            text,
            output,
            "the drift report",
            colour=style.palette.enabled,
            commands=chosen is Format.GITHUB and not revoke,
        )
    _hold_until_exit(compared)
    raise typer.Exit(1 if compared.drift.failing(thresholds) else 0)


@app.command(cls=_Command)
def schema(
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", metavar="FILE", help="Where to write the schema; '-' for stdout."
        ),
    ] = Path("schemas/users.schema.json"),
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 when FILE is stale.")
    ] = False,
) -> None:
    """Write the roster's JSON Schema, generated from the models."""
    from compiler.output.files import write_atomically
    from compiler.roster.schema import dumps_schema

    text = dumps_schema()
    if str(output) == "-":
        sys.stdout.write(text)
        return
    with _reported():
        current = output.read_text(encoding="utf-8") if output.is_file() else None
        if check:
            if current != text:
                state = "missing" if current is None else "stale"
                _say(f"{output} is {state}: run `kfroster schema` and commit it")
                raise typer.Exit(1)
            _say(f"{output} is up to date")
            return
        if current != text:
            output.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(output, text)
            _say(f"wrote {output}")


# --- What every command shares --------------------------------------------------------------


@contextmanager
def _reported(
    problems_as: Format | None = None, *, invalid: str = "", code: int = 1, invalid_code: int = 1
) -> Iterator[None]:
    """Turn our own errors into what a user reads, and an exit code; let bugs crash.

    Invalid input (a roster, kubectl output): every problem, located, printed as
    `problems_as` (None: the default for problems), then `invalid` with `{errors}`
    counted, and exit `invalid_code` (1, or 2 where the command counts input it cannot use as
    a usage error: `drift`). Any other CompilerError, or an OSError (a file named on the
    command line that cannot be read or written; kfroster's writers name the path), is
    one `error: ...` line and exit `code`: 1, or 2 where the command counts it as a usage
    error (`diff`: a bad revision, an unreadable roster).
    """
    from compiler.problems import CompilerError, Invalid

    try:
        yield
    except Invalid as err:
        _report(err.problems, problems_as)
        if invalid:
            # Not str.format: the message holds file names, which may hold braces.
            _say(invalid.replace("{errors}", _count(err.problems, "error")))
        raise typer.Exit(invalid_code) from None
    except (CompilerError, OSError) as err:
        _say_error(err)
        raise typer.Exit(code) from None


_Value = TypeVar("_Value")


def _deprecated(value: _Value | None, old: str, new: str) -> _Value | None:
    """Warn on stderr that an old spelling goes in the next release; return its value."""
    if value is not None:
        _say(f"warning: {old} is deprecated and goes in the next release; use {new}")
    return value


def _problem_format(chosen: str | None) -> Format:
    """Return the format of problems: the one chosen, else github under GitHub Actions."""
    if chosen is not None:
        return Format(chosen)
    return Format.GITHUB if os.environ.get("GITHUB_ACTIONS") == "true" else Format.TEXT


def _report(problems: "Sequence[Problem]", chosen: Format | None) -> None:
    """Print problems: as JSON on stdout (a product for bots), else on stderr, a line each.

    GitHub annotations are the workflow commands kfroster means (format_github escapes what
    they carry); a text line is escaped like every other line on stderr.
    """
    chosen = chosen or _problem_format(None)
    text = PROBLEM_FORMATS.write(chosen, problems)
    if chosen is Format.JSON:
        _write(text)
        return
    for line in text.splitlines():
        (_annotate if chosen is Format.GITHUB else _say)(line)


def _style(output: Path | None, **options: Any) -> Style:
    """Return how to write a product: coloured only for a terminal, never into a file."""
    from compiler.terminal import PLAIN, palette_for

    return Style(palette_for(sys.stdout) if output is None else PLAIN, **options)


def _emit(
    text: str, output: Path | None, what: str, *, colour: bool = False, commands: bool = False
) -> None:
    """Write a command's product to stdout, or to FILE atomically, saying so on stderr.

    On stdout nothing a terminal or a runner would act on gets through but kfroster's own
    colours (colour) and workflow commands (commands: annotations it built and escaped).
    """
    from compiler.output.files import write_atomically

    if output is None:
        if commands:
            sys.stdout.write(text)
        else:
            _write(text, colour=colour)
        return
    write_atomically(output, text)
    _say(f"wrote {what} to {output}")


def _at_least(text: str, minimum: int) -> int:
    """Read a whole number option of at least `minimum`; say so plainly otherwise."""
    try:
        number = int(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a whole number") from None
    if number < minimum:
        raise typer.BadParameter(f"{number} is less than {minimum}")
    return number


def _thresholds(
    text: str | None, kinds: "Sequence[str]", what: str = ""
) -> "tuple[Threshold, ...]":
    """Parse --fail-on against the kinds a command reports; refuse anything else (exit 2)."""
    from compiler.review.thresholds import parse_fail_on

    if text is None:
        return ()
    try:
        return parse_fail_on(text, kinds, what)
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--fail-on") from None


def _count(problems: "Sequence[Problem]", level: str) -> str:
    return counted(sum(1 for problem in problems if problem.level == level), level)


def _fail_stale(
    made: "Sequence[Product]", plans: "Sequence[TreeDiff]", roster: Path, fix: str = ""
) -> NoReturn:
    """Exit 1 when a tree is not what it should hold: say which, list each file, say how."""
    command = fix or f"kfroster compile {roster}"
    for product, plan in zip(made, plans, strict=True):
        if plan.clean:
            continue
        _say(f"{product.directory}/ is not what {roster} compiles to:")
        _list_tree_diff(plan, product.directory, command)
    directories = " and ".join(f"{product.directory}/" for product in made)
    _say(f"run `{command}` and commit {directories}")
    raise typer.Exit(1)


def _list_tree_diff(plan: "TreeDiff", out: Path, fix: str) -> None:
    """Say, one line per path, how a tree differs from what kfroster would write."""
    from compiler.output.tree import shown_path

    for label, paths in (
        ("missing", plan.missing),
        ("changed", plan.changed),
        ("extra", plan.stale),
        ("foreign", plan.foreign),
    ):
        for relative in paths:
            _say(f"  {label:<8} {shown_path(out, relative)}")
    for name in plan.leftovers:
        _say(
            f"  leftover {out.parent / name}: {out}/ is missing and this copy of it is beside "
            "it (a compile was interrupted, or a commit moved it there); nothing was changed: "
            f"`{fix}` puts it back and brings it up to date"
        )


def _say_error(err: Exception) -> None:
    """Write an error: its first line after `error: `, each further line of its own."""
    first, *rest = str(err).splitlines() or [""]
    _say(f"error: {first}")
    for line in rest:
        _say(line)


def _say(line: str) -> None:
    """Write one line of progress or a problem to stderr: always one line, never a command."""
    from compiler.text import safe_output, visible

    sys.stderr.write(safe_output(visible(line)) + "\n")


def _annotate(line: str) -> None:
    """Write a workflow command kfroster means (format_github escapes what it carries)."""
    sys.stderr.write(line + "\n")


def _write(text: str, *, colour: bool = False) -> None:
    """Write what a command found to stdout, its lines kept, nothing a terminal or runner
    would act on but kfroster's own colours."""
    from compiler.text import safe_output

    sys.stdout.write(safe_output(text, colour=colour))


# What a command read and the process still holds when it ends. Freeing a cluster of
# 125,000 objects one by one takes 0.6 s of a 5 s drift, and the operating system takes
# the memory back at once: run() ends the process without freeing them (as mypy does).
# Only under run(): the app called in a process that goes on (the tests) holds nothing.
_HELD_UNTIL_EXIT: list[object] = []
_ENDING_AFTER_COMMAND = False


def _hold_until_exit(thing: object) -> None:
    """Keep `thing` alive until the process ends, so nothing frees it object by object."""
    if _ENDING_AFTER_COMMAND:
        _HELD_UNTIL_EXIT.append(thing)


def run() -> NoReturn:
    """The `kfroster` command: run the app, then end the process.

    When a command held what it read (_hold_until_exit), the process ends with os._exit
    once stdout and stderr are flushed: Python's own exit would free every object first.
    """
    global _ENDING_AFTER_COMMAND  # noqa: PLW0603 - set once, before the one command runs
    _ENDING_AFTER_COMMAND = True
    try:
        app(prog_name="kfroster")
        code: object = 0
    except SystemExit as end:
        code = end.code
    if not _HELD_UNTIL_EXIT:
        sys.exit(code)  # type: ignore[arg-type]
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # what sys.exit does with any other value: print it, exit 1
        sys.stderr.write(f"{code}\n")
        status = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:
        status = 120  # Python's status when flushing the standard streams fails at exit
    os._exit(status)


if __name__ == "__main__":  # pragma: no cover
    run()
