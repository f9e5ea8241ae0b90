"""Lint a set of rule files against the spec: static checks, suppressions, diff filtering, promtool."""

from __future__ import annotations

import gc
import re
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mongen.errors import Finding
from mongen.lint.ast import Node
from mongen.lint.checks import CHECKS
from mongen.lint.context import Labels, LintContext, output_labels
from mongen.lint.rulefiles import Rule, RuleFile, collect_files, read_rule_file
from mongen.model import Spec
from mongen.spec.loader import load_yaml
from mongen.validate import require
from mongen.writer import write_tree

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
# Units Prometheus names carry in base form (seconds, bytes, ratios).
_NON_BASE_UNITS = {
    "milliseconds": "seconds",
    "ms": "seconds",
    "microseconds": "seconds",
    "minutes": "seconds",
    "hours": "seconds",
    "kilobytes": "bytes",
    "megabytes": "bytes",
    "gigabytes": "bytes",
    "kb": "bytes",
    "mb": "bytes",
    "percent": "ratio",
    "percentage": "ratio",
}


@dataclass
class LintResult:
    findings: list[Finding]
    files: int
    rules: int

    @property
    def failed(self) -> bool:
        return any(f.severity == "error" for f in self.findings)


def _register_recorded(ctx: LintContext, rules: list[Rule]) -> None:
    """Recorded names count as known metrics, with the labels their expressions keep.

    Pass 1 knows every recorded name but none of their labels, so a rule that reads a recorded
    series gets unknown labels; pass 2 works out again only those rules, with pass 1's label sets
    (a rule reading a rule defined further down resolves there)."""
    records = [(r, r.expr) for r in rules if r.kind == "record" and r.expr is not None]
    ctx.set_recorded({r.name: set() for r in rules if r.kind == "record"})
    labels: list[Labels] = []
    reads_recorded: list[bool] = []
    for _, expr in records:
        ctx.read_recorded = False
        labels.append(output_labels(ctx, expr))
        reads_recorded.append(ctx.read_recorded)
    ctx.set_recorded({**ctx.recorded, **_shapes(records, labels)})
    labels = [
        output_labels(ctx, expr) if again else known
        for (_, expr), known, again in zip(records, labels, reads_recorded, strict=True)
    ]
    ctx.set_recorded({**ctx.recorded, **_shapes(records, labels)})


def _shapes(records: list[tuple[Rule, Node]], labels: list[Labels]) -> dict[str, set[frozenset[str]]]:
    """Recorded name -> the label sets its rules produce (rules with unknown labels left out)."""
    shapes: dict[str, set[frozenset[str]]] = {}
    for (rule, _), known in zip(records, labels, strict=True):
        if known is not None:
            shapes.setdefault(rule.name, set()).add(known | frozenset(rule.labels))
    return shapes


