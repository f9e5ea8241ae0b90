"""The application layer: one function per command, called once by the CLI (cli.py), which only
parses arguments and prints what comes back.

Each function resolves what the project config (mongen.toml) supplies when an argument is left
out (the specs, the output directory, `runbooks_url`, the [checks] table), runs the pipeline,
lint or verify for every spec the command covers, and words the answer: an `Outcome` with the
results for stdout (findings, tables, diffs, reports), the status lines for stderr and the exit
code. A request that cannot be carried out as given raises UsageError (exit 2). Progress goes to
the `Console` it is handed; nothing here writes to stdout or stderr itself.

Modules are imported where a command needs them, so that `mongen generate` never imports lint,
verify or the importers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar, cast

from mongen.console import Console
from mongen.errors import Finding
from mongen.units import counted

if TYPE_CHECKING:
    from mongen.adopt.imported_spec import ImportNote
    from mongen.check_config import CheckConfig
    from mongen.config import ProjectConfig
    from mongen.lint.report import ReportFormat
    from mongen.model import Spec
    from mongen.verify.engines import EngineName

# How a severity is shown in text findings (a terminal's colours); the CLI knows the terminal.
Paint = Callable[[str], str]


class UsageError(Exception):
    """The command line asks for what cannot be done as given; the message says what to give."""


@dataclass
class Outcome:
    """What a command answers."""

    stdout: str = ""  # what was asked for: findings, tables, diffs, reports
    status: list[str] = field(default_factory=list)  # lines about what was done (stderr; silent with -q)
    notes: list[str] = field(default_factory=list)  # lines for stderr that -q does not silence
    error: str | None = None  # the reason the run failed, shown as `error: ...`
    exit_code: int = 0


def _plain(severity: str) -> str:
    return severity


def _findings_text(findings: Sequence[Finding], fmt: str = "text", paint: Paint = _plain) -> str:
    """`fmt`: text, json or github (lint.report's formats)."""
    from mongen.lint.report import render

    return render(findings, cast("ReportFormat", fmt), paint)


# --- the project config ---------------------------------------------------------------------


def _project_config() -> ProjectConfig | None:
    from mongen.config import find_config

    return find_config(Path.cwd())


def _config_spec_paths(config: ProjectConfig | None) -> list[str] | None:
    """The project config's specs (shown relative to the working directory), or None without a
    config. A spec it names that is not there is an error at its entry in the config."""
    from mongen.config import missing_specs
    from mongen.errors import SpecError
    from mongen.layout import shown_path

    if config is None:
        return None
    missing = missing_specs(config)
    if missing:
        raise SpecError(missing)
    return [shown_path(spec) for spec in config.specs]


_NO_CONFIG = "no project config found here or above (up to the git root)"
_CREATE_CONFIG = 'create mongen.toml with: specs = ["path/to/spec.yaml"] and out = "out"'


def _config_specs(config: ProjectConfig | None) -> list[str]:
    """The project config's specs; no config is a usage error."""
    specs = _config_spec_paths(config)
    if specs is None:
        raise UsageError(f"no spec given and {_NO_CONFIG}; pass a spec file, or {_CREATE_CONFIG}")
    return specs


def _check_config(config: ProjectConfig | None) -> CheckConfig:
    """The project config's `checks` table (empty without a config), shared by lint and validate."""
    from mongen.check_config import CheckConfig

    return config.checks if config is not None else CheckConfig()


def _project_out(out: Path | None, config: ProjectConfig | None) -> Path:
    """-o as given, else the project config's `out`, else ./out."""
    if out is not None:
        return out
    from mongen.config import DEFAULT_OUT
    from mongen.layout import shown_path

    return Path(shown_path(config.out)) if config is not None else Path(DEFAULT_OUT)


class _OfService(Protocol):
    @property
    def service(self) -> str: ...


Built = TypeVar("Built", bound=_OfService)


def _each_service(spec: str | None, service: str | None, build: Callable[[str], Built]) -> list[Built]:
    """SPEC as given, else every spec of the project config (only the one of `--service NAME`)."""
    if spec is not None:
        if service is not None:
            raise UsageError("--service picks one of the project config's specs: give SPEC or --service, not both")
        return [build(spec)]
    models = [build(path) for path in _config_specs(_project_config())]
    if service is None:
        return models
    chosen = [model for model in models if model.service == service]
    if not chosen:
        names = ", ".join(model.service for model in models)
        raise UsageError(f"no spec of the project config is service {service!r}; its services: {names}")
    return chosen


def _project_spec(spec: str | None) -> str:
    """SPEC as given, else the project config's one spec, for commands that take one."""
    if spec is not None:
        return spec
    specs = _config_specs(_project_config())
    if len(specs) != 1:
        raise UsageError(
            f"the project config names {len(specs)} specs; this command takes one: pass one of them as SPEC"
        )
    return specs[0]


def _below(directory: Path, findings: list[Finding]) -> list[Finding]:
    """Findings about files under `directory`, renamed relative to the working directory, so that
    editors and GitHub (which resolves annotation paths against the checkout) can open them."""
    from mongen.layout import shown_path

    return [replace(f, file=shown_path(directory / f.file)) for f in findings]


def _counts(findings: list[Finding], silenced: int) -> str:
    """`N errors, M warnings`, then the info findings and those the config silenced, when any."""
    errors = sum(f.severity == "error" for f in findings)
    info = sum(f.severity == "info" for f in findings)
    text = f"{counted(errors, 'error')}, {counted(len(findings) - errors - info, 'warning')}"
    text += f", {info} info" if info else ""
    return text + (f", {silenced} silenced by the project config" if silenced else "")


def _silenced(count: int) -> str:
    return f"{counted(count, 'finding')} silenced by the project config"


# --- commands -------------------------------------------------------------------------------


def generate(
    specs: Sequence[str] | None,
    out: Path | None,
    console: Console,
    *,
    validate: bool = True,
    check: bool = False,
    prune: bool = False,
    paint: Paint = _plain,
) -> Outcome:
    """`mongen generate`: the project's tree into OUT (or, with `check`, its drift from OUT)."""
    from mongen import pipeline

    config = _project_config()
    spec_paths = list(specs) if specs else _config_specs(config)
    out_dir = _project_out(out, config)
    spec_path = " ".join(spec_paths)
    label = "checking" if check else "generating" if not validate else "generating and validating"
    with console.step(f"{label} {out_dir} from {spec_path}"):
        result = pipeline.generate(
            spec_paths,
            out_dir,
            validate=validate,
            check=check,
            prune=prune,
            on_check_done=lambda name, seconds: console.detail(f"  {name}: {seconds:.2f} s"),
            runbooks_url=config.runbooks_url if config is not None else None,
            checks=_check_config(config),
        )
    if check:
        if result.diff:
            # Drift is the answer --check was asked for, not an error of the run.
            # The command as it was given: from the project config it is plain `mongen generate`.
            rerun = " ".join(["mongen generate", *(spec_paths if specs else []), *([f"-o {out_dir}"] if out else [])])
            hint = f"{out_dir} is out of date with {spec_path}; run `{rerun}`"
            return Outcome(result.diff, notes=[hint], exit_code=1)
        return Outcome(status=[f"{out_dir} is up to date with {spec_path}"])
    spec_warnings = [f for f in result.findings if f.check == "spec"]  # about the spec, not a file of OUT
    shown = _findings_text(
        spec_warnings + _below(out_dir, [f for f in result.findings if f.check != "spec"]), paint=paint
    )
    if not result.written:
        return Outcome(shown, error=f"validation failed; {out_dir} was left unchanged", exit_code=1)
    checked = "validated" if validate else "not validated (--no-validate)"
    silenced = f" ({_silenced(result.silenced)})" if result.silenced else ""
    return Outcome(shown, status=[f"wrote {counted(len(result.files), 'file')} to {out_dir}, {checked}{silenced}"])


def validate(directory: Path | None, console: Console, fmt: str = "text", paint: Paint = _plain) -> Outcome:
    """`mongen validate`: the real tools and mongen's own checks on an output directory."""
    from mongen.layout import MARKER
    from mongen.ownership import read_marker
    from mongen.serialize import quoted_path
    from mongen.validate import validate_dir

    config = _project_config()
    given = directory is not None
    directory = _project_out(directory, config)
    if not directory.is_dir():
        if given:
            hint = ""
        elif config is None:
            hint = (
                f": with {_NO_CONFIG}, validate reads ./out; pass the output directory `mongen generate` wrote, "
                f"or {_CREATE_CONFIG}"
            )
        else:
            hint = " (the project config's `out`); pass the output directory, or write it with `mongen generate`"
        what = "is not a directory" if directory.exists() else "does not exist"
        raise UsageError(f"{quoted_path(str(directory))} {what}{hint}")
    if read_marker(directory) is None:
        raise UsageError(
            f"{quoted_path(str(directory))} is not an output directory of mongen (no {MARKER} marker file "
            "with mongen's content); pass the directory `mongen generate` wrote (`-o DIR`, or the project "
            "config's `out`), or write one first with `mongen generate SPEC -o DIR`"
        )
    with console.step(f"validating {directory}"):
        found = validate_dir(
            directory, on_check_done=lambda name, seconds: console.detail(f"  {name}: {seconds:.2f} s")
        )
    findings, silenced = _check_config(config).apply(_below(directory, found))
    outcome = Outcome(_findings_text(findings, fmt, paint))
    if silenced:
        outcome.status.append(f"{directory}: {_silenced(silenced)}")
    if any(f.severity == "error" for f in findings):
        outcome.exit_code = 1
    else:
        outcome.status.append(f"{directory}: every check passed")
    return outcome


@dataclass(frozen=True)
class LintRequest:
    """`mongen lint`'s arguments."""

    paths: tuple[Path, ...] = ()
    spec: str | None = None
    no_spec: bool = False
    diff_base: str | None = None
    min_for: str | None = None
    promtool: bool = True
    jobs: int = 0
    list_checks: bool = False  # only list every check, as the project config sets it


def lint(request: LintRequest, console: Console, fmt: str = "text", paint: Paint = _plain) -> Outcome:
    """`mongen lint`: the FILES against the specs (one run for all of them), or each spec's own
    generated rules (one run per spec), merged into one report."""
    from mongen.layout import shown_path
    from mongen.lint.context import LintOptions
    from mongen.lint.runner import LintResult
    from mongen.lint.runner import lint as run_lint
    from mongen.units import duration_seconds

    config = _project_config()
    checks = _check_config(config)
    if request.list_checks:
        from mongen.lint.listing import list_checks

        return Outcome(list_checks(checks))
    paths = list(request.paths)
    for path in paths:
        if not path.exists() and not path.is_symlink():
            raise UsageError(f"{path} does not exist")
    min_for = request.min_for
    min_for_seconds = duration_seconds(min_for) if min_for is not None else 0.0
    if min_for_seconds is None:
        raise UsageError(f"--min-for {min_for!r} is not a duration such as 90s, 5m or 1h30m")
    if request.no_spec and (request.spec is not None or not paths):
        raise UsageError("--no-spec lints FILES without a spec: give FILES, and no --spec")
    if request.diff_base is not None and not paths:
        raise UsageError("--diff-base compares rule files in a git repository: give them as FILES")
    runs: list[tuple[Spec, ...]] = [()] if request.no_spec else _lint_specs(request.spec, bool(paths), config)
    result = LintResult([], 0, 0)
    try:
        with console.step("linting (promtool included)" if request.promtool else "linting"):
            for models in runs:
                one = run_lint(
                    models,
                    paths,
                    request.diff_base,
                    run_promtool=request.promtool,
                    processes=request.jobs,
                    options=LintOptions(min_for_seconds, checks),
                    out=None if paths else _project_out(None, config),
                )
                result = LintResult(
                    result.findings + one.findings,
                    result.files + one.files,
                    result.rules + one.rules,
                    result.silenced + one.silenced,
                )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    used = [shown_path(Path(model.source)) for models in runs for model in models]
    label = "spec" if len(used) == 1 else "specs"
    mode = f" ({label}: {', '.join(used)})" if used else " (no spec: spec checks skipped)"
    return Outcome(
        _findings_text(result.findings, fmt, paint),
        status=[
            f"{counted(result.rules, 'rule')} in {counted(result.files, 'file')}: "
            f"{_counts(result.findings, result.silenced)}{mode}"
        ],
        exit_code=1 if result.failed else 0,
    )


def _lint_specs(spec: str | None, have_files: bool, config: ProjectConfig | None) -> list[tuple[Spec, ...]]:
    """The specs of each lint run: --spec, else every spec the project config names, all at once
    for FILES (each metric belongs to the spec declaring it), one run per spec for their generated
    rules (no FILES). FILES outside any project (no config) are linted spec-less."""
    from mongen.loading import load_spec

    if spec is not None:
        return [(load_spec(spec),)]
    if not have_files:
        return [(load_spec(path),) for path in _config_specs(config)]
    return [tuple(load_spec(path) for path in _config_spec_paths(config) or ())]


def spec_schema() -> Outcome:
    """`mongen schema`: the spec's JSON Schema."""
    from mongen.loading import spec_schema as schema

    return Outcome(json.dumps(schema(), indent=2) + "\n")


@dataclass(frozen=True)
class _Counted:
    """A spec built for `cardinality`, with its budget findings."""

    model: Spec
    findings: list[Finding]
    over: bool  # over its budget

    @property
    def service(self) -> str:
        return self.model.service


def cardinality(spec: str | None, service: str | None, paint: Paint = _plain) -> Outcome:
    """`mongen cardinality`: each spec's series per metric against its budget (a table, then its
    budget findings); with several specs a heading per spec and one summary line. Exit 1 when any
    is over its budget."""
    counted = _each_service(spec, service, _counted)
    over = [c.service for c in counted if c.over]
    parts = []
    for i, one in enumerate(counted):
        if len(counted) > 1:
            parts.append(f"{chr(10) if i else ''}service {one.service} ({one.model.source})\n")
        parts.append(_cardinality_table(one.model) + _findings_text(one.findings, paint=paint))
    outcome = Outcome("".join(parts), exit_code=1 if over else 0)
    if len(counted) > 1:
        totals = ", ".join(f"{c.service} {c.model.total_series}/{c.model.max_series}" for c in counted)
        outcome.status.append(
            f"{len(counted)} services, series per instance / budget: {totals}; "
            + (f"over budget: {', '.join(over)}" if over else "none over budget")
        )
    return outcome


def _counted(path: str) -> _Counted:
    """The spec's model and budget findings: over its budget (an error at
    `service.max_series_per_instance`), or near it (a warning)."""
    from mongen.lint.checks.cardinality_budget import CardinalityBudget
    from mongen.loading import BUDGET_PATH, budget_problem, build_spec, load_document

    doc = load_document(path)
    # A spec over its budget is rejected everywhere else; here it is what the table is for.
    model = build_spec(doc, check_budget=False)
    over = budget_problem(model)
    near = CardinalityBudget()
    problems = [(BUDGET_PATH, "error", over)] if over else [(p, near.severity, m) for p, m in near.check(model)]
    findings = []
    for where_path, severity, message in problems:
        where = doc.locate(where_path)
        findings.append(Finding(where.file, where.line, where.col, severity, near.id, message))
    return _Counted(model, findings, over is not None)


def _cardinality_table(model: Spec) -> str:
    rows = sorted(model.exposed_metrics, key=lambda m: (-model.series_count(m), m.name))
    width = max(len(m.exposed_name) for m in rows)
    lines = [f"{'metric':<{width}}  {'type':<9}  {'series':>6}  labels"]
    for metric in rows:
        lines.append(
            f"{metric.exposed_name:<{width}}  {metric.type:<9}  {model.series_count(metric):>6}  "
            f"{', '.join(metric.labels) or '-'}"
        )
    lines.append(f"{'total':<{width}}  {'':<9}  {model.total_series:>6}  budget {model.max_series}")
    return "".join(line + "\n" for line in lines)


def verify(
    spec: str | None,
    service: str | None,
    console: Console,
    engine: str,
    fmt: str,
    verbose: bool,
    html: Path | None = None,
) -> Outcome:
    """`mongen verify`: each spec in turn on the real servers; with several, one report per
    service and one summary (text), or one JSON document; with `html`, also the page of the runs."""
    from mongen.loading import load_spec
    from mongen.verify import VerifyError, run_verify
    from mongen.verify.html import PlottingUnavailable, VerifiedService, require_plotting, write_page

    if html is not None:
        try:
            require_plotting()  # before the run, not after minutes of it
        except PlottingUnavailable as exc:
            raise UsageError(str(exc)) from None
    models = _each_service(spec, service, load_spec)
    for model in models:
        if engine not in ("prometheus", *model.engines):
            raise UsageError(
                f"{model.source} generates no {engine} files: add `{engine}` to its `engines` "
                f"(e.g. `engines: [prometheus, {engine}]`) to verify on that engine"
            )
    servers = "Prometheus" if engine == "prometheus" else "vmagent, victoria-metrics, vmalert"
    reports = {}
    for model in models:
        try:
            with console.step(f"verifying {model.service} on real {servers} and Alertmanager (a few minutes)"):
                reports[model.service] = run_verify(model, engine=cast("EngineName", engine), record=html is not None)
        except VerifyError as exc:
            return Outcome(error=f"the test bed did not start: {exc}", exit_code=1)
    failed = [name for name, report in reports.items() if not report.passed]
    if len(models) == 1:
        (report,) = reports.values()
        text = report.to_json() if fmt == "json" else report.to_text(verbose)
    elif fmt == "json":
        services = {name: json.loads(report.to_json()) for name, report in reports.items()}
        passed = all(report.passed for report in reports.values())
        text = json.dumps({"passed": passed, "services": services}, indent=2, sort_keys=True)
    else:
        text = "".join(f"## service {name}\n{report.to_text(verbose)}\n\n" for name, report in reports.items())
        verdicts = ", ".join(f"{name} {'failed' if name in failed else 'passed'}" for name in reports)
        # The one summary is the report's, on stdout: it is what was asked for.
        text += f"{len(reports)} services verified: {verdicts}"
    status = []
    if html is not None:
        runs = [VerifiedService(m.service, m.source, reports[m.service]) for m in models]
        try:
            size = write_page(html, runs)
        except OSError as exc:
            raise UsageError(f"cannot write {html}: {exc.strerror or exc}; give a writable path to --html") from None
        status.append(f"wrote {html} ({size // 1024} KB): open it in a browser")
    return Outcome(text + "\n", status=status, exit_code=1 if failed else 0)


def init_from_metrics(source: str, out: Path, namespace: str | None, service: str | None) -> Outcome:
    """`mongen init --from-metrics`: a drafted spec written to `out`, never over a file."""
    from mongen.adopt.exposition import ExpositionError, parse_families, read_exposition
    from mongen.adopt.from_metrics import DraftError, draft_spec

    _refuse_existing(out, "mongen init")
    try:
        text, openmetrics = read_exposition(source)
        families = parse_families(text, openmetrics, source)
        spec_text, spec = draft_spec(families, source, namespace, service, str(out))
    except (ExpositionError, DraftError) as exc:
        raise UsageError(str(exc)) from None
    _write_new(out, spec_text, "mongen init")
    return Outcome(
        notes=[
            f"wrote {out}: {counted(len(spec.metrics), 'metric')}, "
            f"{counted(len(spec.external_metrics), 'external metric')}, "
            f"{counted(len(spec.labels), 'label')} from {counted(len(families), 'family', 'families')}; "
            f"review it, then `mongen generate {out}`"
        ]
    )


def import_sloth(file: Path, out: Path) -> Outcome:
    """`mongen import sloth`: a Sloth spec as a mongen spec written to `out`."""
    from mongen.adopt.sloth import import_sloth as run_import

    _refuse_existing(out, "mongen import")
    if not file.is_file():
        raise UsageError(f"{file} is not a file; give a Sloth spec")
    imported = run_import(str(file))
    return _imported(out, imported.text, imported.notes)


def import_openslo(files: Sequence[Path], out: Path) -> Outcome:
    """`mongen import openslo`: OpenSLO documents as a mongen spec written to `out`."""
    from mongen.adopt.openslo import import_openslo as run_import

    _refuse_existing(out, "mongen import")
    for file in files:
        if not file.is_file():
            raise UsageError(f"{file} is not a file; give OpenSLO documents")
    imported = run_import([str(f) for f in files])
    return _imported(out, imported.text, imported.notes)


def export_openslo(spec: str | None) -> Outcome:
    """`mongen export openslo`: the spec's SLOs as OpenSLO documents."""
    from mongen.adopt.openslo import export_openslo as run_export
    from mongen.loading import load_spec

    return Outcome(run_export(load_spec(_project_spec(spec))))


def _refuse_existing(out: Path, command: str) -> None:
    if out.exists() or out.is_symlink():
        raise UsageError(f"{out} exists; {command} never overwrites a file: give a new path")


def _write_new(out: Path, text: str, command: str) -> None:
    try:
        with out.open("x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        raise UsageError(f"{out} exists; {command} never overwrites a file: give a new path") from None


def _imported(out: Path, text: str, notes: Sequence[ImportNote]) -> Outcome:
    _write_new(out, text, "mongen import")
    return Outcome(notes=[*(str(note) for note in notes), f"wrote {out}; review it, then `mongen generate {out}`"])
