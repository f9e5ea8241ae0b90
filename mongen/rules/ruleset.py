"""The whole rule set of a spec, built once per spec and shared by every generator, verify and lint."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from mongen.model import Spec
from mongen.rules.alert_kinds import BY_NAME
from mongen.rules.recording import recording_group
from mongen.rules.slo import BURN_SEVERITIES, burn_rate_alert, slo_group
from mongen.rules.types import AlertRule, RecordingGroup
from mongen.synth.cases import AlertCase
from mongen.synth.slo_cases import slo_cases


@dataclass(frozen=True)
class RuleSet:
    recording: RecordingGroup  # per-metric rates, ratios, quantiles, gauge aggregations
    slo_groups: tuple[RecordingGroup, ...]  # one group per SLO
    alerts: tuple[AlertRule, ...]  # the spec's alerts, in spec order
    alert_cases: tuple[AlertCase, ...]
    slo_alerts: tuple[AlertRule, ...]  # page and ticket burn-rate alerts per SLO
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
    slo_alerts, cases = [], []
    for slo in spec.slos:
        page, ticket = (burn_rate_alert(spec, slo, severity) for severity in BURN_SEVERITIES)
        slo_alerts += [page, ticket]
        cases += slo_cases(spec, slo, page, ticket)
    return RuleSet(
        recording_group(spec),
        tuple(slo_group(spec, slo) for slo in spec.slos),
        tuple(alerts),
        tuple(alert_cases),
        tuple(slo_alerts),
        tuple(cases),
    )
