"""`mongen verify --html FILE`: a verify run as one self-contained page (no script, stylesheet,
font or image from elsewhere; it opens offline). Per phase, each alert's state over the phase and
the receivers that got it; then each dashboard panel's queries over the whole run from the live
engine, phases shaded and named, as the dashboard would have shown each fault.

Plots are matplotlib's SVG, inline, built with `matplotlib.figure.Figure` (no pyplot, no global
state); matplotlib is the optional extra `mongen[html]`. Every text that comes from the spec, the
dashboard or the servers is HTML-escaped here, once. The recorded numbers are embedded as JSON
(`<script type="application/json" id="verify-data">`: per phase, each series' min, mean and max)
for tools and tests that read the page.
"""

from __future__ import annotations

import html
import io
import json
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mongen.verify.recording import PanelSeries, PhaseSpan, RunRecording, Series, phase_stats
from mongen.verify.report import DeliveryRow, Expectation, VerifyReport
from mongen.verify.timescale import TIME_SCALE

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

INSTALL = "pip install -e '.[html]' in mongen's checkout"
STATE_COLORS = {"firing": "#d62728", "pending": "#ff9f1c", "inactive": "#e8e8e8"}
_PHASE_TINTS = ("#eef4fb", "#fbf3e8")
_HEALTHY_TINT = "#edf7ed"
# Grafana unit -> (axis label, how ticks read).
_UNITS = {
    "s": ("seconds", ""),
    "ms": ("milliseconds", ""),
    "reqps": ("requests/s", ""),
    "percentunit": ("", "percent1"),
    "percent": ("", "percent100"),
    "bytes": ("", "B"),
    "decbytes": ("", "B"),
    "decmbytes": ("MB", ""),
    "watt": ("", "W"),
    "celsius": ("°C", ""),
}


class PlottingUnavailable(RuntimeError):
    """matplotlib (the `html` extra) is not installed."""


@dataclass(frozen=True)
class VerifiedService:
    service: str
    spec: str  # the spec's path as given
    report: VerifyReport


def require_plotting() -> None:
    """Before a run that will write a page: the plotting library is there, or say how to get it."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise PlottingUnavailable(
            f"--html needs matplotlib, mongen's optional `html` extra: {INSTALL} "
            "(or `pip install matplotlib` beside mongen); then run verify again"
        ) from None


def write_page(path: Path, runs: Sequence[VerifiedService]) -> int:
    """Write the page for `runs` to `path`; its size in bytes."""
    data = render_page(runs).encode("utf-8")
    path.write_bytes(data)
    return len(data)


def render_page(runs: Sequence[VerifiedService]) -> str:
    require_plotting()
    names = ", ".join(run.service for run in runs)
    body = "\n".join(_service_section(run) for run in runs)
    data = {"services": [_service_data(run) for run in runs]}
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f"<title>mongen verify: {_e(names)}</title>",
            f"<style>{_CSS}</style>",
            "</head>",
            "<body>",
            f"<h1>mongen verify: {_e(names)}</h1>",
            body,
            f'<script type="application/json" id="verify-data">{_json_in_html(data)}</script>',
            "</body>",
            "</html>",
            "",
        ]
    )


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _json_in_html(data: object) -> str:
    """JSON that cannot end the script element it sits in, or start markup."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# ---------------------------------------------------------------------------- page sections


