"""`latency_quantile`: a quantile of a histogram, read from its recording rule, above a threshold."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from mongen.annotations import LabelRef, ValueRef
from mongen.errors import YamlPath
from mongen.faults import Fault, SlowRequests
from mongen.model import HISTOGRAM, Alert, AlertParams, Matcher, Spec
from mongen.rule_types import AlertRule
from mongen.rules.alert_kinds.base import (
    BY_FIELD,
    METRIC_FIELD,
    THRESHOLD_FIELD,
    WHERE_FIELD,
    AlertKind,
    FieldReader,
    RecordedSeries,
    SchemaFragment,
    ThresholdLine,
    by_parts,
    check_where_in_by,
    common_labels,
    dashboard_url,
    extra_description,
    read_grouping,
    runbook_url,
    where_filter,
)
from mongen.rules.naming import quantile_name
from mongen.synth.cases import AlertCase, threshold_case
from mongen.synth.histograms import histogram_for_quantile, quantile_untestable, straddle_targets
from mongen.synth.series import base_labels, counter_values, series
from mongen.units import format_duration, format_number

if TYPE_CHECKING:
    from mongen.rules.alert_kinds import AlertKindName

# Beyond P99.9 a classic histogram over a 5m window is decided by less than one request at TTS
# rates (a few requests a second): the alert would flap on single requests.
QUANTILE_RANGE = (0.001, 0.999)


def _percentile(q: float) -> str:
    return format_number(round(q * 100, 6))


@dataclass(frozen=True)
class LatencyQuantileParams(AlertParams):
    metric: str
    quantile: float
    threshold: float  # seconds
    by: tuple[str, ...] = ()
    where: tuple[Matcher, ...] = ()


class LatencyQuantile(AlertKind[LatencyQuantileParams]):
    name: ClassVar[AlertKindName] = "latency_quantile"
    params_type = LatencyQuantileParams
    fields: ClassVar[dict[str, SchemaFragment]] = {
        "metric": METRIC_FIELD,
        "quantile": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1, "x-hint": "fraction"},
        "by": BY_FIELD,
        "where": WHERE_FIELD,
        "threshold": THRESHOLD_FIELD,
    }
    required = ("metric", "quantile", "threshold")

    def read(self, reader: FieldReader, body: dict[str, Any], path: YamlPath) -> LatencyQuantileParams | None:
        metric = reader.metric(body["metric"], (*path, "metric"), (HISTOGRAM,))
        grouping = read_grouping(reader, body, path, metric) if metric is not None else None
        if metric is None or grouping is None:
            return None
        by, where = grouping
        check_where_in_by(reader, path, where, by)
        q, threshold = body["quantile"], body["threshold"]
        low, high = QUANTILE_RANGE
        if not low <= q <= high:
            reader.fail(
                (*path, "quantile"),
                f"quantile {q:g} is outside {low:g}..{high:g}: over a 5m rate window a histogram "
                "this extreme is decided by a single request, so the alert would flap; alert on P99.9 or below",
            )
        elif not metric.buckets[0] < threshold < metric.buckets[-1]:
            reader.fail(
                (*path, "threshold"),
                f"a quantile can only be told apart between the first and last bucket "
                f"({metric.buckets[0]:g}..{metric.buckets[-1]:g}); got {threshold:g}",
            )
        else:
            problem = quantile_untestable(metric, q, threshold)
            if problem:
                reader.fail((*path, "threshold"), f"P{_percentile(q)} of `{metric.name}`: {problem}")
        return LatencyQuantileParams(metric.name, q, threshold, by, where)

    def recorded(self, alert: Alert) -> tuple[RecordedSeries, ...]:
        """Its quantile of its histogram by its `by`."""
        p = self.params(alert)
        return (RecordedSeries(p.metric, p.by, quantile=p.quantile),)

    def threshold_lines(self, alert: Alert) -> tuple[ThresholdLine, ...]:
        p = self.params(alert)
        return (ThresholdLine("quantiles", p.threshold, p.metric, p.by),)

    def rule(self, spec: Spec, alert: Alert) -> AlertRule:
        p = self.params(alert)
        metric = spec.metric_by_name[p.metric]
        q, threshold = p.quantile, p.threshold
        pct = _percentile(q)
        record = quantile_name(metric, p.by, q, spec.rate_window)
        where = by_parts(p.by)
        return AlertRule(
            name=alert.name,
            expr=f"{record}{where_filter(p.where)} > {format_number(threshold)}",
            for_seconds=alert.for_seconds,
            labels=common_labels(spec, alert),
            summary=(f"{spec.service} P{pct} latency above {format_number(threshold)}s", *where),
            description=(
                f"P{pct} latency of {spec.service}",
                *where,
                " is ",
                ValueRef("seconds"),
                f" over the last {format_duration(spec.rate_window)} (threshold {format_number(threshold)}s, job ",
                LabelRef("job"),
                ").",
                *extra_description(alert),
            ),
            runbook_url=runbook_url(spec, alert.name),
            dashboard_url=dashboard_url(spec),
            first_checks=self.first_checks(spec, alert),
            output_labels=("job", *p.by),
            threshold=threshold,
        )

    def first_checks(self, spec: Spec, alert: Alert) -> tuple[str, ...]:
        roles = spec.by_role
        checks = [
            "The dashboard's Latency row: P50 up with P95 means every request got slower (model, GPU); "
            "P95/P99 alone means a tail (long inputs, queueing); the heatmap shows where requests pile up.",
            "The request rate (Traffic row): more traffic than the replicas serve queues requests.",
        ]
        if "inference_duration" in roles:
            checks.append(
                "Model inference time against end-to-end latency: flat inference time puts the delay in "
                "queueing, pre- or post-processing."
            )
        if "input_length" in roles:
            checks.append("The input length distribution: latency grows sharply with longer texts.")
        checks.append("Recent deploys, model version or configuration changes.")
        return tuple(checks)

    def cases(self, spec: Spec, alert: Alert, rule: AlertRule) -> list[AlertCase]:
        p = self.params(alert)
        metric = spec.metric_by_name[p.metric]
        q, threshold = p.quantile, p.threshold
        minutes = (alert.for_seconds + spec.rate_window) // 60 + 5
        labels = base_labels(spec, metric, spec.values_matching(p.where))
        result = {"job": labels["job"], **{b: labels[b] for b in p.by}}
        cases = []
        # Inside the buckets: just above the threshold fires, just below stays quiet (the spec
        # check `quantile_untestable` guarantees both can be placed).
        for firing, target in zip((True, False), straddle_targets(metric, threshold), strict=True):
            made = histogram_for_quantile(metric, q, target)
            assert made is not None and (made[1] > threshold) == firing, "rejected by LatencyQuantile.read"
            counts, value = made
            inputs = [
                (series(metric.name + "_bucket", {**labels, "le": le}), counter_values(c, minutes)) for le, c in counts
            ]
            total = counts[-1][1]
            inputs.append((series(metric.name + "_count", labels), counter_values(total, minutes)))
            inputs.append((series(metric.name + "_sum", labels), counter_values(round(total * target), minutes)))
            what = f"P{_percentile(q)} {value:g}s"
            cases.append(threshold_case(rule, firing, what, inputs, minutes * 60, result, value))
        return cases

    def fault(self, spec: Spec, alert: Alert) -> Fault:
        p = self.params(alert)
        return SlowRequests(p.metric, p.threshold)
