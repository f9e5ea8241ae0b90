"""gauge-sum-over-time: sum_over_time of a gauge."""

from __future__ import annotations

from collections.abc import Iterator

from mongen.lint.checks.base import Example, Problem, RuleCheck
from mongen.lint.context import LintContext, gauges_inside
from mongen.lint.rulefiles import Rule


class GaugeSumOverTime(RuleCheck):
    """`sum_over_time` on a gauge adds up samples, so the result grows with the number of scrapes
    in the range and changes when the scrape interval does. A counter was probably meant; for a
    gauge, `avg_over_time` or `max_over_time` describe the range."""

    id = "gauge-sum-over-time"
    severity = "warning"
    needs_spec = True
    bad = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job:emoti_voice_tts_requests_in_flight:sum_over_time1h
                expr: sum by (job) (sum_over_time(emoti_voice_tts_requests_in_flight[1h]))
        """
    )
    problems = (
        Problem(
            5,
            15,
            "sum_over_time() of the gauge `emoti_voice_tts_requests_in_flight` counts samples, not events; use avg/max_over_time",
        ),
    )
    good = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job:emoti_voice_tts_requests_in_flight:avg_over_time1h
                expr: sum by (job) (avg_over_time(emoti_voice_tts_requests_in_flight[1h]))
        """
    )

    def check(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        for sel, _ in gauges_inside(ctx, rule.selectors, ("sum_over_time",)):
            yield f"sum_over_time() of the gauge `{sel.name}` counts samples, not events; use avg/max_over_time"
