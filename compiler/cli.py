"""The command line: options in, one pipeline call, problems and products out, an exit code.

Exit codes: 0 OK; 1 an invalid roster, a stale out/ or schema under --check;
2 a usage error. Products go to stdout, problems and progress to stderr.
Heavy modules are imported inside commands so `--help` stays instant.
"""

import enum
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from compiler import __version__

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from compiler.model.roster import Deploy
    from compiler.output.products import Product
    from compiler.output.tree import TreeDiff
    from compiler.pipeline import Compiled
    from compiler.problems import Problem
    from compiler.review.plan.model import Threshold

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
            "--check",
            help="Write nothing; exit 1 when OUT (or deploy/) is not what ROSTER compiles to.",
        ),
    ] = False,
    strict: Strict = False,
    output_format: FormatOption = None,
) -> None:
    """Validate ROSTER and compile it into manifests under OUT (and deploy/, if it says so)."""
    from compiler import pipeline
    from compiler.output import products
    from compiler.problems import CompilerError, RosterInvalid

    try:
        compiled = pipeline.compile_roster(roster, str(roster), strict=strict)
        _report(compiled.warnings, output_format)
        made = _products(compiled, out)
        if check:
            plans = products.plan(made)
            if not all(plan.clean for plan in plans):
                _fail_stale(made, plans, roster)
            for product in made:
                _say(
                    f"{product.directory}/ is up to date with {roster} ({len(product.files)} files)"
                )
            return
        changes = products.write(made, lock=roster)
    except RosterInvalid as err:
        _report(err.problems, output_format)
        _say(f"{roster}: invalid, nothing written ({_count(err.problems, 'error')})")
        raise typer.Exit(1) from None
    except CompilerError as err:
        _say_error(err)
        raise typer.Exit(1) from None
    for product, change in zip(made, changes, strict=True):
        _say(
            f"compiled {roster} into {product.directory}/: {len(product.files)} files, "
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
    from compiler.output.files import write_atomically
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
        write_atomically(output, text)
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
    cluster: Annotated[
        str | None,
        typer.Option(
            "--cluster",
            metavar="NAME",
            help="With a roster that names clusters: only this cluster [default: each cluster].",
        ),
    ] = None,
) -> None:
    """Show everything WHO can do: cluster-wide role, namespaces and why, owned profiles.

    A roster that names clusters is explained per cluster (clusters where WHO's access
    reads the same are shown together), or in the one --cluster names.
    """
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
        found = explaining.explain_clusters(checked.roster, who, before, cluster)
    except CompilerError as err:
        _say(f"error: {roster}: {err}")
        raise typer.Exit(1) from None
    palette = palette_for(sys.stdout)
    shown = _present(
        output_format,
        text=lambda: explaining.format_text_clusters(found, palette),
        markdown=lambda: explaining.format_markdown_clusters(found),
        json=lambda: explaining.format_json_clusters(found),
    )
    _write(shown, colour=palette.enabled)


@app.command()
def roles(
    role: Annotated[
        str | None,
        typer.Argument(help="admin, edit or view (kubeflow- prefix optional); all when omitted."),
    ] = None,
    output_format: PresentationOption = Presentation.TEXT,
) -> None:
    """Chart what kubeflow-admin, kubeflow-edit and kubeflow-view allow, by area."""
    from compiler.explain.roles import presentation
    from compiler.explain.roles.chart import chart, resolve_role
    from compiler.terminal import palette_for

    chosen = None if role is None else resolve_role(role)
    if role is not None and chosen is None:
        raise typer.BadParameter("choose admin, edit or view", param_hint="ROLE")
    rows = chart()
    palette = palette_for(sys.stdout)
    shown = _present(
        output_format,
        text=lambda: presentation.format_text(rows, chosen, palette),
        markdown=lambda: presentation.format_markdown(rows, chosen),
        json=lambda: presentation.format_json(rows, chosen),
    )
    _write(shown, colour=palette.enabled)


@app.command()
def init(
    directory: Annotated[
        Path, typer.Argument(metavar="DIR", help="Where to create the repository.")
    ] = Path(),
    flux: Annotated[
        bool,
        typer.Option("--flux", help="Set settings.deploy to Flux: compile writes Kustomizations."),
    ] = False,
    argocd: Annotated[
        bool,
        typer.Option("--argocd", help="Set settings.deploy to Argo CD (needs --repo-url)."),
    ] = False,
    repo_url: Annotated[
        str | None, typer.Option(help="Argo CD: the URL it clones this repository from.")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite existing files, printing a diff of each.")
    ] = False,
) -> None:
    """Scaffold a roster repository: users.yaml, schema, out/, CI, pre-commit, deploy, README."""
    from compiler.output import scaffold
    from compiler.problems import CompilerError

    try:
        files = scaffold.scaffold(scaffold.choose_engine(flux=flux, argocd=argocd), repo_url)
    except ValueError as err:
        raise typer.BadParameter(str(err)) from None
    try:
        done = scaffold.init(files, directory, force=force)
    except CompilerError as err:
        # Several lines (the files in the way), each shown as one.
        for number, line in enumerate(str(err).split("\n")):
            _say(f"error: {line}" if number == 0 else line)
        raise typer.Exit(1) from None
    for _, diff in done.overwritten:
        _write(diff)
    _say(
        f"initialised {directory}: {len(done.created)} created, {len(done.overwritten)} "
        f"overwritten, {len(done.unchanged)} unchanged; edit users.yaml, run `kfroster compile`"
    )


Deprecated = Annotated[
    str | None,
    typer.Option(help="Deprecated, like --flux: a field of settings.deploy.", show_default=False),
]


