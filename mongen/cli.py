"""Command line: parses arguments, makes one call into the application layer (app.py) per
command, prints what it answers and maps it to an exit code. No logic here.

Exit codes: 0 ok, 1 findings or drift, 2 usage or input error (spec error, missing tool).
Findings, diffs, tables and reports go to stdout; status, progress and errors to stderr
(console.py), so redirecting stdout keeps every finding and nothing else.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mongen import __version__
from mongen.console import NORMAL, QUIET, VERBOSE, Console, paint
from mongen.errors import FileSystemError, OutputError, SpecError, ToolMissingError

if TYPE_CHECKING:
    from mongen.app import Outcome

app = typer.Typer(
    name="mongen",
    help="Monitoring-as-code: one spec in, every monitoring artifact out, validated by the real tools.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

SpecArg = Annotated[
    str | None,
    typer.Argument(metavar="SPEC", help="Spec file; default: the one named by the project config (mongen.toml)."),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print findings and errors only, no status lines.")]
Verbose = Annotated[
    bool, typer.Option("--verbose", "-v", help="Show every step and its time, also when not on a terminal (CI).")
]
ServiceOpt = Annotated[
    str | None,
    typer.Option("--service", help="With several specs in the project config: only the spec of this service."),
]


class VerifyEngine(str, Enum):
    """mongen.verify.engines.VERIFY_ENGINES (a test keeps them equal)."""

    prometheus = "prometheus"
    victoriametrics = "victoriametrics"


class Format(str, Enum):
    text = "text"
    json = "json"
    github = "github"


def _console(ctx: typer.Context, quiet: bool, verbose: bool) -> Console:
    """-q/-v given after the command win over those given before it (`mongen -v generate`)."""
    verbosity = QUIET if quiet else VERBOSE if verbose else ctx.obj if isinstance(ctx.obj, int) else NORMAL
    return Console(verbosity)


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _paint(severity: str) -> str:
    """A finding's severity as stdout shows it (coloured on a terminal)."""
    return paint(severity, severity, sys.stdout)


def _run(call: Callable[[], Outcome], console: Console | None = None) -> None:
    """Make the command's one call, print its answer, exit with its code."""
    from mongen.app import UsageError

    try:
        outcome = call()
    except UsageError as exc:
        raise _fail(str(exc)) from None
    if outcome.stdout:
        typer.echo(outcome.stdout, nl=False)
    for line in outcome.notes:
        typer.echo(line, err=True)
    if outcome.error is not None:
        raise _fail(outcome.error, outcome.exit_code)
    for line in outcome.status:
        (console or Console()).status(line)
    if outcome.exit_code:
        raise typer.Exit(outcome.exit_code)


@app.command()
def generate(
    ctx: typer.Context,
    specs: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="SPEC...",
            help="Spec files, one per service, all written into OUT with one prometheus.yml and one "
            "alertmanager.yml; default: every spec the project config names.",
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output directory (owned by mongen); default: the config's out.")
    ] = None,
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
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Generate every artifact for each SPEC into OUT, validate it, then replace OUT atomically."""
    from mongen import app as application

    console = _console(ctx, quiet, verbose)
    _run(
        lambda: application.generate(
            specs, out, console, validate=not no_validate, check=check, prune=prune, paint=_paint
        ),
        console,
    )


@app.command()
def validate(
    ctx: typer.Context,
    directory: Annotated[
        Path | None,
        typer.Argument(
            metavar="DIRECTORY", help="An output directory written by `mongen generate`; default: the config's out."
        ),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="text, json or github (workflow annotations).")] = Format.text,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Run promtool, amtool, nginx -t and the dashboard/module checks on an existing output directory."""
    from mongen import app as application

    console = _console(ctx, quiet, verbose)
    _run(lambda: application.validate(directory, console, fmt.value, _paint), console)


@app.command()
def lint(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Rule files or directories; default: the spec's generated rules.")
    ] = None,
    spec: Annotated[
        str | None,
        typer.Option(
            "--spec",
            help="Spec the rules are checked against; default: the project config's spec. Without either, "
            "FILES get every check that needs no spec. With no FILES, the generated rules of --spec, else of "
            "each spec the project config names, are linted.",
        ),
    ] = None,
    no_spec: Annotated[
        bool,
        typer.Option(
            "--no-spec", help="Lint FILES with the checks that need no spec, even in a project with a config."
        ),
    ] = False,
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
    list_checks: Annotated[
        bool,
        typer.Option(
            "--list-checks", help="List every check: id, severity (as the project config sets it), needs the spec."
        ),
    ] = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Check Prometheus rule files: structure, alert hygiene and PromQL shape, and with --spec the
    metrics, labels, values and types the spec declares. Findings go to stdout, the summary to stderr.
    The project config's `checks` table turns checks off or on, changes their severity or scopes them
    to paths (see README, "Configuring checks")."""
    from mongen import app as application

    console = _console(ctx, quiet, verbose)
    request = application.LintRequest(
        tuple(paths or ()), spec, no_spec, diff_base, min_for, not no_promtool, jobs, list_checks
    )
    _run(lambda: application.lint(request, console, fmt.value, _paint), console)


@app.command()
def schema() -> None:
    """Print the spec's JSON Schema (Draft 2020-12), for editors and CI."""
    from mongen import app as application

    _run(application.spec_schema)


