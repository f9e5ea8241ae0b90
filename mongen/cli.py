"""Command line: parses arguments, calls the pipeline, maps results to exit codes. No logic here.

Exit codes: 0 ok, 1 findings or drift, 2 usage or input error (spec error, missing tool).
Findings, diffs, tables and reports go to stdout; status, progress and errors to stderr
(console.py), so redirecting stdout keeps every finding and nothing else.
"""

from __future__ import annotations

import json
import os
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mongen import __version__
from mongen.console import NORMAL, QUIET, VERBOSE, Console, paint
from mongen.errors import FileSystemError, Finding, OutputError, SpecError, ToolMissingError

if TYPE_CHECKING:
    from mongen.model import Spec

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


def _config_spec_paths() -> list[str] | None:
    """The project config's specs (shown relative to the working directory), or None without a config."""
    from mongen.config import find_config, shown_path

    config = find_config(Path.cwd())
    return None if config is None else [shown_path(spec) for spec in config.specs]


def _config_specs() -> list[str]:
    """The project config's specs; no config is a usage error."""
    specs = _config_spec_paths()
    if specs is None:
        raise _fail(
            "no spec given and no project config found here or above (up to the git root); pass a spec file, "
            'or create mongen.toml with: specs = ["path/to/spec.yaml"] and out = "out"'
        )
    return specs


def _project_spec(spec: str | None) -> str:
    """SPEC as given, else the project config's one spec, for commands that take one."""
    if spec is not None:
        return spec
    specs = _config_specs()
    if len(specs) != 1:
        raise _fail(f"the project config names {len(specs)} specs; this command takes one: pass one of them as SPEC")
    return specs[0]


def _project_specs(specs: list[str] | None) -> list[str]:
    """SPEC... as given, else every spec the project config names."""
    return list(specs) if specs else _config_specs()


def _lint_specs(spec: str | None, have_files: bool) -> list[Spec | None]:
    """The specs lint checks against: --spec, else the project config's one spec. FILES outside any
    project (no config), or in one of several services, are linted spec-less; with no FILES, the
    generated rules of each spec the config names are linted in turn."""
    from mongen.spec.build import load_spec

    if spec is not None:
        return [load_spec(spec)]
    if not have_files:
        return [load_spec(path) for path in _config_specs()]
    specs = _config_spec_paths()
    return [load_spec(specs[0])] if specs is not None and len(specs) == 1 else [None]


def _project_out(out: Path | None) -> Path:
    """-o as given, else the project config's `out`, else ./out."""
    if out is not None:
        return out
    from mongen.config import DEFAULT_OUT, find_config, shown_path

    config = find_config(Path.cwd())
    return Path(shown_path(config.out)) if config is not None else Path(DEFAULT_OUT)


def _below(directory: Path, findings: list[Finding]) -> list[Finding]:
    """Findings about files under `directory`, renamed relative to the working directory, so that
    editors and GitHub (which resolves annotation paths against the checkout) can open them."""
    from dataclasses import replace

    from mongen.config import shown_path

    return [replace(f, file=shown_path(directory / f.file)) for f in findings]


