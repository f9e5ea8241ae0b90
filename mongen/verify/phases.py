"""Verify's phases: after the healthy phase, one fault at a time, each with the alerts it must
fire (with which labels, through which route) and the alerts it must leave quiet.

`plan_phases` is the one place that decides which phases a spec gets: every alert of the spec
gets a phase that fires it, or a reason why verify cannot drive it. Each alert kind declares
its fault (mongen.rules.alert_kinds, `AlertKind.fault`); this module turns it into the
simulated service's fault. Alerts whose faults are the same share a phase (target_down and
absent both fire when the replica goes down). The runner (mongen.verify.checks.run_phase)
knows nothing of alert kinds and runs any Phase.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mongen.model import Alert, Spec
from mongen.rules.alert_kinds import BY_NAME
from mongen.rules.alert_kinds.base import (
    CannotDrive,
    ExporterReadings,
    FrameBufferFull,
    GaugeLevel,
    SeriesGone,
    TargetGone,
)
from mongen.rules.alert_kinds.base import Fault as KindFault
from mongen.rules.alert_kinds.base import ServerErrors as ServerErrorsWanted
from mongen.rules.alert_kinds.base import SlowRequests as SlowRequestsWanted
from mongen.verify.dcgm_exporter import FAULTED_GPU, FrameBufferShare, full_share
from mongen.verify.profile import faulted_level, slow_factor
from mongen.verify.service import faults as service
from mongen.verify.service.faults import Fault as ServiceFault
from mongen.verify.service.faults import LabelMatch

# What a phase injects: a fault of the simulated service, of the simulated dcgm-exporter's frame
# buffer, or of a preset's simulated exporter.
Fault = ServiceFault | FrameBufferShare | ExporterReadings


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
    fires: tuple[ExpectedAlert, ...]
    quiet: tuple[str, ...]  # alert names that must not be firing once `fires` has been delivered


@dataclass(frozen=True)
class PhasePlan:
    phases: tuple[Phase, ...]
    undriven: tuple[tuple[str, str], ...]  # (alert, why verify cannot make it fire)


def plan_phases(spec: Spec) -> PhasePlan:
    """The fault phases for `spec` in run order (the outage last: the service does not come
    back), and the alerts no fault can drive, with the kind's reason."""
    wanted: dict[str, KindFault] = {}
    undriven: list[tuple[str, str]] = []
    for alert in spec.alerts:
        declared = _on_a_served_metric(spec, BY_NAME[alert.kind].fault(spec, alert))
        if isinstance(declared, CannotDrive):
            undriven.append((alert.name, declared.reason))
        else:
            wanted[alert.name] = declared
    grouped: dict[Fault, list[tuple[Alert, LabelMatch]]] = {}
    names: dict[Fault, str] = {}
    for alert in spec.alerts:
        if alert.name in wanted:
            name, fault, labels = _on_the_service(spec, alert, wanted[alert.name])
            grouped.setdefault(fault, []).append((alert, labels))
            names.setdefault(fault, _unique(name, names.values()))
    phases = [
        Phase(
            names[fault],
            fault,
            tuple(ExpectedAlert(a.name, a.severity, labels) for a, labels in alerts),
            _quiet(spec, wanted, [a.name for a, _ in alerts]),
        )
        for fault, alerts in grouped.items()
    ]
    phases.sort(key=lambda p: isinstance(p.fault, service.Outage))
    return PhasePlan(tuple(phases), tuple(undriven))


def _on_a_served_metric(spec: Spec, fault: KindFault | CannotDrive) -> KindFault | CannotDrive:
    """The fault, unless it acts on a metric the simulated service does not serve (an external
    metric such as dcgm-exporter's): verify moves only the service's own metrics (and the
    simulated dcgm-exporter's frame buffer, through `FrameBufferFull`)."""
    metric = getattr(fault, "metric", None)
    if metric is None or metric in spec.metric_by_name:
        return fault
    return CannotDrive(
        f"`{metric}` is an external metric: verify moves only the service's own metrics "
        "(and dcgm-exporter's frame buffer, for `dcgm_frame_buffer` alerts)"
    )


def _quiet(spec: Spec, wanted: dict[str, KindFault], firing: list[str]) -> tuple[str, ...]:
    """The guarded alerts this phase's fault does not concern: a fault of another type, or on
    another metric. (Server errors concern every error alert: a failed request fails in every
    counter with an `errors` selector.)"""
    faults = [wanted[name] for name in firing]
    quiet = []
    for alert in spec.alerts:
        own = wanted.get(alert.name)
        if alert.name in firing or not BY_NAME[alert.kind].guarded or own is None:
            continue
        if not any(_concerns(fault, own) for fault in faults):
            quiet.append(alert.name)
    return tuple(sorted(quiet))


def _concerns(injected: KindFault, other: KindFault) -> bool:
    if type(injected) is not type(other):
        return False
    if isinstance(injected, ExporterReadings):
        return injected == other
    if isinstance(injected, ServerErrorsWanted | TargetGone | SeriesGone):
        return True
    return getattr(injected, "metric", None) == getattr(other, "metric", None)


def _on_the_service(spec: Spec, alert: Alert, wanted: KindFault) -> tuple[str, Fault, LabelMatch]:
    """The simulated service's fault for what the alert kind wants: (phase name, fault, the labels
    the alert must fire with)."""
    if isinstance(wanted, ServerErrorsWanted):
        labels = tuple((k, v) for k, v in wanted.labels if k in alert.by)
        return f"{_phase_label(labels)}-errors", service.ServerErrors(wanted.labels, wanted.share), labels
    if isinstance(wanted, SlowRequestsWanted):
        return "slow", service.LatencyShift(wanted.metric, round(slow_factor(spec, wanted), 3)), ()
    if isinstance(wanted, GaugeLevel):
        direction = "high" if wanted.above else "low"
        short = wanted.metric.removeprefix(spec.namespace + "_")
        return f"{short}-{direction}", service.GaugeLevel(wanted.metric, faulted_level(wanted)), ()
    if isinstance(wanted, ExporterReadings):
        return f"{wanted.job}-{wanted.key.replace('_', '-')}", wanted, wanted.labels
    if isinstance(wanted, FrameBufferFull):
        fault = FrameBufferShare(FAULTED_GPU, full_share(wanted.threshold))
        return f"gpu{FAULTED_GPU}-frame-buffer-full", fault, (("gpu", FAULTED_GPU),)
    return "target-down", service.Outage(), ()


def _unique(name: str, taken: Iterable[str]) -> str:
    used = set(taken)
    candidate, n = name, 2
    while candidate in used:
        candidate, n = f"{name}-{n}", n + 1
    return candidate


def _phase_label(labels: LabelMatch) -> str:
    """`angry`, `transcribe`: the label values, alphanumerics only (the label name for a value
    with none), or `all`."""
    return "-".join("".join(c for c in v if c.isalnum()) or k for k, v in labels) or "all"
