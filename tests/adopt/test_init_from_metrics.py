"""`mongen init --from-metrics`: a spec drafted from an exposition declares every family, keeps
label values bounded, and generates; on the /metrics of a real Prometheus server it validates."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from mongen.adopt.exposition import parse_families
from mongen.adopt.from_metrics import draft_spec
from mongen.loading import load_spec
from mongen.model import Spec
from mongen.pipeline import generate, render
from mongen.verify.testbed import HOST, free_port, start_prometheus
from tests.support import ROOT, need
from tests.support.adopt_inputs import OPENMETRICS

# Written for these tests: a TTS service's exposition in OpenMetrics, with units, a status label,
# request ids in a label, a summary, an info metric, runtime families and a family without samples.


def _draft(text: str, openmetrics: bool, source: str = "tts.txt") -> tuple[str, Spec]:
    return draft_spec(parse_families(text, openmetrics, source), source, file="spec.yaml")


def declared_series(spec: Spec) -> set[str]:
    names = set(spec.exposed_series)
    for metric in spec.external_metrics:
        names |= set(metric.series)
    return names


def exposed_names(text: str, openmetrics: bool) -> set[str]:
    """Every series name the exposition holds (OpenMetrics' `_created` aside)."""
    return {s for f in parse_families(text, openmetrics, "x") for s in f.series}


def test_every_family_is_declared_and_typed() -> None:
    text, spec = _draft(OPENMETRICS, True)
    assert exposed_names(OPENMETRICS, True) <= declared_series(spec)
    requests = spec.metric_by_name["tts_requests_total"]
    assert (requests.type, requests.labels) == ("counter", ("code", "endpoint"))
    duration = spec.metric_by_name["tts_request_duration_seconds"]
    assert (duration.unit, duration.buckets) == ("seconds", (0.5, 2.0, 10.0))
    external = {m.name: m for m in spec.external_metrics}
    assert external["tts_queue_wait_seconds"].type == "summary"
    assert external["tts_model_info"].type == "gauge"
    assert external["process_cpu_seconds_total"].labels == ("job", "instance", "service")
    # No samples: its labels are unknown, so it is declared without a list of them (any label).
    assert external["tts_cache_hits_total"].type == "counter"
    assert "# tts_cache_hits: no samples yet" in text


def test_label_values_are_bounded_and_ids_flagged() -> None:
    text, spec = _draft(OPENMETRICS, True)
    code = spec.label_by_name["code"]
    assert code.values == ("200", "503", "4xx", "5xx", "other")
    assert code.classes == ("4xx", "5xx")
    session = spec.label_by_name["session"]
    assert session.values == ("warmup", "other")
    assert "# 2 values look like ids, not listed (e.g. `3f2a9c1e-1b2c-4d5e-8f90-123456789abc`)" in text


def test_suggested_slos_generate_when_uncommented(tmp_path: Path) -> None:
    text, _ = _draft(OPENMETRICS, True)
    suggestions = text[text.index("# slos:") :]
    uncommented = text[: text.index("# slos:")] + "".join(
        line.removeprefix("# ") + "\n" for line in suggestions.splitlines()
    )
    path = tmp_path / "spec.yaml"
    path.write_text(uncommented)
    spec = load_spec(path)
    assert [(s.name, s.kind, s.metric) for s in spec.slos] == [
        ("availability", "ratio", "tts_requests_total"),
        ("latency", "latency", "tts_request_duration_seconds"),
    ]
    assert spec.slos[1].threshold == 2.0
    assert render(spec)  # every artifact, SLO rules and their promtool cases included


def test_same_exposition_drafts_the_same_bytes() -> None:
    assert _draft(OPENMETRICS, True)[0] == _draft(OPENMETRICS, True)[0]


def _mongen(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mongen", *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def test_never_overwrites_and_reports_bad_input(tmp_path: Path) -> None:
    exposition = tmp_path / "metrics.txt"
    exposition.write_text(OPENMETRICS)
    spec = tmp_path / "spec.yaml"
    spec.write_text("mine\n")
    proc = _mongen("init", "--from-metrics", str(exposition), "-o", str(spec))
    assert proc.returncode == 2
    assert "exists; mongen init never overwrites a file" in proc.stderr
    assert spec.read_text() == "mine\n"
    exposition.write_text("tts_requests_total{code=200} 1\n")
    proc = _mongen("init", "--from-metrics", str(exposition), "-o", str(tmp_path / "new.yaml"))
    assert proc.returncode == 2, proc.stderr
    assert "metrics.txt:1:1: error: <root>: not Prometheus text exposition: Invalid labels: code=200" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "new.yaml").exists()


def test_a_file_that_is_no_exposition_is_refused_at_the_line_it_fails_on(tmp_path: Path) -> None:
    # A spec given by mistake: its comments read as exposition comments, `service:` as a sample.
    (tmp_path / "spec.yaml").write_text("# my service\nversion: 1\n\nservice:\n  name: tts\n")
    proc = _mongen("init", "--from-metrics", str(tmp_path / "spec.yaml"), "-o", str(tmp_path / "new.yaml"))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == (
        f"{tmp_path / 'spec.yaml'}:4:1: error: <root>: not Prometheus text exposition: could not convert string to float: "
        "'service:' in `service:`; give a service's /metrics page (saved to a file, or its URL)\n"
    )
    assert not (tmp_path / "new.yaml").exists()


@pytest.mark.e2e
def test_real_prometheus_metrics_draft_a_spec_that_validates(tmp_path: Path) -> None:
    binary = need("prometheus")
    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text("global: {scrape_interval: 15s}\n")
    with contextlib.ExitStack() as stack:
        start_prometheus(stack, binary, config, tmp_path, port).wait_ready()
        base = f"http://{HOST}:{port}"
        # Prometheus creates its HTTP families on the first request to each handler.
        for path in ("/metrics", "/api/v1/query?query=up", "/api/v1/labels"):
            urllib.request.urlopen(base + path, timeout=10).read()
        before = urllib.request.urlopen(base + "/metrics", timeout=10).read().decode()
        out = tmp_path / "prometheus-spec.yaml"
        proc = _mongen("init", "--from-metrics", base + "/metrics", "-o", str(out))
        assert proc.returncode == 0, proc.stderr
    spec = load_spec(out)
    assert spec.namespace == "prometheus"
    assert spec.scrape.static_targets == (f"{HOST}:{port}",)
    # Families never vanish from a running server: all seen before the draft are in it.
    assert exposed_names(before, False) <= declared_series(spec)
    assert "prometheus_http_requests_total" in spec.metric_by_name
    assert spec.label_by_name["code"].classes == ("4xx", "5xx")
    result = generate(str(out), tmp_path / "out", validate=True)
    assert result.written, [str(f) for f in result.findings]
    assert len(spec.metrics) > 50 and len(spec.external_metrics) > 20
