"""Checking many rules: the two passes that work out what recorded series carry, and the forked
worker processes that share the parsing and checking.

Recorded names count as known metrics, with the labels their expressions keep. Pass 1 (in every
process) knows every recorded name but none of their labels, so a rule reading a recorded series
gets unknown labels; pass 2 (in the parent) works those rules out again with pass 1's label sets,
so a rule reading a rule defined further down resolves. The workers then check their shares
against the final label sets and send back findings and each record rule's result labels (for
the rule-set checks, which the parent runs). Pass 1 also notes which record rules record a sum, so
that every process knows which recorded series are sums (rate-over-sum).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from mongen.errors import Finding
from mongen.lint.context import (
    KnownRecorded,
    Labels,
    LintContext,
    LintOptions,
    Recorded,
    output_labels,
    spec_tuple,
)
from mongen.lint.rulefiles import Rule
from mongen.model import Spec
from mongen.promql_tree import Aggregate, Node, Wrapper

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

# Below this many rules per process, forking costs more than it saves.
RULES_PER_PROCESS = 2000
MAX_PROCESSES = 4
_WORKER_TIMEOUT = 600.0
# Pass 1's answer per record rule: its index, the labels of its result, whether they read a recorded
# series, whether the rule records a sum.
RecordResults = list[tuple[int, Labels, bool, bool]]
# Checks rules[lo:hi] against the final label sets (sets each rule's `result`); returns the findings.
CheckShare = Callable[[LintContext, list[Rule], int, int], list[Finding]]


def check_rules(
    spec: Spec | Sequence[Spec] | None,
    rules: list[Rule],
    check_share: CheckShare,
    processes: int = 0,
    options: LintOptions | None = None,
    known: KnownRecorded | None = None,
) -> list[Finding]:
    """Parse `rules`, settle what recorded series carry, and run `check_share` over all of them,
    split into contiguous shares across forked processes when there are many (`processes`: 0 picks
    one per CPU, 1 stays in this process). Afterwards every rule's `result` is set. A worker that
    dies or hangs costs time, not findings: this process then redoes everything alone."""
    ctx = LintContext(spec_tuple(spec), options or LintOptions(), known or KnownRecorded())
    ctx.set_recorded({r.name: set() for r in rules if r.kind == "record"})
    shares = _shares(len(rules), processes or _cpus())
    workers: list[_Worker] = []
    findings: list[Finding] = []
    lost = False
    try:
        workers = [_Worker(ctx, rules, lo, hi, check_share) for lo, hi in shares[1:]]
        lo, hi = shares[0]
        results = first_pass(ctx, rules, lo, hi)
        for worker in workers:
            results += worker.receive()
        settled = second_pass(ctx, rules, results)
        for worker in workers:
            worker.send(settled)
        findings += check_share(ctx, rules, lo, hi)
        for worker in workers:
            found, record_results = worker.receive()
            findings += found
            for i, labels in record_results:
                rules[i].result = labels
    except _WorkerLost:
        lost = True
    finally:
        for worker in workers:
            worker.stop()
    if lost:  # every worker is stopped before this process redoes all the work
        return check_rules(spec, rules, check_share, 1, options, known)
    return findings


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _shares(count: int, processes: int) -> list[tuple[int, int]]:
    """Contiguous [lo, hi) ranges of the rules, one per process; the first is this process's."""
    n = max(1, min(processes, MAX_PROCESSES, count // RULES_PER_PROCESS))
    if n > 1:
        import multiprocessing  # only here: most runs check too few rules to fork

        if "fork" not in multiprocessing.get_all_start_methods():
            n = 1
    bounds = [count * k // n for k in range(n + 1)]
    return list(pairwise(bounds))


def first_pass(ctx: LintContext, rules: list[Rule], lo: int, hi: int) -> RecordResults:
    """Parse rules[lo:hi] and work out the result labels of its record rules."""
    out: RecordResults = []
    for i in range(lo, hi):
        rule = rules[i]
        rule.parse()
        if rule.kind == "record" and rule.expr is not None:
            ctx.read_recorded = False
            out.append((i, output_labels(ctx, rule.expr), ctx.read_recorded, _is_sum(rule.expr)))
    return out


def _is_sum(expr: Node) -> bool:
    while isinstance(expr, Wrapper):
        expr = expr.expr
    return isinstance(expr, Aggregate) and expr.op == "sum"


def second_pass(ctx: LintContext, rules: list[Rule], results: RecordResults) -> tuple[Recorded, dict[str, str]]:
    """Every recorded name with the label sets its rules produce, and the names recorded as sums,
    for all processes to check against."""
    sums = {rules[i].name: f"{rules[i].file}:{rules[i].line}" for i, _, _, is_sum in reversed(results) if is_sum}
    ctx.set_recorded({**ctx.recorded, **_shapes(rules, results)}, sums)
    settled: RecordResults = []
    for i, labels, read_recorded, is_sum in results:
        if read_recorded:
            rule = rules[i]
            rule.parse()  # a worker's rule is parsed here too, only when it reads a recorded series
            labels = output_labels(ctx, rule.expr) if rule.expr is not None else None
        settled.append((i, labels, False, is_sum))
    ctx.set_recorded({**ctx.recorded, **_shapes(rules, settled)})
    return ctx.recorded, sums


def _shapes(rules: list[Rule], results: RecordResults) -> Recorded:
    """Recorded name -> the label sets its rules produce (rules with unknown labels left out)."""
    shapes: Recorded = {}
    for i, labels, _, _ in results:
        if labels is not None:
            shapes.setdefault(rules[i].name, set()).add(labels | frozenset(rules[i].labels))
    return shapes


class _WorkerLost(Exception):
    """A worker process died or stopped answering; its parent does all the work itself instead."""


class _Worker:
    """A forked process that parses and checks rules[lo:hi] (see check_rules for the exchange)."""

    def __init__(self, ctx: LintContext, rules: list[Rule], lo: int, hi: int, check_share: CheckShare) -> None:
        import multiprocessing

        fork = multiprocessing.get_context("fork")
        self.conn, child = fork.Pipe()
        self.process = fork.Process(target=_work, args=(child, ctx, rules, lo, hi, check_share), daemon=True)
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


def _work(conn: Connection, ctx: LintContext, rules: list[Rule], lo: int, hi: int, check_share: CheckShare) -> None:
    """A worker's side of check_rules: first pass, then checks against the parent's label sets."""
    try:
        conn.send(first_pass(ctx, rules, lo, hi))
        ctx.set_recorded(*conn.recv())
        findings = check_share(ctx, rules, lo, hi)
        conn.send((findings, [(i, rules[i].result) for i in range(lo, hi) if rules[i].kind == "record"]))
    except (Exception, KeyboardInterrupt):
        pass  # the parent sees the pipe close and does this share itself (or was interrupted too)
    finally:
        conn.close()
