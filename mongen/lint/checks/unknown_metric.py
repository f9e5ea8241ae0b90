"""unknown-metric: a selector names a series nobody writes."""

from __future__ import annotations

from collections.abc import Iterator

from mongen.lint.checks.base import Example, Problem, RuleCheck
from mongen.lint.context import LintContext
from mongen.lint.rulefiles import Rule
from mongen.model import COUNTER, HISTOGRAM


class UnknownMetric(RuleCheck):
    """A selector names a metric the spec does not expose, no rule records, and is not declared
    external: the query returns nothing, so the graph stays empty and the alert never fires. The
    message explains the usual suffix mistakes (a histogram queried without `_bucket`/`_sum`/`_count`,
    a counter without `_total`, a `_created` series) or suggests the closest known name."""

    id = "unknown-metric"
    severity = "error"
    needs_spec = True
    bad = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job:emoti_voice_tts_requests:rate5m
                expr: sum by (job) (rate(emoti_voice_tts_request_total[5m]))
              - record: job:emoti_voice_tts_request_duration:rate5m
                expr: sum by (job) (rate(emoti_voice_tts_request_duration_seconds[5m]))
        """
    )
    problems = (
        Problem(
            5,
            15,
            "unknown metric `emoti_voice_tts_request_total`; did you mean `emoti_voice_tts_requests_total`?",
        ),
        Problem(
            7,
            15,
            "unknown metric `emoti_voice_tts_request_duration_seconds`; `emoti_voice_tts_request_duration_seconds` "
            "is a histogram: query `emoti_voice_tts_request_duration_seconds_bucket`, "
            "`emoti_voice_tts_request_duration_seconds_sum` or `emoti_voice_tts_request_duration_seconds_count`",
        ),
    )
    good = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job:emoti_voice_tts_requests:rate5m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total[5m]))
              - record: job:emoti_voice_tts_request_duration_seconds_count:rate5m
                expr: sum by (job) (rate(emoti_voice_tts_request_duration_seconds_count[5m]))
        """
    )

    def check(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        for node in rule.selectors:
            if node.name and ctx.series(node.name) is None:
                yield f"unknown metric `{node.name}`{self.hint(ctx, node.name)}"

    @staticmethod
    def hint(ctx: LintContext, name: str) -> str:
        """Explain the usual suffix mistakes before falling back to "did you mean"."""
        metric = ctx.metric_named(name)
        if metric and metric.type == HISTOGRAM:
            return f"; `{name}` is a histogram: query `{name}_bucket`, `{name}_sum` or `{name}_count`"
        if metric and metric.type == COUNTER:
            return f"; the counter is exposed as `{metric.exposed_name}`"
        base = name.removesuffix("_created")
        if base != name and any(base in (m.base, m.name) for spec in ctx.specs for m in spec.metrics):
            return "; the generated instrumentation turns `_created` series off (they double the series count)"
        return ctx.suggest(name)
