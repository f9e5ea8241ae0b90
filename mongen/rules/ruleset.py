"""The whole rule set of a spec, built once per spec and shared by every generator, verify and lint."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from mongen.model import Spec
from mongen.rule_types import AlertRule, RecordingGroup
from mongen.rules.alert_kinds import BY_NAME
from mongen.rules.recording import recording_group
from mongen.rules.slo import burn_rate_alerts, slo_group
from mongen.rules.slo_cases import slo_cases
from mongen.synth.cases import AlertCase


@dataclass(frozen=True)
class RuleSet:
    recording: RecordingGroup  # per-metric rates, ratios, quantiles, gauge aggregations
    slo_groups: tuple[RecordingGroup, ...]  # one group per SLO
    alerts: tuple[AlertRule, ...]  # the spec's alerts, in spec order
    alert_cases: tuple[AlertCase, ...]
    slo_alerts: tuple[AlertRule, ...]  # per SLO, the page then the ticket alert, one rule per window pair
    slo_cases: tuple[AlertCase, ...]

    @property
    def recording_groups(self) -> tuple[RecordingGroup, ...]:
        return (self.recording, *self.slo_groups)

    @property
    def all_alerts(self) -> tuple[AlertRule, ...]:
        return (*self.alerts, *self.slo_alerts)


@cache
def rule_set(spec: Spec) -> RuleSet:
    alerts, alert_cases = [], []
    for alert in spec.alerts:
        kind = BY_NAME[alert.kind]
        rule = kind.rule(spec, alert)
        alerts.append(rule)
        alert_cases += kind.cases(spec, alert, rule)
    slo_alerts: list[AlertRule] = []
    cases: list[AlertCase] = []
    for slo in spec.slos:
        rules = burn_rate_alerts(spec, slo)
        slo_alerts += rules
        cases += slo_cases(spec, slo, rules)
    return RuleSet(
        recording_group(spec),
        tuple(slo_group(spec, slo) for slo in spec.slos),
        tuple(alerts),
        tuple(alert_cases),
        tuple(slo_alerts),
        tuple(cases),
    )
