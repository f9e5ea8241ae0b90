"""One promtool alert test case: inputs, when to look, and what must (not) be firing then."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mongen.rule_types import AlertRule
from mongen.synth.series import TEST_INTERVAL
from mongen.units import format_duration

InputSeries = list[tuple[str, str]]  # (series, values)


@dataclass(frozen=True)
class AlsoFiring:
    """Another rule of the same alert name that fires in a case (a burn-rate alert has one rule
    per window pair), with the labels of its result and its value."""

    rule: AlertRule
    result_labels: dict[str, str]
    value: float


@dataclass
class AlertCase:
    name: str
    alert: AlertRule
    series: InputSeries
    eval_time: int  # seconds after the first sample
    firing: bool  # whether `alert` itself fires
    result_labels: dict[str, str] = field(default_factory=dict)
    value: float = 0.0
    also_firing: tuple[AlsoFiring, ...] = ()
    interval: int = TEST_INTERVAL  # seconds between input samples

    def expected(self) -> list[AlsoFiring]:
        """Every alert of the name that fires at `eval_time`."""
        mine = [AlsoFiring(self.alert, self.result_labels, self.value)] if self.firing else []
        return mine + list(self.also_firing)

    def to_test(self) -> dict[str, Any]:
        exp: list[dict[str, Any]] = []
        for firing in self.expected():
            labels = {**dict(firing.rule.labels), **firing.result_labels}
            exp.append(
                {"exp_labels": labels, "exp_annotations": firing.rule.expected_annotations(labels, firing.value)}
            )
        return {
            "name": self.name,
            "interval": format_duration(self.interval),
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
