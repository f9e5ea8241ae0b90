"""`error_ratio`: the share of a counter's requests that failed, per `by` group, above a threshold."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from mongen.annotations import LabelRef, ValueRef
from mongen.errors import YamlPath
from mongen.faults import Fault, ServerErrors
from mongen.model import COUNTER, Alert, AlertParams, Matcher, Spec
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
from mongen.rules.naming import error_ratio_name, rate_name
from mongen.synth.cases import AlertCase, threshold_case
from mongen.synth.series import base_labels, counter_values, error_label_sets, series, spread
from mongen.units import counted, format_duration, format_number

if TYPE_CHECKING:
    from mongen.rules.alert_kinds import AlertKindName

DEFAULT_WINDOW = "5m"
# Requests an error-ratio alert's window must hold before its ratio counts: below it one failure is
# a 5%+ error ratio (1 in 20), and a rarely used emotion would page on a single failed request.
DEFAULT_MIN_REQUESTS = 20
# At least this many failed requests a minute in the synthesized inputs 5% from the threshold, so
# rounding the error ratio to whole requests moves it by under a tenth of that gap.
_MIN_ERRORS_IN_GAP = 10


def requests_per_minute(threshold: float) -> int:
    """Requests a minute in the synthesized inputs: 1000, more for small thresholds."""
    total = 1000
    while threshold * 0.05 * total < _MIN_ERRORS_IN_GAP:
        total *= 10
    return total


@dataclass(frozen=True)
class ErrorRatioParams(AlertParams):
    metric: str
    threshold: float  # a fraction of the requests, strictly between 0 and 1
    window: int  # seconds the ratio is taken over
    min_requests: int  # requests the window must hold before the ratio counts (0: no guard)
    by: tuple[str, ...] = ()
    where: tuple[Matcher, ...] = ()


class ErrorRatio(AlertKind[ErrorRatioParams]):
    name: ClassVar[AlertKindName] = "error_ratio"
    params_type = ErrorRatioParams
    fields: ClassVar[dict[str, SchemaFragment]] = {
        "metric": METRIC_FIELD,
        "by": BY_FIELD,
        "where": WHERE_FIELD,
        "threshold": THRESHOLD_FIELD,
        "window": {"$ref": "#/$defs/duration"},
        "min_requests": {
            "type": "integer",
            "minimum": 0,
            "description": "error_ratio: requests the window must hold before the alert can fire (default 20), so "
            "one failure among a handful stays quiet; 0 turns the guard off.",
        },
    }
    required = ("metric", "threshold")

    def read(self, reader: FieldReader, body: dict[str, Any], path: YamlPath) -> ErrorRatioParams | None:
        window = reader.rate_window(body.get("window", DEFAULT_WINDOW), (*path, "window"))
        if window is None:
            return None
        metric = reader.metric(body["metric"], (*path, "metric"), (COUNTER,))
        grouping = read_grouping(reader, body, path, metric) if metric is not None else None
        if metric is None or grouping is None:
            return None
        by, where = grouping
        threshold = body["threshold"]
        check_where_in_by(reader, path, where, by)
        if not 0 < threshold < 1:
            reader.fail(
                (*path, "threshold"),
                f"an error ratio is a fraction of the requests, so the threshold must lie strictly between 0 and 1 "
                f"(0.05 is 5%); got {threshold:g}",
            )
        if not metric.errors:
            reader.fail(
                (*path, "metric"), f"metric `{metric.name}` declares no `errors` selector, so it has no error ratio"
            )
        return ErrorRatioParams(
            metric.name, threshold, window, body.get("min_requests", DEFAULT_MIN_REQUESTS), by, where
        )

    def recorded(self, alert: Alert) -> tuple[RecordedSeries, ...]:
        """Its error ratio over its window, and where it counts requests first, the request rate
        of its group over that window."""
        p = self.params(alert)
        return (
            RecordedSeries(p.metric, p.by, error_window=p.window, rate_window=p.window if p.min_requests else None),
        )

    def threshold_lines(self, alert: Alert) -> tuple[ThresholdLine, ...]:
        p = self.params(alert)
        return (ThresholdLine("errors", p.threshold, p.metric, p.by),)

    def rule(self, spec: Spec, alert: Alert) -> AlertRule:
        p = self.params(alert)
        metric = spec.metric_by_name[p.metric]
        threshold = p.threshold
        record = error_ratio_name(metric, p.by, p.window)
        where = by_parts(p.by)
        expr = f"{record}{where_filter(p.where)} > {format_number(threshold)}"
        traffic: tuple[str, ...] = ()
        if p.min_requests:
            # rate x window = the requests the window held (what increase() would say): the ratio
            # of a handful of requests is noise, one failure among three is 33%.
            requests = rate_name(metric, p.by, p.window)
            expr += f"\nand\n{requests}{where_filter(p.where)} * {p.window} >= {p.min_requests}"
            traffic = (f", at least {counted(p.min_requests, 'request')}",)
        window = format_duration(p.window)
        return AlertRule(
            name=alert.name,
            expr=expr,
            for_seconds=alert.for_seconds,
            labels=common_labels(spec, alert),
            summary=(f"{spec.service} error ratio above {format_number(threshold * 100)}%", *where),
            description=(
                f"{spec.service} requests",
                *where,
                " fail at ",
                ValueRef("percent"),
                f" over the last {window} (threshold {format_number(threshold * 100)}%",
                *traffic,
                ", job ",
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

    def cases(self, spec: Spec, alert: Alert, rule: AlertRule) -> list[AlertCase]:
        """Just above and just below the threshold at ample traffic, the errors spread over every
        value the metric's error selector accepts (500, 503 and the class value 5xx); then, where
        the alert counts requests first, all requests failing below and above `min_requests`."""
        p = self.params(alert)
        metric = spec.metric_by_name[p.metric]
        threshold = p.threshold
        minutes = (alert.for_seconds + p.window) // 60 + 5
        chosen = spec.values_matching(p.where)
        failing = [base_labels(spec, metric, {**errors, **chosen}) for errors in error_label_sets(spec, metric.errors)]
        labels_ok = base_labels(spec, metric, {**spec.values_matching(metric.errors, matching=False), **chosen})
        result = {"job": labels_ok["job"], **{b: labels_ok[b] for b in p.by}}
        per_minute = requests_per_minute(threshold)
        cases = []
        above = threshold + min(threshold * 0.05, (1 - threshold) / 2)
        for firing, ratio in ((True, above), (False, threshold * 0.95)):
            errors = round(ratio * per_minute)
            inputs = [
                (series(metric.exposed_name, labels), counter_values(count, minutes))
                for labels, count in zip(failing, spread(errors, len(failing)), strict=True)
            ]
            inputs.append((series(metric.exposed_name, labels_ok), counter_values(per_minute - errors, minutes)))
            share = errors / per_minute
            cases.append(threshold_case(rule, firing, f"error ratio {share:g}", inputs, minutes * 60, result, share))
        if p.min_requests:
            window_minutes = p.window / 60
            for firing, total in ((False, p.min_requests / 2), (True, p.min_requests * 2)):
                inputs = [(series(metric.exposed_name, failing[0]), counter_values(total / window_minutes, minutes))]
                what = f"all {total:g} requests in {format_duration(p.window)} failing"
                cases.append(threshold_case(rule, firing, what, inputs, minutes * 60, result, 1.0))
        return cases

    def first_checks(self, spec: Spec, alert: Alert) -> tuple[str, ...]:
        p = self.params(alert)
        metric = spec.metric_by_name[p.metric]
        status = ", ".join(m.label for m in metric.errors)
        breakdown = f" for the {', '.join(p.by)} in the alert's labels" if p.by else ""
        classes = [c for m in metric.errors for c in spec.label_by_name[m.label].classes]
        meaning = f" (`{classes[0]}` stands for every {classes[0]} code the spec does not list)" if classes else ""
        return (
            f"Which requests fail: the dashboard's Errors row{breakdown}, and "
            f"`sum by ({status}) (rate({metric.exposed_name}[5m]))` for the failing {status} values{meaning}.",
            "Whether it began with a deploy, a model or config change, or a spike in traffic (the Traffic row).",
            "The service's logs for the failing requests; a 502/504 points at whatever sits behind the service "
            "(model server, GPU node), a 500 at the service itself.",
        )

    def fault(self, spec: Spec, alert: Alert) -> Fault:
        """Server errors on one value of each label the alert groups by (the first its `where`
        accepts, else the middle declared value: EmotiVoice's `angry`), well above the threshold."""
        p = self.params(alert)
        target = spec.values_matching(p.where)
        for label in p.by:
            if label not in target:
                values = spec.label_by_name[label].values
                target[label] = values[len(values) // 2]
        # Halfway from the threshold to all failing, at least twice it: a 5s (compressed) window of
        # one label value holds a few dozen requests, and the ratio must not dip under the threshold.
        threshold = p.threshold
        share = min(1.0, max(2 * threshold, (1 + threshold) / 2))
        match = tuple(sorted(target.items()))
        return ServerErrors(p.metric, match, share, tuple((k, v) for k, v in match if k in p.by))
