"""The command line: options in, one pipeline call, problems and products out, an exit code.

Exit codes: 0 OK; 1 an invalid roster, a stale out/ or schema under --check;
2 a usage error. Products go to stdout, problems and progress to stderr.
Heavy modules are imported inside commands so `--help` stays instant.
"""

import enum
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from compiler import __version__

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from compiler.output.tree import TreeDiff
    from compiler.problems import Problem
    from compiler.review.thresholds import Threshold

app = typer.Typer(
    name="kfroster",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)


class Format(enum.StrEnum):
    """How problems are printed."""

    TEXT = "text"
    GITHUB = "github"
    JSON = "json"


RosterPath = Annotated[
    Path, typer.Argument(help="The roster to read.", show_default=True, dir_okay=True)
]
OutDir = Annotated[Path, typer.Option("--out", "-o", help="Directory of the compiled manifests.")]
Strict = Annotated[bool, typer.Option("--strict", help="Treat warnings as errors.")]
FormatOption = Annotated[
    Format | None,
    typer.Option(
        "--format",
        "-f",
        help="How to print problems [default: github under GITHUB_ACTIONS=true, else text].",
        case_sensitive=False,
    ),
]


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


@app.command()
def validate(
    roster: RosterPath = Path("users.yaml"),
    strict: Strict = False,
    output_format: FormatOption = None,
) -> None:
    """Check ROSTER and print every problem; exit 1 when it has errors."""
    from compiler import pipeline

    checked = pipeline.check(roster, str(roster), strict=strict)
    _report(checked.problems, output_format)
    if checked.roster is None:
        raise typer.Exit(1)
    if (output_format or _default_format()) is Format.TEXT:
        _say(f"{roster}: valid ({_count(checked.problems, 'warning')})")


@app.command("compile")
def compile_(
    roster: RosterPath = Path("users.yaml"),
    out: OutDir = Path("out"),
    check: Annotated[
        bool,
        typer.Option(
            "--check", help="Write nothing; exit 1 when OUT is not what ROSTER compiles to."
        ),
    ] = False,
    strict: Strict = False,
    output_format: FormatOption = None,
) -> None:
    """Validate ROSTER and compile it into manifests under OUT."""
    from compiler import pipeline
    from compiler.output import tree
    from compiler.problems import CompilerError, RosterInvalid

    try:
        compiled = pipeline.compile_roster(roster, str(roster), strict=strict)
        _report(compiled.warnings, output_format)
        if check:
            plan = tree.plan_tree(compiled.files, out)
            if not plan.clean:
                _fail_stale(plan, out, roster)
            _say(f"{out}/ is up to date with {roster} ({len(compiled.files)} files)")
            return
        changes = tree.write_tree(compiled.files, out)
    except RosterInvalid as err:
        _report(err.problems, output_format)
        _say(f"{roster}: invalid, nothing written ({_count(err.problems, 'error')})")
        raise typer.Exit(1) from None
    except CompilerError as err:
        _say(f"error: {err}")
        raise typer.Exit(1) from None
    _say(
        f"compiled {roster} into {out}/: {len(compiled.files)} files, "
        f"{len(changes.missing)} added, {len(changes.changed)} changed, "
        f"{len(changes.stale)} removed"
    )


@app.command()
def schema(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the schema; '-' for stdout.")
    ] = Path("schemas/users.schema.json"),
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 when OUTPUT is stale.")
    ] = False,
) -> None:
    """Write the roster's JSON Schema, generated from the models."""
    from compiler.roster.schema import dumps_schema

    text = dumps_schema()
    if str(output) == "-":
        sys.stdout.write(text)
        return
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
        output.write_bytes(text.encode("utf-8"))
        _say(f"wrote {output}")


class Presentation(enum.StrEnum):
    """How `explain`, `roles` and `diff` print what they found."""

    TEXT = "text"
    MARKDOWN = "markdown"
    JSON = "json"


PresentationOption = Annotated[
    Presentation,
    typer.Option("--format", "-f", help="Aligned text, Markdown or JSON.", case_sensitive=False),
]


def _present(
    chosen: Presentation,
    *,
    text: "Callable[[], str]",
    markdown: "Callable[[], str]",
    json: "Callable[[], str]",
) -> str:
    """Return what a command found, rendered in the chosen presentation."""
    # Renderers come as callables so only the chosen one runs: only text reads the terminal.
    renderers = {Presentation.TEXT: text, Presentation.MARKDOWN: markdown, Presentation.JSON: json}
    return renderers[chosen]()


