"""The checks of a verify run: the healthy phase (every recording rule and dashboard query
returns data, nothing fires) and the runner of any fault Phase."""

from __future__ import annotations

import functools
import json
import time
from pathlib import Path

from mongen import layout
from mongen.model import Spec
from mongen.rules.ruleset import rule_set
from mongen.verify.observer import PHASE_TIMEOUT, Observer
from mongen.verify.phases import Phase
from mongen.verify.service import Outage, SimulatedService
from mongen.verify.timescale import compress_expr

FILL_SECONDS = 8  # the compressed 5m windows (5s) fill, with a scrape or two to spare


def rule_queries(spec: Spec) -> list[tuple[str, str]]:
    """(subject, expr) for every recorded series; an SLO's rules share a name, told apart by `slo`."""
    return [
        (
            f"rule {r.record}" + (f"{{slo={r.labels[1][1]}}}" if r.labels else ""),
            r.record + ("{" + ",".join(f'{k}="{v}"' for k, v in r.labels) + "}" if r.labels else ""),
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


def check_healthy(spec: Spec, root: Path, observer: Observer) -> None:
    observer.wait_for(lambda: bool(observer.query("up")) and observer.query("up")[0]["value"][1] == "1", 20)
    time.sleep(FILL_SECONDS)
    report = observer.report
    for subject, expr in rule_queries(spec) + dashboard_queries(spec, root):
        got = observer.query(expr)
        report.series_counts[subject] = len(got)
        report.expect("healthy", subject, "returns data", bool(got), "" if got else f"no series for {expr}")
    observer.record_states("healthy")
    firing = sorted({a["labels"]["alertname"] for a in observer.alerts() if a["state"] == "firing"})
    report.expect("healthy", "all alerts", "none firing", not firing, ", ".join(firing))


def run_phase(spec: Spec, phase: Phase, service: SimulatedService, observer: Observer) -> None:
    """Inject the phase's fault; its alert must fire (for its labels only) and reach its
    route's receivers, the phase's quiet alerts must not fire; then heal and let it resolve."""
    report, expected = observer.report, phase.fires
    labels = dict(expected.labels)
    service.inject(phase.fault)
    fired = observer.wait_for(functools.partial(observer.firing, expected.name, labels))
    report.expect(phase.name, expected.name, f"fires{' with ' + str(labels) if labels else ''}", fired)
    receivers = sorted(dict(spec.routing.routes).get(expected.severity, ()))
    reached = observer.wait_for(functools.partial(observer.delivered, expected.name, labels, receivers), 20)
    got = ", ".join(observer.sink.got(expected.name, labels))
    report.expect(
        phase.name, expected.name, f"reaches {', '.join(receivers)} via the {expected.severity} route", reached, got
    )
    if labels:  # checked once delivery is done, so a leak to other values has had time to show
        others = observer.active_elsewhere(expected.name, labels)
        report.expect(phase.name, expected.name, f"fires for {labels} only", not others, "; ".join(others))
    observer.record_states(phase.name)
    for name in phase.quiet:
        report.expect(phase.name, name, "stays quiet", not observer.firing(name))
    if not isinstance(phase.fault, Outage):
        service.heal()
        observer.wait_for(functools.partial(observer.quiet, expected.name), PHASE_TIMEOUT)
