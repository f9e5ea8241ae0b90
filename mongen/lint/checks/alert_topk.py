"""alert-topk: topk, bottomk or limitk in an alert."""

from __future__ import annotations

from collections.abc import Iterator

from mongen.lint.checks.base import Example, Problem, RuleCheck
from mongen.lint.context import LintContext
from mongen.lint.rulefiles import Rule

_SELECTING = ("topk", "bottomk", "limitk", "limit_ratio")


class AlertTopk(RuleCheck):
    """`topk`, `bottomk`, `limitk` or `limit_ratio` in an alert picks which series to return anew
    at every evaluation. When the ranking changes, one alert resolves and another starts, so `for`
    restarts, notifications flap, and an alert can stay silent while a problem moves between
    series. Alert on every series over a threshold instead."""

    id = "alert-topk"
    severity = "warning"
    rule_kinds = ("alert",)
    bad = Example(
        """\
        groups:
          - name: tts
            rules:
              - alert: EmotiVoiceBusiestInstance
                expr: topk(1, sum by (job, instance) (emoti_voice_tts_requests_in_flight)) > 10
                for: 5m
                labels: {severity: ticket}
                annotations: {summary: An instance is busy, description: More than 10 requests in flight.}
        """
    )
    problems = (
        Problem(
            5,
            15,
            "alert `EmotiVoiceBusiestInstance` uses topk(): the series it returns change between evaluations, "
            "so its alerts resolve and fire again; compare every series with the threshold instead",
        ),
    )
    good = Example(
        """\
        groups:
          - name: tts
            rules:
              - alert: EmotiVoiceBusyInstance
                expr: sum by (job, instance) (emoti_voice_tts_requests_in_flight) > 10
                for: 5m
                labels: {severity: ticket}
                annotations: {summary: An instance is busy, description: More than 10 requests in flight.}
        """
    )

    def check(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        if rule.kind != "alert":
            return
        used = sorted({node.op for node in rule.aggregates if node.op in _SELECTING})
        for op in used:
            yield (
                f"alert `{rule.name}` uses {op}(): the series it returns change between evaluations, "
                "so its alerts resolve and fire again; compare every series with the threshold instead"
            )
