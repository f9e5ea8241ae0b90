"""The runner of any fault Phase, and what it holds the monitoring to.

Per phase: the phase's alerts fire (for their labels only); every alert firing is accounted for
(the phase's own, one its fault may also fire, or one carried over from the phase before: firing
when this one began); and delivery matches what the spec says (mongen.verify.delivery): each alert
reaches exactly the receivers its severity routes to, an alert the spec's inhibition covers is
held back by Alertmanager, and nothing is routed to no one. Observations come from the rule
engine's alerts API (Prometheus') and Alertmanager's webhook sink and API, never from which
engine runs the rules.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from mongen.faults import ExporterReadings, FrameBufferFull, TargetGone
from mongen.generators.alertmanager import NULL_RECEIVER
from mongen.model import Spec
from mongen.verify.dcgm_exporter import SimulatedDcgmExporter
from mongen.verify.delivery import Routed, inhibitor
from mongen.verify.observer import PHASE_TIMEOUT, Observer
from mongen.verify.phases import ExpectedAlert, Phase
from mongen.verify.preset_exporter import SimulatedExporter
from mongen.verify.report import DeliveryRow
from mongen.verify.service.process import ServiceProcess

DELIVERY_TIMEOUT = 20.0  # seconds for Alertmanager's compressed group waits to notify
# An alert Alertmanager notified before (carried over, or let through before its inhibitor fired)
# is notified again only after the run's repeat interval (20 s; mongen.verify.configs).
REPEAT_TIMEOUT = 30.0
# A carried-over alert the phase needs quiet: its longest compressed window (6h/30m -> 30 s of
# short window) clearing, plus Alertmanager.
SETTLE_TIMEOUT = PHASE_TIMEOUT + 30


@dataclass
class PhaseRun:
    """What the runner carries from one phase to the next."""

    spec: Spec
    observer: Observer
    routed: dict[str, Routed]
    previous: str = "healthy"
    firing: set[str] = field(default_factory=set)  # alerts firing when the previous phase ended
    notified: set[str] = field(default_factory=set)  # alerts Alertmanager has notified so far


def run_phase(
    run: PhaseRun,
    phase: Phase,
    service: ServiceProcess,
    gpus: SimulatedDcgmExporter | None = None,
    exporters: dict[str, SimulatedExporter] | None = None,
) -> None:
    """Inject the phase's fault (into the service, the simulated dcgm-exporter `gpus`, or a preset
    job's simulated exporter), check it, then heal (and, unless the phase says otherwise, let its
    alerts resolve)."""
    observer, report = run.observer, run.observer.report
    simulated = exporters or {}
    mark = observer.sink.mark()
    if isinstance(phase.fault, FrameBufferFull):
        assert gpus is not None, "a frame-buffer phase is planned only for a spec with a dcgm-exporter job"
        gpus.inject(phase.fault)
    elif isinstance(phase.fault, ExporterReadings):
        simulated[phase.fault.job].inject(phase.fault)
    else:
        service.inject(phase.fault)
    carried_quiet = [name for name in phase.quiet if name in run.firing]
    for name in carried_quiet:  # a carried-over alert the phase needs quiet first
        quiet = observer.wait_for(functools.partial(observer.quiet, name), SETTLE_TIMEOUT)
        report.expect(phase.name, name, f"goes quiet (carried over from {run.previous})", quiet, group="quiet")
    for expected in phase.fires:
        _fires(phase, expected, observer)
    firing = observer.firing_names() | {e.name for e in phase.fires if observer.firing(e.name)}
    observer.record_states(phase.name)
    _account(run, phase, firing)
    _deliveries(run, phase, firing, mark)
    for expected in phase.fires:  # checked once delivery is done, so a leak to other values has had time to show
        if expected.labels:
            labels = dict(expected.labels)
            others = observer.active_elsewhere(expected.name, labels)
            report.expect(phase.name, expected.name, f"fires for {labels} only", not others, "; ".join(others), "fires")
    for name in phase.quiet:
        if name not in carried_quiet:
            report.expect(phase.name, name, "stays quiet", not observer.firing(name), group="quiet")
    _routed_to_no_one(run, phase)
    if not isinstance(phase.fault, TargetGone):
        service.heal()
        if gpus is not None:
            gpus.heal()
        for exporter in simulated.values():
            exporter.heal()
        if phase.wait_resolved:
            for expected in phase.fires:
                observer.wait_for(functools.partial(observer.quiet, expected.name), PHASE_TIMEOUT)
    run.notified |= set(observer.sink.since(0))
    run.previous, run.firing = phase.name, observer.firing_names()


def _fires(phase: Phase, expected: ExpectedAlert, observer: Observer) -> None:
    labels = dict(expected.labels)
    fired = observer.wait_for(functools.partial(observer.firing, expected.name, labels))
    check = f"fires{' with ' + str(labels) if labels else ''}"
    observer.report.expect(phase.name, expected.name, check, fired, group="fires")
    if expected.window:
        pair = dict(expected.window)
        over = observer.wait_for(functools.partial(observer.firing, expected.name, pair))
        text = "/".join(pair.values())
        observer.report.expect(phase.name, expected.name, f"fires over its {text} window pair", over, group="fires")


def _account(run: PhaseRun, phase: Phase, firing: set[str]) -> None:
    """Every alert firing is this phase's, one its fault may fire, or carried over (firing when
    the phase began, and said so); any other fails."""
    own = {e.name for e in phase.fires} | set(phase.allowed)
    for name in sorted(firing - own):
        carried = name in run.firing
        detail = (
            f"carried over from {run.previous}"
            if carried
            else "fires unexpectedly: not this phase's fault, and not firing when the phase began"
        )
        group = "carried" if carried else "unexpected"
        run.observer.report.expect(phase.name, name, "fires only when expected", carried, detail, group=group)


def _deliveries(run: PhaseRun, phase: Phase, firing: set[str], mark: int) -> None:
    """Each required alert reaches exactly its route's receivers, or is held back by the alert
    the spec's inhibition names; any other firing alert reaches none but its route's."""
    observer, report = run.observer, run.observer.report
    required = [e for e in phase.fires if e.name in firing]
    for expected in required:
        routed = run.routed.get(expected.name)
        if routed is None:
            continue
        source = inhibitor(run.spec, run.routed, expected.name, firing)
        if source is not None:
            held = observer.wait_for(functools.partial(observer.inhibited, expected.name), DELIVERY_TIMEOUT)
            before = sorted(observer.sink.since(mark).get(expected.name, set()))
            report.expect(phase.name, expected.name, f"held back by {source} (inhibited)", held, group="delivery")
            report.deliveries.append(DeliveryRow(phase.name, expected.name, "inhibited", [], before))
            continue
        if not routed.receivers:
            report.expect(
                phase.name,
                expected.name,
                "reaches a receiver",
                False,
                f"routed to no one: severity `{routed.severity}` has no route and there is no default receiver",
                group="delivery",
            )
            continue
        wanted = set(routed.receivers)
        timeout = REPEAT_TIMEOUT if expected.name in run.notified else DELIVERY_TIMEOUT
        observer.wait_for(functools.partial(_reached, observer, mark, expected.name, wanted), timeout)
        got = observer.sink.since(mark).get(expected.name, set())
        check = f"reaches {', '.join(routed.receivers)} via {routed.via}"
        detail = _difference(wanted, got)
        report.expect(phase.name, expected.name, check, got == wanted, detail, group="delivery")
        report.deliveries.append(DeliveryRow(phase.name, expected.name, "required", sorted(wanted), sorted(got)))
    seen = observer.sink.since(mark)
    for name in sorted((firing | set(seen)) - {e.name for e in required}):
        routed = run.routed.get(name)
        if routed is None:
            continue
        got = seen.get(name, set())
        role = "allowed" if name in phase.allowed else "carried" if name in run.firing else "unexpected"
        source = inhibitor(run.spec, run.routed, name, firing) if name in firing else None
        if source is not None:
            role = "inhibited"
        # Held back for as long as its inhibitor is this phase's own alert; a carried-over
        # inhibitor may be resolving as the phase looks, and with it the inhibition.
        if source in {e.name for e in phase.fires}:
            held = observer.wait_for(functools.partial(observer.inhibited, name), DELIVERY_TIMEOUT)
            report.expect(phase.name, name, f"held back by {source} (inhibited)", held, group="delivery")
        wanted_here = [] if source else sorted(routed.receivers)
        report.deliveries.append(DeliveryRow(phase.name, name, role, wanted_here, sorted(got)))
        stray = got - set(routed.receivers)
        if stray:
            report.expect(
                phase.name,
                name,
                f"reaches only {', '.join(routed.receivers) or 'no one'} via {routed.via}",
                False,
                f"also reached {', '.join(sorted(stray))}",
                group="delivery",
            )


def _reached(observer: Observer, mark: int, name: str, wanted: set[str]) -> bool:
    return wanted <= observer.sink.since(mark).get(name, set())


def _difference(wanted: set[str], got: set[str]) -> str:
    missing, extra = sorted(wanted - got), sorted(got - wanted)
    parts = [f"not {', '.join(missing)}" if missing else "", f"also {', '.join(extra)}" if extra else ""]
    return "; ".join(p for p in parts if p) or ", ".join(sorted(got))


def _routed_to_no_one(run: PhaseRun, phase: Phase) -> None:
    """Any alert Alertmanager routes only to the null receiver fails the run: production drops it."""
    seen: set[str] = set()
    for alert in run.observer.alertmanager_alerts():
        receivers = [r["name"] for r in alert.get("receivers", [])]
        name = alert["labels"].get("alertname", "")
        if receivers and set(receivers) == {NULL_RECEIVER} and name not in seen:
            seen.add(name)
            run.observer.report.expect(
                phase.name,
                name,
                "reaches a receiver",
                False,
                f"routed to no one: Alertmanager sent it to `{NULL_RECEIVER}`, which has no integrations",
                group="delivery",
            )
