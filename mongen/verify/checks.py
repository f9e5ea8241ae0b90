"""The checks of a verify run's healthy phase: every target the run gave the generated discovery
is scraped through the exposure as deployed, every recording rule and dashboard query returns a
finite value, nothing fires. (The fault phases: mongen.verify.phase_checks.)"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import promql_parser

from mongen import layout
from mongen.model import Spec
from mongen.presets import PRESETS
from mongen.promql import quote, selector
from mongen.rules.ruleset import rule_set
from mongen.verify.discovery import ExpectedTarget
from mongen.verify.observer import Observer
from mongen.verify.timescale import compress_expr
from mongen.vocabulary.dcgm import DCGM_SERIES

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


@dataclass(frozen=True)
class PanelQuery:
    """One target of a dashboard panel, as Grafana would send it with every variable on "All"."""

    ref_id: str
    legend: str  # Grafana's legendFormat (`{{endpoint}}`), "" for the series' labels
    expr: str  # variables filled in, ranges compressed (mongen.verify.timescale)


@dataclass(frozen=True)
class DashboardPanel:
    title: str
    kind: str  # Grafana's panel type: timeseries, heatmap, stat, ...
    unit: str
    queries: tuple[PanelQuery, ...]


def dashboard_variables(spec: Spec, root: Path) -> dict[str, str]:
    """Each dashboard variable and the value verify gives it: the spec's job for `$job`, "All"
    (`.*`) for the others."""
    return _variables(spec, json.loads((root / layout.dashboard(spec.service)).read_text()))


def _variables(spec: Spec, board: dict[str, Any]) -> dict[str, str]:
    names = [v["name"] for v in board.get("templating", {}).get("list", [])]
    return {name: spec.scrape.job if name == "job" else ".*" for name in names}


def dashboard_panels(spec: Spec, root: Path) -> list[DashboardPanel]:
    """Every dashboard panel with queries, in the dashboard's order, each query as Grafana would
    send it with every variable on "All" (Grafana interpolates variables as text before sending)."""
    board = json.loads((root / layout.dashboard(spec.service)).read_text())
    values = _variables(spec, board)
    variables = sorted(values, key=len, reverse=True)
    out = []
    for panel in board["panels"]:
        queries = []
        for target in panel.get("targets", []):
            expr = target["expr"]
            for name in variables:  # longest first, so `$job` never eats the start of `$jobs`
                expr = expr.replace("${" + name + "}", values[name]).replace("$" + name, values[name])
            queries.append(PanelQuery(target["refId"], target.get("legendFormat", ""), compress_expr(expr)))
        if queries:
            unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit", "")
            out.append(DashboardPanel(panel["title"], panel.get("type", ""), unit or "", tuple(queries)))
    return out


def dashboard_queries(spec: Spec, root: Path) -> list[tuple[str, str]]:
    """(subject, compressed expr) for every dashboard panel target (see dashboard_panels)."""
    return [
        (f"panel {panel.title!r} {query.ref_id}", query.expr)
        for panel in dashboard_panels(spec, root)
        for query in panel.queries
    ]


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
            observer.report.expect("healthy", subject, check, False, why, group="targets")
            continue
        problems = [f"scrape URL {active['scrapeUrl']}"] if active["scrapeUrl"] != url else []
        if active["health"] != "up":
            problems.append(f"health {active['health']}: {active.get('lastError', '')}")
        labels = active["labels"]
        problems += [f"{k}={labels.get(k)!r}, not {v!r}" for k, v in wanted.items() if labels.get(k) != v]
        observer.report.expect("healthy", subject, check, not problems, "; ".join(problems), group="targets")


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
        report.expect("healthy", subject, "returns a finite value", bool(finite), detail, group="queries")
    observer.record_states("healthy")
    firing = sorted({a["labels"]["alertname"] for a in observer.alerts() if a["state"] == "firing"})
    report.expect("healthy", "all alerts", "none firing", not firing, ", ".join(firing), group="unexpected")
