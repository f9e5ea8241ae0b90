"""alert-without-for: an alert that fires on one evaluation."""

from __future__ import annotations

from collections.abc import Iterator

from mongen.lint.checks.base import Example, Problem, RuleCheck
from mongen.lint.context import LintContext
from mongen.lint.rulefiles import Rule
from mongen.promql_tree import Binary, Matrix, Node, Selector, Wrapper, descendants
from mongen.rules.naming import SLI_ERROR_PREFIX
from mongen.units import parse_duration


class AlertWithoutFor(RuleCheck):
    """An alert without `for` pages on a single bad evaluation: one slow scrape or one restart
    wakes someone up. Give it a `for` of at least two evaluation intervals. A multi-window
    burn-rate alert (`long > x and short > x` over two windows, each `or` branch, as the SRE
    workbook and Sloth write them) needs none: its short window is the confirmation."""

    id = "alert-without-for"
    severity = "warning"
    needs_expr = False
    bad = Example(
        """\
        groups:
          - name: tts
            rules:
              - alert: EmotiVoiceDown
                expr: up{job="emotivoice"} == 0
                labels: {severity: page}
                annotations: {summary: EmotiVoice is down, description: Prometheus cannot scrape it.}
        """
    )
    problems = (Problem(5, 15, "alert `EmotiVoiceDown` has no `for`; use at least two evaluation intervals"),)
    good = Example(
        """\
        groups:
          - name: tts
            rules:
              - alert: EmotiVoiceDown
                expr: up{job="emotivoice"} == 0
                for: 2m
                labels: {severity: page}
                annotations: {summary: EmotiVoice is down, description: Prometheus cannot scrape it.}
        """
    )

    def check(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        if rule.kind == "alert" and not rule.for_ and not (rule.expr is not None and is_burn_rate(rule.expr)):
            yield f"alert `{rule.name}` has no `for`; use at least two evaluation intervals"


def is_burn_rate(expr: Node) -> bool:
    """Every `or` branch is `A and B` where A and B look at different windows (range selectors,
    or recorded SLI error ratios `slo:sli_error:ratio_rate<window>`)."""
    return all(_is_window_pair(branch) for branch in _or_branches(expr))


def _or_branches(node: Node) -> Iterator[Node]:
    while isinstance(node, Wrapper):
        node = node.expr
    if isinstance(node, Binary) and node.op == "or":
        yield from _or_branches(node.lhs)
        yield from _or_branches(node.rhs)
    else:
        yield node


def _is_window_pair(node: Node) -> bool:
    if not (isinstance(node, Binary) and node.op == "and"):
        return False
    long, short = _window(node.lhs), _window(node.rhs)
    return long is not None and short is not None and long != short


def _window(node: Node) -> float | None:
    """The longest window one side of the `and` looks at, or None when it looks at none."""
    windows = []
    for child in descendants(node):
        if isinstance(child, Matrix):
            windows.append(child.seconds)
        elif isinstance(child, Selector) and child.name.startswith(SLI_ERROR_PREFIX):
            suffix = child.name[len(SLI_ERROR_PREFIX) :]
            if suffix and parse_duration(suffix):
                windows.append(float(parse_duration(suffix)))
    return max(windows, default=None)
