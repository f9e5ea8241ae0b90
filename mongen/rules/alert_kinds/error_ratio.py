"""`error_ratio`: the share of a counter's requests that failed, per `by` group, above a threshold."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from mongen.errors import YamlPath
from mongen.model import COUNTER, Alert, Metric, MetricType, Spec
from mongen.rules.alert_kinds.base import (
    AlertKind,
    Fault,
    IssueSink,
    ServerErrors,
    by_parts,
    check_where_in_by,
    common_labels,
    extra_description,
    runbook_url,
    where_filter,
)
from mongen.rules.annotations import LabelRef, ValueRef
from mongen.rules.naming import error_ratio_name
from mongen.rules.types import AlertRule
from mongen.synth.cases import AlertCase, threshold_case
from mongen.synth.series import base_labels, counter_values, series
from mongen.units import format_duration, format_number

if TYPE_CHECKING:
    from mongen.rules.alert_kinds import AlertKindName

REQUESTS_PER_MINUTE = 1000  # in the synthesized inputs; error ratios resolve to 0.1%


class ErrorRatio(AlertKind):
    name: ClassVar[AlertKindName] = "error_ratio"
    metric_types: ClassVar[tuple[MetricType, ...]] = (COUNTER,)
    fields = frozenset({"metric", "by", "where", "threshold", "window"})
    required = ("metric", "threshold")

    def check(self, spec_issues: IssueSink, alert: Alert, path: YamlPath, metric: Metric | None) -> None:
        check_where_in_by(spec_issues, path, alert.where, alert.by)
        if metric is not None and not metric.errors:
            spec_issues.fail(
                (*path, "metric"), f"metric `{metric.name}` declares no `errors` selector, so it has no error ratio"
            )

    def rule(self, spec: Spec, alert: Alert) -> AlertRule:
        metric = spec.metric_by_name[alert.metric or ""]
        threshold = alert.threshold or 0.0
        record = error_ratio_name(metric, alert.by, alert.window)
        where = by_parts(alert)
        return AlertRule(
            name=alert.name,
            expr=f"{record}{where_filter(alert)} > {format_number(threshold)}",
            for_seconds=alert.for_seconds,
            labels=common_labels(spec, alert),
            summary=(f"{spec.service} error ratio above {format_number(threshold * 100)}%", *where),
            description=(
                f"{spec.service} requests",
                *where,
                " fail at ",
                ValueRef("percent"),
                f" over the last {format_duration(alert.window)} (threshold {format_number(threshold * 100)}%, job ",
                LabelRef("job"),
                ").",
                *extra_description(alert),
            ),
            runbook_url=runbook_url(spec, alert.name),
            output_labels=("job", *alert.by),
            threshold=threshold,
        )

    def cases(self, spec: Spec, alert: Alert, rule: AlertRule) -> list[AlertCase]:
        metric = spec.metric_by_name[alert.metric or ""]
        threshold = alert.threshold or 0.0
        minutes = (alert.for_seconds + alert.window) // 60 + 5
        chosen = spec.values_matching(alert.where)
        labels_err = base_labels(spec, metric, {**spec.values_matching(metric.errors), **chosen})
        labels_ok = base_labels(spec, metric, {**spec.values_matching(metric.errors, matching=False), **chosen})
        result = {"job": labels_err["job"], **{b: labels_err[b] for b in alert.by}}
        cases = []
        for firing, ratio in ((True, threshold * 1.05), (False, threshold * 0.95)):
            errors = round(ratio * REQUESTS_PER_MINUTE)
            share = errors / REQUESTS_PER_MINUTE
            inputs = [
                (series(metric.exposed_name, labels_err), counter_values(errors, minutes)),
                (series(metric.exposed_name, labels_ok), counter_values(REQUESTS_PER_MINUTE - errors, minutes)),
            ]
            cases.append(threshold_case(rule, firing, f"error ratio {share:g}", inputs, minutes * 60, result, share))
        return cases

    def fault(self, spec: Spec, alert: Alert) -> Fault | None:
        """Server errors on one value of each label the alert groups by (the first its `where`
        accepts, else the middle declared value: EmotiVoice's `angry`), well above the threshold."""
        target = spec.values_matching(alert.where)
        for label in alert.by:
            if label not in target:
                values = spec.label_by_name[label].values
                target[label] = values[len(values) // 2]
        share = 0.5 if (alert.threshold or 0.0) < 0.35 else 1.0
        return ServerErrors(alert.metric or "", tuple(sorted(target.items())), share)
