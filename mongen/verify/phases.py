"""Verify's phases: after the healthy phase, one fault at a time, each with the alert it must
fire (with which labels, through which route) and the alerts it must leave quiet.

`plan_phases` is the one place that decides which phases a spec gets; the runner
(mongen.verify.checks.run_phase) knows nothing of alert kinds and runs any Phase.
"""

from __future__ import annotations

from dataclasses import dataclass

from mongen.model import Alert, Spec
from mongen.rules.alert_kinds import BY_NAME
from mongen.rules.alert_kinds.base import Fault as KindFault
from mongen.rules.alert_kinds.base import ServerErrors as ServerErrorsWanted
from mongen.rules.alert_kinds.base import SlowRequests as SlowRequestsWanted
from mongen.rules.alert_kinds.base import TargetGone
from mongen.verify.service.faults import Fault, LabelMatch, Outage, ServerErrors, SlowResponses
from mongen.verify.traffic import latency_factors


@dataclass(frozen=True)
class ExpectedAlert:
    """An alert that must fire, carrying `labels`, and reach the receivers of its severity's
    route. With labels, it must fire for those values and no other (a per-label alert stays
    per label)."""

    name: str
    severity: str
    labels: LabelMatch = ()


@dataclass(frozen=True)
class Phase:
    """One fault injected into the running service, and what the monitoring must make of it."""

    name: str  # as shown in the report's alert-state columns
    fault: Fault
    fires: ExpectedAlert
    quiet: tuple[str, ...]  # alert names that must not be firing once `fires` has been delivered


def plan_phases(spec: Spec) -> list[Phase]:
    """The fault phases for `spec`, in run order. Each alert kind says what makes it fire
    (mongen.rules.alert_kinds); the first alert of each fault type gets a phase, and the outage
    (it does not recover) comes last."""
    guarded = {a.name for a in spec.alerts if BY_NAME[a.kind].guarded}
    planned: dict[type, Phase] = {}
    for alert in spec.alerts:
        wanted = BY_NAME[alert.kind].fault(spec, alert)
        if wanted is None or type(wanted) in planned:
            continue
        name, fault, labels = _on_the_service(spec, alert, wanted)
        fires = ExpectedAlert(alert.name, alert.severity, labels)
        planned[type(wanted)] = Phase(name, fault, fires, tuple(sorted(guarded - {alert.name})))
    order = (ServerErrorsWanted, SlowRequestsWanted, TargetGone)
    return [planned[kind] for kind in order if kind in planned]


def _on_the_service(spec: Spec, alert: Alert, wanted: KindFault) -> tuple[str, Fault, LabelMatch]:
    """The simulated service's fault for what the alert kind wants: (phase name, fault, the labels
    the alert must fire with)."""
    if isinstance(wanted, ServerErrorsWanted):
        labels = tuple((k, v) for k, v in wanted.labels if k in alert.by)
        return f"{_phase_label(labels)}-errors", ServerErrors(wanted.labels, wanted.share), labels
    if isinstance(wanted, SlowRequestsWanted):
        return "slow", SlowResponses(latency_factors(spec)[1]), ()
    return "target-down", Outage(), ()


def _phase_label(labels: LabelMatch) -> str:
    """`angry`, `transcribe`: the label values, alphanumerics only (the label name for a value
    with none), or `all`."""
    return "-".join("".join(c for c in v if c.isalnum()) or k for k, v in labels) or "all"
