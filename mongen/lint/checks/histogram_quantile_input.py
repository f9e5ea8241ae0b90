"""histogram-quantile-input: histogram_quantile over something that is not buckets with `le`."""

from __future__ import annotations

from collections.abc import Iterator

from mongen.lint.checks.base import Example, Problem, RuleCheck
from mongen.lint.context import COUNTER, GAUGE, LintContext, output_labels
from mongen.lint.rulefiles import Rule
from mongen.promql_tree import Selector, descendants

_NOT_BUCKETS = (COUNTER, GAUGE)  # counters include a histogram's `_sum` and `_count`


class HistogramQuantileInput(RuleCheck):
    """`histogram_quantile` interpolates between the buckets of a histogram, so it needs
    `_bucket` series that still carry `le`. An aggregation whose `by` leaves out `le` (or a
    `_sum`, `_count`, counter or gauge as input) leaves nothing to interpolate: the result is
    empty and an alert on it never fires."""

    id = "histogram-quantile-input"
    severity = "error"
    bad = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: endpoint:emoti_voice_tts_request_duration_seconds:p95_5m
                expr: histogram_quantile(0.95, sum by (job, endpoint) (rate(emoti_voice_tts_request_duration_seconds_bucket[5m])))
        """
    )
    problems = (
        Problem(5, 15, "histogram_quantile() input has no `le` label (an aggregation dropped it); keep `le` in `by`"),
    )
    good = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: endpoint:emoti_voice_tts_request_duration_seconds:p95_5m
                expr: histogram_quantile(0.95, sum by (job, endpoint, le) (rate(emoti_voice_tts_request_duration_seconds_bucket[5m])))
        """
    )

    def check(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        for node in rule.calls:
            if node.func != "histogram_quantile":
                continue
            arg = node.args[1]
            labels = output_labels(ctx, arg)
            if labels is not None and "le" not in labels:
                yield "histogram_quantile() input has no `le` label (an aggregation dropped it); keep `le` in `by`"
            for sel in descendants(arg):
                if isinstance(sel, Selector) and sel.name and ctx.metric_type(sel.name) in _NOT_BUCKETS:
                    yield f"histogram_quantile() over `{sel.name}`, which is not a `_bucket` series"
