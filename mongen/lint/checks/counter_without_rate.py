"""counter-without-rate: a counter used raw."""

from __future__ import annotations

from collections.abc import Iterator

from mongen.lint.checks.base import Example, Problem, RuleCheck
from mongen.lint.context import BUCKET, COUNTER, LintContext
from mongen.lint.rulefiles import Rule
from mongen.promql_tree import Aggregate, Call, Matrix, Selector, ancestors

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
            if not _counted(node):
                yield f"`{node.name}` is a counter; wrap it in rate() or increase()"


def _counted(node: Selector) -> bool:
    """Whether a call that reads a counter right (rate(), increase(), ...) or a count()/group()
    aggregation is above the selector, or deriv()/predict_linear() right on it (deriv-on-counter
    says what to do there)."""
    first_call = True
    for parent in ancestors(node):
        if isinstance(parent, Call):
            if parent.func in _COUNTER_FUNCTIONS:
                return True
            if first_call and isinstance(node.parent, Matrix) and parent.func in ("deriv", "predict_linear"):
                return True
            first_call = False
        elif isinstance(parent, Aggregate) and parent.op in ("count", "group"):
            return True
    return False
