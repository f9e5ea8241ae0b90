"""rate-on-gauge: a counter function applied to a gauge."""

from __future__ import annotations

from collections.abc import Iterator

from mongen.lint.checks.base import Example, Problem, RuleCheck
from mongen.lint.context import LintContext, gauges_inside
from mongen.lint.rulefiles import Rule


class RateOnGauge(RuleCheck):
    """`rate`, `irate` or `increase` on a gauge. These functions treat every drop as a counter
    reset, and a gauge goes down as well as up, so the result is garbage. Use `deriv()` or
    `delta()` for a gauge's slope, `changes()` to count how often it changed (a 0/1 state
    flapping), or the gauge itself."""

    id = "rate-on-gauge"
    severity = "error"
    needs_spec = True
    bad = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job:emoti_voice_gpu_memory_usage_bytes:rate5m
                expr: sum by (job) (rate(emoti_voice_gpu_memory_usage_bytes[5m]))
        """
    )
    problems = (
        Problem(
            5,
            15,
            "rate() on the gauge `emoti_voice_gpu_memory_usage_bytes`; use deriv()/delta() for its slope, "
            "changes() to count its changes, or the gauge itself",
        ),
    )
    good = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job:emoti_voice_gpu_memory_usage_bytes:deriv5m
                expr: sum by (job) (deriv(emoti_voice_gpu_memory_usage_bytes[5m]))
        """
    )

    def check(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        for sel, call in gauges_inside(ctx, rule.selectors, ("rate", "irate", "increase")):
            yield (
                f"{call.func}() on the gauge `{sel.name}`; use deriv()/delta() for its slope, "
                "changes() to count its changes, or the gauge itself"
            )
