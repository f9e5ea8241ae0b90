"""Command line: parses arguments, calls the pipeline, maps results to exit codes. No logic here.

Exit codes: 0 ok, 1 findings or drift, 2 usage or input error (spec error, missing tool).
Findings, diffs, tables and reports go to stdout; status, progress and errors to stderr
(console.py), so redirecting stdout keeps every finding and nothing else.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mongen import __version__
from mongen.console import NORMAL, QUIET, VERBOSE, Console, paint
from mongen.errors import FileSystemError, Finding, OutputError, SpecError, ToolMissingError

if TYPE_CHECKING:
    from mongen.check_config import CheckConfig
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


def _config_spec_paths() -> list[str] | None:
    """The project config's specs (shown relative to the working directory), or None without a config."""
    from mongen.config import find_config
    from mongen.layout import shown_path

    config = find_config(Path.cwd())
    return None if config is None else [shown_path(spec) for spec in config.specs]


def _config_runbooks_url() -> str | None:
    """The project config's `runbooks_url`, if there is a config and it gives one."""
    from mongen.config import find_config

    config = find_config(Path.cwd())
    return config.runbooks_url if config is not None else None


def _config_specs() -> list[str]:
    """The project config's specs; no config is a usage error."""
    specs = _config_spec_paths()
    if specs is None:
        raise _fail(
            "no spec given and no project config found here or above (up to the git root); pass a spec file, "
            'or create mongen.toml with: specs = ["path/to/spec.yaml"] and out = "out"'
        )
    return specs


ServiceOpt = Annotated[
    str | None,
    typer.Option("--service", help="With several specs in the project config: only the spec of this service."),
]


def _each_service(spec: str | None, service: str | None, build: Callable[[str], Spec]) -> list[Spec]:
    """SPEC as given, else every spec of the project config (only the one of `--service NAME`)."""
    if spec is not None:
        if service is not None:
            raise _fail("--service picks one of the project config's specs: give SPEC or --service, not both")
        return [build(spec)]
    models = [build(path) for path in _config_specs()]
    if service is None:
        return models
    chosen = [model for model in models if model.service == service]
    if not chosen:
        names = ", ".join(model.service for model in models)
        raise _fail(f"no spec of the project config is service {service!r}; its services: {names}")
    return chosen


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


def _lint_specs(spec: str | None, have_files: bool) -> list[tuple[Spec, ...]]:
    """The specs of each lint run: --spec, else every spec the project config names, all at once
    for FILES (each metric belongs to the spec declaring it), one run per spec for their generated
    rules (no FILES). FILES outside any project (no config) are linted spec-less."""
    from mongen.loading import load_spec

    if spec is not None:
        return [(load_spec(spec),)]
    if not have_files:
        return [(load_spec(path),) for path in _config_specs()]
    specs = _config_spec_paths()
    return [tuple(load_spec(path) for path in specs or ())]


def _check_config() -> CheckConfig:
    """The project config's `checks` table (empty without a config), shared by lint and validate."""
    from mongen.check_config import CheckConfig
    from mongen.config import find_config

    config = find_config(Path.cwd())
    return config.checks if config is not None else CheckConfig()


def _counts(findings: list[Finding], silenced: int) -> str:
    """`N errors, M warnings`, then the info findings and those the config silenced, when any."""
    errors = sum(f.severity == "error" for f in findings)
    info = sum(f.severity == "info" for f in findings)
    text = f"{errors} errors, {len(findings) - errors - info} warnings"
    text += f", {info} info" if info else ""
    return text + (f", {silenced} silenced by the project config" if silenced else "")


def _silenced(count: int) -> str:
    return f"{count} finding{'s' if count != 1 else ''} silenced by the project config"


def _project_out(out: Path | None) -> Path:
    """-o as given, else the project config's `out`, else ./out."""
    if out is not None:
        return out
    from mongen.config import DEFAULT_OUT, find_config
    from mongen.layout import shown_path

    config = find_config(Path.cwd())
    return Path(shown_path(config.out)) if config is not None else Path(DEFAULT_OUT)