@app.command()
def deploy(
    roster: RosterPath = Path("users.yaml"),
    *,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Where to write them; '-' prints them [default: settings.deploy.directory, "
            "beside ROSTER].",
            show_default=False,
        ),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 when OUT is stale.")
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
) -> None:
    """Write the manifests settings.deploy describes, which point Flux or Argo CD at out/.

    `kfroster compile` writes them with out/ already; this command prints them (`--out -`),
    writes them elsewhere, or checks them on their own (`--check`).
    """
    from compiler import pipeline
    from compiler.output import deploy as deploying
    from compiler.output import tree
    from compiler.output.products import Product
    from compiler.problems import CompilerError

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
    checked = pipeline.check(roster, str(roster))
    if checked.roster is None:
        _report(checked.problems, None)
        _say(f"{roster}: invalid, nothing written ({_count(checked.problems, 'error')})")
        raise typer.Exit(1)
    model = checked.roster
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
            "e.g. `settings: {deploy: {engine: flux}}` (see the README), and run kfroster compile"
        )
        raise typer.Exit(1)
    files = deploying.render(model, roster.name)
    target = out if out is not None else roster.parent / setting.directory
    if str(target) == "-":
        sys.stdout.write("".join(files[relative] for relative in sorted(files)))
        return
    try:
        changes = tree.plan_tree(files, target) if check else tree.write_tree(files, target)
    except CompilerError as err:
        _say_error(err)
        raise typer.Exit(1) from None
    if check and not changes.clean:
        fix = "kfroster deploy with the same options, without --check" if legacy else ""
        _fail_stale([Product(target, files)], [changes], roster, fix)
    _say(
        f"{target}/ is up to date with {roster} ({len(files)} files)"
        if check
        else f"wrote {target}/ for {setting.engine}: {len(files)} files, "
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
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="With --base: the compiled out/ whose committed state at REF the plan compares "
            "with this compile [default: out next to ROSTER].",
        ),
    ] = None,
    deploy: Annotated[
        Path | None,
        typer.Option(
            "--deploy",
            help="With --base: the deploy/ directory compared at REF and in the worktree "
            "[default: deploy next to ROSTER].",
        ),
    ] = None,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            metavar="THRESHOLD[,THRESHOLD]",
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

    from compiler.output.files import write_atomically
    from compiler.problems import CompilerError
    from compiler.review import diff as planning
    from compiler.review.plan.json_plan import render_json
    from compiler.review.plan.markdown import render_markdown
    from compiler.review.plan.text import render_text
    from compiler.terminal import PLAIN, palette_for

    thresholds = _thresholds(fail_on)
    paths = rosters or []
    if (base is not None and len(paths) > 1) or (base is None and len(paths) != 2):
        raise typer.BadParameter("give --base REF [ROSTER], or OLD NEW", param_hint="ROSTERS")
    if base is None and (out is not None or deploy is not None):
        raise typer.BadParameter("--out and --deploy compare with REF: give --base REF too")
    try:
        if base is not None:
            roster = paths[0] if paths else Path("users.yaml")
            plan = planning.plan_against(roster, base, out, deploy)
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
            _write(text, colour=palette.enabled)
        else:
            write_atomically(output, text)
            _say(f"wrote the plan to {output}")
    except (CompilerError, OSError) as err:
        _say_error(err)
        raise typer.Exit(2) from None
    failing = plan.failing(thresholds)
    if not plan.valid:
        _say(f"no plan: {' and '.join(plan.invalid)} failed validation")
    elif failing:
        found = dict.fromkeys(f"{risk.kind} ({risk.severity.upper()})" for risk in failing)
        _say(f"risks found that --fail-on refuses: {', '.join(found)}")
    raise typer.Exit(1 if not plan.valid or failing or (exit_code and plan.has_changes) else 0)


def _thresholds(text: str | None) -> "tuple[Threshold, ...]":
    """Parse --fail-on; refuse what is no kind or severity (exit 2)."""
    from compiler.review.plan.model import parse_fail_on

    if text is None:
        return ()
    try:
        return parse_fail_on(text)
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--fail-on") from None


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
    from compiler.output.files import write_atomically
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
            write_atomically(output, imported.text, exclusive=not force)
        if report is not None:
            write_atomically(report, importer.report_json(imported))
    except importer.ClusterInputInvalid as err:
        _report(err.problems, Format.TEXT)
        _say("nothing written: give kfroster import what kubectl printed")
        raise typer.Exit(1) from None
    except (CompilerError, OSError) as err:
        _say_error(err)
        raise typer.Exit(1) from None
    for line in importer.format_report(imported, [name for name, _ in inputs], str(output)):
        _say(line)


def _default_format() -> Format:
    return Format.GITHUB if os.environ.get("GITHUB_ACTIONS") == "true" else Format.TEXT


def _report(problems: "Sequence[Problem]", output_format: Format | None) -> None:
    from compiler.problems import format_github, format_json, format_text

    chosen = output_format or _default_format()
    if chosen is Format.JSON:
        _write(format_json(problems))
        return
    for problem in sorted(problems):
        if chosen is Format.GITHUB:
            _annotate(format_github(problem))
        else:
            _say(format_text(problem))


def _fail_stale(
    made: "Sequence[Product]", plans: "Sequence[TreeDiff]", roster: Path, fix: str = ""
) -> NoReturn:
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


def _count(problems: "Sequence[Problem]", level: str) -> str:
    number = sum(1 for problem in problems if problem.level == level)
    return f"{number} {level}{'' if number == 1 else 's'}"


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


if __name__ == "__main__":  # pragma: no cover
    app()