def _print_findings(findings: list[Finding], fmt: Format = Format.text) -> None:
    """Every finding on stdout, errors and warnings alike (lint.report's formats)."""
    from mongen.lint.report import render

    typer.echo(render(findings, fmt.value, lambda severity: paint(severity, severity, sys.stdout)), nl=False)


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
    from mongen import pipeline

    console = _console(ctx, quiet, verbose)
    spec_paths, out_dir = _project_specs(specs), _project_out(out)
    spec_path = " ".join(spec_paths)
    label = "checking" if check else "generating" if no_validate else "generating and validating"
    with console.step(f"{label} {out_dir} from {spec_path}"):
        result = pipeline.generate(
            spec_paths,
            out_dir,
            validate=not no_validate,
            check=check,
            prune=prune,
            on_check_done=lambda name, seconds: console.detail(f"  {name}: {seconds:.2f} s"),
        )
    if check:
        if result.diff:
            typer.echo(result.diff, nl=False)
            # Drift is the answer --check was asked for, not an error of the run.
            typer.echo(
                f"{out_dir} is out of date with {spec_path}; run `mongen generate {spec_path} -o {out_dir}`", err=True
            )
            raise typer.Exit(1)
        console.status(f"{out_dir} is up to date with {spec_path}")
        return
    spec_warnings = [f for f in result.findings if f.check == "spec"]  # about the spec, not a file of OUT
    _print_findings(spec_warnings + _below(out_dir, [f for f in result.findings if f.check != "spec"]))
    if not result.written:
        raise _fail(f"validation failed; {out_dir} was left unchanged", 1)
    checked = "validated" if not no_validate else "not validated (--no-validate)"
    console.status(f"wrote {len(result.files)} files to {out_dir}, {checked}")


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
    from mongen.serialize import quoted_path
    from mongen.validate import validate_dir

    console = _console(ctx, quiet, verbose)
    given = directory is not None
    directory = _project_out(directory)
    if not directory.is_dir():
        hint = "" if given else " (the project config's `out`, or ./out without a config); pass the output directory"
        what = "is not a directory" if directory.exists() else "does not exist"
        raise _fail(f"{quoted_path(str(directory))} {what}{hint}")
    with console.step(f"validating {directory}"):
        findings = validate_dir(
            directory, on_check_done=lambda name, seconds: console.detail(f"  {name}: {seconds:.2f} s")
        )
    _print_findings(_below(directory, findings), fmt)
    if any(f.severity == "error" for f in findings):
        raise typer.Exit(1)
    console.status(f"{directory}: every check passed")


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
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Check Prometheus rule files: structure, alert hygiene and PromQL shape, and with --spec the
    metrics, labels, values and types the spec declares. Findings go to stdout, the summary to stderr."""
    from mongen.lint.context import LintOptions
    from mongen.lint.runner import LintResult
    from mongen.lint.runner import lint as run_lint
    from mongen.units import duration_seconds

    console = _console(ctx, quiet, verbose)
    for path in paths or []:
        if not path.exists() and not path.is_symlink():
            raise _fail(f"{path} does not exist")
    min_for_seconds = duration_seconds(min_for) if min_for is not None else 0.0
    if min_for_seconds is None:
        raise _fail(f"--min-for {min_for!r} is not a duration such as 90s, 5m or 1h30m")
    if no_spec and (spec is not None or not paths):
        raise _fail("--no-spec lints FILES without a spec: give FILES, and no --spec")
    if diff_base is not None and not paths:
        raise _fail("--diff-base compares rule files in a git repository: give them as FILES")
    models = [None] if no_spec else _lint_specs(spec, bool(paths))
    result = LintResult([], 0, 0)
    try:
        with console.step("linting" if no_promtool else "linting (promtool included)"):
            for model in models:
                one = run_lint(
                    model,
                    list(paths or []),
                    diff_base,
                    run_promtool=not no_promtool,
                    processes=jobs,
                    options=LintOptions(min_for_seconds),
                )
                result = LintResult(result.findings + one.findings, result.files + one.files, result.rules + one.rules)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    _print_findings(result.findings, fmt)
    errors = sum(f.severity == "error" for f in result.findings)
    mode = "" if models[0] is not None else " (no spec: spec checks skipped)"
    console.status(
        f"{result.rules} rules in {result.files} files: {errors} errors, {len(result.findings) - errors} warnings{mode}"
    )
    if result.failed:
        raise typer.Exit(1)


@app.command()
def schema() -> None:
    """Print the spec's JSON Schema (Draft 2020-12), for editors and CI."""
    from mongen.spec.build import spec_schema

    typer.echo(json.dumps(spec_schema(), indent=2))


@app.command()
def cardinality(spec: SpecArg = None, quiet: Quiet = False, verbose: Verbose = False) -> None:
    """Print the exact series count per metric against the spec's budget: exit 1 over it, warn near it."""
    from mongen.lint.checks.cardinality_budget import CardinalityBudget
    from mongen.spec.build import BUDGET_PATH, budget_problem, build_spec, load_document

    # -q/-v are accepted as everywhere; the table and its findings are all this command prints.
    doc = load_document(_project_spec(spec))
    # A spec over its budget is rejected everywhere else; here it is what the table is for.
    model = build_spec(doc, check_budget=False)
    rows = sorted(model.exposed_metrics, key=lambda m: (-model.series_count(m), m.name))
    width = max(len(m.exposed_name) for m in rows)
    typer.echo(f"{'metric':<{width}}  {'type':<9}  {'series':>6}  labels")
    for metric in rows:
        typer.echo(
            f"{metric.exposed_name:<{width}}  {metric.type:<9}  {model.series_count(metric):>6}  {', '.join(metric.labels) or '-'}"
        )
    typer.echo(f"{'total':<{width}}  {'':<9}  {model.total_series:>6}  budget {model.max_series}")
    over = budget_problem(model)
    near = CardinalityBudget()
    problems = [(BUDGET_PATH, "error", over)] if over else [(p, near.severity, m) for p, m in near.check(model)]
    findings = []
    for path, severity, message in problems:
        where = doc.locate(path)
        findings.append(Finding(where.file, where.line, where.col, severity, near.id, message))
    _print_findings(findings)
    if over:
        raise typer.Exit(1)


@app.command()
def verify(
    ctx: typer.Context,
    spec: SpecArg = None,
    fmt: Annotated[Format, typer.Option("--format", help="text or json.")] = Format.text,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Prove the generated monitoring end to end on a real Prometheus and Alertmanager (127.0.0.1 only)."""
    from mongen.spec.build import load_spec
    from mongen.verify import VerifyError, run_verify

    console = _console(ctx, quiet, verbose)
    model = load_spec(_project_spec(spec))
    try:
        with console.step("verifying on real Prometheus and Alertmanager (about a minute)"):
            report = run_verify(model)
    except VerifyError as exc:
        raise _fail(f"the test bed did not start: {exc}", 1) from None
    typer.echo(report.to_json() if fmt is Format.json else report.to_text())
    if not report.passed:
        raise typer.Exit(1)


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