def _below(directory: Path, findings: list[Finding]) -> list[Finding]:
    """Findings about files under `directory`, renamed relative to the working directory, so that
    editors and GitHub (which resolves annotation paths against the checkout) can open them."""
    from dataclasses import replace

    from mongen.layout import shown_path

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
            runbooks_url=_config_runbooks_url(),
            checks=_check_config(),
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
    silenced = f" ({_silenced(result.silenced)})" if result.silenced else ""
    console.status(f"wrote {len(result.files)} files to {out_dir}, {checked}{silenced}")


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
    findings, silenced = _check_config().apply(_below(directory, findings))
    _print_findings(findings, fmt)
    if silenced:
        console.status(f"{directory}: {_silenced(silenced)}")
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
    The project config's [checks] table turns checks off or on, changes their severity or scopes them
    to paths (see README, "Configuring checks")."""
    from mongen.layout import shown_path
    from mongen.lint.context import LintOptions
    from mongen.lint.runner import LintResult
    from mongen.lint.runner import lint as run_lint
    from mongen.units import duration_seconds

    console = _console(ctx, quiet, verbose)
    checks = _check_config()
    if list_checks:
        from mongen.lint.listing import list_checks as render_checks

        typer.echo(render_checks(checks), nl=False)
        return
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
    runs = [()] if no_spec else _lint_specs(spec, bool(paths))
    result = LintResult([], 0, 0)
    try:
        with console.step("linting" if no_promtool else "linting (promtool included)"):
            for models in runs:
                one = run_lint(
                    models,
                    list(paths or []),
                    diff_base,
                    run_promtool=not no_promtool,
                    processes=jobs,
                    options=LintOptions(min_for_seconds, checks),
                    out=None if paths else _project_out(None),
                )
                result = LintResult(
                    result.findings + one.findings,
                    result.files + one.files,
                    result.rules + one.rules,
                    result.silenced + one.silenced,
                )
    except ValueError as exc:
        raise _fail(str(exc)) from None
    _print_findings(result.findings, fmt)
    used = [shown_path(Path(model.source)) for models in runs for model in models]
    label = "spec" if len(used) == 1 else "specs"
    mode = f" ({label}: {', '.join(used)})" if used else " (no spec: spec checks skipped)"
    console.status(f"{result.rules} rules in {result.files} files: {_counts(result.findings, result.silenced)}{mode}")
    if result.failed:
        raise typer.Exit(1)


@app.command()
def schema() -> None:
    """Print the spec's JSON Schema (Draft 2020-12), for editors and CI."""
    from mongen.loading import spec_schema

    typer.echo(json.dumps(spec_schema(), indent=2))


@app.command()
def cardinality(
    ctx: typer.Context, spec: SpecArg = None, service: ServiceOpt = None, quiet: Quiet = False, verbose: Verbose = False
) -> None:
    """Print the exact series count per metric against the spec's budget: exit 1 over it, warn near it.
    Without SPEC, one table per spec of the project config, then one summary line."""
    from mongen.loading import build_spec, load_document

    console = _console(ctx, quiet, verbose)
    # A spec over its budget is rejected everywhere else; here it is what the table is for.
    models = _each_service(spec, service, lambda path: build_spec(load_document(path), check_budget=False))
    over = []
    for model in models:
        if len(models) > 1:
            typer.echo(f"{'' if model is models[0] else chr(10)}service {model.service} ({model.source})")
        if _cardinality_table(model):
            over.append(model.service)
    if len(models) > 1:
        totals = ", ".join(f"{m.service} {m.total_series}/{m.max_series}" for m in models)
        console.status(
            f"{len(models)} services, series per instance / budget: {totals}; "
            + (f"over budget: {', '.join(over)}" if over else "none over budget")
        )
    if over:
        raise typer.Exit(1)


