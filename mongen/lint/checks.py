"""Lint checks: one class per check, each with an id, a severity, a one-line summary and a doc
with a bad and a good example (docs/lint-rules.md is generated from these)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from typing import ClassVar

from mongen.lint.ast import Aggregate, Binary, Call, Matrix, Selector, ancestors, descendants
from mongen.lint.context import LintContext, SeriesInfo, output_labels
from mongen.lint.rulefiles import Rule
from mongen.model import COUNTER, GAUGE

Message = tuple[Rule, str]
_RANGE_FUNCS = ("rate", "irate", "increase")
_RECORD_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z0-9_]+$")
_LABELS_REF = re.compile(r"\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)")


class Check:
    """A check on one rule at a time: rule() sees the parsed expression (when `needs_expr`, only
    rules whose expression parsed) and the labels of its result (`rule.result`)."""

    id: ClassVar[str]
    severity: ClassVar[str] = "error"
    summary: ClassVar[str]
    bad: ClassVar[str]
    good: ClassVar[str]
    needs_expr: ClassVar[bool] = True

    def rule(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        return iter(())


class SetCheck(Check):
    """A check across all rules of all files. It sees names, labels and `rule.result`, never the
    expressions: with many rules, worker processes parse and check shares of them (runner.py)."""

    def rules(self, rules: list[Rule]) -> Iterator[Message]:
        return iter(())


def _matchers_off_series(ctx: LintContext, rule: Rule, recorded: bool) -> Iterator[tuple[Selector, SeriesInfo, str]]:
    """Matchers on a label the selected series does not carry (`recorded`: recorded series only, else the rest)."""
    for node in rule.selectors:
        info = ctx.series(node.name) if node.name else None
        if info is None or info.labels is None or (info.kind == "recorded") != recorded:
            continue
        for m in node.matchers:
            if m.name != "__name__" and m.name not in info.labels and m.value != "":
                yield node, info, m.name


def _gauges_inside(ctx: LintContext, rule: Rule, functions: tuple[str, ...]) -> Iterator[tuple[Selector, Call]]:
    """Gauge selectors anywhere inside a call to one of `functions`, with that call."""
    for node in rule.selectors:
        if ctx.metric_type(node.name) == GAUGE:
            for parent in ancestors(node):
                if isinstance(parent, Call) and parent.func in functions:
                    yield node, parent


class UnknownMetric(Check):
    id = "unknown-metric"
    summary = "A selector names a metric the spec does not expose, no rule records, and is not declared external."
    bad = "rate(emoti_voice_tts_request_total[5m])  # the counter is ..._requests_total"
    good = "rate(emoti_voice_tts_requests_total[5m])"

    def rule(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        for node in rule.selectors:
            if node.name and ctx.series(node.name) is None:
                yield f"unknown metric `{node.name}`{self.hint(ctx, node.name)}"

    @staticmethod
    def hint(ctx: LintContext, name: str) -> str:
        """Explain the usual suffix mistakes before falling back to "did you mean"."""
        metric = ctx.spec.metric_by_name.get(name) or ctx.spec.metric_by_name.get(name + "_total")
        if metric and metric.type == "histogram":
            return f"; `{name}` is a histogram: query `{name}_bucket`, `{name}_sum` or `{name}_count`"
        if metric and metric.type == COUNTER:
            return f"; the counter is exposed as `{metric.exposed_name}`"
        base = name.removesuffix("_created")
        if base != name and any(base in (m.base, m.name) for m in ctx.spec.metrics):
            return "; the generated instrumentation turns `_created` series off (they double the series count)"
        return ctx.suggest(name)


class UnknownLabel(Check):
    id = "unknown-label"
    summary = "A matcher, `by`/`without`, or `on`/`ignoring`/`group_left` names a label the series does not have, so the query returns nothing."
    bad = 'sum(rate(emoti_voice_tts_requests_total{emotion="angry"}[5m]))  # with a counter labelled method, endpoint, status'
    good = 'sum(rate(emoti_voice_tts_requests_total{status=~"5.."}[5m]))'

    def rule(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        for sel, info, label in _matchers_off_series(ctx, rule, recorded=False):
            yield f"label `{label}` is not on `{sel.name}`; its labels: {', '.join(sorted(info.labels or ()))}"
        for node in rule.nodes:
            if isinstance(node, Aggregate) and node.grouping:
                inner = output_labels(ctx, node.expr)
                if inner is not None:
                    for label in node.labels:
                        if label not in inner:
                            yield f"`{node.op} {node.grouping} ({label})`: the input has no label `{label}`; it has: {', '.join(sorted(inner)) or 'none'}"
            if isinstance(node, Binary) and node.matching:
                left, right = output_labels(ctx, node.lhs), output_labels(ctx, node.rhs)
                if node.matching == "on":  # on(...): both sides need the label
                    for side, label_set in (("left", left), ("right", right)):
                        for label in node.matching_labels:
                            if label_set is not None and label not in label_set:
                                yield f"`on({label})`: the {side} side has no label `{label}` ({', '.join(sorted(label_set)) or 'no labels'})"
                elif left is not None and right is not None:  # ignoring(...): pointless if neither side has it
                    for label in node.matching_labels:
                        if label not in left | right:
                            yield f"`ignoring({label})`: neither side has a label `{label}`"
                many_to_one = node.card == "many-to-one"
                other = output_labels(ctx, node.rhs if many_to_one else node.lhs)
                for label in node.group_labels:
                    if other is not None and label not in other:
                        yield f"`group_{'left' if many_to_one else 'right'}({label})`: the other side has no label `{label}`"


class DroppedLabel(Check):
    id = "dropped-label"
    summary = "A selector on a recorded series filters on a label the recording rule aggregated away."
    bad = 'endpoint:emoti_voice_tts_requests:rate5m{emotion="angry"}  # recorded `sum by (job, endpoint)`'
    good = 'emotion:emoti_voice_tts_requests:rate5m{emotion="angry"}'

    def rule(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        for node, info, label in _matchers_off_series(ctx, rule, recorded=True):
            yield f"`{node.name}` keeps only {', '.join(sorted(info.labels or ())) or 'no labels'}; `{label}` was aggregated away"


class UnknownLabelValue(Check):
    id = "unknown-label-value"
    summary = "A matcher compares a bounded label with a value outside its declared values, or a regex that matches none of them."
    bad = 'emoti_voice_tts_requests_total{emotion="angy"}'
    good = 'emoti_voice_tts_requests_total{emotion="angry"}'

    def rule(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        for node in rule.selectors:
            if ctx.series(node.name) is None if node.name else True:
                continue
            for m in node.matchers:
                label = ctx.spec.label_by_name.get(m.name)
                if label is None:
                    continue
                if m.op == "=" and m.value not in label.values:
                    yield f"`{m.name}` is never {m.value!r}; declared values: {', '.join(label.values)}"
                elif m.op == "=~":
                    try:
                        pattern = re.compile(m.value)
                    except re.error:
                        continue
                    if not any(pattern.fullmatch(v) for v in label.values):
                        yield f"regex {m.value!r} on `{m.name}` matches none of: {', '.join(label.values)}"


class RateOnGauge(Check):
    id = "rate-on-gauge"
    summary = "rate/irate/increase on a gauge: a gauge goes down as well as up, so counter-reset handling corrupts the result."
    bad = "rate(emoti_voice_gpu_memory_usage_bytes[5m])"
    good = "deriv(emoti_voice_gpu_memory_usage_bytes[5m])"

    def rule(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        for sel, call in _gauges_inside(ctx, rule, _RANGE_FUNCS):
            yield f"{call.func}() on the gauge `{sel.name}`; use deriv()/delta() or the gauge itself"


class GaugeSumOverTime(Check):
    id = "gauge-sum-over-time"
    severity = "warning"
    summary = "sum_over_time on a gauge adds up samples, so the result depends on the scrape interval; a counter was probably meant."
    bad = "sum_over_time(emoti_voice_tts_requests_in_flight[1h])"
    good = "avg_over_time(emoti_voice_tts_requests_in_flight[1h])"

    def rule(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        for sel, _ in _gauges_inside(ctx, rule, ("sum_over_time",)):
            yield f"sum_over_time() of the gauge `{sel.name}` counts samples, not events; use avg/max_over_time"


class CounterWithoutRate(Check):
    id = "counter-without-rate"
    severity = "warning"
    summary = "A counter (or histogram _sum/_count/_bucket) used raw: its value is the total since the process started."
    bad = "emoti_voice_tts_request_duration_seconds_sum / emoti_voice_tts_request_duration_seconds_count"
    good = "rate(emoti_voice_tts_request_duration_seconds_sum[5m]) / rate(emoti_voice_tts_request_duration_seconds_count[5m])"

    _OK = (
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

    def rule(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        for node in rule.selectors:
            kind = ctx.metric_type(node.name)
            if kind not in (COUNTER, "histogram_sum", "histogram_count", "histogram_bucket"):
                continue
            parents = list(ancestors(node))
            inside = [p for p in parents if isinstance(p, Call)]
            counting = [p for p in parents if isinstance(p, Aggregate) and p.op in ("count", "group")]
            if not any(p.func in self._OK for p in inside) and not counting:
                yield f"`{node.name}` is a counter; wrap it in rate() or increase()"


class HistogramQuantileInput(Check):
    id = "histogram-quantile-input"
    summary = "histogram_quantile needs `_bucket` series that still carry `le`; an aggregation without `le` leaves nothing to interpolate."
    bad = "histogram_quantile(0.95, sum by (endpoint) (rate(emoti_voice_tts_request_duration_seconds_bucket[5m])))"
    good = "histogram_quantile(0.95, sum by (endpoint, le) (rate(emoti_voice_tts_request_duration_seconds_bucket[5m])))"

    def rule(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        for node in rule.nodes:
            if not (isinstance(node, Call) and node.func == "histogram_quantile"):
                continue
            arg = node.args[1]
            labels = output_labels(ctx, arg)
            if labels is not None and "le" not in labels:
                yield "histogram_quantile() input has no `le` label (an aggregation dropped it); keep `le` in `by`"
            for sel in descendants(arg):
                if isinstance(sel, Selector) and sel.name:
                    kind = ctx.metric_type(sel.name)
                    if kind in (COUNTER, GAUGE, "histogram_sum", "histogram_count"):
                        yield f"histogram_quantile() over `{sel.name}`, which is not a `_bucket` series"


class ShortRange(Check):
    id = "short-range"
    severity = "warning"
    summary = "A range shorter than 4 scrape intervals: one missed scrape leaves rate() with too few samples, and the graph or alert flaps."
    bad = "rate(emoti_voice_tts_requests_total[1m])  # scraped every 30s"
    good = "rate(emoti_voice_tts_requests_total[2m])"

    def rule(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        minimum = 4 * ctx.spec.scrape.interval
        for node in rule.nodes:
            if isinstance(node, Matrix) and node.seconds < minimum:
                yield f"range [{node.range_text}] covers fewer than 4 scrape intervals ({minimum}s)"


class AlertWithoutFor(Check):
    id = "alert-without-for"
    severity = "warning"
    summary = "An alert without `for` pages on a single bad evaluation."
    bad = "- alert: X\n  expr: up == 0"
    good = "- alert: X\n  expr: up == 0\n  for: 2m"

    needs_expr = False

    def rule(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        if rule.kind == "alert" and not rule.for_:
            yield f"alert `{rule.name}` has no `for`; use at least two evaluation intervals"


class UnroutedSeverity(Check):
    id = "unrouted-severity"
    summary = "An alert's `severity` has no Alertmanager route in the spec, so it reaches only the default receiver (or nobody)."
    bad = "labels: {severity: critical}  # routes: page, ticket"
    good = "labels: {severity: page}"

    needs_expr = False

    def rule(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        routed = ctx.spec.routing.severities
        if rule.kind == "alert" and rule.labels.get("severity") not in routed:
            yield f"severity {rule.labels.get('severity')!r} has no route; routed: {', '.join(routed)}"


class MissingAnnotation(Check):
    id = "missing-annotation"
    severity = "warning"
    summary = "An alert without `summary` and `description` annotations tells the person paged nothing."
    bad = "annotations: {}"
    good = "annotations: {summary: ..., description: ...}"

    needs_expr = False

    def rule(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        if rule.kind == "alert":
            missing = [a for a in ("summary", "description") if not rule.annotations.get(a)]
            if missing:
                yield f"alert `{rule.name}` has no {' or '.join(missing)} annotation"


class AnnotationUnknownLabel(Check):
    id = "annotation-unknown-label"
    summary = "An annotation uses `$labels.x` but the alert's expression result has no label `x`; it renders empty."
    bad = 'expr: sum by (endpoint) (...) > 1\nannotations: {summary: "{{ $labels.emotion }}"}'
    good = 'expr: sum by (emotion) (...) > 1\nannotations: {summary: "{{ $labels.emotion }}"}'

    def rule(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        labels = rule.result
        if rule.kind != "alert" or labels is None:
            return
        for text in rule.annotations.values():
            for label in sorted(set(_LABELS_REF.findall(text))):
                if label not in labels:
                    yield f"annotation uses $labels.{label}, but the result only has: {', '.join(sorted(labels)) or 'no labels'}"


class RecordingRuleName(Check):
    id = "recording-rule-name"
    severity = "warning"
    summary = "Recording rule names follow `level:metric:operations` so readers know what was aggregated and how."
    bad = "record: emotivoice_qps"
    good = "record: endpoint:emoti_voice_tts_requests:rate5m"

    needs_expr = False

    def rule(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        if rule.kind == "record" and not _RECORD_NAME.match(rule.name):
            yield f"`{rule.name}` is not `level:metric:operations`"


class DuplicateRule(SetCheck):
    id = "duplicate-rule"
    summary = (
        "Two rules record the same series (same name and labels) or define the same alert twice; one silently wins."
    )
    bad = "two `record: job:x:rate5m` rules without distinguishing labels"
    good = "one rule per recorded series"

    def rules(self, rules: list[Rule]) -> Iterator[Message]:
        seen: dict[tuple[str, str, tuple[tuple[str, str], ...]], Rule] = {}
        for rule in rules:
            key = (rule.kind, rule.name, tuple(sorted(rule.labels.items())))
            if key in seen:
                first = seen[key]
                yield rule, f"{rule.kind} `{rule.name}` is also defined at {first.file}:{first.line}"
            else:
                seen[key] = rule


class RecordLabelMismatch(SetCheck):
    id = "record-label-mismatch"
    summary = "The same recorded name is produced with different label sets, so queries on it see a mix of shapes."
    bad = "record: job:x:rate5m, once `sum by (job)` and once `sum by (job, endpoint)`"
    good = "name the second one endpoint:x:rate5m"

    def rules(self, rules: list[Rule]) -> Iterator[Message]:
        shapes: dict[str, list[tuple[frozenset[str], Rule]]] = defaultdict(list)
        for rule in rules:
            if rule.kind == "record" and rule.result is not None:
                shapes[rule.name].append((rule.result | frozenset(rule.labels), rule))
        for name, items in shapes.items():
            first_labels, first = items[0]
            for labels, rule in items[1:]:
                if labels != first_labels:
                    yield (
                        rule,
                        (
                            f"`{name}` has labels {', '.join(sorted(labels))} here but {', '.join(sorted(first_labels))} "
                            f"at {first.file}:{first.line}"
                        ),
                    )


CHECKS: tuple[Check, ...] = (
    UnknownMetric(),
    UnknownLabel(),
    DroppedLabel(),
    UnknownLabelValue(),
    RateOnGauge(),
    GaugeSumOverTime(),
    CounterWithoutRate(),
    HistogramQuantileInput(),
    ShortRange(),
    AlertWithoutFor(),
    UnroutedSeverity(),
    MissingAnnotation(),
    AnnotationUnknownLabel(),
    RecordingRuleName(),
    DuplicateRule(),
    RecordLabelMismatch(),
)
RULE_CHECKS = tuple(c for c in CHECKS if not isinstance(c, SetCheck))
SET_CHECKS = tuple(c for c in CHECKS if isinstance(c, SetCheck))