def changed_lines(base: str, path: Path) -> set[int] | None:
    """Lines of `path` added or changed since git revision `base` (None: the whole file is new)."""
    proc = subprocess.run(
        ["git", "diff", "--unified=0", base, "--", str(path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=path.parent,
    )
    if proc.returncode != 0:
        raise ValueError(f"git diff against {base!r} failed: {proc.stderr.strip()}")
    tracked = subprocess.run(
        ["git", "cat-file", "-e", f"{base}:./{path.name}"], capture_output=True, check=False, cwd=path.parent
    )
    if tracked.returncode != 0:
        return None
    lines: set[int] = set()
    for line in proc.stdout.splitlines():
        match = _HUNK.match(line)
        if match:
            start, count = int(match.group(1)), int(match.group(2) or "1")
            lines.update(range(start, start + count))
    return lines


def spec_findings(spec: Spec) -> list[Finding]:
    """metric-name and cardinality checks on the spec itself, at the metric's line in the spec."""
    doc = load_yaml(Path(spec.source).read_text("utf-8"), spec.source)
    out = []
    for i, metric in enumerate(spec.metrics):
        loc = doc.locate(("metrics", i, "name"))
        parts = metric.base.split("_")
        for part in parts:
            if part in _NON_BASE_UNITS:
                out.append(
                    Finding(
                        spec.source,
                        loc.line,
                        loc.col,
                        "warning",
                        "metric-name",
                        f"`{metric.name}` uses `{part}`; Prometheus metrics use base units ({_NON_BASE_UNITS[part]})",
                    )
                )
    share = spec.total_series / spec.max_series
    if share > 0.8:
        loc = doc.locate(("service", "max_series_per_instance"))
        out.append(
            Finding(
                spec.source,
                loc.line,
                loc.col,
                "warning",
                "cardinality-budget",
                f"{spec.total_series} series per instance use {share:.0%} of the budget of {spec.max_series}; largest: {spec.largest_metrics()}",
            )
        )
    return out


def lint_files(spec: Spec, files: list[RuleFile], changed: dict[str, set[int] | None] | None = None) -> list[Finding]:
    rules = [r for f in files for r in f.rules]
    ctx = LintContext(spec)
    _register_recorded(ctx, rules)
    findings = [Finding(f.path, f.error_line, 1, "error", "rule-file", f.error) for f in files if f.error]
    findings += [
        Finding(r.file, r.line, r.col, "error", "promql-parse", f"expression does not parse: {r.parse_error}")
        for r in rules
        if r.parse_error
    ]
    for check in CHECKS:
        for rule, message in check.rules(ctx, rules):
            if check.id in rule.suppressed:
                continue
            if changed is not None and rule.file in changed:
                lines = changed[rule.file]
                if lines is not None and not lines & set(range(rule.first_line, rule.last_line + 1)):
                    continue
            findings.append(Finding(rule.file, rule.line, rule.col, check.severity, check.id, message))
    return sorted(set(findings), key=lambda f: (f.file, f.line, f.col, f.check, f.message))


def promtool_findings(paths: list[Path], display: dict[Path, str], generated_root: Path | None) -> list[Finding]:
    promtool = require("promtool")
    findings: list[Finding] = []
    for path in paths:
        proc = subprocess.run(
            [promtool, "check", "rules", str(path)], capture_output=True, text=True, check=False, timeout=300
        )
        if proc.returncode != 0:
            findings.append(
                Finding(display[path], 1, 1, "error", "promtool-check", (proc.stdout + proc.stderr).strip())
            )
    tests = sorted(
        {t for p in paths for t in [*p.parent.glob("*.test.yml"), *(p.parent.parent / "tests").glob("*.test.yml")]}
    )
    for test in tests:
        proc = subprocess.run(
            [promtool, "test", "rules", test.name],
            cwd=test.parent,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        if proc.returncode != 0:
            shown = str(test.relative_to(generated_root)) if generated_root else str(test)
            findings.append(Finding(shown, 1, 1, "error", "promtool-test", (proc.stdout + proc.stderr).strip()))
    return findings


@contextmanager
def _without_gc() -> Iterator[None]:
    """Lint keeps every parsed rule alive until it is done, so the collector's repeated full passes
    find nothing to free (on 10,000 rules they cost ~30% of the run). The parent links inside the
    parsed trees are cycles; they are collected once lint returns and the collector is back on."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def lint(spec: Spec, paths: list[Path], diff_base: str | None = None, run_promtool: bool = True) -> LintResult:
    with _without_gc(), tempfile.TemporaryDirectory(prefix="mongen-lint-") as tmp:
        if not paths:
            # Default: the spec's own generated rules (and their promtool tests).
            from mongen.generators.rule_tests import generate as generate_tests
            from mongen.generators.rules import generate as generate_rules

            write_tree(Path(tmp), {**generate_rules(spec), **generate_tests(spec)})
            files = collect_files([Path(tmp) / "prometheus/rules"])
            display = {f: str(f.relative_to(tmp)) for f in files}
        else:
            files = collect_files(paths)
            display = {f: str(f) for f in files}
        explicit = {p.resolve() for p in paths if p.is_file()}
        rule_files: list[RuleFile] = []
        checked: list[Path] = []
        for path in files:
            rule_file = read_rule_file(path, display[path])
            if rule_file.error and path.resolve() not in explicit and not rule_file.rules:
                continue  # a directory may hold other YAML (prometheus.yml, tests)
            rule_files.append(rule_file)
            if not rule_file.error:
                checked.append(path)
        changed = {display[p]: changed_lines(diff_base, p) for p in files} if diff_base else None
        findings = spec_findings(spec) + lint_files(spec, rule_files, changed)
        if run_promtool:
            findings += promtool_findings(checked, display, Path(tmp) if not paths else None)
        return LintResult(findings, len(rule_files), sum(len(f.rules) for f in rule_files))
