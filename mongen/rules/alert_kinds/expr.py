"""`expr`: an alert on the spec author's own PromQL, the escape hatch for what no other kind says.

The expression is checked against the spec (metrics, labels, functions) by lint's checks before
anything is generated (mongen.loading); here it becomes a rule as written. Its promtool
cases and verify's fault come from mongen.synth.drive, which solves a comparison over one metric
for the levels that fire and stay quiet; other expressions get a reason instead (`cannot_drive`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from mongen.annotations import ValueRef
from mongen.errors import YamlPath
from mongen.faults import CannotDrive, Fault, GaugeLevel
from mongen.model import GAUGE, Alert, AlertParams, Spec
from mongen.rule_types import AlertRule
from mongen.rules.alert_kinds.base import (
    AlertKind,
    FieldReader,
    LintedExpr,
    SchemaFragment,
    common_labels,
    dashboard_url,
    extra_description,
    runbook_url,
)
from mongen.synth.cases import AlertCase, threshold_case
from mongen.synth.drive import Drive, NotDrivable, plan
from mongen.synth.series import TEST_INTERVAL, series
from mongen.units import format_number

if TYPE_CHECKING:
    from mongen.rules.alert_kinds import AlertKindName


@dataclass(frozen=True)
class ExprParams(AlertParams):
    expr: str  # raw PromQL, checked against the spec when it is loaded (mongen.loading)
    summary: str  # the summary annotation, literal text


class ExprAlert(AlertKind[ExprParams]):
    name: ClassVar[AlertKindName] = "expr"
    params_type = ExprParams
    fields: ClassVar[dict[str, SchemaFragment]] = {
        "expr": {
            "type": "string",
            "minLength": 1,
            "description": "expr: the alert's PromQL, checked against the spec's metrics and labels when mongen "
            "generates.",
        },
        "summary": {"type": "string", "minLength": 1, "description": "expr: the summary annotation, literal text."},
    }
    required = ("expr", "summary")
    # Its inputs may be anything: verify cannot tell which faults of other alerts move them.
    guarded: ClassVar[bool] = False

    def read(self, reader: FieldReader, body: dict[str, Any], path: YamlPath) -> ExprParams:
        return ExprParams(body["expr"], body["summary"])

    def linted_expr(self, spec: Spec, alert: Alert) -> LintedExpr:
        p = self.params(alert)
        return LintedExpr(p.expr, p.summary, "expr")

    def rule(self, spec: Spec, alert: Alert) -> AlertRule:
        p = self.params(alert)
        expr = p.expr
        drive = self._plan(spec, alert)
        return AlertRule(
            name=alert.name,
            expr=expr,
            for_seconds=alert.for_seconds,
            labels=common_labels(spec, alert),
            summary=(p.summary,),
            description=("The alert's expression is ", ValueRef("humanize"), ".", *extra_description(alert)),
            runbook_url=runbook_url(spec, alert.name),
            dashboard_url=dashboard_url(spec),
            first_checks=self.first_checks(spec, alert),
            output_labels=tuple(sorted(drive.result_labels)) if isinstance(drive, Drive) else (),
            threshold=None,
        )

    def fault(self, spec: Spec, alert: Alert) -> Fault | CannotDrive:
        """A comparison over one of the service's gauges: verify holds the gauge on the firing side of
        the level where the expression crosses its number. Anything else only its promtool cases drive."""
        drive = self._plan(spec, alert)
        if isinstance(drive, str):
            return CannotDrive(drive)
        metric = next((m for m in spec.metrics if m.exposed_name == drive.name), None)
        if metric is None or metric.type != GAUGE:
            what = "a counter" if drive.counter else "not a gauge of the service"
            return CannotDrive(
                f"verify moves the service's own gauges, and `{drive.name}` is {what}; "
                "the generated promtool test drives the expression instead"
            )
        crossing = (drive.firing_level + drive.quiet_level) / 2
        return GaugeLevel(metric.name, crossing, above=drive.firing_level > drive.quiet_level)

    def first_checks(self, spec: Spec, alert: Alert) -> tuple[str, ...]:
        return (
            f"The expression in Prometheus' graph view: {self.params(alert).expr}",
            "Which series it returns: their labels say where the condition holds.",
        )

    def cannot_drive(self, spec: Spec, alert: Alert) -> str | None:
        drive = self._plan(spec, alert)
        return drive if isinstance(drive, str) else None

    def drive(self, spec: Spec, alert: Alert) -> Drive | None:
        """The input series and levels that make the alert fire and stay quiet (verify's hook)."""
        drive = self._plan(spec, alert)
        return drive if isinstance(drive, Drive) else None

    def _plan(self, spec: Spec, alert: Alert) -> Drive | str:
        try:
            return plan(spec, self.params(alert).expr)
        except NotDrivable as reason:
            return f"mongen cannot drive `{alert.name}`: {reason}"

    def cases(self, spec: Spec, alert: Alert, rule: AlertRule) -> list[AlertCase]:
        """A firing and a quiet case where the comparison can be driven; none otherwise, since
        no input is known to be healthy for an arbitrary expression (cannot_drive says why)."""
        drive = self._plan(spec, alert)
        if isinstance(drive, str):
            return []
        minutes = (alert.for_seconds + drive.longest_range) // 60 + 5
        samples = minutes * 60 // TEST_INTERVAL
        cases = []
        for firing, level in ((True, drive.firing_level), (False, drive.quiet_level)):
            inputs = [(series(drive.name, drive.labels), drive.values(level, samples))]
            what = f"{drive.name} {'increasing at ' + format_number(level) + '/s' if drive.counter else 'at ' + format_number(level)}"
            result = drive.result_labels
            cases.append(threshold_case(rule, firing, what, inputs, minutes * 60, result, drive.firing_value))
        return cases
