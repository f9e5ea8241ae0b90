"""A recorded verify run (fixed data) for the HTML report's tests, and how they read the page:
its embedded data, and what headless Chromium renders of it (tests/verify/test_html.py, and the
e2e verify run in tests/e2e/test_verify.py)."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np

from mongen.verify.html import STATE_COLORS, VerifiedService
from mongen.verify.recording import AlertSpan, Notification, PanelSeries, PhaseSpan, RunRecording, Series, TargetSeries
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


def page_data(page: str) -> Any:
    match = re.search(r'<script type="application/json" id="verify-data">(.*?)</script>', page, re.S)
    assert match, "the page embeds no verify-data block"
    return json.loads(match.group(1))


def chromium() -> str:
    """Debian's headless browser; missing, a failure that names the package (never a skip)."""
    path = shutil.which("chromium")
    if path is None:
        import pytest

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


def near(pixels: np.ndarray, color: str, tolerance: float = 0.06) -> int:
    rgb = np.array([int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    return int((np.abs(pixels - rgb).max(axis=2) < tolerance).sum())


def _kind(inside: np.ndarray) -> str:
    area = inside.shape[0] * inside.shape[1]
    viridis = sum(near(inside, c, 0.1) for c in ("#fde725", "#440154", "#21918c"))
    if viridis > 0.2 * area:
        return "heatmap"
    tints = sum(near(inside, c, 0.02) for c in ("#edf7ed", "#eef4fb", "#fbf3e8"))
    if tints < 0.05 * area:  # a few text pixels may come near a tint; a shaded phase is a band
        states = sum(near(inside, c, 0.03) for c in STATE_COLORS.values())
        return "timeline" if states > 0.05 * area else "empty timeline"
    lines = sum(near(inside, c, 0.15) for c in ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"))
    return "lines" if lines > 50 else "no data"


def expected_boxes(data: Any) -> list[str]:
    """The plots the page's own data says it has, in page order."""
    (service,) = data["services"]
    timelines = ["timeline" if service["alerts"][p["name"]] else "empty timeline" for p in service["phases"]]
    panels = [
        "no data" if p["no_data"] else "heatmap" if p["kind"] == "heatmap" else "lines" for p in service["panels"]
    ]
    return timelines + panels