def _service_section(run: VerifiedService) -> str:
    report, recording = run.report, run.report.recording
    failed = [e for e in report.expectations if not e.ok]
    verdict = "passed" if report.passed else "failed"
    started = (
        datetime.fromtimestamp(recording.start, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        if recording
        else "not recorded"
    )
    parts = [
        f'<article class="service" data-service="{_e(run.service)}">',
        f"<h2>{_e(run.service)} <span class='verdict {verdict}'>{verdict}</span></h2>",
        "<p class='summary'>"
        f"spec <code>{_e(run.spec)}</code> · started {_e(started)} · {report.seconds:.0f} s · "
        f"{len(report.expectations) - len(failed)} expectations passed, {len(failed)} failed · "
        f"one second of the run stands for {TIME_SCALE} s of the generated rules</p>",
    ]
    if failed:
        parts.append("<h3>Failures</h3><ul class='failures'>")
        parts += [f"<li>{_expectation_text(e)}</li>" for e in failed]
        parts.append("</ul>")
    parts.append(_phase_overview(report))
    parts.append("<h3>Alerts per phase</h3>")
    parts.append(_state_key())
    for index, span in enumerate(report.phase_spans, 1):
        parts.append(_phase_section(report, recording, span, index))
    if recording is None:
        parts.append("<p class='no-data'>The run was not recorded: no dashboard plots.</p>")
    else:
        parts.append(_dashboard_section(report, recording))
    parts.append(_substitutions(report, recording))
    parts.append("</article>")
    return "\n".join(parts)


def _phase_overview(report: VerifyReport) -> str:
    summaries = report.phase_summaries()
    origin = report.phase_spans[0].start if report.phase_spans else 0.0
    rows = [
        f"<tr><td>{i}</td><td><a href='#{_e(_phase_id(s.name))}'>{_e(s.name)}</a></td>"
        f"<td>{s.start - origin:.0f}–{s.end - origin:.0f} s</td><td>{_e(summaries.get(s.name, ''))}</td></tr>"
        for i, s in enumerate(report.phase_spans, 1)
    ]
    others = [
        f"<tr><td></td><td>{_e(p)}</td><td></td><td>{_e(t)}</td></tr>"
        for p, t in summaries.items()
        if p not in {s.name for s in report.phase_spans}
    ]
    return (
        "<h3>Phases</h3><table class='phases'><tr><th>#</th><th>phase</th><th>run time</th><th>checks</th></tr>"
        + "".join(rows + others)
        + "</table>"
    )


def _phase_id(name: str) -> str:
    return "phase-" + "".join(c if c.isalnum() or c in "-_" else "_" for c in name)


def _state_key() -> str:
    cells = "".join(
        f"<span class='key'><span class='swatch' style='background:{color}'></span>{state}</span>"
        for state, color in STATE_COLORS.items()
    )
    return f"<p class='state-key'>{cells}<span class='key'>▼ notification received</span></p>"


def _phase_alerts(report: VerifyReport, recording: RunRecording | None, span: PhaseSpan) -> list[str]:
    """The alerts worth a row in a phase: pending or firing in it, checked in it, or delivered."""
    known = list(report.alert_states)
    shown: dict[str, None] = {}
    spans = recording.alert_spans if recording else ()
    for s in spans:
        if s.start < span.end and s.end > span.start:
            shown[s.alert] = None
    for e in report.expectations:
        if e.phase == span.name and e.subject in report.alert_states:
            shown[e.subject] = None
    for d in report.deliveries:
        if d.phase == span.name:
            shown[d.alert] = None
    return sorted(shown, key=lambda a: (known.index(a) if a in known else len(known), a))


def _phase_section(report: VerifyReport, recording: RunRecording | None, span: PhaseSpan, index: int) -> str:
    alerts = _phase_alerts(report, recording, span)
    summary = report.phase_summaries().get(span.name, "")
    parts = [
        f"<section class='phase' id='{_e(_phase_id(span.name))}' data-phase='{_e(span.name)}'>",
        f"<h4>{index}. {_e(span.name)}</h4>",
        f"<p class='summary'>{_e(summary)}</p>",
        f"<figure class='alert-timeline' data-phase='{_e(span.name)}' data-alerts='{len(alerts)}'>",
        _svg(_timeline_figure(recording, span, alerts)),
        "</figure>",
    ]
    if alerts:
        parts.append(
            "<table class='alerts'><tr><th>alert</th><th>state at phase end</th><th>delivered to</th>"
            "<th>expected receivers</th><th>checks</th></tr>"
        )
        for alert in alerts:
            parts.append(_alert_row(report, recording, span, alert))
        parts.append("</table>")
    else:
        parts.append("<p class='quiet'>No alert pending, firing or checked in this phase.</p>")
    parts.append("</section>")
    return "\n".join(parts)


def _alert_row(report: VerifyReport, recording: RunRecording | None, span: PhaseSpan, alert: str) -> str:
    state = report.alert_states.get(alert, {}).get(span.name, "")
    rows = [d for d in report.deliveries if d.phase == span.name and d.alert == alert]
    origin = recording.start if recording else span.start
    times: dict[str, list[str]] = {}  # receiver -> the run seconds it was notified at (one per label set)
    for n in recording.notifications if recording else ():
        if n.alert == alert and span.start <= n.at <= span.end:
            at = f"{n.at - origin:.0f}"
            if at not in times.setdefault(n.receiver, []):
                times[n.receiver].append(at)
    got = [f"{receiver} at {', '.join(at)} s" for receiver, at in sorted(times.items())]
    delivered = ", ".join(got) or ", ".join(r for d in rows for r in d.observed) or "none"
    expected = _expected_receivers(rows)
    checks = [e for e in report.expectations if e.phase == span.name and e.subject == alert]
    check_text = "<br>".join(_expectation_text(e, alone=True) for e in checks) or "—"
    css = "fail" if any(not e.ok for e in checks) else "pass" if checks else ""
    return (
        f"<tr class='{css}' data-alert='{_e(alert)}'><td>{_e(alert)}</td>"
        f"<td><span class='state {_e(state)}'>{_e(state or '—')}</span></td>"
        f"<td>{_e(delivered)}</td><td>{_e(expected)}</td><td>{check_text}</td></tr>"
    )


def _expected_receivers(rows: list[DeliveryRow]) -> str:
    if not rows:
        return "—"
    row = rows[0]
    if row.role == "inhibited":
        return "none (inhibited)"
    return ", ".join(row.expected) or "none"


def _expectation_text(e: Expectation, alone: bool = False) -> str:
    """As the text report words it; `alone`: in its phase's row of its alert, the check only."""
    word = "PASS" if e.ok else "FAIL"
    detail = f" ({e.detail})" if e.detail else ""
    where = "" if alone else f"[{_e(e.phase)}] {_e(e.subject)}: "
    return f"<span class='{word.lower()}'>{word}</span> {where}{_e(e.check)}{_e(detail)}"


def _dashboard_section(report: VerifyReport, recording: RunRecording) -> str:
    parts = [
        "<h3>Dashboard over the run</h3>",
        "<p>Each panel's queries as Grafana sends them (variables below), every range divided by "
        f"{TIME_SCALE} like the rules', over the whole run from the live engine; phases shaded "
        "and named.</p>",
    ]
    for panel in recording.panels:
        no_data = not panel.has_data
        parts.append(
            f"<figure class='panel{' no-data' if no_data else ''}' data-panel='{_e(panel.title)}' "
            f"data-kind='{_e(panel.kind)}'>"
        )
        parts.append(f"<figcaption>{_e(panel.title)}{' — no data' if no_data else ''}</figcaption>")
        parts.append(_svg(_panel_figure(report, recording, panel)))
        parts.append("<ul class='queries'>")
        for target in panel.targets:
            empty = not any(s.finite for s in target.series)
            note = target.note or ("no data: no finite value over the run" if empty else "")
            note_html = f" <span class='note'>{_e(note)}</span>" if note else ""
            parts.append(f"<li>{_e(target.ref_id)}: <code>{_e(target.expr)}</code>{note_html}</li>")
        parts.append("</ul></figure>")
    return "\n".join(parts)


def _substitutions(report: VerifyReport, recording: RunRecording | None) -> str:
    items = [f"<li><code>{_e(s.artifact)}</code>: {_e(s.change)} ({_e(s.reason)})</li>" for s in report.substitutions]
    if recording is not None:
        items += [
            f"<li>dashboard variable <code>${_e(name)}</code> -> <code>{_e(value)}</code> "
            f"({'the spec’s job' if name == 'job' else 'All'})</li>"
            for name, value in recording.variables
        ]
        items.append(f"<li>dashboard queries: every range divided by {TIME_SCALE} (5m -> 5s), as in the rules</li>")
    return "<h3>Substituted for this run</h3><ul class='substitutions'>" + "".join(items) + "</ul>"


# ---------------------------------------------------------------------------- plots


@contextmanager
def _plot_settings() -> Iterator[None]:
    import matplotlib

    with matplotlib.rc_context(
        {
            "svg.hashsalt": "mongen-verify",  # ids the same on every run: a deterministic page
            # Text as SVG text in the browser's sans-serif (DejaVu Sans where there is one): a third
            # smaller than glyph paths, and searchable.
            "svg.fonttype": "none",
            "font.size": 8,
            "axes.titlesize": 9,
        }
    ):
        yield


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    with _plot_settings():
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _new_figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    with _plot_settings():
        return Figure(figsize=(width, height))


def _timeline_figure(recording: RunRecording | None, span: PhaseSpan, alerts: list[str]) -> Figure:
    rows = max(1, len(alerts))
    height = 0.55 + 0.28 * rows  # inches: the axis labels, then a row per alert
    figure = _new_figure(11, height)
    with _plot_settings():
        axes = figure.add_axes((0.28, 0.42 / height, 0.7, 0.28 * rows / height))
        origin = recording.start if recording else span.start
        lo, hi = span.start - origin, span.end - origin
        axes.set_xlim(lo, max(hi, lo + 1))
        axes.set_ylim(-0.5, rows - 0.5)
        axes.invert_yaxis()
        axes.set_yticks(range(len(alerts)), alerts)
        axes.set_xlabel("run seconds")
        for row, alert in enumerate(alerts):
            axes.broken_barh([(lo, hi - lo)], (row - 0.35, 0.7), color=STATE_COLORS["inactive"])
            for s in recording.alert_spans if recording else ():
                if s.alert == alert and s.start < span.end and s.end > span.start:
                    start, end = max(s.start, span.start) - origin, min(s.end, span.end) - origin
                    axes.broken_barh([(start, end - start)], (row - 0.35, 0.7), color=STATE_COLORS[s.state])
            for n in recording.notifications if recording else ():
                if n.alert == alert and span.start <= n.at <= span.end:
                    axes.plot([n.at - origin], [row - 0.42], marker="v", color="#222222", markersize=5)
        if not alerts:
            axes.set_yticks([])
            axes.text(0.5, 0.5, "no alert pending or firing", transform=axes.transAxes, ha="center", va="center")
        if recording is None:
            axes.text(0.5, 0.5, "not recorded", transform=axes.transAxes, ha="center", va="center")
    return figure


def _panel_figure(report: VerifyReport, recording: RunRecording, panel: PanelSeries) -> Figure:
    figure = _new_figure(11, 3.6)
    with _plot_settings():
        axes = figure.add_axes((0.07, 0.12, 0.68, 0.5))  # the space above: the phases' names
        origin = recording.start
        axes.set_xlim(0, max(1.0, recording.end - origin))
        _shade_phases(axes, report.phase_spans, origin)
        axes.set_xlabel("run seconds")
        label, ticks = _UNITS.get(panel.unit, ("" if panel.unit in ("", "none", "short") else panel.unit, ""))
        if label:
            axes.set_ylabel(label)
        _format_ticks(axes, ticks)
        series = [(t.ref_id, s) for t in panel.targets for s in t.series if s.finite]
        if not series:
            axes.set_yticks([])
            axes.text(0.5, 0.5, "no data", transform=axes.transAxes, ha="center", va="center", fontsize=14)
        elif panel.kind == "heatmap":
            _heatmap(figure, axes, [s for _, s in series], origin)
        else:
            for ref_id, s in series:
                times = [t - origin for t, _ in s.points]
                values = [v if math.isfinite(v) else math.nan for _, v in s.points]
                axes.plot(times, values, linewidth=1.1, label=s.legend or ref_id)
            axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
        axes.set_xlim(0, max(1.0, recording.end - origin))  # the whole run, whatever was drawn
    return figure


def _shade_phases(axes: Axes, spans: Sequence[PhaseSpan], origin: float) -> None:
    for index, span in enumerate(spans):
        color = _HEALTHY_TINT if span.name == "healthy" else _PHASE_TINTS[index % 2]
        axes.axvspan(span.start - origin, span.end - origin, color=color, linewidth=0, zorder=0)
        axes.axvline(span.start - origin, color="#b0b0b0", linewidth=0.5, zorder=0)
        middle = (span.start + span.end) / 2 - origin
        axes.text(
            middle,
            1.02,
            span.name,
            transform=axes.get_xaxis_transform(),
            rotation=90,
            ha="center",
            va="bottom",
            fontsize=6,
            color="#444444",
        )


def _format_ticks(axes: Axes, ticks: str) -> None:
    from matplotlib.ticker import EngFormatter, PercentFormatter

    if ticks == "percent1":
        axes.yaxis.set_major_formatter(PercentFormatter(1.0))
    elif ticks == "percent100":
        axes.yaxis.set_major_formatter(PercentFormatter(100.0))
    elif ticks:
        axes.yaxis.set_major_formatter(EngFormatter(unit=ticks))


def _heatmap(figure: Figure, axes: Axes, series: list[Series], origin: float) -> None:
    """Cumulative bucket rates (one series per `le`) as Grafana's heatmap shows them: per bucket,
    the rate of observations that fell into it, over time."""
    buckets = sorted(series, key=lambda s: _le(s.legend))
    times = sorted({t for s in buckets for t, _ in s.points})
    index = {t: i for i, t in enumerate(times)}
    cumulative = []
    for s in buckets:
        row = [math.nan] * len(times)
        for t, v in s.points:
            row[index[t]] = v
        cumulative.append(row)
    cells = [
        [max(0.0, c - p) if math.isfinite(c) and math.isfinite(p) else c for c, p in zip(row, previous, strict=True)]
        for row, previous in zip(cumulative, [[0.0] * len(times), *cumulative[:-1]], strict=True)
    ]
    step = times[1] - times[0] if len(times) > 1 else 1.0
    extent = (times[0] - origin, times[-1] - origin + step, 0.0, float(len(buckets)))
    # One raster (inline PNG in the SVG) rather than a path per cell: smaller, and no seams.
    image = axes.imshow(
        cells, aspect="auto", interpolation="nearest", origin="lower", extent=extent, cmap="viridis", zorder=1
    )
    axes.set_yticks([i + 0.5 for i in range(len(buckets))], [s.legend for s in buckets], fontsize=6)
    axes.set_ylabel("bucket (le)")
    figure.colorbar(image, cax=figure.add_axes((0.765, 0.12, 0.012, 0.5)), label="observations/s")


def _le(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.inf


# ---------------------------------------------------------------------------- embedded data


def _service_data(run: VerifiedService) -> dict[str, Any]:
    report, recording = run.report, run.report.recording
    origin = recording.start if recording else (report.phase_spans[0].start if report.phase_spans else 0.0)
    phases = [
        {"name": s.name, "start": round(s.start - origin, 1), "end": round(s.end - origin, 1)}
        for s in report.phase_spans
    ]
    alerts: dict[str, dict[str, Any]] = {}
    for span in report.phase_spans:
        mine: dict[str, Any] = {}
        for alert in _phase_alerts(report, recording, span):
            spans = [
                [s.state, round(max(s.start, span.start) - origin, 1), round(min(s.end, span.end) - origin, 1)]
                for s in (recording.alert_spans if recording else ())
                if s.alert == alert and s.start < span.end and s.end > span.start
            ]
            delivered = sorted(
                {
                    n.receiver
                    for n in (recording.notifications if recording else ())
                    if n.alert == alert and span.start <= n.at <= span.end
                }
            )
            mine[alert] = {
                "state": report.alert_states.get(alert, {}).get(span.name, ""),
                "spans": spans,
                "delivered": delivered,
                "checks": [
                    {"check": e.check, "ok": e.ok}
                    for e in report.expectations
                    if e.phase == span.name and e.subject == alert
                ],
            }
        alerts[span.name] = mine
    panels = []
    for panel in recording.panels if recording else ():
        panels.append(
            {
                "title": panel.title,
                "kind": panel.kind,
                "no_data": not panel.has_data,
                "targets": [
                    {
                        "ref": t.ref_id,
                        "expr": t.expr,
                        "note": t.note,
                        "series": [
                            {"legend": s.legend, "phases": {p.name: phase_stats(s, p) for p in report.phase_spans}}
                            for s in t.series
                        ],
                    }
                    for t in panel.targets
                ],
            }
        )
    return {
        "service": run.service,
        "spec": run.spec,
        "passed": report.passed,
        "seconds": round(report.seconds, 1),
        "phases": phases,
        "alerts": alerts,
        "panels": panels,
    }


_CSS = """
body{font-family:sans-serif;margin:1.5em auto;max-width:1200px;color:#222;padding:0 1em}
h1{font-size:1.6em}h2{border-bottom:2px solid #ccc;padding-bottom:.2em}
code{font-size:.9em;word-break:break-all}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}
td,th{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
svg{width:100%;height:auto}
figure{margin:1em 0}figcaption{font-weight:bold;margin-bottom:.3em}
.verdict{font-size:.7em;padding:.1em .5em;border-radius:.3em;color:#fff}
.verdict.passed,.pass{color:#1a7f37}.verdict.passed{background:#1a7f37;color:#fff}
.verdict.failed{background:#c62828;color:#fff}.fail{color:#c62828}
tr.fail td:first-child{border-left:4px solid #c62828}
.state{padding:0 .4em;border-radius:.3em}.state.firing{background:#d62728;color:#fff}
.state.pending{background:#ff9f1c}.state.inactive{background:#e8e8e8}
.key{margin-right:1.2em}.swatch{display:inline-block;width:1em;height:1em;vertical-align:middle;margin-right:.3em}
.queries{font-size:.85em;margin:.2em 0}.note{color:#a15c00}
.no-data figcaption{color:#a15c00}
"""
