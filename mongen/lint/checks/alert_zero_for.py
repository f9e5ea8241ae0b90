"""alert-zero-for: an alert whose `for` is zero (or below the team's minimum)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from mongen.lint.burn_rate import is_burn_rate
from mongen.lint.checks.base import Example, Problem, RuleCheck
from mongen.lint.context import LintContext
from mongen.lint.rulefiles import Rule
from mongen.units import duration_seconds, format_duration

# A rule file spells `for` a few ways many times over.
_seconds = lru_cache(maxsize=256)(duration_seconds)


class AlertZeroFor(RuleCheck):
    """An alert with `for: 0m` (any zero duration) fires on the first evaluation that matches, like
    an alert without `for`: one slow scrape or one restart pages someone. `--min-for DURATION`
    also reports a `for` shorter than that. Multi-window burn-rate alerts (an `or` of pairs of
    comparisons joined by `and` over different windows, as the SRE workbook and Sloth write them)
    are exempt: their short window is the confirmation."""

    id = "alert-zero-for"
    severity = "warning"
    rule_kinds = ("alert",)
    bad = Example(
        """\
        groups:
          - name: tts
            rules:
              - alert: EmotiVoiceDown
                expr: up{job="emotivoice"} == 0
                for: 0m
                labels: {severity: page}
                annotations: {summary: EmotiVoice is down, description: Prometheus cannot scrape it.}
        """
    )
    problems = (
        Problem(
            5,
            15,
            "alert `EmotiVoiceDown` has `for: 0m`, so one bad evaluation fires it; use at least two evaluation intervals",
        ),
    )
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
              - alert: EmotiVoiceErrorBudgetBurn
                expr: |
                  (job:emoti_voice_tts_errors:ratio_rate1h > 14.4 * 0.001 and job:emoti_voice_tts_errors:ratio_rate5m > 14.4 * 0.001)
                  or
                  (job:emoti_voice_tts_errors:ratio_rate6h > 6 * 0.001 and job:emoti_voice_tts_errors:ratio_rate30m > 6 * 0.001)
                for: 0m
                labels: {severity: page}
                annotations: {summary: Error budget burning, description: The error budget burns fast.}
              - record: job:emoti_voice_tts_errors:ratio_rate5m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total{status="500"}[5m])) / sum by (job) (rate(emoti_voice_tts_requests_total[5m]))
              - record: job:emoti_voice_tts_errors:ratio_rate30m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total{status="500"}[30m])) / sum by (job) (rate(emoti_voice_tts_requests_total[30m]))
              - record: job:emoti_voice_tts_errors:ratio_rate1h
                expr: sum by (job) (rate(emoti_voice_tts_requests_total{status="500"}[1h])) / sum by (job) (rate(emoti_voice_tts_requests_total[1h]))
              - record: job:emoti_voice_tts_errors:ratio_rate6h
                expr: sum by (job) (rate(emoti_voice_tts_requests_total{status="500"}[6h])) / sum by (job) (rate(emoti_voice_tts_requests_total[6h]))
        """
    )

    def check(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        if rule.kind != "alert" or rule.for_ is None or rule.expr is None:
            return
        seconds = _seconds(rule.for_)
        minimum = ctx.options.min_for_seconds
        if seconds is None or (seconds > 0 and seconds >= minimum) or is_burn_rate(rule.expr):
            return
        if seconds == 0:
            yield (
                f"alert `{rule.name}` has `for: {rule.for_}`, so one bad evaluation fires it; "
                "use at least two evaluation intervals"
            )
        else:
            yield f"alert `{rule.name}` has `for: {rule.for_}`, shorter than the minimum of {format_duration(int(minimum))} (--min-for)"
