"""`target_down`: Prometheus cannot scrape a target of the service's job."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from mongen.annotations import LabelRef
from mongen.errors import YamlPath
from mongen.faults import Fault, TargetGone
from mongen.model import Alert, AlertParams, Spec
from mongen.promql import quote
from mongen.rule_types import AlertRule
from mongen.rules.alert_kinds.base import (
    AlertKind,
    FieldReader,
    common_labels,
    dashboard_url,
    extra_description,
    runbook_url,
)
from mongen.synth.cases import AlertCase
from mongen.synth.series import TEST_INSTANCE, series
from mongen.units import format_duration

if TYPE_CHECKING:
    from mongen.rules.alert_kinds import AlertKindName


@dataclass(frozen=True)
class TargetDownParams(AlertParams):
    """None: the alert watches the service's scrape job."""


class TargetDown(AlertKind[TargetDownParams]):
    name: ClassVar[AlertKindName] = "target_down"
    params_type = TargetDownParams

    def read(self, reader: FieldReader, body: dict[str, Any], path: YamlPath) -> TargetDownParams:
        return TargetDownParams()

    def rule(self, spec: Spec, alert: Alert) -> AlertRule:
        return AlertRule(
            name=alert.name,
            expr=f"up{{job={quote(spec.scrape.job)}}} == 0",
            for_seconds=alert.for_seconds,
            labels=common_labels(spec, alert),
            summary=(f"{spec.service} target ", LabelRef("instance"), " is down"),
            description=(
                "Prometheus cannot scrape ",
                LabelRef("instance"),
                " of job ",
                LabelRef("job"),
                f" for {format_duration(alert.for_seconds)}: the replica is down or /metrics is blocked.",
                *extra_description(alert),
            ),
            runbook_url=runbook_url(spec, alert.name),
            dashboard_url=dashboard_url(spec),
            first_checks=self.first_checks(spec, alert),
            output_labels=("job", "instance"),
            threshold=None,
        )

    def first_checks(self, spec: Spec, alert: Alert) -> tuple[str, ...]:
        return (
            "Prometheus' Targets page (Status > Targets) shows the scrape error of the instance: refused, "
            "timeout, 403 from the allowlist, or a DNS failure.",
            f"Whether the process runs and answers: `curl -s <instance>{spec.exposure.metrics_path}` from the "
            "Prometheus host (the nginx allowlist admits only the monitoring network).",
            "Recent restarts, OOM kills or deploys of the replica.",
        )

    def cases(self, spec: Spec, alert: Alert, rule: AlertRule) -> list[AlertCase]:
        minutes = alert.for_seconds // 60 + 5
        labels = {"job": spec.scrape.job, "instance": TEST_INSTANCE}
        up = series("up", labels)
        return [
            AlertCase(f"{alert.name} fires when up is 0", rule, [(up, f"0x{minutes}")], minutes * 60, True, labels, 0),
            AlertCase(f"{alert.name} stays quiet when up is 1", rule, [(up, f"1x{minutes}")], minutes * 60, False),
        ]

    def fault(self, spec: Spec, alert: Alert) -> Fault:
        return TargetGone()