def _cardinality_table(model: Spec) -> bool:
    """Print one spec's table and its budget findings; whether it is over its budget."""
    from mongen.lint.checks.cardinality_budget import CardinalityBudget
    from mongen.loading import BUDGET_PATH, budget_problem, load_document

    doc = load_document(model.source)
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
    return over is not None


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
            "panel plotted over the run (needs the extra: pip install 'mongen[html]').",
        ),
    ] = None,
) -> None:
    """Prove the generated monitoring end to end on a real Prometheus (or VictoriaMetrics) and Alertmanager
    (127.0.0.1 only). Without SPEC, each spec of the project config in turn (or the one of --service),
    with one summary."""
    from mongen.loading import load_spec
    from mongen.verify import VerifyError, run_verify
    from mongen.verify.html import PlottingUnavailable, VerifiedService, require_plotting, write_page

    console = _console(ctx, quiet, verbose)
    if html is not None:
        try:
            require_plotting()  # before the run, not after minutes of it
        except PlottingUnavailable as exc:
            raise _fail(str(exc)) from None
    models = _each_service(spec, service, load_spec)
    for model in models:
        if engine.value not in ("prometheus", *model.engines):
            raise _fail(
                f"{model.source} generates no {engine.value} files: add `{engine.value}` to its `engines` "
                f"(e.g. `engines: [prometheus, {engine.value}]`) to verify on that engine"
            )
    servers = "Prometheus" if engine is VerifyEngine.prometheus else "vmagent, victoria-metrics, vmalert"
    reports = {}
    for model in models:
        try:
            with console.step(f"verifying {model.service} on real {servers} and Alertmanager (a few minutes)"):
                reports[model.service] = run_verify(model, engine=engine.value, record=html is not None)
        except VerifyError as exc:
            raise _fail(f"the test bed did not start: {exc}", 1) from None
    if len(models) == 1:
        (report,) = reports.values()
        typer.echo(report.to_json() if fmt is Format.json else report.to_text(verbose))
    elif fmt is Format.json:
        services = {name: json.loads(report.to_json()) for name, report in reports.items()}
        passed = all(report.passed for report in reports.values())
        typer.echo(json.dumps({"passed": passed, "services": services}, indent=2, sort_keys=True))
    else:
        for name, report in reports.items():
            typer.echo(f"## service {name}\n{report.to_text(verbose)}\n")
    if html is not None:
        runs = [VerifiedService(m.service, m.source, reports[m.service]) for m in models]
        try:
            size = write_page(html, runs)
        except OSError as exc:
            raise _fail(f"cannot write {html}: {exc.strerror or exc}; give a writable path to --html") from None
        if not quiet:
            typer.echo(f"wrote {html} ({size // 1024} KB): open it in a browser", err=True)
    failed = [name for name, report in reports.items() if not report.passed]
    if len(models) > 1:
        verdicts = ", ".join(f"{name} {'failed' if name in failed else 'passed'}" for name in reports)
        # The one summary is the report's, on stdout: it is what was asked for.
        if fmt is not Format.json:
            typer.echo(f"{len(reports)} services verified: {verdicts}")
    if failed:
        raise typer.Exit(1)


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
    from mongen.adopt.exposition import ExpositionError, parse_families, read_exposition
    from mongen.adopt.from_metrics import DraftError, draft_spec

    if out.exists() or out.is_symlink():
        raise _fail(f"{out} exists; mongen init never overwrites a file: give a new path")
    try:
        text, openmetrics = read_exposition(from_metrics)
        families = parse_families(text, openmetrics, from_metrics)
        spec_text, spec = draft_spec(families, from_metrics, namespace, service, str(out))
    except (ExpositionError, DraftError) as exc:
        raise _fail(str(exc)) from None
    try:
        with out.open("x", encoding="utf-8") as handle:
            handle.write(spec_text)
    except FileExistsError:
        raise _fail(f"{out} exists; mongen init never overwrites a file: give a new path") from None
    typer.echo(
        f"wrote {out}: {len(spec.metrics)} metrics, {len(spec.external_metrics)} external metrics, "
        f"{len(spec.labels)} labels from {len(families)} families; review it, then `mongen generate {out}`",
        err=True,
    )


import_app = typer.Typer(help="Write a mongen spec from another tool's SLO definitions.", no_args_is_help=True)
app.add_typer(import_app, name="import")


@import_app.command("sloth")
def import_sloth(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A Sloth spec (version prometheus/v1).")],
    out: Annotated[Path, typer.Option("--out", "-o", metavar="SPEC", help="The spec to write; never overwritten.")],
) -> None:
    """Import a Sloth spec: its events SLOs with their queries and objectives; what cannot be
    mapped is refused with its position (plugins, raw error ratios) or listed (alert labels)."""
    from mongen.adopt.sloth import import_sloth as run_import

    if out.exists() or out.is_symlink():
        raise _fail(f"{out} exists; mongen import never overwrites a file: give a new path")
    if not file.is_file():
        raise _fail(f"{file} is not a file; give a Sloth spec")
    imported = run_import(str(file))
    with out.open("x", encoding="utf-8") as handle:
        handle.write(imported.text)
    for note in imported.notes:
        typer.echo(f"warning: {note}", err=True)
    typer.echo(f"wrote {out}; review it, then `mongen generate {out}`", err=True)


@import_app.command("openslo")
def import_openslo(
    files: Annotated[list[Path], typer.Argument(metavar="FILE...", help="OpenSLO v1 documents (SLO, SLI, ...).")],
    out: Annotated[Path, typer.Option("--out", "-o", metavar="SPEC", help="The spec to write; never overwritten.")],
) -> None:
    """Import OpenSLO v1 ratio SLOs as events SLIs; calendar windows, timeslices and other
    indicators are refused with their position, alert policies listed."""
    from mongen.adopt.openslo import import_openslo as run_import

    if out.exists() or out.is_symlink():
        raise _fail(f"{out} exists; mongen import never overwrites a file: give a new path")
    for file in files:
        if not file.is_file():
            raise _fail(f"{file} is not a file; give OpenSLO documents")
    imported = run_import([str(f) for f in files])
    with out.open("x", encoding="utf-8") as handle:
        handle.write(imported.text)
    for note in imported.notes:
        typer.echo(f"warning: {note}", err=True)
    typer.echo(f"wrote {out}; review it, then `mongen generate {out}`", err=True)


export_app = typer.Typer(help="Write a spec's definitions in another tool's format.", no_args_is_help=True)
app.add_typer(export_app, name="export")


@export_app.command("openslo")
def export_openslo(spec: SpecArg = None) -> None:
    """Print the spec's SLOs as OpenSLO v1 SLO documents (stdout)."""
    from mongen.adopt.openslo import export_openslo as run_export
    from mongen.loading import load_spec

    typer.echo(run_export(load_spec(_project_spec(spec))), nl=False)


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
