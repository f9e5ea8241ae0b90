"""Verify's phases: after the healthy phase, one fault at a time, each with the alerts it must
fire (with which labels, through which route) and the alerts it must leave quiet.

`plan_phases` is the one place that decides which phases a spec gets: every alert of the spec
gets a phase that fires it, or a reason why verify cannot drive it. Each alert kind declares
its fault (mongen.rules.alert_kinds, `AlertKind.fault`, in the vocabulary of mongen.faults),
read once per run (alert_faults.py); a phase injects that very fault. Alerts whose faults are
equal share a phase (target_down and absent both fire when the replica goes down). The runner
(mongen.verify.phase_checks.run_phase) knows nothing of alert kinds and runs any Phase.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mongen.faults import CannotDrive, Fault, LabelMatch, TargetGone
from mongen.model import Alert, Slo, Spec
from mongen.rules.alert_kinds import BY_NAME
from mongen.rules.naming import slo_alert_name
from mongen.rules.slo import window_labels
from mongen.verify.alert_faults import AlertFaults, driven
from mongen.verify.delivery import routing_of
from mongen.verify.slo_phases import concerns, slo_alert_names, slo_burn


@dataclass(frozen=True)
class ExpectedAlert:
    """An alert that must fire, carrying `labels`, and reach the receivers of its severity's
    route. With labels, it must fire for those values and no other (a per-label alert stays
    per label)."""

    name: str
    severity: str
    labels: LabelMatch = ()
    # An SLO alert's window pair that must be among those firing ({long_window, short_window}):
    # the pair its phase's burn rate is meant for.
    window: LabelMatch = ()


@dataclass(frozen=True)
class Phase:
    """One fault injected into the running service, and what the monitoring must make of it."""

    name: str  # as shown in the report's alert-state columns
    fault: Fault
    fires: tuple[ExpectedAlert, ...]
    quiet: tuple[str, ...]  # alert names that must not be firing once `fires` has been delivered
    # Alerts the fault may also fire without being required to (it burns an SLO's budget, or is
    # another alert's fault too): firing, they are expected, and must reach their receivers.
    allowed: tuple[str, ...] = ()
    # False for an SLO phase: its burn-rate alerts resolve only as their windows clear, and the
    # next phase accounts for them as carried over instead of waiting.
    wait_resolved: bool = True


@dataclass(frozen=True)
class PhasePlan:
    phases: tuple[Phase, ...]
    undriven: tuple[tuple[str, str], ...]  # (alert, why verify cannot make it fire)
    # Undriven SLO alerts the spec does not mark as not drivable: they fail the run.
    unexcused: tuple[str, ...] = ()


def plan_phases(spec: Spec, faults: AlertFaults) -> PhasePlan:
    """The fault phases for `spec` in run order (the outage last: the service does not come
    back), from every alert's fault (alert_faults.py), and the alerts no fault can drive, with
    the kind's reason."""
    wanted = driven(faults)
    undriven = [(name, fault.reason) for name, fault in faults.items() if isinstance(fault, CannotDrive)]
    grouped: dict[Fault, list[tuple[Alert, LabelMatch]]] = {}
    names: dict[Fault, str] = {}
    for alert in spec.alerts:
        fault = wanted.get(alert.name)
        if fault is not None:
            grouped.setdefault(fault, []).append((alert, fault.labels))
            names.setdefault(fault, _unique(fault.phase_name(spec.namespace), names.values()))
    phases = [
        Phase(
            names[fault],
            fault,
            tuple(ExpectedAlert(a.name, a.severity, labels) for a, labels in alerts),
            _quiet(spec, wanted, [a.name for a, _ in alerts]),
            _allowed(spec, wanted, fault, [a.name for a, _ in alerts]),
        )
        for fault, alerts in grouped.items()
    ]
    slo_phases, slo_undriven, unexcused = _slo_phases(spec, wanted, names.values())
    outage = [p for p in phases if isinstance(p.fault, TargetGone)]
    ordered = [p for p in phases if p not in outage] + slo_phases + outage
    return PhasePlan(tuple(ordered), (*undriven, *slo_undriven), unexcused)


