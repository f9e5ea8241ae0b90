"""The checks of a verify run: the healthy phase (every target the run gave the generated
discovery is scraped through the exposure as deployed, every recording rule and dashboard query
returns a finite value, nothing fires) and the runner of any fault Phase."""

from __future__ import annotations

import functools
import json
import math
import time
from pathlib import Path
from typing import Any

import promql_parser

from mongen import layout
from mongen.model import PAGE_SEVERITY, Spec
from mongen.presets import PRESETS
from mongen.promql import quote, selector
from mongen.rules.alert_kinds.base import ExporterReadings
from mongen.rules.ruleset import rule_set
from mongen.spec.exporters import DCGM_SERIES
from mongen.verify.dcgm_exporter import FrameBufferShare, SimulatedDcgmExporter
from mongen.verify.discovery import ExpectedTarget
from mongen.verify.observer import PHASE_TIMEOUT, Observer
from mongen.verify.phases import ExpectedAlert, Phase
from mongen.verify.preset_exporter import SimulatedExporter
from mongen.verify.service import Outage
from mongen.verify.service.process import ServiceProcess
from mongen.verify.timescale import compress_expr

FILL_SECONDS = 8  # the compressed 5m windows (5s) fill, with a scrape or two to spare
SCRAPE_TIMEOUT = 20.0  # seconds for every target to be discovered and scraped once


def rule_queries(spec: Spec) -> list[tuple[str, str]]:
    """(subject, expr) for every recorded series; rules sharing a name (an SLO's, told apart by
    `slo`) are told apart by their static labels."""
    return [
        (
            "rule " + selector(r.record, extra=[f"{k}={v}" for k, v in r.labels if k != "service"]),
            selector(r.record, extra=[f"{k}={quote(v)}" for k, v in r.labels]),
        )
        for g in rule_set(spec).recording_groups
        for r in g.rules
    ]


def dashboard_queries(spec: Spec, root: Path) -> list[tuple[str, str]]:
    """(subject, compressed expr) for every dashboard panel target, as Grafana would send it
    with every variable on "All" (Grafana interpolates variables as text before sending)."""
    board = json.loads((root / layout.dashboard(spec.service)).read_text())
    variables = sorted((v["name"] for v in board.get("templating", {}).get("list", [])), key=len, reverse=True)
    values = {name: spec.scrape.job if name == "job" else ".*" for name in variables}
    out = []
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            expr = target["expr"]
            for name in variables:  # longest first, so `$job` never eats the start of `$jobs`
                expr = expr.replace("${" + name + "}", values[name]).replace("$" + name, values[name])
            out.append((f"panel {panel['title']!r} {target['refId']}", compress_expr(expr)))
    return out


def source_metrics(spec: Spec, expr: str) -> list[str]:
    """The service's metrics an expression reads, through any recorded series it selects."""
    recorded = {r.record: r.expr for g in rule_set(spec).recording_groups for r in g.rules}
    metric_of = {series: m.name for m in spec.exposed_metrics for series in m.exposed_series}
    found: dict[str, None] = {}
    pending, seen = [expr], set()
    while pending:
        for name in _selected_names(pending.pop()):
            if name in recorded and name not in seen:
                seen.add(name)
                pending.append(recorded[name])
            elif name in metric_of:
                found[metric_of[name]] = None
    return list(found)


def unserved_series(spec: Spec, expr: str) -> list[str]:
    """The series `expr` reads when every one of them is an external metric that no job of the run
    serves (the run serves dcgm-exporter's for an `exporter: dcgm` job); else []. A GPU row on
    DCGM series the spec only declares reads nothing in the run, and that is no fault of the monitoring."""
    served = {s.name for e in spec.scrape.exporters if e.exporter in PRESETS for s in PRESETS[e.exporter].series}
    names = sorted(set(_selected_names(expr)))
    external = [
        name
        for name in names
        if name not in served
        and (
            name in DCGM_SERIES  # the GPU row reads them whether or not the spec declares each
            or any(
                name in m.series or (m.prefix is not None and name.startswith(m.prefix)) for m in spec.external_metrics
            )
        )
    ]
    return external if names and external == names else []


def _selected_names(expr: str) -> list[str]:
    names: list[str] = []

    def visit(node: Any) -> None:
        if isinstance(node, promql_parser.VectorSelector) and node.name:
            names.append(node.name)

    promql_parser.walk(promql_parser.parse(expr), post_visit=visit)
    return names


def check_targets(observer: Observer, expected: list[ExpectedTarget]) -> None:
    """Every target the run gave the generated discovery is active after the generated
    relabeling, scraped where it must be (the service's at the exposure, the nginx listener when
    nginx is in front; an exporter's at the run's simulated exporter), up, and carries its labels
    (the service's: the spec's job and service; an exporter's: its own job)."""

    def found() -> list[tuple[ExpectedTarget, dict[str, Any] | None, bool]]:
        """Each target, its active entry, and whether the job's relabeling dropped it."""
        targets = observer.targets()
        active = targets["activeTargets"]
        # Prometheus 2.42 lists a dropped target's scrape pool only as its discovered `job` label.
        dropped = [d["discoveredLabels"] for d in targets["droppedTargets"]]
        return [
            (
                t,
                next((a for a in active if t.matches(a["scrapePool"], a["discoveredLabels"])), None),
                any(t.matches(d.get("job", ""), d) for d in dropped),
            )
            for t in expected
        ]

    # Settled once each target is scraped or dropped (relabeling decides once and for all).
    observer.wait_for(lambda: all(gone or (a and a["health"] == "up") for _, a, gone in found()), SCRAPE_TIMEOUT)
    for target, active, gone in found():
        subject = f"scrape job {target.job_name}"
        url, wanted = target.scrape_url, dict(target.labels)
        names = " and ".join(wanted)
        check = f"{target.mechanism} target {target.address}: scraped at {url}, up, with {names} label" + (
            "s" if len(wanted) > 1 else ""
        )
        if active is None:
            why = "dropped by the job's relabeling" if gone else "not discovered"
            observer.report.expect("healthy", subject, check, False, why)
            continue
        problems = [f"scrape URL {active['scrapeUrl']}"] if active["scrapeUrl"] != url else []
        if active["health"] != "up":
            problems.append(f"health {active['health']}: {active.get('lastError', '')}")
        labels = active["labels"]
        problems += [f"{k}={labels.get(k)!r}, not {v!r}" for k, v in wanted.items() if labels.get(k) != v]
        observer.report.expect("healthy", subject, check, not problems, "; ".join(problems))