@app.command()
def explain(
    who: Annotated[
        str, typer.Argument(help="A user name (alice) or an email (alice@example.com, any case).")
    ],
    roster: RosterPath = Path("users.yaml"),
    output_format: PresentationOption = Presentation.TEXT,
    base: Annotated[
        str | None,
        typer.Option(
            "--base",
            metavar="REF",
            help="Also say what happens to WHO's access in profiles that left since git REF.",
        ),
    ] = None,
) -> None:
    """Show everything WHO can do: cluster-wide role, namespaces and why, owned profiles."""
    from compiler import pipeline
    from compiler.explain import access as explaining
    from compiler.problems import CompilerError
    from compiler.review import gitrev
    from compiler.terminal import palette_for

    checked = pipeline.check(roster, str(roster))
    if checked.roster is None:
        _report(checked.problems, None)
        _say(f"{roster}: invalid ({_count(checked.problems, 'error')})")
        raise typer.Exit(1)
    try:
        before = None
        if base is not None:
            before = pipeline.check_text(gitrev.read_at(roster, base), f"{roster}@{base}").roster
            if before is None:
                _say(f"error: {roster}@{base} is invalid; run kfroster diff --base {base}")
                raise typer.Exit(1)
        found = explaining.explain(checked.roster, who, before)
    except CompilerError as err:
        _say(f"error: {roster}: {err}")
        raise typer.Exit(1) from None
    shown = _present(
        output_format,
        text=lambda: explaining.format_text(found, palette_for(sys.stdout)),
        markdown=lambda: explaining.format_markdown(found),
        json=lambda: explaining.format_json(found),
    )
    sys.stdout.write(shown)


@app.command()
def roles(
    role: Annotated[
        str | None,
        typer.Argument(help="admin, edit or view (kubeflow- prefix optional); all when omitted."),
    ] = None,
    output_format: PresentationOption = Presentation.TEXT,
) -> None:
    """Chart what kubeflow-admin, kubeflow-edit and kubeflow-view allow, by area."""
    from compiler.explain import roles as charts
    from compiler.terminal import palette_for

    chosen = None if role is None else charts.resolve_role(role)
    if role is not None and chosen is None:
        raise typer.BadParameter("choose admin, edit or view", param_hint="ROLE")
    rows = charts.chart()
    shown = _present(
        output_format,
        text=lambda: charts.format_text(rows, chosen, palette_for(sys.stdout)),
        markdown=lambda: charts.format_markdown(rows, chosen),
        json=lambda: charts.format_json(rows, chosen),
    )
    sys.stdout.write(shown)


@app.command()
def init(
    directory: Annotated[
        Path, typer.Argument(metavar="DIR", help="Where to create the repository.")
    ] = Path(),
    *,
    flux: Annotated[
        bool, typer.Option("--flux", help="Add the Flux Kustomization that applies out/.")
    ] = False,
    argocd: Annotated[
        bool, typer.Option("--argocd", help="Add the Argo CD ApplicationSet (needs --repo-url).")
    ] = False,
    repo_url: Annotated[
        str | None, typer.Option(help="Argo CD: the URL it clones this repository from.")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite existing files, printing a diff of each.")
    ] = False,
    drift: Annotated[
        bool,
        typer.Option(
            "--drift",
            help="Add the daily drift workflow (and, with an engine, its read-only identity).",
        ),
    ] = False,
) -> None:
    """Scaffold a roster repository: users.yaml, schema, out/, CI, pre-commit, deploy, README."""
    from compiler.output import scaffold
    from compiler.output.deploy import Target, check_target
    from compiler.problems import CompilerError

    try:
        engine = scaffold.choose_engine(flux=flux, argocd=argocd)
    except ValueError as err:
        raise typer.BadParameter(str(err)) from None
    mistakes = check_target(Target(engine, repo_url=repo_url)) if engine else []
    if mistakes or (repo_url is not None and engine != "argocd"):
        raise typer.BadParameter("; ".join(mistakes) or "--repo-url applies to --argocd only")
    try:
        done = scaffold.init(
            scaffold.scaffold(engine, repo_url, drift=drift), directory, force=force
        )
    except CompilerError as err:
        _say(f"error: {err}")
        raise typer.Exit(1) from None
    for _, diff in done.overwritten:
        sys.stdout.write(diff)
    _say(
        f"initialised {directory}: {len(done.created)} created, {len(done.overwritten)} "
        f"overwritten, {len(done.unchanged)} unchanged; edit users.yaml, run `kfroster compile`"
    )


