"""missing-annotation: an alert without summary or description."""

from __future__ import annotations

from collections.abc import Iterator

from mongen.lint.checks.base import Example, Problem, RuleCheck
from mongen.lint.context import LintContext
from mongen.lint.rulefiles import Rule

_REQUIRED = ("summary", "description")


class MissingAnnotation(RuleCheck):
    """An alert without `summary` and `description` annotations tells the person paged nothing:
    the notification carries only the alert's name and labels."""

    id = "missing-annotation"
    severity = "warning"
    rule_kinds = ("alert",)
    needs_expr = False
    bad = Example(
        """\
        groups:
          - name: tts
            rules:
              - alert: EmotiVoiceDown
                expr: up{job="emotivoice"} == 0
                for: 2m
                labels: {severity: page}
                annotations: {summary: EmotiVoice is down}
        """
    )
    problems = (Problem(5, 15, "alert `EmotiVoiceDown` has no description annotation"),)
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
        if rule.kind == "alert":
            missing = [a for a in _REQUIRED if not rule.annotations.get(a)]
            if missing:
                yield f"alert `{rule.name}` has no {' or '.join(missing)} annotation"
