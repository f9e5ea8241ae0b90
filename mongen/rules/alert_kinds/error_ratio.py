"""`error_ratio`: the share of a counter's requests that failed, per `by` group, above a threshold."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from mongen.annotations import LabelRef, ValueRef
from mongen.errors import YamlPath
from mongen.model import COUNTER, Alert, Metric, MetricType, Spec
from mongen.rule_types import AlertRule
from mongen.rules.alert_kinds.base import (
    AlertKind,
    Fault,
    IssueSink,
    ServerErrors,
    by_parts,
    check_where_in_by,
    common_labels,
    dashboard_url,
    extra_description,
    runbook_url,
    where_filter,
)
from mongen.rules.naming import error_ratio_name, rate_name
from mongen.synth.cases import AlertCase, threshold_case
from mongen.synth.series import base_labels, counter_values, error_label_sets, series, spread
from mongen.units import counted, format_duration, format_number

if TYPE_CHECKING:
    from mongen.rules.alert_kinds import AlertKindName

# At least this many failed requests a minute in the synthesized inputs 5% from the threshold, so
# rounding the error ratio to whole requests moves it by under a tenth of that gap.
_MIN_ERRORS_IN_GAP = 10


def requests_per_minute(threshold: float) -> int:
    """Requests a minute in the synthesized inputs: 1000, more for small thresholds."""
    total = 1000
    while threshold * 0.05 * total < _MIN_ERRORS_IN_GAP:
        total *= 10
    return total


class ErrorRatio(AlertKind):
    name: ClassVar[AlertKindName] = "error_ratio"
    metric_types: ClassVar[tuple[MetricType, ...]] = (COUNTER,)
    fields = frozenset({"metric", "by", "where", "threshold", "window", "min_requests"})
    required = ("metric", "threshold")

    def check(self, spec_issues: IssueSink, alert: Alert, path: YamlPath, metric: Metric | None) -> None:
        check_where_in_by(spec_issues, path, alert.where, alert.by)
        if alert.threshold is not None and not 0 < alert.threshold < 1:
            spec_issues.fail(
                (*path, "threshold"),
                f"an error ratio is a fraction of the requests, so the threshold must lie strictly between 0 and 1 "
                f"(0.05 is 5%); got {alert.threshold:g}",
            )
        if metric is not None and not metric.errors:
            spec_issues.fail(
                (*path, "metric"), f"metric `{metric.name}` declares no `errors` selector, so it has no error ratio"
            )

    def rule(self, spec: Spec, alert: Alert) -> AlertRule:
        metric = spec.metric_by_name[alert.metric or ""]
        threshold = alert.threshold or 0.0
        record = error_ratio_name(metric, alert.by, alert.window)
        where = by_parts(alert)
        expr = f"{record}{where_filter(alert)} > {format_number(threshold)}"
        traffic: tuple[str, ...] = ()
        if alert.min_requests:
            # rate x window = the requests the window held (what increase() would say): the ratio
            # of a handful of requests is noise, one failure among three is 33%.
            requests = rate_name(metric, alert.by, alert.window)
            expr += f"\nand\n{requests}{where_filter(alert)} * {alert.window} >= {alert.min_requests}"
            traffic = (f", at least {counted(alert.min_requests, 'request')}",)
        window = format_duration(alert.window)
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
            output_labels=("job", *alert.by),
            threshold=threshold,
        )

    def cases(self, spec: Spec, alert: Alert, rule: AlertRule) -> list[AlertCase]:
        """Just above and just below the threshold at ample traffic, the errors spread over every
        value the metric's error selector accepts (500, 503 and the class value 5xx); then, where
        the alert counts requests first, all requests failing below and above `min_requests`."""
        metric = spec.metric_by_name[alert.metric or ""]
        threshold = alert.threshold or 0.0
        minutes = (alert.for_seconds + alert.window) // 60 + 5
        chosen = spec.values_matching(alert.where)
        failing = [base_labels(spec, metric, {**errors, **chosen}) for errors in error_label_sets(spec, metric.errors)]
        labels_ok = base_labels(spec, metric, {**spec.values_matching(metric.errors, matching=False), **chosen})
        result = {"job": labels_ok["job"], **{b: labels_ok[b] for b in alert.by}}
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
        if alert.min_requests:
            window_minutes = alert.window / 60
            for firing, total in ((False, alert.min_requests / 2), (True, alert.min_requests * 2)):
                inputs = [(series(metric.exposed_name, failing[0]), counter_values(total / window_minutes, minutes))]
                what = f"all {counted(total, 'request')} in {format_duration(alert.window)} failing"
                cases.append(threshold_case(rule, firing, what, inputs, minutes * 60, result, 1.0))
        return cases

    def first_checks(self, spec: Spec, alert: Alert) -> tuple[str, ...]:
        metric = spec.metric_by_name[alert.metric or ""]
        status = ", ".join(m.label for m in metric.errors)
        breakdown = f" for the {', '.join(alert.by)} in the alert's labels" if alert.by else ""
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
        target = spec.values_matching(alert.where)
        for label in alert.by:
            if label not in target:
                values = spec.label_by_name[label].values
                target[label] = values[len(values) // 2]
        # Halfway from the threshold to all failing, at least twice it: a 5s (compressed) window of
        # one label value holds a few dozen requests, and the ratio must not dip under the threshold.
        threshold = alert.threshold or 0.0
        share = min(1.0, max(2 * threshold, (1 + threshold) / 2))
        return ServerErrors(alert.metric or "", tuple(sorted(target.items())), share)