@app.command()
def deploy(
    roster: RosterPath = Path("users.yaml"),
    *,
    flux: Annotated[
        bool, typer.Option("--flux", help="Write one Flux Kustomization per apply unit.")
    ] = False,
    argocd: Annotated[
        bool, typer.Option("--argocd", help="Write one Argo CD ApplicationSet over the units.")
    ] = False,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Directory of the deploy manifests.")
    ] = Path("deploy"),
    path: Annotated[
        str, typer.Option(help="Where the compiled out/ is, inside the Git repository.")
    ] = "out",
    name: Annotated[str, typer.Option(help="Kustomization name prefix / ApplicationSet name.")] = (
        "kubeflow-users"
    ),
    namespace: Annotated[
        str | None, typer.Option(help="Of the objects written [default: flux-system, argocd].")
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="Flux: the GitRepository [default: flux-system].")
    ] = None,
    repo_url: Annotated[str | None, typer.Option(help="Argo CD: the repository URL.")] = None,
    revision: Annotated[
        str | None, typer.Option(help="Argo CD: branch, tag or commit [default: HEAD].")
    ] = None,
    project: Annotated[
        str | None, typer.Option(help="Argo CD: the AppProject [default: default].")
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 when OUT is stale.")
    ] = False,
    drift_reader: Annotated[
        bool,
        typer.Option(
            "--drift-reader",
            help="Also write the read-only identity the scheduled drift workflow reads with.",
        ),
    ] = False,
) -> None:
    """Write the manifests that point Flux or Argo CD at the apply units of out/."""
    from compiler import pipeline
    from compiler.output import deploy as deploying
    from compiler.output import tree
    from compiler.problems import CompilerError

    if flux == argocd:
        raise typer.BadParameter("choose one engine: --flux or --argocd")
    target = deploying.Target(
        "flux" if flux else "argocd",
        name,
        path,
        namespace,
        source,
        repo_url,
        revision,
        project,
        drift_reader,
    )
    mistakes = deploying.check_target(target)
    if mistakes:
        raise typer.BadParameter("; ".join(mistakes))
    checked = pipeline.check(roster, str(roster))
    if checked.roster is None:
        _report(checked.problems, None)
        _say(f"{roster}: invalid, nothing written ({_count(checked.problems, 'error')})")
        raise typer.Exit(1)
    files = deploying.render(target, checked.roster, roster.name)
    try:
        changes = tree.plan_tree(files, out) if check else tree.write_tree(files, out)
    except CompilerError as err:
        _say(f"error: {err}")
        raise typer.Exit(1) from None
    if check and not changes.clean:
        _say(f"{out}/ is stale; run `kfroster deploy --{target.engine} ...` and commit it:")
        for label in ("missing", "changed", "stale", "foreign"):
            for relative in getattr(changes, label):
                _say(f"  {label:<8} {out / relative}")
        raise typer.Exit(1)
    _say(
        f"{out}/ is up to date ({len(files)} file(s))"
        if check
        else f"wrote {out}/ for {target.engine}: {len(files)} file(s), {len(changes.missing)} "
        f"added, {len(changes.changed)} changed, {len(changes.stale)} removed"
    )


