"""Summaries say `1 file`, `1 error`, `1 rule`, never `1 files`: every count printed with a noun
goes through mongen.units.counted, and the words after a count agree with it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mongen.adopt.label_values import bounded_label
from mongen.app import _counts, _silenced
from mongen.errors import Finding
from mongen.units import counted
from mongen.verify.report import _group_text


def test_a_count_of_one_takes_the_singular() -> None:
    assert [counted(n, "file") for n in (0, 1, 2)] == ["0 files", "1 file", "2 files"]
    assert counted(1, "family", "families") == "1 family" and counted(3, "family", "families") == "3 families"
    assert counted(1.0, "request") == "1 request" and counted(0.5, "request") == "0.5 requests"


def _finding(severity: str) -> Finding:
    return Finding("rules.yml", 1, 1, severity, "check", "message")


def test_the_findings_summary_agrees_with_its_counts() -> None:
    assert _counts([_finding("error"), _finding("warning")], 1) == (
        "1 error, 1 warning, 1 silenced by the project config"
    )
    assert _counts([_finding("error")] * 2, 0) == "2 errors, 0 warnings"
    assert _silenced(1) == "1 finding silenced by the project config"


def test_verify_phase_lines_agree_with_their_counts() -> None:
    assert _group_text("delivery", 1, 1) == "1 delivery as expected"
    assert _group_text("delivery", 2, 2) == "2 deliveries as expected"
    assert _group_text("targets", 1, 1) == "1 target scraped"
    assert _group_text("queries", 0, 2) == "0/2 queries with a finite value"
    assert _group_text("other", 1, 1) == "1 check passed"


def test_a_single_id_like_value_is_one_value() -> None:
    label = bounded_label("request_id", {"GET", "0f8fad5b-d9cb-469f-a165-70867728950e"})
    assert label.flagged.startswith("1 value looks like an id, not listed (e.g. `0f8fad5b"), label.flagged
    assert ": it records as `other`." in label.flagged


def test_the_init_summary_counts_one_family_as_a_family(tmp_path: Path) -> None:
    exposition = tmp_path / "metrics.txt"
    exposition.write_text("# TYPE app_requests_total counter\napp_requests_total 1\n")
    proc = subprocess.run(
        [sys.executable, "-m", "mongen", "init", "--from-metrics", str(exposition), "-o", str(tmp_path / "s.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert ": 1 metric, 0 external metrics, 0 labels from 1 family;" in proc.stderr, proc.stderr
