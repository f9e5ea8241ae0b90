"""`gauge_threshold`: a gauge's maximum per instance (and `by` group) above a threshold, or with
`comparison: below` its minimum below it (throughput or free memory dropping)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from mongen.annotations import LabelRef, ValueRef, humanize
from mongen.errors import YamlPath
from mongen.faults import Fault, GaugeLevel
from mongen.model import GAUGE, Alert, AlertParams, Matcher, Spec
from mongen.promql import by_clause, selector
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
    common_labels,
    dashboard_url,
    extra_description,
    read_grouping,
    runbook_url,
)
from mongen.synth.cases import AlertCase, threshold_case
from mongen.synth.series import base_labels, series
from mongen.units import format_number

if TYPE_CHECKING:
    from mongen.rules.alert_kinds import AlertKindName


@dataclass(frozen=True)
class GaugeThresholdParams(AlertParams):
    metric: str
    threshold: float
    comparison: Literal["above", "below"] = "above"  # which side of `threshold` fires
    by: tuple[str, ...] = ()
    where: tuple[Matcher, ...] = ()


class GaugeThreshold(AlertKind[GaugeThresholdParams]):
    name: ClassVar[AlertKindName] = "gauge_threshold"
    params_type = GaugeThresholdParams
    fields: ClassVar[dict[str, SchemaFragment]] = {
        "metric": METRIC_FIELD,
        "by": BY_FIELD,
        "where": WHERE_FIELD,
        "threshold": THRESHOLD_FIELD,
        "comparison": {
            "type": "string",
            "enum": ["above", "below"],
            "description": "gauge_threshold: fire when the gauge is above (default) or below the threshold.",
        },
    }
    required = ("metric", "threshold")

    def read(self, reader: FieldReader, body: dict[str, Any], path: YamlPath) -> GaugeThresholdParams | None:
        metric = reader.metric(body["metric"], (*path, "metric"), (GAUGE,))
        grouping = read_grouping(reader, body, path, metric) if metric is not None else None
        if metric is None or grouping is None:
            return None
        by, where = grouping
        return GaugeThresholdParams(metric.name, body["threshold"], body.get("comparison", "above"), by, where)

    @staticmethod
    def _keep(p: GaugeThresholdParams) -> tuple[str, ...]:
        return ("job", "instance", *p.by)

    def recorded(self, alert: Alert) -> tuple[RecordedSeries, ...]:
        """Its gauge's max and avg by its `by` (the dashboard's gauge panel reads them)."""
        p = self.params(alert)
        return (RecordedSeries(p.metric, p.by),)

    def threshold_lines(self, alert: Alert) -> tuple[ThresholdLine, ...]:
        p = self.params(alert)
        return (ThresholdLine("gauge", p.threshold, p.metric, p.by),)

    def rule(self, spec: Spec, alert: Alert) -> AlertRule:
        p = self.params(alert)
        metric = spec.metric_by_name[p.metric]
        threshold = p.threshold
        # Below: the lowest value per instance, so one replica dropping is seen.
        aggregate, op, word = ("min", "<", "below") if p.comparison == "below" else ("max", ">", "above")
        return AlertRule(
            name=alert.name,
            expr=f"{aggregate} {by_clause(self._keep(p))} ({selector(metric.name, p.where)}) {op} {format_number(threshold)}",
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
            output_labels=self._keep(p),
            threshold=threshold,
        )

    def first_checks(self, spec: Spec, alert: Alert) -> tuple[str, ...]:
        metric = spec.metric_by_name[self.params(alert).metric]
        return (
            f"Which instance: the alert's `instance` label, and {metric.name} per instance on the dashboard.",
            "The shape over the last hours: a steady climb is a leak, a step is a change (deploy, model, batch size).",
            f"What the metric measures: {metric.help}",
        )

    def cases(self, spec: Spec, alert: Alert, rule: AlertRule) -> list[AlertCase]:
        p = self.params(alert)
        metric = spec.metric_by_name[p.metric]
        threshold = p.threshold
        minutes = alert.for_seconds // 60 + 5
        labels = base_labels(spec, metric, spec.values_matching(p.where))
        result = {k: labels[k] for k in self._keep(p)}
        # 5% of the threshold either side, and a whole unit around a zero threshold: a threshold at
        # or below zero (a temperature, a delta) has its "above" at a larger number, not at x1.05.
        step = abs(threshold) * 0.05 or 1.0
        cases = []
        fire, quiet = threshold + step, threshold - step
        if p.comparison == "below":
            fire, quiet = quiet, fire
        for firing, value in ((True, fire), (False, quiet)):
            inputs = [(series(metric.name, labels), f"{format_number(value)}x{minutes}")]
            cases.append(threshold_case(rule, firing, humanize(value), inputs, minutes * 60, result, value))
        return cases

    def fault(self, spec: Spec, alert: Alert) -> Fault:
        p = self.params(alert)
        return GaugeLevel(p.metric, p.threshold, above=p.comparison != "below")