def _allowed(spec: Spec, wanted: dict[str, Fault], fault: Fault, firing: list[str]) -> tuple[str, ...]:
    """The alerts this phase's fault may fire besides its own: those of the SLOs it burns, and the
    guarded alerts whose own fault it concerns (server errors concern every error alert)."""
    out = [name for slo in spec.slos if concerns(slo, fault) for name in slo_alert_names(spec, slo)]
    own = [wanted[name] for name in firing] or [fault]  # an SLO phase: its burn
    for alert in spec.alerts:
        other = wanted.get(alert.name)
        if alert.name in firing or other is None:
            continue
        if any(f.concerns(other) for f in own):
            out.append(alert.name)
    return tuple(sorted(set(out)))


def _guarded_besides(spec: Spec, wanted: dict[str, Fault], allowed: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(
        sorted(a.name for a in spec.alerts if BY_NAME[a.kind].guarded and a.name in wanted and a.name not in allowed)
    )


def _slo_phases(
    spec: Spec, wanted: dict[str, Fault], taken: Iterable[str]
) -> tuple[list[Phase], list[tuple[str, str]], tuple[str, ...]]:
    """Per SLO, a fast-burn phase for its page and a slow-burn phase for its ticket; the alerts
    of an SLO verify cannot burn, with the reason (failing the run unless the spec says so)."""
    routed = routing_of(spec)
    phases: list[Phase] = []
    undriven: list[tuple[str, str]] = []
    unexcused: list[str] = []
    used = list(taken)
    for slo in spec.slos:
        burn = slo_burn(spec, slo)
        names = {t.tier: slo_alert_name(spec, slo, t.tier) for t in slo.enabled_tiers}
        if burn.fast is None or burn.slow is None:
            undriven += [(name, f"SLO `{slo.name}`: {burn.why_not}") for name in names.values()]
            unexcused += [] if not slo.drivable else list(names.values())
            continue
        page, ticket = names.get("page"), names.get("ticket")
        if page is not None:
            name = _unique(f"{slo.name}-fast-burn", used)
            used.append(name)
            fires = (ExpectedAlert(page, routed[page].severity, window=_pair(slo, "page", "quick")),)
            allowed = tuple(n for n in _allowed(spec, wanted, burn.fast, []) if n != page)
            quiet = _guarded_besides(spec, wanted, allowed)
            phases.append(Phase(name, burn.fast, fires, quiet, allowed, wait_resolved=False))
        if ticket is not None:
            name = _unique(f"{slo.name}-slow-burn", used)
            used.append(name)
            fires = (ExpectedAlert(ticket, routed[ticket].severity, window=_pair(slo, "ticket", "slow")),)
            quiet = (*((page,) if page else ()), *_guarded_besides(spec, wanted, ()))
            # Other SLOs the slow burn also counts against (one error feeds every ratio SLO).
            others = tuple(
                n
                for n in _allowed(spec, wanted, burn.slow, [])
                if n not in names.values() and routed[n].slo is not None
            )
            phases.append(Phase(name, burn.slow, fires, quiet, others, wait_resolved=False))
    return phases, undriven, tuple(unexcused)


def _quiet(spec: Spec, wanted: dict[str, Fault], firing: list[str]) -> tuple[str, ...]:
    """The guarded alerts this phase's fault does not concern: a fault of another type, or on
    another metric. (Server errors concern every error alert: a failed request fails in every
    counter with an `errors` selector.)"""
    faults = [wanted[name] for name in firing]
    quiet = []
    for alert in spec.alerts:
        own = wanted.get(alert.name)
        if alert.name in firing or not BY_NAME[alert.kind].guarded or own is None:
            continue
        if not any(fault.concerns(own) for fault in faults):
            quiet.append(alert.name)
    return tuple(sorted(quiet))


def _pair(slo: Slo, severity: str, speed: str) -> LabelMatch:
    """The window pair of `slo`'s `severity` alert at `speed`: the fast burn must fire the quick
    page pair (1h/5m); a slow burn is what the slow ticket pair (3d/6h, 1x) exists for. The other
    pair of a tier may fire too, as the compressed windows allow (a 6h window is 6 minutes of
    the run, and holds whatever the run burnt in them)."""
    window = next(w for w in slo.windows if w.severity == severity and w.speed == speed)
    return tuple(window_labels(window))


def _unique(name: str, taken: Iterable[str]) -> str:
    used = set(taken)
    candidate, n = name, 2
    while candidate in used:
        candidate, n = f"{name}-{n}", n + 1
    return candidate
