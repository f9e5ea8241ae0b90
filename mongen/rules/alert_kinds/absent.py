"""`absent`: the service's job exposes none of a metric's series (instrumentation or scrape broken)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from mongen.annotations import LabelRef
from mongen.errors import YamlPath
from mongen.faults import Fault, TargetGone
from mongen.model import COUNTER, GAUGE, HISTOGRAM, Alert, AlertParams, Spec
from mongen.promql import quote
from mongen.rule_types import AlertRule
from mongen.rules.alert_kinds.base import (
    METRIC_FIELD,
    AlertKind,
    FieldReader,
    RecordedSeries,
    SchemaFragment,
    common_labels,
    dashboard_url,
    extra_description,
    runbook_url,
)
from mongen.synth.cases import AlertCase
from mongen.synth.series import TEST_INSTANCE, base_labels, series
from mongen.units import format_duration

if TYPE_CHECKING:
    from mongen.rules.alert_kinds import AlertKindName


@dataclass(frozen=True)
class AbsentParams(AlertParams):
    metric: str


class Absent(AlertKind[AbsentParams]):
    name: ClassVar[AlertKindName] = "absent"
    params_type = AbsentParams
    fields: ClassVar[dict[str, SchemaFragment]] = {"metric": METRIC_FIELD}
    required = ("metric",)
    # While the service is down its metrics are absent too; verify does not hold it quiet then.
    guarded = False

    def read(self, reader: FieldReader, body: dict[str, Any], path: YamlPath) -> AbsentParams | None:
        metric = reader.metric(body["metric"], (*path, "metric"), (COUNTER, HISTOGRAM, GAUGE))
        return AbsentParams(metric.name) if metric is not None else None

    def recorded(self, alert: Alert) -> tuple[RecordedSeries, ...]:
        """The whole job's series of its metric (the rule reads the raw series; the whole-job
        aggregate is recorded for every metric an alert watches, as the dashboards show it)."""
        return (RecordedSeries(self.params(alert).metric, ()),)

    def rule(self, spec: Spec, alert: Alert) -> AlertRule:
        metric = spec.metric_by_name[self.params(alert).metric]
        name = next(iter(metric.exposed_series))
        return AlertRule(
            name=alert.name,
            expr=f"absent({name}{{job={quote(spec.scrape.job)}}})",
            for_seconds=alert.for_seconds,
            labels=common_labels(spec, alert),
            summary=(f"{spec.service} exposes no {name}",),
            description=(
                f"No series of {name} for job ",
                LabelRef("job"),
                f" for {format_duration(alert.for_seconds)}: "
                "the instrumentation or the scrape config is broken, so the other alerts on it cannot fire.",
                *extra_description(alert),
            ),
            runbook_url=runbook_url(spec, alert.name),
            dashboard_url=dashboard_url(spec),
            first_checks=self.first_checks(spec, alert),
            output_labels=("job",),
            threshold=None,
        )

    def first_checks(self, spec: Spec, alert: Alert) -> tuple[str, ...]:
        metric = spec.metric_by_name[self.params(alert).metric]
        name = next(iter(metric.exposed_series))
        return (
            f'Whether the targets are up (`up{{job="{spec.scrape.job}"}}`): if not, the target-down alert '
            "says why, and this one follows from it.",
            f"Whether `{name}` is in the service's /metrics output: a missing import of the generated "
            "instrumentation module, a renamed metric or a separate registry hides it.",
            "Whether the scrape config still selects the service (job name, relabeling, Kubernetes annotations).",
        )

    def cases(self, spec: Spec, alert: Alert, rule: AlertRule) -> list[AlertCase]:
        metric = spec.metric_by_name[self.params(alert).metric]
        name = next(iter(metric.exposed_series))
        minutes = alert.for_seconds // 60 + 5
        job = spec.scrape.job
        up = series("up", {"job": job, "instance": TEST_INSTANCE})
        present = series(name, base_labels(spec, metric, {}))
        return [
            AlertCase(
                f"{alert.name} fires when only up is there",
                rule,
                [(up, f"1x{minutes}")],
                minutes * 60,
                True,
                {"job": job},
                1,
            ),
            AlertCase(
                f"{alert.name} stays quiet when the metric is exposed",
                rule,
                [(present, f"0x{minutes}")],
                minutes * 60,
                False,
            ),
        ]

    def fault(self, spec: Spec, alert: Alert) -> Fault:
        return TargetGone(self.params(alert).metric)
