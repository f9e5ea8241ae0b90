"""What a verify run looked like over time, for the HTML report (mongen.verify.html): when each
phase ran, each alert's state over the run (the rule engine's `ALERTS` series), every notification
the webhook sink received, and each dashboard panel's queries over the whole run, all read from the
live servers before they stop. Plain data: nothing here plots or imports a plotting library."""

from __future__ import annotations

import math
import re
import urllib.error
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

# (expr, start, end, step) -> the `result` of Prometheus's /api/v1/query_range (a matrix).
QueryRange = Callable[[str, float, float, float], list[Any]]

MAX_POINTS = 600  # points per series over the run: a 1 s step for any run of up to 10 minutes
STATE_ORDER = ("firing", "pending")  # an alert with instances in both is shown firing


@dataclass(frozen=True)
class PhaseSpan:
    """When a phase ran, in Unix seconds (healthy: from the first request to its checks' end)."""

    name: str
    start: float
    end: float


@dataclass(frozen=True)
class Series:
    """One series of a panel query: its legend (Grafana's legendFormat filled in) and its points
    (Unix seconds, value; NaN where the query had no finite value)."""

    legend: str
    points: tuple[tuple[float, float], ...]

    @property
    def finite(self) -> bool:
        return any(math.isfinite(v) for _, v in self.points)


@dataclass(frozen=True)
class TargetSeries:
    """A panel target over the run; `note` says why it has nothing to plot when it was not
    queried or its query failed."""

    ref_id: str
    expr: str
    series: tuple[Series, ...]
    note: str = ""


@dataclass(frozen=True)
class PanelSeries:
    title: str
    kind: str  # Grafana's panel type (timeseries, heatmap, ...)
    unit: str
    targets: tuple[TargetSeries, ...]

    @property
    def has_data(self) -> bool:
        return any(s.finite for t in self.targets for s in t.series)


@dataclass(frozen=True)
class AlertSpan:
    """An alert pending or firing (any of its label sets) from `start` to `end`."""

    alert: str
    state: str
    start: float
    end: float


@dataclass(frozen=True)
class Notification:
    """The webhook sink received `alert` firing for `receiver` at `at` (Unix seconds)."""

    at: float
    alert: str
    receiver: str


@dataclass(frozen=True)
class RunRecording:
    start: float
    end: float
    step: float
    alert_spans: tuple[AlertSpan, ...]
    notifications: tuple[Notification, ...]
    panels: tuple[PanelSeries, ...]
    # Dashboard variable -> the value verify's queries give it ($job: the spec's job; others All).
    variables: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class PanelPlan:
    """A panel to record: its queries as verify sends them, or why one is not queried."""

    title: str
    kind: str
    unit: str
    queries: tuple[tuple[str, str, str, str], ...]  # (ref_id, legendFormat, expr, why not queried or "")


def step_for(start: float, end: float) -> float:
    """The query step that keeps a series of the run under MAX_POINTS points (1 s at least)."""
    return float(max(1, math.ceil((end - start) / MAX_POINTS)))


def record_run(
    query_range: QueryRange,
    panels: Iterable[PanelPlan],
    notifications: Iterable[Notification],
    variables: dict[str, str],
    start: float,
    end: float,
) -> RunRecording:
    """Every panel query and the `ALERTS` series over [start, end], from the live engine."""
    step = step_for(start, end)
    recorded = []
    for panel in panels:
        targets = []
        for ref_id, legend, expr, why_not in panel.queries:
            if why_not:
                targets.append(TargetSeries(ref_id, expr, (), f"not queried: {why_not}"))
                continue
            try:
                matrix = query_range(expr, start, end, step)
            except (urllib.error.URLError, OSError, KeyError, ValueError) as exc:
                targets.append(TargetSeries(ref_id, expr, (), f"query failed: {exc}"))
                continue
            targets.append(TargetSeries(ref_id, expr, series_of(matrix, legend)))
        recorded.append(PanelSeries(panel.title, panel.kind, panel.unit, tuple(targets)))
    try:
        alerts = alert_spans(query_range("ALERTS", start, end, step), step)
    except (urllib.error.URLError, OSError, KeyError, ValueError):
        alerts = ()
    return RunRecording(
        start,
        end,
        step,
        alerts,
        tuple(
            sorted((n for n in notifications if start <= n.at <= end + step), key=lambda n: (n.at, n.alert, n.receiver))
        ),
        tuple(recorded),
        tuple(variables.items()),
    )


def series_of(matrix: list[Any], legend: str) -> tuple[Series, ...]:
    """A query_range result as Series, legends filled in, ordered by legend."""
    out = [
        Series(legend_text(legend, item["metric"]), tuple((float(t), float(v)) for t, v in item["values"]))
        for item in matrix
    ]
    return tuple(sorted(out, key=lambda s: s.legend))


_LEGEND_FIELD = re.compile(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}")


def legend_text(legend: str, labels: dict[str, str]) -> str:
    """Grafana's legendFormat (`P95 {{endpoint}}`) filled in with a series' labels; without one,
    the label set as Grafana shows it."""
    if legend.strip():
        return _LEGEND_FIELD.sub(lambda m: labels.get(m.group(1), ""), legend)
    shown = {k: v for k, v in labels.items() if k != "__name__"}
    return "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(shown.items())) + "}"


def alert_spans(matrix: list[Any], step: float) -> tuple[AlertSpan, ...]:
    """The `ALERTS` series over the run as spans per alert name: at each point the alert is
    firing when any of its label sets fires, else pending when any is pending. A span ends one
    step after its last point (the state held until the next evaluation looked)."""
    states: dict[str, dict[float, str]] = {}
    for item in matrix:
        name, state = item["metric"].get("alertname", ""), item["metric"].get("alertstate", "")
        if state not in STATE_ORDER:
            continue
        at = states.setdefault(name, {})
        for t, _ in item["values"]:
            t = float(t)
            if at.get(t) != "firing":
                at[t] = state
    spans = []
    for name in sorted(states):
        points = sorted(states[name].items())
        begin, last, state = points[0][0], points[0][0], points[0][1]
        for t, s in points[1:]:
            if s != state or t - last > step * 1.5:
                spans.append(AlertSpan(name, state, begin, last + step))
                begin, state = t, s
            last = t
        spans.append(AlertSpan(name, state, begin, last + step))
    return tuple(spans)


def phase_stats(series: Series, span: PhaseSpan) -> dict[str, float] | None:
    """The mean and max of a series' finite values within a phase, or None (no data there)."""
    values = [v for t, v in series.points if span.start <= t < span.end and math.isfinite(v)]
    if not values:
        return None
    return {"mean": _round(sum(values) / len(values)), "max": _round(max(values)), "min": _round(min(values))}


def _round(value: float) -> float:
    return float(f"{value:.6g}")
