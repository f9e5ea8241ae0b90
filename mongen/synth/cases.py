"""One promtool alert test case: inputs, when to look, and what must (not) be firing then."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mongen.rules.types import AlertRule
from mongen.synth.series import TEST_INTERVAL
from mongen.units import format_duration

InputSeries = list[tuple[str, str]]  # (series, values)


@dataclass
class AlertCase:
    name: str
    alert: AlertRule
    series: InputSeries
    eval_time: int  # seconds after the first sample
    firing: bool
    result_labels: dict[str, str] = field(default_factory=dict)
    value: float = 0.0

    def to_test(self) -> dict[str, Any]:
        exp: list[dict[str, Any]] = []
        if self.firing:
            labels = {**dict(self.alert.labels), **self.result_labels}
            exp.append({"exp_labels": labels, "exp_annotations": self.alert.expected_annotations(labels, self.value)})
        return {
            "name": self.name,
            "interval": format_duration(TEST_INTERVAL),
            "input_series": [{"series": s, "values": v} for s, v in self.series],
            "alert_rule_test": [
                {"eval_time": format_duration(self.eval_time), "alertname": self.alert.name, "exp_alerts": exp}
            ],
        }


def threshold_case(
    rule: AlertRule,
    firing: bool,
    what: str,
    series: InputSeries,
    eval_time: int,
    result: dict[str, str],
    value: float,
) -> AlertCase:
    """A case named `<alert> fires at <what>` or `<alert> stays quiet at <what>`."""
    verb = "fires" if firing else "stays quiet"
    return AlertCase(f"{rule.name} {verb} at {what}", rule, series, eval_time, firing, result, value)
