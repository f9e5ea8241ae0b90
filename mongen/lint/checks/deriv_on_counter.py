"""deriv-on-counter: deriv() or predict_linear() on a counter."""

from __future__ import annotations

from collections.abc import Iterator

from mongen.lint.checks.base import Example, Problem, RuleCheck
from mongen.lint.context import BUCKET, COUNTER, LintContext
from mongen.lint.rulefiles import Rule
from mongen.promql_tree import Call, Matrix

_GAUGE_FUNCTIONS = ("deriv", "predict_linear")


class DerivOnCounter(RuleCheck):
    """`deriv()` and `predict_linear()` fit a line through a gauge's samples. On a counter every
    restart drops it to zero, and the fitted slope swings wildly negative; between restarts it is
    only a noisy `rate()`. Use `rate()` for a counter's per-second increase (and
    `predict_linear()` over a gauge, or over a recorded rate). Without a spec, a series is taken for
    a counter by its `_total` suffix."""

    id = "deriv-on-counter"
    severity = "warning"
    bad = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job:emoti_voice_tts_requests:deriv5m
                expr: sum by (job) (deriv(emoti_voice_tts_requests_total[5m]))
        """
    )
    problems = (
        Problem(
            5,
            15,
            "deriv() on the counter `emoti_voice_tts_requests_total`: each restart drops it to zero and swings "
            "the fitted slope; use rate() for a counter",
        ),
    )
    good = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job:emoti_voice_tts_requests:rate5m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total[5m]))
              - record: job:emoti_voice_gpu_memory_usage_bytes:predict1h
                expr: max by (job) (predict_linear(emoti_voice_gpu_memory_usage_bytes[30m], 3600))
        """
    )

    def check(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        for matrix in rule.matrices:
            call = matrix.parent
            if not (isinstance(call, Call) and call.func in _GAUGE_FUNCTIONS and isinstance(matrix, Matrix)):
                continue
            name = matrix.selector.name
            kind = ctx.metric_type(name)
            if kind in (COUNTER, BUCKET) or (kind is None and ctx.spec is None and name.endswith("_total")):
                yield (
                    f"{call.func}() on the counter `{name}`: each restart drops it to zero and swings "
                    "the fitted slope; use rate() for a counter"
                )
