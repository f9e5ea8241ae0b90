"""The pipeline, top to bottom: load the specs -> the project (mongen.project: checked, then
generated) -> validators -> writer."""

from __future__ import annotations

import gc
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from mongen import layout
from mongen.check_config import CheckConfig
from mongen.config import spec_name
from mongen.drift import drift
from mongen.errors import FileSystemError, Finding, OutputError
from mongen.layout import services_listed
from mongen.model import Spec
from mongen.ownership import read_marker
from mongen.project import load_project, render_models, render_project
from mongen.serialize import quoted_path
from mongen.validate import CheckDone, validate_dir
from mongen.writer import atomic_replace

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
    """Every output file of one spec (the project of one), plus the marker that says the directory
    belongs to mongen.

    Headers name the spec by its path in the project (config.spec_name), not as typed, so that
    `generate --check` agrees from any working directory and for any spelling of the path."""
    return render_models([replace(spec, source=spec_name(spec.source))])


def render_specs(spec_paths: Sequence[str], runbooks_url: str | None = None) -> dict[str, str]:
    """Every output file of the project of these specs (one, or several sharing one tree)."""
    return render_project(load_project(spec_paths, runbooks_url))


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


def relative_runbook_urls(specs: Sequence[Spec], files: dict[str, str]) -> list[Finding]:
    """A warning per service whose alerts link their generated runbooks by a relative path (no
    `runbooks_url` in the spec or the project config): Slack, PagerDuty or email cannot open it."""
    findings = []
    for spec in specs:
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
    """The tree of a project: one spec, or several sharing one tree (mongen.project). `prune`: delete entries of `out_dir` that mongen did not write instead of refusing.
    `on_check_done(name, seconds)` hears of each validation check as it finishes. `runbooks_url`:
    the project config's, for the specs that give none; `checks` (the project config's) silences or
    re-grades the findings (spec warnings and validation) before they gate the write."""
    warnings: list[Finding] = []
    project = load_project([spec_paths] if isinstance(spec_paths, str) else spec_paths, runbooks_url, warnings)
    files = render_project(project)
    refuse_other_services(out_dir, files, "check" if check else "replace")
    config = checks or CheckConfig()
    before = warnings + relative_runbook_urls(project.models, files)
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
