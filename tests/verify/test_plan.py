"""verify's plan without servers: the spec-built simulation, the per-metric faults each alert kind
declares, and the phases that drive every alert of a spec to firing (or say why they cannot)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from mongen import layout
from mongen.faults import (
    CannotDrive,
    ExporterReadings,
    FrameBufferFull,
    GaugeLevel,
    ServerErrors,
    SlowRequests,
    TargetGone,
    to_json,
)
from mongen.loading import load_spec
from mongen.model import Spec
from mongen.pipeline import render
from mongen.rules.alert_kinds import BY_NAME
from mongen.rules.alert_kinds.base import AlertKind
from mongen.rules.ruleset import rule_set
from mongen.verify.alert_faults import alert_faults
from mongen.verify.phases import ExpectedAlert, Phase, PhasePlan, plan_phases
from mongen.verify.profile import gauge_level, histogram_level, simulation_plan
from mongen.verify.report import VerifyReport
from mongen.verify.service import FaultModel
from mongen.verify.service.instrumentation import load_instrumentation
from mongen.verify.service.simulation import LOWEST_SHARE, SimulationPlan, Simulator, faulted_level, slow_factor
from tests.support import ROOT

SPECS = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "specs").glob("*.yaml"))


def _plan(spec: Spec) -> PhasePlan:
    return plan_phases(spec, alert_faults(spec))


@pytest.mark.parametrize("spec_path", SPECS)
def test_every_alert_gets_a_firing_phase_or_a_reason(spec_path: str) -> None:
    spec = load_spec(spec_path)
    plan = _plan(spec)
    fired = [e.name for p in plan.phases for e in p.fires]
    undriven = dict(plan.undriven)
    # Every generated alert: the spec's and each SLO's page and ticket.
    assert sorted(fired + list(undriven)) == sorted({r.name for r in rule_set(spec).all_alerts})
    assert len(fired) == len(set(fired)), "an alert is driven in one phase"
    assert all(why.strip() for why in undriven.values())
    assert len({p.name for p in plan.phases}) == len(plan.phases)
    assert not any(isinstance(p.fault, TargetGone) for p in plan.phases[:-1]), "the outage comes last"
    for phase in plan.phases:
        assert not {e.name for e in phase.fires} & set(phase.quiet)


@pytest.mark.parametrize("spec_path", ["specs/emotivoice.yaml", "specs/multi-slo.yaml", "specs/llm.yaml"])
def test_the_showcase_specs_drive_every_alert(spec_path: str) -> None:
    assert _plan(load_spec(spec_path)).undriven == ()


def test_phases_of_the_default_spec() -> None:
    spec = load_spec("specs/emotivoice.yaml")
    plan = _plan(spec)
    duration, requests = "emoti_voice_tts_request_duration_seconds", "emoti_voice_tts_requests_total"
    # dcgm-exporter's preset alert pack gets a phase per alert (tests/presets/test_exporter_presets.py checks them).
    presets = [p.name for p in plan.phases if isinstance(p.fault, ExporterReadings)]
    assert presets == [
        "dcgm-exporter-critical-xid",
        "dcgm-exporter-remapped-rows",
        "dcgm-exporter-temperature",
        "dcgm-exporter-exporter-down",
    ]
    assert [(p.name, p.fault) for p in plan.phases if not isinstance(p.fault, ExporterReadings)] == [
        ("slow", SlowRequests(duration, 4.5)),
        ("angry-errors", ServerErrors(requests, (("emotion", "angry"),), 0.65, (("emotion", "angry"),))),
        ("gpu_memory_usage_bytes-high", GaugeLevel("emoti_voice_gpu_memory_usage_bytes", 22e9)),
        ("gpu1-frame-buffer-full", FrameBufferFull(0.95, "1")),
        # Half the requests fail: far above 14.4x the 0.1% budget; then 1.5x it, under every page factor.
        ("availability-fast-burn", ServerErrors(requests, (), 0.5)),
        ("availability-slow-burn", ServerErrors(requests, (), 0.0015)),
        # Half (then 1.5% of) the requests land twice the SLO's 10 s above it.
        ("latency-fast-burn", SlowRequests(duration, 10.0, 0.5)),
        ("latency-slow-burn", SlowRequests(duration, 10.0, 0.015)),
        ("target-down", TargetGone()),
    ]
    # What the simulation makes of them, from its healthy levels (2 s is the histogram's largest
    # healthy observation): even the lowest observation (0.6 s) lands twice the threshold above it.
    assert (slow_factor(4.5, 2.0), slow_factor(10.0, 2.0)) == (15.0, 33.333)
    assert faulted_level(GaugeLevel("emoti_voice_gpu_memory_usage_bytes", 22e9)) == 44e9
    errors, outage = plan.phases[1], plan.phases[-1]
    assert errors == Phase(
        "angry-errors",
        ServerErrors(requests, (("emotion", "angry"),), 0.65),
        (ExpectedAlert("EmotivoiceEmotionErrorRatioHigh", "page", (("emotion", "angry"),)),),
        (
            "EmotivoiceDcgmCriticalXid",
            "EmotivoiceDcgmExporterDown",
            "EmotivoiceDcgmGpuTemperatureHigh",
            "EmotivoiceDcgmRowRemapping",
            "EmotivoiceGpuFrameBufferFull",
            "EmotivoiceGpuMemoryHigh",
            "EmotivoiceP95LatencyHigh",
            "EmotivoiceTargetDown",
        ),
        # The errors burn the availability SLO's budget: its alerts may fire too.
        ("EmotivoiceAvailabilityErrorBudgetBurnPage", "EmotivoiceAvailabilityErrorBudgetBurnTicket"),
    )
    named = {p.name: p for p in plan.phases}
    fast, slow = named["availability-fast-burn"], named["availability-slow-burn"]
    quick, slow_pair = (("long_window", "1h"), ("short_window", "5m")), (("long_window", "3d"), ("short_window", "6h"))
    assert fast.fires == (ExpectedAlert("EmotivoiceAvailabilityErrorBudgetBurnPage", "page", window=quick),)
    assert fast.allowed == ("EmotivoiceAvailabilityErrorBudgetBurnTicket", "EmotivoiceEmotionErrorRatioHigh")
    assert slow.fires == (ExpectedAlert("EmotivoiceAvailabilityErrorBudgetBurnTicket", "ticket", window=slow_pair),)
    assert slow.quiet[0] == "EmotivoiceAvailabilityErrorBudgetBurnPage" and not slow.wait_resolved
    # The metrics vanish with the replica: target_down and absent share the outage.
    assert outage.fires == (
        ExpectedAlert("EmotivoiceTargetDown", "page"),
        ExpectedAlert("EmotivoiceMetricsAbsent", "ticket"),
    )


def test_error_phase_targets_the_value_the_alerts_where_accepts() -> None:
    phases = _plan(load_spec("specs/multi-slo.yaml")).phases
    errors = next(p for p in phases if isinstance(p.fault, ServerErrors))
    assert errors.name == "transcribe-errors"
    assert errors.fault.match == (("route", "/transcribe"),) and errors.fault.share == 0.525
    assert errors.fires == (ExpectedAlert("AsrGatewayErrorRatioHigh", "ticket", (("route", "/transcribe"),)),)
    assert [p.name for p in phases if "burn" not in p.name] == ["slow", "transcribe-errors", "target-down"]


def _with_fault(monkeypatch: pytest.MonkeyPatch, kind: str, fault: object) -> None:
    monkeypatch.setattr(type(BY_NAME[kind]), "fault", lambda self, spec, alert: fault)  # type: ignore[arg-type]


def test_an_alert_verify_cannot_drive_is_reported_with_its_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    _with_fault(monkeypatch, "gauge_threshold", CannotDrive("`up > 3` compares no metric the service feeds"))
    plan = _plan(load_spec("specs/emotivoice.yaml"))
    assert plan.undriven == (("EmotivoiceGpuMemoryHigh", "`up > 3` compares no metric the service feeds"),)
    assert "EmotivoiceGpuMemoryHigh" not in {e.name for p in plan.phases for e in p.fires}
    report = VerifyReport()
    report.alert_states = {
        "EmotivoiceGpuMemoryHigh": {"healthy": "inactive"},
        "A": {"healthy": "inactive", "x": "firing"},
    }
    report.conclude(["EmotivoiceGpuMemoryHigh", "A"], dict(plan.undriven))
    assert report.passed and report.fired_in == {"EmotivoiceGpuMemoryHigh": None, "A": "x"}
    assert "EmotivoiceGpuMemoryHigh  not driven: `up > 3` compares no metric the service feeds" in report.to_text(True)
    assert '"not_driven": {\n    "EmotivoiceGpuMemoryHigh"' in report.to_json()


def test_a_kind_without_a_fault_says_so() -> None:
    spec = load_spec("specs/emotivoice.yaml")
    alert = spec.alerts[0]
    assert AlertKind.fault(BY_NAME["target_down"], spec, alert) == CannotDrive(
        "alert kind `target_down` declares no fault verify can inject"
    )


def test_an_alert_that_did_not_fire_fails_the_run() -> None:
    report = VerifyReport()
    report.alert_states = {"A": {"healthy": "inactive", "slow": "pending"}}
    report.conclude(["A"], {})
    assert not report.passed and report.fired_in == {"A": None}
    assert "A  did not fire" in report.to_text(verbose=True)
    assert "FAIL  [all phases] A: fires in some phase" in report.to_text()


def test_healthy_levels_stay_on_the_quiet_side_of_every_threshold() -> None:
    spec = load_spec("specs/emotivoice.yaml")
    faults = alert_faults(spec)
    duration = spec.metric_by_name["emoti_voice_tts_request_duration_seconds"]
    # P95 alert at 4.5 s: healthy up to 2 s, the bucket bound under it (3.6 s inside the 2..5
    # bucket would interpolate to a P95 near 5 s).
    level = histogram_level(spec, faults, duration)
    assert level == 2
    assert LOWEST_SHARE * level * slow_factor(4.5, level) == pytest.approx(9.0)
    gpu = spec.metric_by_name["emoti_voice_gpu_memory_usage_bytes"]
    assert gauge_level(faults, gpu) == 11e9 and faulted_level(GaugeLevel(gpu.name, 22e9)) == 44e9
    asr = load_spec("specs/multi-slo.yaml")
    # The 1 s latency SLO bounds it tighter than the 2 s P99 alert.
    assert histogram_level(asr, alert_faults(asr), asr.metric_by_name["asr_gateway_request_duration_seconds"]) == 0.8


def test_a_below_threshold_gauge_is_healthy_above_it(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = load_spec("specs/emotivoice.yaml")
    gpu = spec.metric_by_name["emoti_voice_gpu_memory_usage_bytes"]
    _with_fault(monkeypatch, "gauge_threshold", GaugeLevel(gpu.name, 1e9, above=False))
    assert gauge_level(alert_faults(spec), gpu) == 2e9 and faulted_level(GaugeLevel(gpu.name, 1e9, above=False)) == 5e8


def test_fault_model_takes_every_fault_over_the_admin_body() -> None:
    faults = FaultModel()
    slow = SlowRequests("h_seconds", 4.0)
    level = GaugeLevel("g_bytes", 7.0)
    errors = ServerErrors("r_total", (("route", "/a"),), 1.0)
    faults.update({"faults": [to_json(f) for f in (slow, level, errors)]})
    assert faults.slow_fault("h_seconds") == slow and faults.slow_fault("other") is None
    assert faults.gauge_fault("g_bytes") == level and faults.gauge_fault("other") is None
    assert faults.fails({"route": "/a"}) and not faults.fails({"route": "/b"})
    faults.update({"faults": [to_json(SlowRequests("h_seconds", 4.0, 0.25))]})  # replaces every fault
    shifted = sum(faults.slow_fault("h_seconds") is not None for _ in range(2000))
    assert 400 < shifted < 600  # a quarter of the observations
    assert faults.gauge_fault("g_bytes") is None and not faults.fails({"route": "/a"})
    faults.update({"faults": []})
    assert faults.slow_fault("h_seconds") is None
    with pytest.raises(ValueError, match="faults: expected a list"):
        faults.update({"faults": {"fault": "SlowRequests"}})
    with pytest.raises(ValueError, match="the service applies only ServerErrors, SlowRequests, GaugeLevel"):
        faults.update({"faults": [to_json(TargetGone())]})


def _simulator(spec: Spec, tmp_path: Path, faults: FaultModel) -> tuple[Simulator, object]:
    rel = layout.instrumentation_module(spec.service)
    path = tmp_path / Path(rel).name
    path.write_text(render(spec)[rel])
    module = load_instrumentation(path)
    plan = SimulationPlan.from_json(simulation_plan(spec, alert_faults(spec)).to_json())  # as the service reads it
    assert plan == simulation_plan(spec, alert_faults(spec))
    return Simulator(module, plan, faults), module


def _samples(module: object) -> list[tuple[str, dict[str, str], float]]:
    from prometheus_client import generate_latest

    text = generate_latest(module.REGISTRY).decode()  # type: ignore[attr-defined]
    return [(s.name, s.labels, s.value) for f in text_string_to_metric_families(text) for s in f.samples]


@pytest.mark.parametrize("spec_path", SPECS)
def test_the_simulation_feeds_every_declared_metric(spec_path: str, tmp_path: Path) -> None:
    spec = load_spec(spec_path)
    simulator, module = _simulator(spec, tmp_path, FaultModel())
    assert simulator.missing == []
    assert not any(simulator.request() for _ in range(300)), "a healthy request never fails"
    samples = _samples(module)
    for metric in spec.metrics:
        series = metric.name + "_count" if metric.type == "histogram" else metric.exposed_name
        assert sum(v for name, _, v in samples if name == series) > 0, metric.name
    dropped = spec.dropped_measurements.exposed_name
    assert sum(v for name, _, v in samples if name == dropped) == 0


def test_faults_act_on_their_metric_only(tmp_path: Path) -> None:
    spec = load_spec("specs/emotivoice.yaml")
    faults = FaultModel()
    simulator, module = _simulator(spec, tmp_path, faults)
    faults.apply(ServerErrors("emoti_voice_tts_requests_total", (("emotion", "angry"),), 1.0))
    faults.apply(SlowRequests("emoti_voice_tts_request_duration_seconds", 4.5))  # x15 from the 2 s level
    faults.apply(GaugeLevel("emoti_voice_gpu_memory_usage_bytes", 22e9))  # held at twice it
    failed = sum(simulator.request() for _ in range(300))
    assert 30 < failed < 120  # a fifth of the requests are `angry`
    requests = [(labels, v) for name, labels, v in _samples(module) if name == "emoti_voice_tts_requests_total" and v]
    failing = {(labels["emotion"], labels["status"]) for labels, _ in requests if labels["status"][0] == "5"}
    assert {emotion for emotion, _ in failing} == {"angry"} and {s for _, s in failing} <= {"500", "503", "5xx"}
    assert sum(v for labels, v in requests if labels["status"][0] == "5") == failed
    samples = {(name, labels.get("le")): v for name, labels, v in _samples(module) if not labels.get("endpoint")}
    # Shifted: nothing under 9 s (0.6 s x 15); the inference histogram is not.
    assert (
        sum(v for (n, le), v in samples.items() if n.endswith("request_duration_seconds_bucket") and le == "5.0") == 0
    )
    assert samples[("emoti_voice_model_inference_duration_seconds_bucket", "5.0")] == 300
    assert samples[("emoti_voice_gpu_memory_usage_bytes", None)] == 44e9


def test_plan_json_round_trips() -> None:
    spec = load_spec("specs/emotivoice.yaml")
    plan = simulation_plan(spec, alert_faults(spec))
    assert SimulationPlan.from_json(plan.to_json()) == plan
    assert dataclasses.asdict(plan)["error_values"] == (("status", ("500", "503", "5xx")),)


def test_a_fault_on_an_external_metric_is_not_driven(monkeypatch: pytest.MonkeyPatch) -> None:
    _with_fault(monkeypatch, "gauge_threshold", GaugeLevel("DCGM_FI_DEV_FB_USED", 2e10))
    plan = _plan(load_spec("specs/emotivoice.yaml"))
    assert plan.undriven == (
        (
            "EmotivoiceGpuMemoryHigh",
            "`DCGM_FI_DEV_FB_USED` is an external metric: verify moves only the service's own metrics "
            "(and dcgm-exporter's frame buffer, for `dcgm_frame_buffer` alerts)",
        ),
    )