@app.command()
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
    base: Annotated[
        str | None,
        typer.Option(
            "--base", metavar="REF", help="Compare ROSTER at git revision REF with the worktree."
        ),
    ] = None,
    output_format: Annotated[
        Presentation,
        typer.Option(
            "--format",
            "-f",
            case_sensitive=False,
            help="text (coloured on a terminal unless NO_COLOR), markdown (a PR comment), json.",
        ),
    ] = Presentation.TEXT,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the plan to this file, atomically."),
    ] = None,
    max_chars: Annotated[
        int,
        typer.Option("--max-chars", min=2000, help="Markdown: at most this many characters."),
    ] = 65536,
    exit_code: Annotated[
        bool, typer.Option("--exit-code", help="Exit 1 when anything changes.")
    ] = False,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            metavar="KIND[,KIND]",
            help="Exit 1 when a risk of these kinds is found: privilege, data, owner, quota, "
            "settings.",
        ),
    ] = None,
) -> None:
    """Plan a roster change: who gains or loses what, risks first, then every object.

    `kfroster diff --base REF [ROSTER]` reads ROSTER at git revision REF (nothing is
    checked out); `kfroster diff OLD NEW` compares two files. Both sides are compiled
    with this kfroster, so only the roster change shows.

    Risk kinds: privilege (new or wider access, an email change), data (a profile
    leaves), owner (an owner changes), quota (a quota or limit tightens), settings (a
    setting every profile reads, a looser policy). Privilege lost is only information.

    Exit codes: 0 the plan was made; 1 a side is invalid (its problems are printed and
    the plan says so), or --exit-code and something changes, or --fail-on and such a
    risk is found; 2 a usage error: a bad revision, an unreadable file, an unknown KIND.
    """
    import shlex

    from compiler.output.files import write_atomically
    from compiler.problems import CompilerError
    from compiler.review import diff as planning
    from compiler.review.plan.json_plan import render_json
    from compiler.review.plan.markdown import render_markdown
    from compiler.review.plan.text import render_text
    from compiler.terminal import PLAIN, palette_for

    kinds = _risk_kinds(fail_on)
    paths = rosters or []
    if (base is not None and len(paths) > 1) or (base is None and len(paths) != 2):
        raise typer.BadParameter("give --base REF [ROSTER], or OLD NEW", param_hint="ROSTERS")
    try:
        if base is not None:
            roster = paths[0] if paths else Path("users.yaml")
            plan = planning.plan_against(roster, base)
            command = shlex.join(["kfroster", "diff", "--base", base, str(roster)])
        else:
            plan = planning.plan_between(paths[0], paths[1])
            command = shlex.join(["kfroster", "diff", *map(str, paths)])
        _report(plan.problems, None)
        palette = palette_for(sys.stdout) if output is None else PLAIN
        text = _present(
            output_format,
            text=lambda: render_text(plan, palette=palette),
            markdown=lambda: render_markdown(plan, max_chars=max_chars, command=command),
            json=lambda: render_json(plan),
        )
        if output is None:
            sys.stdout.write(text)
        else:
            write_atomically(output, text)
            _say(f"wrote the plan to {output}")
    except (CompilerError, OSError) as err:
        _say(f"error: {err}")
        raise typer.Exit(2) from None
    found = [kind for kind in plan.blocking_kinds() if kind in kinds]
    if not plan.valid:
        _say(f"no plan: {' and '.join(plan.invalid)} failed validation")
    elif found:
        _say(f"risks found that --fail-on refuses: {', '.join(found)}")
    raise typer.Exit(1 if not plan.valid or found or (exit_code and plan.has_changes) else 0)


def _risk_kinds(text: str | None) -> tuple[str, ...]:
    """Parse --fail-on's comma-separated risk kinds; refuse unknown ones (exit 2)."""
    from compiler.review.plan.model import RISK_KINDS

    kinds = tuple(kind.strip().lower() for kind in (text or "").split(",") if kind.strip())
    unknown = [kind for kind in kinds if kind not in RISK_KINDS]
    if unknown or (text is not None and not kinds):
        raise typer.BadParameter(
            f"unknown risk kind {', '.join(unknown) or repr(text)}; "
            f"choose from {', '.join(RISK_KINDS)}",
            param_hint="--fail-on",
        )
    return kinds


@app.command("import")
def import_(
    files: Annotated[
        list[str],
        typer.Argument(
            help="What `kubectl get profiles,namespaces,clusterrolebindings,rolebindings,"
            "limitranges,authorizationpolicies -A -o yaml` printed (YAML or JSON; '-' is stdin).",
            metavar="FILE",
        ),
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the roster; '-' for stdout.")
    ] = Path("users.yaml"),
    force: Annotated[bool, typer.Option("--force", help="Replace OUTPUT if it exists.")] = False,
    report: Annotated[
        Path | None, typer.Option("--report", help="Also write the report to this file, as JSON.")
    ] = None,
) -> None:
    """Write the roster that grants what a running cluster grants; report what it cannot."""
    from compiler import importer
    from compiler.problems import CompilerError

    to_stdout = str(output) == "-"
    if not to_stdout and output.exists() and not force:
        _say(f"error: {output} exists; pass --force to replace it, or choose another --output")
        raise typer.Exit(1)
    try:
        inputs = importer.read_inputs(files, sys.stdin.buffer)
        imported = importer.import_cluster(inputs, "users.yaml" if to_stdout else str(output))
        if to_stdout:
            sys.stdout.write(imported.text)
        else:
            importer.write_roster(output, imported.text, force=force)
        if report is not None:
            report.write_text(importer.report_json(imported), encoding="utf-8")
    except importer.ClusterInputInvalid as err:
        _report(err.problems, Format.TEXT)
        _say("nothing written: give kfroster import what kubectl printed")
        raise typer.Exit(1) from None
    except (CompilerError, OSError) as err:
        _say(f"error: {err}")
        raise typer.Exit(1) from None
    for line in importer.format_report(imported, [name for name, _ in inputs], str(output)):
        _say(line)


class DriftFormat(enum.StrEnum):
    """How `drift` prints its report."""

    TEXT = "text"
    MARKDOWN = "markdown"
    JSON = "json"
    GITHUB = "github"