def check_healthy(spec: Spec, root: Path, observer: Observer) -> None:
    """Every recording rule and dashboard query returns at least one finite value (NaN is what a
    quantile or mean of a histogram without observations gives), and nothing fires."""
    time.sleep(FILL_SECONDS)
    report = observer.report
    for subject, expr in rule_queries(spec) + dashboard_queries(spec, root):
        unserved = unserved_series(spec, expr)
        if unserved:
            report.substitute(
                layout.dashboard(spec.service),
                f"{subject} -> not queried",
                f"it reads only {', '.join(unserved)}: series of another exporter that no scrape job of the "
                "spec collects (verify serves dcgm-exporter's when an `exporter: dcgm` job scrapes them)",
            )
            continue
        got = observer.query(expr)
        finite = [s for s in got if math.isfinite(float(s["value"][1]))]
        report.series_counts[subject] = len(finite)
        detail = ""
        if not got:
            detail = f"no series for {expr}"
        elif not finite:
            metrics = ", ".join(source_metrics(spec, expr)) or expr
            detail = f"{len(got)} series, none finite (NaN): no observations of {metrics} in the window"
        report.expect("healthy", subject, "returns a finite value", bool(finite), detail)
    observer.record_states("healthy")
    firing = sorted({a["labels"]["alertname"] for a in observer.alerts() if a["state"] == "firing"})
    report.expect("healthy", "all alerts", "none firing", not firing, ", ".join(firing))


def run_phase(
    spec: Spec,
    phase: Phase,
    service: ServiceProcess,
    observer: Observer,
    gpus: SimulatedDcgmExporter | None = None,
    exporters: dict[str, SimulatedExporter] | None = None,
) -> None:
    """Inject the phase's fault (into the service, the simulated dcgm-exporter `gpus`, or a
    preset job's simulated exporter); its alerts must fire (for their labels only) and reach their
    routes' receivers, the phase's quiet alerts must not fire; then heal and let them resolve."""
    simulated = exporters or {}
    if isinstance(phase.fault, FrameBufferShare):
        assert gpus is not None, "a frame-buffer phase is planned only for a spec with a dcgm-exporter job"
        gpus.inject(phase.fault)
    elif isinstance(phase.fault, ExporterReadings):
        simulated[phase.fault.job].inject(phase.fault)
    else:
        service.inject(phase.fault)
    for expected in phase.fires:
        _fires(spec, phase, expected, observer)
    observer.record_states(phase.name)
    for name in phase.quiet:
        observer.report.expect(phase.name, name, "stays quiet", not observer.firing(name))
    if not isinstance(phase.fault, Outage):
        service.heal()
        if gpus is not None:
            gpus.heal()
        for exporter in simulated.values():
            exporter.heal()
        for expected in phase.fires:
            observer.wait_for(functools.partial(observer.quiet, expected.name), PHASE_TIMEOUT)


def _fires(spec: Spec, phase: Phase, expected: ExpectedAlert, observer: Observer) -> None:
    """`expected` fires and reaches its route's receivers; or, when it is not a page and the
    phase also fires a page, the generated inhibit rule (pages inhibit tickets) may hold it back:
    the metrics are absent because the target is down, and only the page goes out."""
    report, labels = observer.report, dict(expected.labels)
    fired = observer.wait_for(functools.partial(observer.firing, expected.name, labels))
    report.expect(phase.name, expected.name, f"fires{' with ' + str(labels) if labels else ''}", fired)
    receivers = sorted(dict(spec.routing.routes).get(expected.severity, ()))
    may_be_inhibited = expected.severity != PAGE_SEVERITY and any(o.severity == PAGE_SEVERITY for o in phase.fires)

    def delivered() -> bool:
        got = observer.delivered(expected.name, labels, receivers)
        return got or (may_be_inhibited and observer.inhibited(expected.name))

    reached = observer.wait_for(delivered, 20)
    got = ", ".join(observer.sink.got(expected.name, labels))
    check = f"reaches {', '.join(receivers)} via the {expected.severity} route"
    if may_be_inhibited:
        check += ", or is inhibited by this phase's page"
    inhibited = reached and not got and may_be_inhibited
    report.expect(phase.name, expected.name, check, reached, "inhibited" if inhibited else got)
    if labels:  # checked once delivery is done, so a leak to other values has had time to show
        others = observer.active_elsewhere(expected.name, labels)
        report.expect(phase.name, expected.name, f"fires for {labels} only", not others, "; ".join(others))
