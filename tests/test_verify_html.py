"""`mongen verify --html`: the page built from a recorded run (fixed data), its structure, its
escaping, and what headless Chromium renders of it (a screenshot, checked pixel by pixel)."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from mongen.verify.html import STATE_COLORS, VerifiedService, render_page, write_page
from mongen.verify.recording import (
    AlertSpan,
    Notification,
    PanelSeries,
    PhaseSpan,
    RunRecording,
    Series,
    TargetSeries,
    alert_spans,
    legend_text,
)
from mongen.verify.report import DeliveryRow, VerifyReport

START = 1_800_000_000.0
HOSTILE = "P95 </figcaption><script>alert(1)</script> & co"
PHASES = (("healthy", 0, 30), ("slow", 30, 60), ("angry-errors", 60, 90))


def _points(level: dict[str, float]) -> tuple[tuple[float, float], ...]:
    """One point a second over the run; the value of the phase the second falls in."""
    return tuple(
        (START + t, level[next(name for name, lo, hi in PHASES if lo <= t < hi or t == hi == 90)]) for t in range(0, 91)
    )


def recorded_run() -> VerifiedService:
    """A run of three phases: the latency fault lifts P95 from 1.8 s to 6 s, the angry errors fire
    an alert that reaches two receivers; one panel has no data, one title is hostile."""
    report = VerifyReport(seconds=95.0)
    report.phase_spans = [PhaseSpan(name, START + lo, START + hi) for name, lo, hi in PHASES]
    report.alert_states = {
        "EmotivoiceP95LatencyHigh": {"healthy": "inactive", "slow": "firing", "angry-errors": "inactive"},
        "EmotivoiceEmotionErrorRatioHigh": {"healthy": "inactive", "slow": "inactive", "angry-errors": "firing"},
    }
    report.expect("healthy", "all alerts", "none firing", True, group="unexpected")
    report.expect("slow", "EmotivoiceP95LatencyHigh", "fires", True, group="fires")
    report.expect("slow", "EmotivoiceEmotionErrorRatioHigh", "stays quiet", True, group="quiet")
    report.expect("angry-errors", "EmotivoiceEmotionErrorRatioHigh", "fires", True, group="fires")
    report.expect(
        "angry-errors",
        "EmotivoiceEmotionErrorRatioHigh",
        "reaches oncall-dingtalk, oncall-wecom",
        True,
        group="delivery",
    )
    report.deliveries = [
        DeliveryRow("slow", "EmotivoiceP95LatencyHigh", "required", ["sre-email"], ["sre-email"]),
        DeliveryRow(
            "angry-errors",
            "EmotivoiceEmotionErrorRatioHigh",
            "required",
            ["oncall-dingtalk", "oncall-wecom"],
            ["oncall-dingtalk", "oncall-wecom"],
        ),
    ]
    p95 = TargetSeries(
        "B", "p95{}", (Series("P95 /synthesize", _points({"healthy": 1.8, "slow": 6.0, "angry-errors": 1.8})),)
    )
    p50 = TargetSeries(
        "A", "p50{}", (Series("P50 /synthesize", _points({"healthy": 0.9, "slow": 3.0, "angry-errors": 0.9})),)
    )
    errors = TargetSeries(
        "A",
        "errors{}",
        tuple(
            Series(e, _points({"healthy": 0.01, "slow": 0.01, "angry-errors": 0.5 if e == "angry" else 0.01}))
            for e in ("angry", "happy")
        ),
    )
    buckets = TargetSeries(
        "A",
        "sum by (le) (bucket)",
        tuple(
            Series(le, _points({"healthy": 40.0 * f, "slow": 40.0 * g, "angry-errors": 40.0 * f}))
            for le, f, g in (
                ("0.5", 0.2, 0.0),
                ("1", 0.5, 0.05),
                ("2", 0.97, 0.1),
                ("5", 1.0, 0.6),
                ("10", 1.0, 1.0),
                ("+Inf", 1.0, 1.0),
            )
        ),
    )
    nan = TargetSeries(
        "A", "gpu{}", (Series("GPU 0", tuple((t, math.nan) for t, _ in _points({p: 0 for p, *_ in PHASES}))),)
    )
    recording = RunRecording(
        START,
        START + 90,
        1.0,
        (
            AlertSpan("EmotivoiceP95LatencyHigh", "pending", START + 33, START + 38),
            AlertSpan("EmotivoiceP95LatencyHigh", "firing", START + 38, START + 62),
            AlertSpan("EmotivoiceEmotionErrorRatioHigh", "firing", START + 64, START + 90),
        ),
        (
            Notification(START + 40, "EmotivoiceP95LatencyHigh", "sre-email"),
            Notification(START + 66, "EmotivoiceEmotionErrorRatioHigh", "oncall-dingtalk"),
            Notification(START + 66, "EmotivoiceEmotionErrorRatioHigh", "oncall-wecom"),
        ),
        (
            PanelSeries(HOSTILE, "timeseries", "s", (p50, p95)),
            PanelSeries("Error ratio by emotion", "timeseries", "percentunit", (errors,)),
            PanelSeries("Latency distribution (heatmap)", "heatmap", "", (buckets,)),
            PanelSeries("GPU memory", "timeseries", "bytes", (nan,)),
        ),
        (("job", "emotivoice-.*"), ("emotion", ".*")),
    )
    report.recording = recording
    return VerifiedService("emotivoice", "specs/emotivoice.yaml", report)


def page_data(page: str) -> dict:
    match = re.search(r'<script type="application/json" id="verify-data">(.*?)</script>', page, re.S)
    assert match, "the page embeds no verify-data block"
    return json.loads(match.group(1))


def test_the_page_has_a_timeline_per_phase_and_a_plot_per_panel() -> None:
    run = recorded_run()
    page = render_page([run])
    assert page == render_page([run]), "the same run gives the same page"
    timelines = re.findall(r"<figure class='alert-timeline' data-phase='([^']*)' data-alerts='(\d+)'>\s*<svg", page)
    assert timelines == [("healthy", "0"), ("slow", "2"), ("angry-errors", "2")]
    panels = re.findall(r"<figure class='panel( no-data)?' data-panel='([^']*)' data-kind='[^']*'>", page)
    assert [(title, bool(empty)) for empty, title in panels] == [
        ("P95 &lt;/figcaption&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; co", False),
        ("Error ratio by emotion", False),
        ("Latency distribution (heatmap)", False),
        ("GPU memory", True),
    ]
    # Every figure holds exactly one inline SVG; nothing is loaded from anywhere else.
    assert page.count("<svg") == len(timelines) + len(panels) == page.count("</svg>")
    assert not re.search(r"""(src|href)\s*=\s*["'](?!#|data:)""", page), "the page loads something from elsewhere"
    assert "@import" not in page and "url(http" not in page
    # The panel title from the spec is text, never markup: one script element, the data block.
    assert HOSTILE not in page and page.count("<script") == 1
    assert "GPU memory — no data" in page and "no data: no finite value over the run" in page
    # The alert rows: state at the phase's end, where the notifications went and when.
    assert "oncall-dingtalk at 66 s, oncall-wecom at 66 s" in page and "sre-email at 40 s" in page


