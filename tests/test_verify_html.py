"""`mongen verify --html`: the page built from a recorded run (fixed data), its structure, its
escaping, and what headless Chromium renders of it (a screenshot, checked pixel by pixel)."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from pathlib import Path

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
        (START + t, level[next(name for name, lo, hi in PHASES if lo <= t < hi or t == hi == 90)])
        for t in range(0, 91)
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
        "angry-errors", "EmotivoiceEmotionErrorRatioHigh", "reaches oncall-dingtalk, oncall-wecom", True, group="delivery"
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
    p95 = TargetSeries("B", "p95{}", (Series("P95 /synthesize", _points({"healthy": 1.8, "slow": 6.0, "angry-errors": 1.8})),))
    p50 = TargetSeries("A", "p50{}", (Series("P50 /synthesize", _points({"healthy": 0.9, "slow": 3.0, "angry-errors": 0.9})),))
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
        tuple(Series(le, _points({"healthy": 40.0 * f, "slow": 40.0 * g, "angry-errors": 40.0 * f})) for le, f, g in (
            ("0.5", 0.2, 0.0), ("1", 0.5, 0.05), ("2", 0.97, 0.1), ("5", 1.0, 0.6), ("10", 1.0, 1.0), ("+Inf", 1.0, 1.0)
        )),
    )
    nan = TargetSeries("A", "gpu{}", (Series("GPU 0", tuple((t, math.nan) for t, _ in _points({p: 0 for p, *_ in PHASES}))),))
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
