"""unrouted-severity: an alert's severity has no Alertmanager route."""

from __future__ import annotations

from collections.abc import Iterator

from mongen.lint.checks.base import Example, Problem, RuleCheck
from mongen.lint.context import LintContext
from mongen.lint.rulefiles import Rule


class UnroutedSeverity(RuleCheck):
    """An alert's `severity` label names no route in the spec's `routing`, so the generated
    Alertmanager configuration sends it only to the default receiver (or to nobody)."""

    id = "unrouted-severity"
    severity = "error"
    rule_kinds = ("alert",)
    needs_spec = True
    needs_expr = False
    bad = Example(
        """\
        groups:
          - name: tts
            rules:
              - alert: EmotiVoiceDown
                expr: up{job="emotivoice"} == 0
                for: 2m
                labels: {severity: critical}
                annotations: {summary: EmotiVoice is down, description: Prometheus cannot scrape it.}
        """
    )
    problems = (Problem(5, 15, "severity 'critical' has no route; routed: page, ticket"),)
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
        routed = ctx.routed_severities
        severity = rule.labels.get("severity")
        if rule.kind == "alert" and severity not in routed:
            if severity is None:
                yield f"the alert has no `severity` label, so no route takes it; routed: {', '.join(routed)}"
            else:
                yield f"severity {severity!r} has no route; routed: {', '.join(routed)}"
