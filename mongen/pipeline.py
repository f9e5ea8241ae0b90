"""The pipeline, top to bottom: load spec -> model -> generators -> validators -> writer."""

from __future__ import annotations

import gc
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from mongen import layout
from mongen.check_config import CheckConfig
from mongen.config import spec_name
from mongen.drift import drift
from mongen.errors import FileSystemError, Finding, OutputError, SpecError, SpecIssue, format_path
from mongen.generators import generate_all
from mongen.layout import MARKER, services_listed
from mongen.loading import build_spec, load_document
from mongen.model import Spec
from mongen.ownership import marker_text, read_marker
from mongen.serialize import quoted_path
from mongen.validate import CheckDone, validate_dir
from mongen.writer import atomic_replace

if TYPE_CHECKING:
    from mongen.combine import Service

# What is imported by now lives as long as the process: moving it out of the collector's
# generations spares every collection during the run a scan of ~50,000 objects (the YAML, JSON and
# AST work of a generate triggers hundreds of them).
gc.freeze()


@dataclass
class GenerateResult:
    files: dict[str, str]
    findings: list[Finding] = field(default_factory=list)
    silenced: int = 0  # validation findings the project config turned off
    written: bool = False
    diff: str = ""

    @property
    def failed(self) -> bool:
        return any(f.severity == "error" for f in self.findings)


def render(spec: Spec) -> dict[str, str]:
    """Every output file, plus the marker that says the directory belongs to mongen.

    Headers name the spec by its path in the project (config.spec_name), not as typed, so that
    `generate --check` agrees from any working directory and for any spelling of the path."""
    return _one_service_tree(replace(spec, source=spec_name(spec.source)))


def _one_service_tree(spec: Spec) -> dict[str, str]:
    files = generate_all(spec)
    files[MARKER] = marker_text([spec.source], files)
    return dict(sorted(files.items()))


def spec_warning(issue: SpecIssue) -> Finding:
    """A spec warning (SpecIssues.warn) as a finding `mongen generate` prints."""
    where = issue.location
    return Finding(where.file, where.line, where.col, "warning", "spec", f"{format_path(issue.path)}: {issue.message}")


def load_services(
    spec_paths: Sequence[str], runbooks_url: str | None = None, warnings: list[Finding] | None = None
) -> list[Service]:
    """Every spec, loaded before any error is raised, so one run reports the problems of all.
    `runbooks_url` (the project config's) applies to specs that name no place for runbooks; each
    spec's warnings are appended to `warnings`, when given."""
    from mongen.combine import Service

    services: list[Service] = []
    issues: list[SpecIssue] = []
    for path in spec_paths:
        try:
            doc = load_document(path)
            spec = replace(build_spec(doc), source=spec_name(path))
            if runbooks_url and not spec.runbooks_url:
                spec = replace(spec, runbooks_url=runbooks_url)
            services.append(Service(spec, doc))
            if warnings is not None:
                warnings += [spec_warning(issue) for issue in spec.warnings]
        except SpecError as exc:
            issues += exc.issues
    if issues:
        raise SpecError(issues)
    return services


def render_specs(spec_paths: Sequence[str], runbooks_url: str | None = None) -> dict[str, str]:
    """Every output file of one spec (as `render`), or of several sharing one tree (combine.py)."""
    return render_services(load_services(spec_paths, runbooks_url))


def render_services(services: list[Service]) -> dict[str, str]:
    from mongen.combine import combine, in_order

    if len(services) == 1:
        return _one_service_tree(services[0].spec)
    files = combine(services)
    files[MARKER] = marker_text([s.spec.source for s in in_order(services)], files)
    return dict(sorted(files.items()))


def refuse_other_services(out_dir: Path, files: dict[str, str], action: str = "replace") -> None:
    """A run generates every service of its tree: replacing a tree that holds services the run
    does not generate would delete their files."""
    listing = read_marker(out_dir) if out_dir.is_dir() else None
    ours = services_listed(files)
    others = sorted(set(services_listed(listing or ())) - set(ours))
    if not others:
        return
    shown = quoted_path(str(out_dir))
    raise OutputError(
        f"refusing to {action} {shown}: it holds the files of {'services' if len(others) > 1 else 'service'} "
        f"{', '.join(others)}, which this run does not generate (it generates {', '.join(ours)}); "
        f"pass every service's spec in one run (`mongen generate SPEC... -o {shown}`), or list them all in "
        "the project config's `specs` and run `mongen generate`. To drop a service, delete the directory and generate the rest"
    )


def relative_runbook_urls(services: Sequence[Service], files: dict[str, str]) -> list[Finding]:
    """A warning per service whose alerts link their generated runbooks by a relative path (no
    `runbooks_url` in the spec or the project config): Slack, PagerDuty or email cannot open it."""
    findings = []
    for service in services:
        spec = service.spec
        if spec.runbook_base or spec.runbooks_url or not (spec.alerts or spec.slos):
            continue
        rules = layout.rule_files(spec.service)["alerts"]
        lines = files.get(rules, "").splitlines()
        line = next((i for i, text in enumerate(lines, 1) if "runbook_url:" in text), 1)
        findings.append(
            Finding(
                rules,
                line,
                1,
                "warning",
                RUNBOOK_URL_CHECK,
                f"the alerts of {spec.service} link their runbooks by a path relative to the output directory "
                f"({layout.RUNBOOKS_DIR}/<Alert>.md), which Slack, PagerDuty or an email cannot open: set "
                "`runbooks_url` in the project config (the web URL of this directory's runbooks/, e.g. in the ops "
                "repository) or `service.runbooks_url` in the spec",
            )
        )
    return findings


RUNBOOK_URL_CHECK = "runbook-url"


def generate(
    spec_paths: str | Sequence[str],
    out_dir: Path,
    *,
    validate: bool = True,
    check: bool = False,
    prune: bool = False,
    on_check_done: CheckDone | None = None,
    runbooks_url: str | None = None,
    checks: CheckConfig | None = None,
) -> GenerateResult:
    """One spec's tree, or one tree for several (combine.py). `prune`: delete entries of `out_dir` that mongen did not write instead of refusing.
    `on_check_done(name, seconds)` hears of each validation check as it finishes. `runbooks_url`:
    the project config's, for the specs that give none; `checks` (the project config's) silences or
    re-grades the findings (spec warnings and validation) before they gate the write."""
    warnings: list[Finding] = []
    services = load_services([spec_paths] if isinstance(spec_paths, str) else spec_paths, runbooks_url, warnings)
    files = render_services(services)
    refuse_other_services(out_dir, files, "check" if check else "replace")
    from mongen.combine import in_order

    config = checks or CheckConfig()
    before = warnings + relative_runbook_urls(in_order(services), files)
    shown, silenced = config.apply(before, scoped=False)
    result = GenerateResult(files, shown, silenced)
    if check:
        try:
            result.diff = drift(out_dir, files)
        except OSError as exc:
            raise FileSystemError(f"read {quoted_path(str(out_dir))}", exc) from None
        return result

    def gate(staging: Path) -> bool:
        if validate:
            found = validate_dir(staging, on_check_done=on_check_done)
            result.findings, result.silenced = config.apply(before + found, scoped=False)
        return not result.failed

    result.written = atomic_replace(out_dir, files, gate, prune=prune)
    return result
