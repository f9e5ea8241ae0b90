"""Verify's phases: after the healthy phase, one fault at a time, each with the alert it must
fire (with which labels, through which route) and the alerts it must leave quiet.

`plan_phases` is the one place that decides which phases a spec gets; the runner
(mongen.verify.checks.run_phase) knows nothing of alert kinds and runs any Phase.
"""

from __future__ import annotations

from dataclasses import dataclass

from mongen.alerting import matching_values
from mongen.model import Alert, AlertKindName, Spec
from mongen.verify.service.faults import Fault, LabelMatch, Outage, ServerErrors, SlowResponses
from mongen.verify.traffic import latency_factors

# Alert kinds checked to stay quiet in every phase that is not theirs. `absent` is left out:
# an outage makes the metrics absent too, so it legitimately goes pending there.
QUIET_KINDS: tuple[AlertKindName, ...] = ("error_ratio", "latency_quantile", "target_down", "gauge_threshold")


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
    """The fault phases for `spec`, in run order: server errors for the first error-ratio
    alert, slow responses for the first latency alert, and the outage (it does not recover,
    so it comes last) for the first target-down alert."""
    guarded = {a.name for a in spec.alerts if a.kind in QUIET_KINDS}

    def phase(name: str, fault: Fault, alert: Alert, labels: LabelMatch = ()) -> Phase:
        fires = ExpectedAlert(alert.name, alert.severity, labels)
        return Phase(name, fault, fires, tuple(sorted(guarded - {alert.name})))

    phases = []
    errors = _first(spec, "error_ratio")
    if errors is not None and errors.threshold is not None:
        target = _error_target(spec, errors)
        labels = tuple((k, v) for k, v in target.items() if k in errors.by)
        # Well above the alert's error ratio either way; 50% leaves the other values traffic.
        rate = 0.5 if errors.threshold < 0.35 else 1.0
        fault = ServerErrors(tuple(sorted(target.items())), rate)
        phases.append(phase(f"{_phase_label(labels)}-errors", fault, errors, labels))
    slow = _first(spec, "latency_quantile")
    if slow is not None:
        phases.append(phase("slow", SlowResponses(latency_factors(spec)[1]), slow))
    down = _first(spec, "target_down")
    if down is not None:
        phases.append(phase("target-down", Outage(), down))
    return phases


def _first(spec: Spec, kind: AlertKindName) -> Alert | None:
    return next((a for a in spec.alerts if a.kind == kind), None)


def _error_target(spec: Spec, alert: Alert) -> dict[str, str]:
    """One value of each label the alert groups by: the first its `where` accepts, else the
    middle declared value (EmotiVoice's `angry`). The service sends every declared value, so
    the others are there to stay quiet. The `where` labels it does not group by are matched too."""
    target = matching_values(spec, alert.where)
    for label in alert.by:
        if label not in target and label in spec.label_by_name:
            values = spec.label_by_name[label].values
            target[label] = values[len(values) // 2]
    return target


def _phase_label(labels: LabelMatch) -> str:
    """`angry`, `transcribe`: the label values, alphanumerics only (the label name for a value
    with none), or `all`."""
    return "-".join("".join(c for c in v if c.isalnum()) or k for k, v in labels) or "all"
