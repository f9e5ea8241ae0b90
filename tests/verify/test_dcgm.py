"""verify's simulated dcgm-exporter, without Prometheus: what it serves, the frame-buffer phase the
plan gives a `dcgm_frame_buffer` alert, and how exporter jobs' targets are substituted."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from mongen.faults import FrameBufferFull
from mongen.loading import build_spec, load_spec
from mongen.model import Spec
from mongen.pipeline import render
from mongen.rules.alert_kinds import BY_NAME
from mongen.spec.loader import load_yaml
from mongen.verify.alert_faults import alert_faults
from mongen.verify.checks import dashboard_queries, unserved_series
from mongen.verify.dcgm_exporter import SimulatedDcgmExporter, dcgm_hostname, healthy_share
from mongen.verify.discovery import ExpectedTarget, substitute_discovery
from mongen.verify.phases import ExpectedAlert, plan_phases
from mongen.verify.report import VerifyReport
from mongen.writer import write_tree

LLM = "specs/llm.yaml"
LABELS = {"gpu", "UUID", "pci_bus_id", "device", "modelName", "Hostname"}


@pytest.fixture
def gpus() -> Iterator[SimulatedDcgmExporter]:
    exporter = SimulatedDcgmExporter("gpu-node-1", 0.4)
    yield exporter
    exporter.close()


def scraped(exporter: SimulatedDcgmExporter) -> dict[tuple[str, str], float]:
    """(series, gpu) -> value, as Prometheus would parse the exporter's answer."""
    with urllib.request.urlopen(f"http://{exporter.address}/metrics", timeout=5) as response:
        text = response.read().decode()
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            assert set(sample.labels) == LABELS and sample.labels["Hostname"] == "gpu-node-1"
            out[(sample.name, sample.labels["gpu"])] = sample.value
    return out


def used_share(samples: dict[tuple[str, str], float], gpu: str) -> float:
    used, free = samples[("DCGM_FI_DEV_FB_USED", gpu)], samples[("DCGM_FI_DEV_FB_FREE", gpu)]
    return used / (used + free)


def test_the_simulated_exporter_serves_two_gpus_with_dcgm_names_and_labels(gpus: SimulatedDcgmExporter) -> None:
    samples = scraped(gpus)
    assert sorted(samples) == [
        (series, gpu)
        for series in ("DCGM_FI_DEV_FB_FREE", "DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_GPU_UTIL")
        for gpu in ("0", "1")
    ]
    assert used_share(samples, "0") == used_share(samples, "1") == pytest.approx(0.4, abs=1e-4)


def test_a_frame_buffer_fault_fills_one_gpu_and_heal_empties_it(gpus: SimulatedDcgmExporter) -> None:
    gpus.inject(FrameBufferFull(0.95))  # halfway from the threshold to full
    samples = scraped(gpus)
    assert used_share(samples, "1") == pytest.approx(0.975, abs=1e-4)
    assert used_share(samples, "0") == pytest.approx(0.4, abs=1e-4)
    gpus.heal()
    assert used_share(scraped(gpus), "1") == pytest.approx(0.4, abs=1e-4)


def test_the_llm_frame_buffer_alert_gets_a_phase_on_one_gpu_and_the_others_stay_quiet() -> None:
    spec = load_spec(LLM)
    faults = alert_faults(spec)
    assert healthy_share(faults) == pytest.approx(0.475)  # half the 0.95 threshold
    assert dcgm_hostname(spec) == "gpu-node-1"
    plan = plan_phases(spec, faults)
    assert plan.undriven == ()
    (phase,) = [p for p in plan.phases if p.name == "gpu1-frame-buffer-full"]
    assert phase.fault == FrameBufferFull(0.95, "1")
    assert phase.fires == (ExpectedAlert("LlmGpuFrameBufferFull", "ticket", (("gpu", "1"),)),)
    guarded = {a.name for a in spec.alerts if BY_NAME[a.kind].guarded}
    assert set(phase.quiet) == guarded - {"LlmGpuFrameBufferFull"} and "LlmTargetDown" in phase.quiet


