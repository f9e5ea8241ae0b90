"""counter-without-rate: a counter used raw."""

from __future__ import annotations

from collections.abc import Iterator

from mongen.lint.checks.base import Example, Problem, RuleCheck
from mongen.lint.context import BUCKET, COUNTER, LintContext
from mongen.lint.rulefiles import Rule
from mongen.promql_tree import Aggregate, Call, Matrix, ancestors

# Functions that make sense on a counter's raw value (its rate, resets, presence, age).
_COUNTER_FUNCTIONS = (
    "rate",
    "irate",
    "increase",
    "resets",
    "absent",
    "absent_over_time",
    "present_over_time",
    "count_over_time",
    "changes",
    "timestamp",
    "last_over_time",
)
_COUNTER_KINDS = (COUNTER, BUCKET)


class CounterWithoutRate(RuleCheck):
    """A counter (or a histogram's `_sum`, `_count` or `_bucket`) used raw: its value is the total
    since the process started, so it jumps back to zero on every restart and says nothing about
    now. Wrap it in `rate()` or `increase()`; counting series (`count`, `group`) or functions such
    as `absent()` and `resets()` are fine."""

    id = "counter-without-rate"
    severity = "warning"
    needs_spec = True
    bad = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job:emoti_voice_tts_request_duration_seconds:mean
                expr: |
                  sum by (job) (emoti_voice_tts_request_duration_seconds_sum)
                  / sum by (job) (emoti_voice_tts_request_duration_seconds_count)
        """
    )
    problems = (
        Problem(
            6,
            15,
            "`emoti_voice_tts_request_duration_seconds_count` is a counter; wrap it in rate() or increase()",
        ),
        Problem(
            6,
            15,
            "`emoti_voice_tts_request_duration_seconds_sum` is a counter; wrap it in rate() or increase()",
        ),
    )
    good = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job:emoti_voice_tts_request_duration_seconds:mean5m
                expr: |
                  sum by (job) (rate(emoti_voice_tts_request_duration_seconds_sum[5m]))
                  / sum by (job) (rate(emoti_voice_tts_request_duration_seconds_count[5m]))
        """
    )

    def check(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        for node in rule.selectors:
            if ctx.metric_type(node.name) not in _COUNTER_KINDS:
                continue
            parents = list(ancestors(node))
            inside = [p for p in parents if isinstance(p, Call)]
            counting = [p for p in parents if isinstance(p, Aggregate) and p.op in ("count", "group")]
            # deriv()/predict_linear() right on the counter: deriv-on-counter says what to do.
            fitted = isinstance(node.parent, Matrix) and any(p.func in ("deriv", "predict_linear") for p in inside[:1])
            if not any(p.func in _COUNTER_FUNCTIONS for p in inside) and not counting and not fitted:
                yield f"`{node.name}` is a counter; wrap it in rate() or increase()"
