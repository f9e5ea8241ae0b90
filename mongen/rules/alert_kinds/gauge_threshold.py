"""`gauge_threshold`: a gauge's maximum per instance (and `by` group) above a threshold, or with
`comparison: below` its minimum below it (throughput or free memory dropping)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from mongen.annotations import LabelRef, ValueRef, humanize
from mongen.faults import Fault, GaugeLevel
from mongen.model import GAUGE, Alert, MetricType, Spec
from mongen.promql import by_clause, selector
from mongen.rule_types import AlertRule
from mongen.rules.alert_kinds.base import (
    AlertKind,
    common_labels,
    dashboard_url,
    extra_description,
    runbook_url,
)
from mongen.synth.cases import AlertCase, threshold_case
from mongen.synth.series import base_labels, series
from mongen.units import format_number

if TYPE_CHECKING:
    from mongen.rules.alert_kinds import AlertKindName


class GaugeThreshold(AlertKind):
    name: ClassVar[AlertKindName] = "gauge_threshold"
    metric_types: ClassVar[tuple[MetricType, ...]] = (GAUGE,)
    fields = frozenset({"metric", "by", "where", "threshold", "comparison"})
    required = ("metric", "threshold")

    @staticmethod
    def _keep(alert: Alert) -> tuple[str, ...]:
        return ("job", "instance", *alert.by)

    def rule(self, spec: Spec, alert: Alert) -> AlertRule:
        metric = spec.metric_by_name[alert.metric or ""]
        threshold = alert.threshold or 0.0
        # Below: the lowest value per instance, so one replica dropping is seen.
        aggregate, op, word = ("min", "<", "below") if alert.comparison == "below" else ("max", ">", "above")
        return AlertRule(
            name=alert.name,
            expr=f"{aggregate} {by_clause(self._keep(alert))} ({selector(metric.name, alert.where)}) {op} {format_number(threshold)}",
            for_seconds=alert.for_seconds,
            labels=common_labels(spec, alert),
            summary=(f"{metric.name} {word} {humanize(threshold)} on ", LabelRef("instance")),
            description=(
                f"{metric.name} is ",
                ValueRef("humanize"),
                " on ",
                LabelRef("instance"),
                f" (threshold {humanize(threshold)}).",
                *extra_description(alert),
            ),
            runbook_url=runbook_url(spec, alert.name),
            dashboard_url=dashboard_url(spec),
            first_checks=self.first_checks(spec, alert),
            output_labels=self._keep(alert),
            threshold=threshold,
        )

    def first_checks(self, spec: Spec, alert: Alert) -> tuple[str, ...]:
        metric = spec.metric_by_name[alert.metric or ""]
        return (
            f"Which instance: the alert's `instance` label, and {metric.name} per instance on the dashboard.",
            "The shape over the last hours: a steady climb is a leak, a step is a change (deploy, model, batch size).",
            f"What the metric measures: {metric.help}",
        )

    def cases(self, spec: Spec, alert: Alert, rule: AlertRule) -> list[AlertCase]:
        metric = spec.metric_by_name[alert.metric or ""]
        threshold = alert.threshold or 0.0
        minutes = alert.for_seconds // 60 + 5
        labels = base_labels(spec, metric, spec.values_matching(alert.where))
        result = {k: labels[k] for k in self._keep(alert)}
        # 5% of the threshold either side, and a whole unit around a zero threshold: a threshold at
        # or below zero (a temperature, a delta) has its "above" at a larger number, not at x1.05.
        step = abs(threshold) * 0.05 or 1.0
        cases = []
        fire, quiet = threshold + step, threshold - step
        if alert.comparison == "below":
            fire, quiet = quiet, fire
        for firing, value in ((True, fire), (False, quiet)):
            inputs = [(series(metric.name, labels), f"{format_number(value)}x{minutes}")]
            cases.append(threshold_case(rule, firing, humanize(value), inputs, minutes * 60, result, value))
        return cases

    def fault(self, spec: Spec, alert: Alert) -> Fault:
        return GaugeLevel(alert.metric or "", alert.threshold or 0.0, above=alert.comparison != "below")