def _llm_doc() -> dict[str, object]:
    doc = yaml.safe_load(Path(LLM).read_text())
    assert isinstance(doc, dict)
    return doc


def _declared_only() -> Spec:
    """The llm spec with dcgm-exporter's series declared in external_metrics, not scraped."""
    doc = _llm_doc()
    scrape = doc["scrape"]
    assert isinstance(scrape, dict)
    del scrape["exporters"]
    doc["external_metrics"] = [
        {"name": n, "type": "gauge", "labels": ["gpu", "UUID", "device", "modelName", "Hostname", "job", "instance"]}
        for n in ("DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_FB_FREE")
    ]
    return build_spec(load_yaml(yaml.safe_dump(doc, sort_keys=False), LLM))


def test_a_frame_buffer_alert_without_a_dcgm_job_is_not_driven_and_says_why() -> None:
    spec = _declared_only()
    assert dict(plan_phases(spec, alert_faults(spec)).undriven) == {
        "LlmGpuFrameBufferFull": "`LlmGpuFrameBufferFull` reads dcgm-exporter's series, which the spec declares "
        "without scraping dcgm-exporter; verify simulates dcgm-exporter for a `scrape.exporters` job with "
        "`exporter: dcgm`"
    }


def test_gpu_panels_on_series_no_job_collects_are_not_queried_and_the_rest_are(tmp_path: Path) -> None:
    spec = _declared_only()
    write_tree(tmp_path, render(spec))
    queries = dict(dashboard_queries(spec, tmp_path))
    ratio = queries["panel 'GPU frame buffer used' A"]
    assert unserved_series(spec, ratio) == ["DCGM_FI_DEV_FB_FREE", "DCGM_FI_DEV_FB_USED"]
    assert [s for s, e in queries.items() if unserved_series(spec, e)] == [
        "panel 'GPU frame buffer used' A",
        "panel 'GPU frame buffer used (MiB)' A",
        "panel 'GPU utilization' A",
    ]
    scraped = load_spec(LLM)  # scrapes dcgm-exporter: the run serves its series
    assert unserved_series(scraped, ratio) == []


def test_dcgm_targets_become_the_simulated_exporter_and_other_exporters_are_left_out(tmp_path: Path) -> None:
    doc = _llm_doc()
    scrape = doc["scrape"]
    assert isinstance(scrape, dict)
    scrape["exporters"] = [
        {"job": "dcgm-exporter", "exporter": "dcgm", "static_targets": ["gpu-node-1:9400"], "metrics_path": "/m"},
        {"job": "node", "static_targets": ["gpu-node-1:9100"]},
    ]
    spec = build_spec(load_yaml(yaml.safe_dump(doc, sort_keys=False), LLM))
    write_tree(tmp_path, render(spec))
    config = yaml.safe_load((tmp_path / "prometheus/prometheus.yml").read_text())
    report = VerifyReport()
    targets = substitute_discovery(
        spec, config, tmp_path / "prometheus", "127.0.0.1:41002", report, {"dcgm-exporter": "127.0.0.1:41003"}
    )
    assert [j["job_name"] for j in config["scrape_configs"]] == ["llm-textgen-static", "dcgm-exporter"]
    assert targets[-1] == ExpectedTarget(
        "dcgm-exporter", "static", "127.0.0.1:41003", None, "http://127.0.0.1:41003/m", (("job", "dcgm-exporter"),)
    )
    assert config["scrape_configs"][1]["static_configs"] == [{"targets": ["127.0.0.1:41003"]}]
    changes = {s.change: s.reason for s in report.substitutions}
    assert changes["job dcgm-exporter: static targets gpu-node-1:9400 -> 127.0.0.1:41003"] == (
        "those hosts are not here; the run's simulated dcgm-exporter (2 GPUs) stands in for them"
    )
    assert changes["job node: scrape job -> left out of the run"].startswith("verify runs no such exporter")
