"""annotation-unknown-label: an annotation reads a label the alert's result does not have."""

from __future__ import annotations

import re
from collections.abc import Iterator

from mongen.lint.checks.base import Example, Problem, RuleCheck
from mongen.lint.context import LintContext
from mongen.lint.rulefiles import Rule

# Annotations are Go templates, not PromQL; `$labels.x` is the one form mongen's own rules use.
_LABELS_REF = re.compile(r"\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)")


class AnnotationUnknownLabel(RuleCheck):
    """An annotation uses `$labels.x`, but the alert expression's result has no label `x` (an
    aggregation dropped it, or the series never had it), so the notification shows an empty
    value."""

    id = "annotation-unknown-label"
    severity = "error"
    bad = Example(
        """\
        groups:
          - name: tts
            rules:
              - alert: EmotiVoiceServerErrors
                expr: sum by (job) (rate(emoti_voice_tts_requests_total{status="500"}[5m])) > 1
                for: 5m
                labels: {severity: ticket}
                annotations:
                  summary: "Server errors on {{ $labels.endpoint }}"
                  description: More than one request a second fails.
        """
    )
    problems = (Problem(5, 15, "annotation uses $labels.endpoint, but the result only has: job"),)
    good = Example(
        """\
        groups:
          - name: tts
            rules:
              - alert: EmotiVoiceServerErrors
                expr: sum by (job, endpoint) (rate(emoti_voice_tts_requests_total{status="500"}[5m])) > 1
                for: 5m
                labels: {severity: ticket}
                annotations:
                  summary: "Server errors on {{ $labels.endpoint }}"
                  description: More than one request a second fails.
        """
    )

    def check(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        labels = rule.result
        if rule.kind != "alert" or labels is None:
            return
        for text in rule.annotations.values():
            for label in sorted(set(_LABELS_REF.findall(text))):
                if label not in labels:
                    yield f"annotation uses $labels.{label}, but the result only has: {', '.join(sorted(labels)) or 'no labels'}"
