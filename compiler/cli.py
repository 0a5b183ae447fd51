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
    from collections.abc import Sequence

    from compiler.emit import TreeDiff
    from compiler.problems import Problem

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
    from compiler import emit, pipeline
    from compiler.problems import CompilerError, RosterInvalid

    try:
        compiled = pipeline.compile_roster(roster, str(roster), strict=strict)
        _report(compiled.warnings, output_format)
        if check:
            plan = emit.plan_tree(compiled.files, out)
            if not plan.clean:
                _fail_stale(plan, out, roster)
            _say(f"{out}/ is up to date with {roster} ({len(compiled.files)} files)")
            return
        changes = emit.write_tree(compiled.files, out)
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
    from compiler.schema import dumps_schema

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
