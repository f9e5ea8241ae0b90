"""Command line: parses arguments, calls the pipeline, maps results to exit codes. No logic here.

Exit codes: 0 ok, 1 findings or drift, 2 usage or input error (spec error, missing tool).
"""

from __future__ import annotations

import json
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from mongen import __version__
from mongen.errors import FileSystemError, Finding, OutputError, SpecError, ToolMissingError

app = typer.Typer(
    name="mongen",
    help="Monitoring-as-code: one spec in, every monitoring artifact out, validated by the real tools.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DEFAULT_SPEC = "specs/emotivoice.yaml"


class Format(str, Enum):
    text = "text"
    json = "json"
    github = "github"


def _print_findings(findings: list[Finding], fmt: Format = Format.text) -> None:
    if fmt is Format.json:
        # Stable shape (docs/lint-rules.md): a list of {file, line, col, severity, check, message}.
        typer.echo(json.dumps([f.__dict__ for f in findings], indent=2, sort_keys=True))
        return
    for finding in findings:
        if fmt is Format.github:
            level = "error" if finding.severity == "error" else "warning"
            message = finding.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
            typer.echo(
                f"::{level} file={finding.file},line={finding.line},col={finding.col},title={finding.check}::{message}"
            )
        else:
            typer.echo(str(finding), err=finding.severity == "error")


@app.command()
def generate(
    spec: Annotated[str, typer.Argument(help="Spec file.")] = DEFAULT_SPEC,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory (owned by mongen).")] = Path("out"),
    no_validate: Annotated[bool, typer.Option("--no-validate", help="Skip promtool/amtool/nginx validation.")] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 with a diff if OUT is not up to date.")
    ] = False,
    prune: Annotated[
        bool,
        typer.Option(
            "--prune", help="Delete entries of OUT that mongen did not write (default: refuse and list them)."
        ),
    ] = False,
) -> None:
    """Generate every artifact for SPEC into OUT, validate it, then replace OUT atomically."""
    from mongen import pipeline

    result = pipeline.generate(spec, out, validate=not no_validate, check=check, prune=prune)
    if check:
        if result.diff:
            typer.echo(result.diff, nl=False)
            typer.echo(f"{out} is out of date with {spec}; run `mongen generate {spec} -o {out}`", err=True)
            raise typer.Exit(1)
        typer.echo(f"{out} is up to date with {spec}")
        return
    _print_findings(result.findings)
    if not result.written:
        typer.echo(f"validation failed; {out} was left unchanged", err=True)
        raise typer.Exit(1)
    checked = "validated" if not no_validate else "not validated (--no-validate)"
    typer.echo(f"wrote {len(result.files)} files to {out}, {checked}")


@app.command()
def validate(
    directory: Annotated[Path, typer.Argument(help="An output directory written by `mongen generate`.")] = Path("out"),
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.text,
) -> None:
    """Run promtool, amtool, nginx -t and the dashboard/module checks on an existing output directory."""
    from mongen.validate import validate_dir

    if not directory.is_dir():
        typer.echo(f"error: {directory} is not a directory", err=True)
        raise typer.Exit(2)
    findings = validate_dir(directory)
    _print_findings(findings, fmt)
    if any(f.severity == "error" for f in findings):
        raise typer.Exit(1)
    if fmt is Format.text:
        typer.echo(f"{directory}: every check passed")