@app.command()
def cardinality(
    ctx: typer.Context, spec: SpecArg = None, service: ServiceOpt = None, quiet: Quiet = False, verbose: Verbose = False
) -> None:
    """Print the exact series count per metric against the spec's budget: exit 1 over it, warn near it.
    Without SPEC, one table per spec of the project config, then one summary line."""
    from mongen import app as application

    console = _console(ctx, quiet, verbose)
    _run(lambda: application.cardinality(spec, service, _paint), console)


@app.command()
def verify(
    ctx: typer.Context,
    spec: SpecArg = None,
    service: ServiceOpt = None,
    fmt: Annotated[Format, typer.Option("--format", help="text or json.")] = Format.text,
    quiet: Quiet = False,
    verbose: Verbose = False,
    engine: Annotated[
        VerifyEngine,
        typer.Option(
            "--engine", help="What scrapes and evaluates the rules: prometheus, or victoriametrics (vmagent, vmalert)."
        ),
    ] = VerifyEngine.prometheus,
    html: Annotated[
        Path | None,
        typer.Option(
            "--html",
            metavar="FILE",
            help="Also write the run as one self-contained page: alert timelines per phase, every dashboard "
            "panel plotted over the run (needs the html extra: pip install -e '.[html]' in mongen's checkout).",
        ),
    ] = None,
) -> None:
    """Prove the generated monitoring end to end on a real Prometheus (or VictoriaMetrics) and Alertmanager
    (127.0.0.1 only). Without SPEC, each spec of the project config in turn (or the one of --service),
    with one summary."""
    from mongen import app as application

    console = _console(ctx, quiet, verbose)
    _run(lambda: application.verify(spec, service, console, engine.value, fmt.value, verbose, html), console)


@app.command()
def init(
    from_metrics: Annotated[
        str,
        typer.Option(
            "--from-metrics", metavar="FILE|URL", help="A Prometheus text or OpenMetrics exposition: a file, or a URL."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", metavar="SPEC", help="The spec to write; never overwritten.")],
    namespace: Annotated[
        str | None, typer.Option(help="The service's metric namespace; default: the prefix most families share.")
    ] = None,
    service: Annotated[str | None, typer.Option(help="The service's name; default: the namespace.")] = None,
) -> None:
    """Draft a spec from a running service's /metrics: every family declared, observed label values
    as bounded lists, histogram buckets as observed, suggested SLOs in comments."""
    from mongen import app as application

    _run(lambda: application.init_from_metrics(from_metrics, out, namespace, service))


import_app = typer.Typer(help="Write a mongen spec from another tool's SLO definitions.", no_args_is_help=True)
app.add_typer(import_app, name="import")


@import_app.command("sloth")
def import_sloth(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A Sloth spec (version prometheus/v1).")],
    out: Annotated[Path, typer.Option("--out", "-o", metavar="SPEC", help="The spec to write; never overwritten.")],
) -> None:
    """Import a Sloth spec: its events SLOs with their queries and objectives; what cannot be
    mapped is refused with its position (plugins, raw error ratios) or listed (alert labels)."""
    from mongen import app as application

    _run(lambda: application.import_sloth(file, out))


@import_app.command("openslo")
def import_openslo(
    files: Annotated[list[Path], typer.Argument(metavar="FILE...", help="OpenSLO v1 documents (SLO, SLI, ...).")],
    out: Annotated[Path, typer.Option("--out", "-o", metavar="SPEC", help="The spec to write; never overwritten.")],
) -> None:
    """Import OpenSLO v1 ratio SLOs as events SLIs; calendar windows, timeslices and other
    indicators are refused with their position, alert policies listed."""
    from mongen import app as application

    _run(lambda: application.import_openslo(files, out))


export_app = typer.Typer(help="Write a spec's definitions in another tool's format.", no_args_is_help=True)
app.add_typer(export_app, name="export")


@export_app.command("openslo")
def export_openslo(spec: SpecArg = None) -> None:
    """Print the spec's SLOs as OpenSLO v1 SLO documents (stdout)."""
    from mongen import app as application

    _run(lambda: application.export_openslo(spec))


def version_callback(value: bool) -> None:
    if value:
        typer.echo(f"mongen {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option("--version", "-V", callback=version_callback, is_eager=True, help="Show the version and exit."),
    ] = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """mongen: monitoring-as-code for AI inference services.

    Without SPEC or -o, commands read the project config: `mongen.toml` (or `[tool.mongen]` in
    pyproject.toml) in this directory or above, naming `specs = [...]` and `out = "..."`.
    """
    ctx.obj = QUIET if quiet else VERBOSE if verbose else NORMAL


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
