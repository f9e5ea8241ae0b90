"""alert-without-for: an alert that fires on one evaluation."""

from __future__ import annotations

from collections.abc import Iterator

from mongen.lint.checks.base import Example, Problem, RuleCheck
from mongen.lint.context import LintContext
from mongen.lint.rulefiles import Rule


class AlertWithoutFor(RuleCheck):
    """An alert without `for` pages on a single bad evaluation: one slow scrape or one restart
    wakes someone up. Give it a `for` of at least two evaluation intervals."""

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
        if rule.kind == "alert" and not rule.for_:
            yield f"alert `{rule.name}` has no `for`; use at least two evaluation intervals"
