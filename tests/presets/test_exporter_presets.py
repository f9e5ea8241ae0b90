"""Exporter presets (mongen.presets): a `scrape.exporters` job naming vllm, triton, tgi or dcgm
declares the server's series, adds its recording rules, alert pack (changed or dropped by the
spec) and dashboard row; promtool fires each alert on the preset's readings, and `mongen verify`
fires every one through the simulated exporters and delivers it."""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from mongen.loading import load_spec, spec_schema
from mongen.model import Spec
from mongen.pipeline import generate, render
from mongen.presets import PRESETS
from mongen.presets.base import job_matcher
from mongen.rules.alert_kinds import BY_NAME
from mongen.rules.ruleset import rule_set
from mongen.verify import run_verify
from mongen.verify.preset_exporter import SimulatedExporter
from tests.support import need

SPEC = "tests/data/inference-presets-spec.yaml"
# Every preset alert the spec keeps: all of each pack but TGI's queue size, which it drops.
KEPT = {
    f"InferenceGateway{a.name}"
    for p in PRESETS.values()
    for a in p.alerts
    if (p.name, a.key) != ("tgi", "queue_size")
}


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec(SPEC)


def test_the_schema_offers_every_preset() -> None:
    exporters = spec_schema()["properties"]["scrape"]["properties"]["exporters"]["items"]["properties"]
    assert exporters["exporter"]["enum"] == list(PRESETS) == ["dcgm", "vllm", "triton", "tgi"]


def test_each_preset_declares_its_series_with_their_labels(spec: Spec) -> None:
    declared = {m.name: m for m in spec.external_metrics}
    for preset in PRESETS.values():
        for series in preset.series:
            metric = declared[series.name]
            assert (metric.type, metric.labels) == (series.type, (*series.labels, "job", "instance")), series.name
    assert declared["vllm:time_to_first_token_seconds"].labels == ("model_name", "job", "instance")
    assert declared["nv_inference_request_failure"].type == "counter"  # Triton's counters have no _total


def test_the_spec_changes_and_drops_pack_alerts(spec: Spec) -> None:
    alerts = {a.name: a for a in spec.alerts if a.kind == "preset"}
    assert set(alerts) == KEPT
    kv = alerts["InferenceGatewayVllmKvCacheNearlyFull"]
    pack = BY_NAME["preset"]
    assert (pack.params(kv).threshold, kv.for_seconds, kv.severity) == (0.9, 600, "ticket")
    rules = {r.name: r for r in rule_set(spec).alerts}
    assert rules[kv.name].expr == 'max by (job, instance, model_name) (vllm:kv_cache_usage_perc{job="vllm"}) > 0.9'
    tgi = alerts["InferenceGatewayTgiRequestDurationP95High"]
    assert (pack.params(tgi).threshold, tgi.severity) == (20, "ticket")
    assert "InferenceGatewayTgiQueueSizeHigh" not in rules


def test_several_jobs_of_one_preset_share_its_pack() -> None:
    assert job_matcher(("gpu-a", "gpu-b")) == 'job=~"gpu\\\\-a|gpu\\\\-b"'
    assert job_matcher("vllm") == 'job="vllm"'


def test_every_pack_alert_has_a_firing_and_a_quiet_promtool_case(spec: Spec, tmp_path: Path) -> None:
    cases = [c for c in rule_set(spec).alert_cases if c.alert.name in KEPT]
    assert {c.alert.name for c in cases if c.firing} == KEPT
    assert {c.alert.name for c in cases if not c.firing} == KEPT
    result = generate(SPEC, tmp_path / "out", validate=True)  # promtool test rules runs them all
    assert result.written, [str(f) for f in result.findings]


def test_recording_rules_and_dashboard_rows_of_the_presets(spec: Spec) -> None:
    records = [r.record for r in spec.recording_rules]
    assert "job_model_name:vllm_time_to_first_token_seconds:p95_rate5m" in records
    assert "job_model:nv_inference_request_failure:ratio_rate5m" in records
    dashboard = render(spec)["grafana/dashboards/inference-gateway.json"]
    for title in ("vLLM (vllm)", "Triton (triton)", "Text Generation Inference (tgi)", "GPU health (dcgm-exporter)"):
        assert f'"title": "{title}"' in dashboard


def test_the_simulated_exporter_serves_growing_counters_and_goes_down() -> None:
    exporter = SimulatedExporter(PRESETS["triton"])
    try:

        def scrape() -> dict[str, float]:
            with urllib.request.urlopen(f"http://{exporter.address}/metrics", timeout=5) as response:
                text = response.read().decode()
            # Families by name (prometheus_client's parser adds `_total` to Triton's counter samples).
            return {f.name: f.samples[0].value for f in text_string_to_metric_families(text) if f.samples}

        first = scrape()
        time.sleep(0.2)
        second = scrape()
        assert second["nv_inference_request_success"] > first["nv_inference_request_success"]
        assert second["nv_inference_request_failure"] == 0
        assert set(first) >= {s.name for s in PRESETS["triton"].series}
        exporter.down = True
        with pytest.raises(urllib.error.HTTPError):
            scrape()
    finally:
        exporter.close()


def test_llm_showcase_uses_the_vllm_and_dcgm_presets() -> None:
    doc = yaml.safe_load(Path("specs/llm.yaml").read_text())
    assert {e.get("exporter") for e in doc["scrape"]["exporters"]} == {"dcgm", "vllm"}
    names = {a.name for a in load_spec("specs/llm.yaml").alerts}
    assert {"LlmTextgenVllmKvCacheNearlyFull", "LlmTextgenDcgmCriticalXid"} <= names


@pytest.mark.e2e
def test_verify_fires_and_delivers_every_preset_alert() -> None:
    for tool in ("prometheus", "prometheus-alertmanager"):
        need(tool)
    report = run_verify(load_spec(SPEC))
    assert report.passed, report.to_text()[-4000:]
    assert set(report.fired_in) >= KEPT
    assert report.not_driven == {}
    checks = {(e.phase, e.subject, e.check): e.ok for e in report.expectations}
    assert checks[("dcgm-exporter-critical-xid", "InferenceGatewayDcgmCriticalXid", "fires for {'gpu': '1'} only")]
    assert checks[("dcgm-exporter-exporter-down", "InferenceGatewayDcgmExporterDown", "fires")]
