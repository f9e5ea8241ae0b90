"""scalar-of-groups: scalar() over an aggregation that keeps groups."""

from __future__ import annotations

from collections.abc import Iterator

from mongen.lint.checks.base import Example, Problem, RuleCheck
from mongen.lint.context import LintContext
from mongen.lint.rulefiles import Rule
from mongen.promql_tree import Aggregate, Binary, Node, Wrapper


class ScalarOfGroups(RuleCheck):
    """`scalar()` returns the value of a one-series vector, and NaN for any other count. An
    aggregation `by` or `without` labels returns one series per group, so as soon as there are
    two groups (two devices, two pools) the scalar is NaN and every comparison with it is false:
    the rule silently stops working. Match the groups with `on(...)` instead of taking a scalar,
    or aggregate them all away (`max(...)`)."""

    id = "scalar-of-groups"
    severity = "warning"
    bad = Example(
        """\
        groups:
          - name: tts
            rules:
              - alert: EmotiVoiceInstanceBusiest
                expr: emoti_voice_tts_requests_in_flight == scalar(max by (job) (emoti_voice_tts_requests_in_flight))
                for: 5m
                labels: {severity: ticket}
                annotations: {summary: This instance serves the most requests}
        """
    )
    problems = (
        Problem(
            5,
            15,
            "scalar() of `max by (job)`, one series per group: with two groups it is NaN and nothing compares "
            "true; match on(job) instead, or aggregate every label away",
        ),
    )
    good = Example(
        """\
        groups:
          - name: tts
            rules:
              - alert: EmotiVoiceInstanceBusiest
                expr: |
                  emoti_voice_tts_requests_in_flight
                    == on (job) group_left () max by (job) (emoti_voice_tts_requests_in_flight)
                for: 5m
                labels: {severity: ticket}
                annotations: {summary: This instance serves the most requests}
        """
    )

    def check(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        for call in rule.calls:
            if call.func != "scalar" or not call.args:
                continue
            inner = _grouped(call.args[0])
            if inner is not None:
                grouping = f"{inner.op} {inner.grouping} ({', '.join(inner.labels)})"
                match = f"on({', '.join(inner.labels)})" if inner.grouping == "by" else "on(...)"
                yield (
                    f"scalar() of `{grouping}`, one series per group: with two groups it is NaN and nothing "
                    f"compares true; match {match} instead, or aggregate every label away"
                )


def _grouped(node: Node) -> Aggregate | None:
    """The aggregation by or without labels whose groups the expression returns, if any."""
    while isinstance(node, Wrapper):
        node = node.expr
    if isinstance(node, Aggregate):
        return node if node.grouping and (node.labels or node.grouping == "without") else None
    if isinstance(node, Binary) and node.op not in ("or",):
        return _grouped(node.lhs) or (None if node.op in ("and", "unless") else _grouped(node.rhs))
    return None
