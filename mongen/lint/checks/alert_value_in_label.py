"""alert-value-in-label: an alert label that holds the alert's value."""

from __future__ import annotations

from collections.abc import Iterator

from mongen.lint.checks.base import Example, Problem, RuleCheck
from mongen.lint.context import LintContext
from mongen.lint.rulefiles import Rule
from mongen.lint.templates import template_reads


class AlertValueInLabel(RuleCheck):
    """An alert's labels identify it. A label template that reads the value (`{{ $value }}`,
    `{{ .Value }}`) gives the alert new labels whenever the value changes: each evaluation ends
    the last alert and starts a new one, so `for` never completes, notifications repeat, and
    silences stop matching. Put the value in an annotation."""

    id = "alert-value-in-label"
    severity = "error"
    rule_kinds = ("alert",)
    needs_expr = False
    bad = Example(
        """\
        groups:
          - name: tts
            rules:
              - alert: EmotiVoiceSlow
                expr: endpoint:emoti_voice_tts_request_duration_seconds:p95_5m > 4.5
                for: 5m
                labels: {severity: page, latency: "{{ $value }}"}
                annotations: {summary: EmotiVoice is slow, description: P95 latency is above 4.5s.}
              - record: endpoint:emoti_voice_tts_request_duration_seconds:p95_5m
                expr: histogram_quantile(0.95, sum by (job, endpoint, le) (rate(emoti_voice_tts_request_duration_seconds_bucket[5m])))
        """
    )
    problems = (
        Problem(
            5,
            15,
            "label `latency` reads `$value`: the alert's labels change with its value, so every evaluation "
            "starts a new alert; put the value in an annotation",
        ),
    )
    good = Example(
        """\
        groups:
          - name: tts
            rules:
              - alert: EmotiVoiceSlow
                expr: endpoint:emoti_voice_tts_request_duration_seconds:p95_5m > 4.5
                for: 5m
                labels: {severity: page}
                annotations: {summary: EmotiVoice is slow, description: "P95 latency is {{ $value }}s."}
              - record: endpoint:emoti_voice_tts_request_duration_seconds:p95_5m
                expr: histogram_quantile(0.95, sum by (job, endpoint, le) (rate(emoti_voice_tts_request_duration_seconds_bucket[5m])))
        """
    )

    def check(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        if rule.kind != "alert":
            return
        for key, text in rule.labels.items():
            for written in dict.fromkeys(template_reads(text).value):
                yield (
                    f"label `{key}` reads `{written}`: the alert's labels change with its value, so every "
                    "evaluation starts a new alert; put the value in an annotation"
                )