def test_the_page_embeds_the_recorded_numbers_per_phase() -> None:
    data = page_data(render_page([recorded_run()]))
    (service,) = data["services"]
    assert [p["name"] for p in service["phases"]] == ["healthy", "slow", "angry-errors"]
    p95 = service["panels"][0]
    assert p95["title"] == HOSTILE  # JSON keeps the text; `<` is escaped inside the script element
    stats = {s["legend"]: s["phases"] for t in p95["targets"] for s in t["series"]}["P95 /synthesize"]
    assert stats["healthy"]["max"] == 1.8 and stats["slow"]["max"] == 6.0
    assert service["panels"][3]["no_data"] is True
    alerts = service["alerts"]["angry-errors"]["EmotivoiceEmotionErrorRatioHigh"]
    assert alerts["delivered"] == ["oncall-dingtalk", "oncall-wecom"] and alerts["state"] == "firing"
    assert alerts["spans"] == [["firing", 64.0, 90.0]]
    assert service["alerts"]["healthy"] == {}


def test_alert_states_over_time_from_the_alerts_series() -> None:
    """Firing wins over pending across label sets; a gap longer than a step ends a span."""
    matrix = [
        {"metric": {"alertname": "A", "alertstate": "pending", "emotion": "angry"}, "values": [[10, "1"], [11, "1"]]},
        {"metric": {"alertname": "A", "alertstate": "firing", "emotion": "angry"}, "values": [[12, "1"], [13, "1"]]},
        {"metric": {"alertname": "A", "alertstate": "pending", "emotion": "sad"}, "values": [[13, "1"], [20, "1"]]},
    ]
    assert alert_spans(matrix, 1.0) == (
        AlertSpan("A", "pending", 10.0, 12.0),
        AlertSpan("A", "firing", 12.0, 14.0),
        AlertSpan("A", "pending", 20.0, 21.0),
    )
    assert legend_text("P95 {{ endpoint }}", {"endpoint": "/synthesize"}) == "P95 /synthesize"
    assert legend_text("", {"__name__": "up", "job": "x", "instance": "i"}) == '{instance="i", job="x"}'