@app.command("drift")
def drift_(
    files: Annotated[
        list[str],
        typer.Argument(
            help="What `kubectl get profiles,namespaces,clusterrolebindings,rolebindings,"
            "limitranges,authorizationpolicies -A -o json` printed (JSON or YAML; '-' is stdin).",
            metavar="FILE",
        ),
    ],
    *,
    roster: Annotated[
        Path, typer.Option("--roster", "-r", help="The roster the cluster is held to.")
    ] = Path("users.yaml"),
    output_format: Annotated[
        DriftFormat,
        typer.Option(
            "--format",
            "-f",
            case_sensitive=False,
            help="text, markdown (one issue comment), json (kfroster-drift/1), github.",
        ),
    ] = DriftFormat.TEXT,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            metavar="THRESHOLD[,THRESHOLD]",
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
    max_chars: Annotated[
        int, typer.Option("--max-chars", min=2000, help="Markdown: at most this many characters.")
    ] = 65536,
) -> None:
    """Hold the cluster to the roster: access granted outside it, objects missing or changed.

    Reads FILE as `import` does and compares it with what ROSTER compiles to (nothing is
    written). Kinds: granted (access not through out/), missing and changed (objects of
    out/), unmanaged (Profiles the roster does not hold), info (never drift). Exit codes:
    0 nothing but info; 1 drift (with --fail-on, only what it selects); 2 a usage error,
    input that is not kubectl output, or a roster with errors.
    """
    import shlex

    from compiler import drift as drifting
    from compiler.drift.adopt import adopt as adopting
    from compiler.importer import ClusterInputInvalid, read_inputs
    from compiler.output.files import write_atomically
    from compiler.problems import CompilerError
    from compiler.terminal import palette_for

    thresholds = _drift_thresholds(fail_on)
    if adopt and revoke:
        raise typer.BadParameter("choose --adopt or --revoke, not both")
    try:
        compared = drifting.compare(read_inputs(files, sys.stdin.buffer), roster)
        _report(compared.drift.problems, Format.TEXT)
        if adopt:
            adopted = adopting(compared)
            if adopted.text != compared.source.text:
                write_atomically(roster, adopted.text)
            for line in drifting.adoption_report(adopted, str(roster)):
                _say(line)
        command = shlex.join(["kfroster", "drift", *files, "--roster", str(roster)])
        sys.stdout.write(
            drifting.render(
                compared,
                "revoke" if revoke else output_format.value,
                palette=palette_for(sys.stdout),
                max_chars=max_chars,
                command=command,
            )
        )
    except (ClusterInputInvalid, drifting.RosterUnusable) as err:
        _report(err.problems, Format.TEXT)
        raise typer.Exit(2) from None
    except (CompilerError, OSError) as err:
        _say(f"error: {err}")
        raise typer.Exit(2) from None
    failing = compared.drift.failing(thresholds)
    raise typer.Exit(1 if failing else 0)


def _drift_thresholds(text: str | None) -> "tuple[Threshold, ...] | None":
    """Parse drift's --fail-on; refuse what is no drift kind or severity (exit 2)."""
    from compiler.drift.model import FAILING_KINDS
    from compiler.review.thresholds import parse_fail_on

    if text is None:
        return None
    try:
        return parse_fail_on(text, FAILING_KINDS)
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--fail-on") from None


def _default_format() -> Format:
    return Format.GITHUB if os.environ.get("GITHUB_ACTIONS") == "true" else Format.TEXT


def _report(problems: "Sequence[Problem]", output_format: Format | None) -> None:
    from compiler.problems import format_github, format_json, format_text

    chosen = output_format or _default_format()
    if chosen is Format.JSON:
        sys.stdout.write(format_json(problems))
        return
    formatter = format_github if chosen is Format.GITHUB else format_text
    for problem in sorted(problems):
        _say(formatter(problem))


def _fail_stale(plan: "TreeDiff", out: Path, roster: Path) -> NoReturn:
    _say(f"{out}/ is not what {roster} compiles to:")
    for label, paths in (
        ("missing", plan.missing),
        ("changed", plan.changed),
        ("extra", plan.stale),
        ("foreign", plan.foreign),
    ):
        for relative in paths:
            _say(f"  {label:<8} {out / relative}")
    _say(f"run `kfroster compile {roster}` and commit {out}/")
    raise typer.Exit(1)


def _count(problems: "Sequence[Problem]", level: str) -> str:
    number = sum(1 for problem in problems if problem.level == level)
    return f"{number} {level}{'' if number == 1 else 's'}"


def _say(line: str) -> None:
    sys.stderr.write(line + "\n")


if __name__ == "__main__":  # pragma: no cover
    app()
