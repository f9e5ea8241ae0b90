"""`mongen init --from-metrics` on an exposition none of whose families can be a metric of the
service says so plainly, naming the input and each family's reason, exit 2, and writes nothing;
it never reports a position in the draft it did not write."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT


@pytest.mark.parametrize(
    ("exposition", "reasons"),
    [
        (
            "# TYPE app_latency summary\napp_latency_sum 1\napp_latency_count 1\n# TYPE go_threads gauge\ngo_threads 8\n",
            "none of its 2 families is one: `app_latency`: a summary: mongen's instrumentation exposes counters, "
            "gauges and histograms; `go_threads`: outside the namespace `app`.",
        ),
        # Declared as a metric at first, then rejected by the spec builder: the same answer.
        (
            "# TYPE app_queue_count gauge\napp_queue_count 1\n",
            "its only family is not one: `app_queue_count`: mongen rejects it as a metric: metric `app_queue_count` "
            "ends in a suffix Prometheus reserves",
        ),
    ],
    ids=["every-family-outside-or-unsupported", "the-builder-rejects-the-only-family"],
)
def test_an_exposition_without_a_usable_family_is_refused_plainly(
    tmp_path: Path, exposition: str, reasons: str
) -> None:
    source = tmp_path / "metrics.txt"
    source.write_text(exposition)
    out = tmp_path / "spec.yaml"
    proc = subprocess.run(
        [sys.executable, "-m", "mongen", "init", "--from-metrics", str(source), "-o", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(f"error: {source}: nothing could be drafted: "), proc.stderr
    assert reasons in proc.stderr, proc.stderr
    assert "Give --namespace" in proc.stderr
    assert "spec.yaml:" not in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists()
