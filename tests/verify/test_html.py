"""`mongen verify --html`: the page built from a recorded run (fixed data), its structure, its
escaping, and what headless Chromium renders of it (a screenshot, checked pixel by pixel)."""

from __future__ import annotations

import math
import re
import subprocess
from pathlib import Path

import pytest

from mongen.verify.html import STATE_COLORS, render_page, write_page
from mongen.verify.recording import AlertSpan, Notification, alert_spans, legend_text
from mongen.verify.report import VerifyReport
from tests.support.verify_page import (
    HOSTILE,
    START,
    expected_boxes,
    near,
    page_data,
    plot_boxes,
    recorded_run,
    screenshot,
)


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
    assert "pip install -e '.[html]'" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "r.html").exists()


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
    assert near(image, STATE_COLORS["firing"]) > 1000 and near(image, STATE_COLORS["pending"]) > 200


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
