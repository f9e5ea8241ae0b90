"""The pipeline, top to bottom: load spec -> model -> generators -> validators -> writer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from mongen.config import spec_name
from mongen.drift import drift
from mongen.errors import FileSystemError, Finding, OutputError, SpecError, SpecIssue, format_path
from mongen.generators import generate_all
from mongen.layout import MARKER, services_listed
from mongen.model import Spec
from mongen.ownership import marker_text, read_marker
from mongen.serialize import quoted_path
from mongen.spec.build import build_spec, load_document
from mongen.validate import CheckDone, validate_dir
from mongen.writer import atomic_replace


@dataclass
class GenerateResult:
    files: dict[str, str]
    findings: list[Finding] = field(default_factory=list)
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


def render_specs(spec_paths: Sequence[str], warnings: list[Finding] | None = None) -> dict[str, str]:
    """Every output file of one spec (as `render`), or of several sharing one tree (combine.py).
    Every spec is loaded before any error is raised, so one run reports the problems of all.
    Each spec's warnings are appended to `warnings`, when given."""
    from mongen.combine import Service, combine, in_order

    services: list[Service] = []
    issues: list[SpecIssue] = []
    for path in spec_paths:
        try:
            doc = load_document(path)
            spec = build_spec(doc)
            services.append(Service(replace(spec, source=spec_name(path)), doc))
            if warnings is not None:
                warnings += [spec_warning(issue) for issue in spec.warnings]
        except SpecError as exc:
            issues += exc.issues
    if issues:
        raise SpecError(issues)
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


def generate(
    spec_paths: str | Sequence[str],
    out_dir: Path,
    *,
    validate: bool = True,
    check: bool = False,
    prune: bool = False,
    on_check_done: CheckDone | None = None,
) -> GenerateResult:
    """One spec's tree, or one tree for several (combine.py). `prune`: delete entries of `out_dir` that mongen did not write instead of refusing.
    `on_check_done(name, seconds)` hears of each validation check as it finishes."""
    warnings: list[Finding] = []
    files = render_specs([spec_paths] if isinstance(spec_paths, str) else spec_paths, warnings)
    refuse_other_services(out_dir, files, "check" if check else "replace")
    result = GenerateResult(files, list(warnings))
    if check:
        try:
            result.diff = drift(out_dir, files)
        except OSError as exc:
            raise FileSystemError(f"read {quoted_path(str(out_dir))}", exc) from None
        return result

    def gate(staging: Path) -> bool:
        if validate:
            result.findings = warnings + validate_dir(staging, on_check_done=on_check_done)
        return not result.failed

    result.written = atomic_replace(out_dir, files, gate, prune=prune)
    return result