def test_without_matplotlib_html_says_what_to_install(tmp_path: Path) -> None:
    """Checked before the run starts: exit 2, the extra to install, no traceback."""
    import sys

    code = "import sys; sys.modules['matplotlib'] = None; from mongen.cli import main; main()"
    proc = subprocess.run(
        [sys.executable, "-c", code, "verify", "specs/emotivoice.yaml", "--html", str(tmp_path / "r.html")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert "pip install 'mongen[html]'" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "r.html").exists()


# ---------------------------------------------------------------------------- rendered in Chromium


def chromium() -> str:
    """Debian's headless browser; missing, a failure that names the package (never a skip)."""
    path = shutil.which("chromium")
    if path is None:
        pytest.fail("chromium is missing: apt-get install chromium (`make install` does, as root)")
    return path


def screenshot(page: Path, out: Path, height: int) -> np.ndarray:
    """The page as headless Chromium renders it, 1400 px wide: an RGB array (0..1)."""
    proc = subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--screenshot={out}",
            f"--window-size=1400,{height}",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert proc.returncode == 0 and out.exists(), proc.stderr[-2000:]
    from matplotlib.image import imread

    image: np.ndarray = imread(out)[:, :, :3]
    return image


def plot_boxes(image: np.ndarray) -> list[str]:
    """What each rendered plot shows, top to bottom, told by its pixels: a plot is the box its
    black spines draw (top and bottom: a row with a long gray run); inside it, a `timeline` has
    alert-state colors or nothing, a `lines` panel the phase tints and line colors, a `heatmap`
    viridis' yellows, a `no data` panel only the tints."""
    gray = (image.max(axis=2) < 0.35) & (image.max(axis=2) - image.min(axis=2) < 0.05)
    rows = [y for y in range(image.shape[0]) if _longest_run(gray[y]) >= 500]
    edges: list[list[int]] = []
    for y in rows:
        if edges and y - edges[-1][-1] <= 2:
            edges[-1].append(y)
        else:
            edges.append([y])
    assert len(edges) % 2 == 0, f"an odd number of plot edges: {[e[0] for e in edges]}"
    kinds = []
    for top, bottom in zip(edges[::2], edges[1::2], strict=True):
        inside = image[top[-1] + 2 : bottom[0] - 1]
        columns = np.nonzero(gray[top[-1]])[0]
        inside = inside[:, columns.min() + 2 : columns.max() - 1]
        kinds.append(_kind(inside))
    return kinds


def _longest_run(row: np.ndarray) -> int:
    padded = np.concatenate(([0], row.astype(np.int8), [0]))
    changes = np.flatnonzero(np.diff(padded))
    return int((changes[1::2] - changes[::2]).max()) if len(changes) else 0


def _near(pixels: np.ndarray, color: str, tolerance: float = 0.06) -> int:
    rgb = np.array([int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    return int((np.abs(pixels - rgb).max(axis=2) < tolerance).sum())


def _kind(inside: np.ndarray) -> str:
    area = inside.shape[0] * inside.shape[1]
    viridis = sum(_near(inside, c, 0.1) for c in ("#fde725", "#440154", "#21918c"))
    if viridis > 0.2 * area:
        return "heatmap"
    tints = sum(_near(inside, c, 0.02) for c in ("#edf7ed", "#eef4fb", "#fbf3e8"))
    if tints < 0.05 * area:  # a few text pixels may come near a tint; a shaded phase is a band
        states = sum(_near(inside, c, 0.03) for c in STATE_COLORS.values())
        return "timeline" if states > 0.05 * area else "empty timeline"
    lines = sum(_near(inside, c, 0.15) for c in ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"))
    return "lines" if lines > 50 else "no data"


def expected_boxes(data: dict) -> list[str]:
    """The plots the page's own data says it has, in page order."""
    (service,) = data["services"]
    timelines = ["timeline" if service["alerts"][p["name"]] else "empty timeline" for p in service["phases"]]
    panels = [
        "no data" if p["no_data"] else "heatmap" if p["kind"] == "heatmap" else "lines" for p in service["panels"]
    ]
    return timelines + panels


def test_chromium_renders_every_plot(tmp_path: Path) -> None:
    run = recorded_run()
    page = tmp_path / "report.html"
    write_page(page, [run])
    image = screenshot(page, tmp_path / "report.png", 3600)
    assert image.min() < 0.2 and (image.min(axis=2) < 0.9).mean() > 0.05, "the page rendered blank"
    assert (
        plot_boxes(image)
        == expected_boxes(page_data(page.read_text()))
        == [
            "empty timeline",
            "timeline",
            "timeline",
            "lines",
            "lines",
            "heatmap",
            "no data",
        ]
    )
    # The latency fault shows in the P95 panel: its line sits higher in the slow phase's span.
    assert _near(image, STATE_COLORS["firing"]) > 1000 and _near(image, STATE_COLORS["pending"]) > 200


def test_record_run_reads_every_panel_and_the_alerts_from_the_engine() -> None:
    """What the recorder asks the live engine, and what it makes of the answers (a fake engine)."""
    import urllib.error

    from mongen.verify.recording import PanelPlan, record_run

    asked: list[tuple[str, float]] = []

    def query_range(expr: str, start: float, end: float, step: float) -> list:
        asked.append((expr, step))
        if expr == "broken":
            raise urllib.error.URLError("connection refused")
        if expr == "ALERTS":
            return [{"metric": {"alertname": "A", "alertstate": "firing"}, "values": [[START + 5, "1"]]}]
        return [{"metric": {"endpoint": "/synthesize"}, "values": [[START, "1.5"], [START + 1, "NaN"]]}]

    plans = [
        PanelPlan("P95", "timeseries", "s", (("A", "P95 {{endpoint}}", "p95", ""), ("B", "", "broken", ""))),
        PanelPlan("GPU", "timeseries", "", (("A", "", "DCGM_X", "it reads only DCGM_X"),)),
    ]
    notes = [
        Notification(START + 9, "A", "sre-email"),
        Notification(START + 2, "A", "oncall"),
        Notification(START - 9, "A", "x"),
    ]
    recording = record_run(query_range, plans, notes, {"job": "j"}, START, START + 1200)
    assert asked == [("p95", 2.0), ("broken", 2.0), ("ALERTS", 2.0)]  # 2 s keeps 20 min under 600 points
    p95, gpu = recording.panels
    (series,) = p95.targets[0].series
    assert series.legend == "P95 /synthesize" and series.points[0] == (START, 1.5) and math.isnan(series.points[1][1])
    assert p95.targets[1].note == "query failed: <urlopen error connection refused>" and p95.has_data
    assert gpu.targets[0].note == "not queried: it reads only DCGM_X" and not gpu.has_data
    assert recording.alert_spans == (AlertSpan("A", "firing", START + 5, START + 7),)
    assert [n.receiver for n in recording.notifications] == ["oncall", "sre-email"]  # in time order, in the run


def test_verify_html_records_the_run_and_writes_the_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI asks run_verify to record, and writes the page of what it returns (a recorded run)."""
    from typer.testing import CliRunner

    import mongen.verify as verify_package
    from mongen.cli import app

    asked: list[bool] = []

    def run_verify(model: object, engine: str = "prometheus", record: bool = False) -> VerifyReport:
        asked.append(record)
        return recorded_run().report

    monkeypatch.setattr(verify_package, "run_verify", run_verify)
    page = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["verify", "specs/emotivoice.yaml", "--html", str(page)])
    assert result.exit_code == 0, result.output
    assert asked == [True] and f"wrote {page} (" in result.stderr
    assert page_data(page.read_text())["services"][0]["spec"] == "specs/emotivoice.yaml"
    unwritable = CliRunner().invoke(app, ["verify", "specs/emotivoice.yaml", "--html", str(tmp_path / "no" / "r.html")])
    assert unwritable.exit_code == 2 and "cannot write" in unwritable.stderr, unwritable.output
    plain = CliRunner().invoke(app, ["verify", "specs/emotivoice.yaml"])
    assert plain.exit_code == 0 and asked[-1] is False
