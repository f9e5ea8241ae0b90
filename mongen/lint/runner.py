"""Lint a set of rule files against the spec: static checks, suppressions, diff filtering, promtool."""

from __future__ import annotations

import gc
import multiprocessing
import os
import re
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import pairwise
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from mongen import layout
from mongen.errors import Finding
from mongen.lint.checks import RULE_CHECKS, SET_CHECKS, Check
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


# Below this many rules per process, forking costs more than it saves.
_RULES_PER_PROCESS = 2000
_MAX_PROCESSES = 4
_WORKER_TIMEOUT = 600.0
Firsts = list[tuple[int, Labels, bool]]  # rule index, labels of its result, whether they read a recorded series


def lint_files(
    spec: Spec, files: list[RuleFile], changed: dict[str, set[int] | None] | None = None, processes: int = 0
) -> list[Finding]:
    """Run every check on the rules of `files`. With many rules, forked worker processes parse and
    check contiguous shares of them (`processes`: 0 picks one per CPU, 1 stays in this process).

    Recorded names count as known metrics, with the labels their expressions keep. Pass 1 (in every
    process) knows every recorded name but none of their labels, so a rule reading a recorded
    series gets unknown labels; pass 2 (here) works those rules out again with pass 1's label sets,
    so a rule reading a rule defined further down resolves. The workers then check their shares
    against the final label sets and send back findings and each record rule's result labels for
    the checks across all rules."""
    rules = [r for f in files for r in f.rules]
    ctx = LintContext(spec)
    ctx.set_recorded({r.name: set() for r in rules if r.kind == "record"})
    shares = _shares(len(rules), processes or _cpus())
    workers: list[_Worker] = []
    findings = [Finding(f.path, f.error_line, 1, "error", "rule-file", f.error) for f in files if f.error]
    lost = False
    try:
        workers = [_Worker(ctx, rules, lo, hi, changed) for lo, hi in shares[1:]]
        lo, hi = shares[0]
        firsts = _first_pass(ctx, rules, lo, hi)
        for worker in workers:
            firsts += worker.receive()
        recorded = _second_pass(ctx, rules, firsts)
        for worker in workers:
            worker.send(recorded)
        findings += _check_share(ctx, rules, lo, hi, changed)
        for worker in workers:
            found, results = worker.receive()
            findings += found
            for i, labels in results:
                rules[i].result = labels
    except _WorkerLost:
        lost = True
    finally:
        for worker in workers:
            worker.stop()
    if lost:  # every worker is stopped before this process redoes all the work
        return lint_files(spec, files, changed, processes=1)
    for check in SET_CHECKS:
        for rule, message in check.rules(rules):
            _report(findings, check, rule, message, changed)
    return sorted(set(findings), key=lambda f: (f.file, f.line, f.col, f.check, f.message))


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _shares(count: int, processes: int) -> list[tuple[int, int]]:
    """Contiguous [lo, hi) ranges of the rules, one per process; the first is this process's."""
    if "fork" not in multiprocessing.get_all_start_methods():
        processes = 1
    n = max(1, min(processes, _MAX_PROCESSES, count // _RULES_PER_PROCESS))
    bounds = [count * k // n for k in range(n + 1)]
    return list(pairwise(bounds))


def _first_pass(ctx: LintContext, rules: list[Rule], lo: int, hi: int) -> Firsts:
    """Parse rules[lo:hi] and work out the result labels of its record rules."""
    out: Firsts = []
    for i in range(lo, hi):
        rule = rules[i]
        rule.parse()
        if rule.kind == "record" and rule.expr is not None:
            ctx.read_recorded = False
            out.append((i, output_labels(ctx, rule.expr), ctx.read_recorded))
    return out


def _second_pass(ctx: LintContext, rules: list[Rule], firsts: Firsts) -> dict[str, set[frozenset[str]]]:
    """Every recorded name with the label sets its rules produce, for all processes to check against."""
    ctx.set_recorded({**ctx.recorded, **_shapes(rules, firsts)})
    seconds: Firsts = []
    for i, labels, again in firsts:
        if again:
            rule = rules[i]
            rule.parse()  # a worker's rule is parsed here too, only when it reads a recorded series
            labels = output_labels(ctx, rule.expr) if rule.expr is not None else None
        seconds.append((i, labels, False))
    ctx.set_recorded({**ctx.recorded, **_shapes(rules, seconds)})
    return ctx.recorded


def _shapes(rules: list[Rule], firsts: Firsts) -> dict[str, set[frozenset[str]]]:
    """Recorded name -> the label sets its rules produce (rules with unknown labels left out)."""
    shapes: dict[str, set[frozenset[str]]] = {}
    for i, labels, _ in firsts:
        if labels is not None:
            shapes.setdefault(rules[i].name, set()).add(labels | frozenset(rules[i].labels))
    return shapes


def _check_share(
    ctx: LintContext, rules: list[Rule], lo: int, hi: int, changed: dict[str, set[int] | None] | None
) -> list[Finding]:
    share = rules[lo:hi]
    findings = [
        Finding(r.file, r.line, r.col, "error", "promql-parse", f"expression does not parse: {r.parse_error}")
        for r in share
        if r.parse_error
    ]
    for rule in share:
        rule.result = output_labels(ctx, rule.expr) if rule.expr is not None else None
    for check in RULE_CHECKS:
        for rule in share:
            if rule.expr is not None or not check.needs_expr:
                for message in check.rule(ctx, rule):
                    _report(findings, check, rule, message, changed)
    return findings


def _report(
    findings: list[Finding], check: Check, rule: Rule, message: str, changed: dict[str, set[int] | None] | None
) -> None:
    """Add the finding unless the rule suppresses the check or lies outside the lines changed."""
    if check.id in rule.suppressed:
        return
    if changed is not None and rule.file in changed:
        lines = changed[rule.file]
        if lines is not None and not lines & set(range(rule.first_line, rule.last_line + 1)):
            return
    findings.append(Finding(rule.file, rule.line, rule.col, check.severity, check.id, message))


class _WorkerLost(Exception):
    """A worker process died or stopped answering; its parent does all the work itself instead."""


class _Worker:
    """A forked process that parses and checks rules[lo:hi] (see lint_files for the exchange)."""

    def __init__(
        self, ctx: LintContext, rules: list[Rule], lo: int, hi: int, changed: dict[str, set[int] | None] | None
    ) -> None:
        fork = multiprocessing.get_context("fork")
        self.conn, child = fork.Pipe()
        self.process = fork.Process(target=_work, args=(child, ctx, rules, lo, hi, changed), daemon=True)
        self.process.start()
        child.close()

    def receive(self) -> Any:
        try:
            if not self.conn.poll(_WORKER_TIMEOUT):
                raise _WorkerLost
            return self.conn.recv()
        except (EOFError, OSError):
            raise _WorkerLost from None

    def send(self, value: object) -> None:
        try:
            self.conn.send(value)
        except OSError:
            raise _WorkerLost from None

    def stop(self) -> None:
        self.conn.close()
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


def _work(
    conn: Connection,
    ctx: LintContext,
    rules: list[Rule],
    lo: int,
    hi: int,
    changed: dict[str, set[int] | None] | None,
) -> None:
    """A worker's side of lint_files: first pass, then checks against the parent's label sets."""
    try:
        conn.send(_first_pass(ctx, rules, lo, hi))
        ctx.set_recorded(conn.recv())
        findings = _check_share(ctx, rules, lo, hi, changed)
        conn.send((findings, [(i, rules[i].result) for i in range(lo, hi) if rules[i].kind == "record"]))
    except (Exception, KeyboardInterrupt):
        pass  # the parent sees the pipe close and does this share itself (or was interrupted too)
    finally:
        conn.close()


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


def lint(
    spec: Spec, paths: list[Path], diff_base: str | None = None, run_promtool: bool = True, processes: int = 0
) -> LintResult:
    with _without_gc(), tempfile.TemporaryDirectory(prefix="mongen-lint-") as tmp:
        if not paths:
            # Default: the spec's own generated rules (and their promtool tests).
            from mongen.generators.rule_tests import generate as generate_tests
            from mongen.generators.rules import generate as generate_rules

            write_tree(Path(tmp), {**generate_rules(spec), **generate_tests(spec)})
            files = collect_files([Path(tmp) / layout.RULES_DIR])
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
        findings = spec_findings(spec) + lint_files(spec, rule_files, changed, processes)
        if run_promtool:
            findings += promtool_findings(checked, display, Path(tmp) if not paths else None)
        return LintResult(findings, len(rule_files), sum(len(f.rules) for f in rule_files))