@app.command()
def lint(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Rule files or directories; default: the spec's generated rules.")
    ] = None,
    spec: Annotated[
        str | None,
        typer.Option(
            "--spec",
            help=f"Spec the rules are checked against. Without it, FILES get every check that needs no spec; "
            f"with no FILES either, the rules of {DEFAULT_SPEC} are linted.",
        ),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="text, json or github (workflow annotations).")] = Format.text,
    diff_base: Annotated[
        str | None, typer.Option("--diff-base", help="Only report rules changed since this git revision.")
    ] = None,
    min_for: Annotated[
        str | None,
        typer.Option("--min-for", help="Also report alerts whose `for` is shorter than this duration (e.g. 2m)."),
    ] = None,
    no_promtool: Annotated[
        bool, typer.Option("--no-promtool", help="Skip promtool check/test rules explicitly.")
    ] = False,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs",
            "-j",
            min=0,
            help="Processes that parse and check rules: 0 = one per CPU (up to 4, 2,000+ rules each); 1 = no workers.",
        ),
    ] = 0,
) -> None:
    """Check Prometheus rule files: structure, alert hygiene and PromQL shape, and with --spec the
    metrics, labels, values and types the spec declares. Findings go to stdout, the summary to stderr."""
    from mongen.lint.context import LintOptions
    from mongen.lint.report import render
    from mongen.lint.runner import lint as run_lint
    from mongen.spec.build import load_spec
    from mongen.units import duration_seconds

    for path in paths or []:
        if not path.exists() and not path.is_symlink():
            typer.echo(f"error: {path} does not exist", err=True)
            raise typer.Exit(2)
    min_for_seconds = duration_seconds(min_for) if min_for is not None else 0.0
    if min_for_seconds is None:
        typer.echo(f"error: --min-for {min_for!r} is not a duration such as 90s, 5m or 1h30m", err=True)
        raise typer.Exit(2)
    # Files without --spec: spec-less. Neither: the default spec's own rules.
    model = load_spec(spec or DEFAULT_SPEC) if spec is not None or not paths else None
    try:
        result = run_lint(
            model,
            list(paths or []),
            diff_base,
            run_promtool=not no_promtool,
            processes=jobs,
            options=LintOptions(min_for_seconds),
        )
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(render(result.findings, fmt.value), nl=False)
    errors = sum(f.severity == "error" for f in result.findings)
    mode = "" if model is not None else " (no spec: spec checks skipped)"
    typer.echo(
        f"{result.rules} rules in {result.files} files: {errors} errors, {len(result.findings) - errors} warnings{mode}",
        err=True,
    )
    if result.failed:
        raise typer.Exit(1)


@app.command()
def schema() -> None:
    """Print the spec's JSON Schema (Draft 2020-12), for editors and CI."""
    from mongen.spec.build import spec_schema

    typer.echo(json.dumps(spec_schema(), indent=2))


@app.command()
def cardinality(spec: Annotated[str, typer.Argument(help="Spec file.")] = DEFAULT_SPEC) -> None:
    """Print the exact series count per metric against the spec's budget."""
    from mongen.spec.build import load_spec

    model = load_spec(spec)
    rows = sorted(model.exposed_metrics, key=lambda m: (-model.series_count(m), m.name))
    width = max(len(m.exposed_name) for m in rows)
    typer.echo(f"{'metric':<{width}}  {'type':<9}  {'series':>6}  labels")
    for metric in rows:
        typer.echo(
            f"{metric.exposed_name:<{width}}  {metric.type:<9}  {model.series_count(metric):>6}  {', '.join(metric.labels) or '-'}"
        )
    typer.echo(f"{'total':<{width}}  {'':<9}  {model.total_series:>6}  budget {model.max_series}")
    if model.total_series > model.max_series:
        raise typer.Exit(1)


@app.command()
def verify(
    spec: Annotated[str, typer.Argument(help="Spec file.")] = DEFAULT_SPEC,
    fmt: Annotated[Format, typer.Option("--format", help="text or json.")] = Format.text,
) -> None:
    """Prove the generated monitoring end to end on a real Prometheus and Alertmanager (127.0.0.1 only)."""
    from mongen.spec.build import load_spec
    from mongen.verify import VerifyError, run_verify

    try:
        report = run_verify(load_spec(spec))
    except VerifyError as exc:
        typer.echo(f"error: the test bed did not start: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(report.to_json() if fmt is Format.json else report.to_text())
    if not report.passed:
        raise typer.Exit(1)


def version_callback(value: bool) -> None:
    if value:
        typer.echo(f"mongen {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=version_callback, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """mongen: monitoring-as-code for AI inference services."""


def main() -> None:
    try:
        app(standalone_mode=True)
    except SpecError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        sys.exit(2)
    except ToolMissingError as exc:
        print(exc, file=sys.stderr)
        sys.exit(2)
    except (OutputError, FileSystemError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except OSError as exc:  # the environment (a full disk, a read-only /tmp), not the input or a bug
        print(f"error: {FileSystemError('complete the run', exc)}", file=sys.stderr)
        sys.exit(2)
    except Exception as exc:  # a bug in mongen, not the user's input
        if os.environ.get("MONGEN_DEBUG") == "1":
            raise
        print(f"mongen: internal error: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        print("this is a bug in mongen; rerun with MONGEN_DEBUG=1 for the traceback and report it", file=sys.stderr)
        sys.exit(70)
