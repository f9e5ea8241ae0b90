"""The simulated service runs, instrumented only through the generated module's public API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from types import ModuleType

import pytest
from prometheus_client.parser import text_string_to_metric_families

from mongen import layout
from mongen.faults import ServerErrors, TargetGone
from mongen.loading import load_spec
from mongen.pipeline import render
from mongen.verify.service import FaultModel, serve
from mongen.verify.service.instrumentation import (
    GpuMemoryGauge,
    InferenceTiming,
    InstrumentationModule,
    MetricsModuleError,
    MetricsServer,
    load_instrumentation,
    request_arguments,
)
from mongen.verify.testbed import free_port
from tests.support import ROOT

SPECS = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "specs").glob("*.yaml"))


def _post(url: str, body: dict[str, object]) -> int:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def _module_file(spec_path: str, directory: Path) -> Path:
    spec = load_spec(spec_path)
    rel = layout.instrumentation_module(spec.service)
    path = directory / Path(rel).name
    path.write_text(render(spec)[rel])
    return path


def test_service_exposes_requests_by_emotion(default_files: dict[str, str], tmp_path: Path) -> None:
    module = tmp_path / "emotivoice_metrics.py"
    module.write_text(default_files["instrumentation/emotivoice_metrics.py"])
    service = serve(module, port=0, time_scale=0.0)
    base = f"http://127.0.0.1:{service.port}"
    try:
        assert _post(f"{base}/admin/faults", {"error_rates": {"angry": 1.0}}) == 200
        statuses = [
            _post(f"{base}/synthesize", {"text": "hello " * n, "emotion": e})
            for n, e in [(3, "happy"), (30, "Joyful"), (5, "ANGRY"), (2, "whatever")]
        ]
        assert statuses == [200, 200, 500, 200]
        assert _post(f"{base}/admin/faults", {"error_rates": {"angry": "lots"}}) == 400
        with urllib.request.urlopen(f"{base}/metrics", timeout=10) as response:
            text = response.read().decode()
    finally:
        service.stop()
    by_emotion = {
        s.labels["emotion"]: s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if s.name == "emoti_voice_tts_requests_by_emotion_total"
    }
    assert by_emotion == {"happy": 2.0, "sad": 0.0, "angry": 1.0, "neutral": 1.0, "surprised": 0.0, "disgusted": 0.0, "fearful": 0.0}
    assert (
        'emoti_voice_tts_requests_total{emotion="angry",endpoint="/synthesize",method="POST",status="500"} 1.0' in text
    )
    assert "emoti_voice_gpu_memory_usage_bytes 6" in text  # the optional gpu_memory API was used
    assert "process_cpu_seconds_total" not in text


def test_outage_stops_answering_on_open_connections(default_files: dict[str, str], tmp_path: Path) -> None:
    module = tmp_path / "emotivoice_metrics.py"
    module.write_text(default_files["instrumentation/emotivoice_metrics.py"])
    service = serve(module, port=0, time_scale=0.0)
    try:
        url = f"http://127.0.0.1:{service.port}/metrics"
        urllib.request.urlopen(url, timeout=10).close()
        service.inject(TargetGone())
        with pytest.raises(OSError):
            urllib.request.urlopen(url, timeout=5).close()
    finally:
        service.stop()  # idempotent after the outage


def test_faults_match_every_label_of_their_key() -> None:
    faults = FaultModel()
    faults.update({"error_rates": {"route=/transcribe,code=200": 1.0, "angry": 1.0}})
    assert faults.fails({"route": "/transcribe", "code": "200"})
    assert not faults.fails({"route": "/stream", "code": "200"})  # one label differs
    assert faults.fails({"emotion": "angry"}) and not faults.fails({"emotion": "happy"})  # bare value: emotion
    faults.update({"error_rates": {}})
    assert not faults.fails({"emotion": "angry"})
    with pytest.raises(ValueError, match="expected a number"):
        faults.update({"latency_factor": [3]})


def test_typed_faults_apply_and_heal_to_the_healthy_state() -> None:
    faults = FaultModel(latency_factor=0.5)
    faults.apply(ServerErrors("", (("route", "/transcribe"),), 1.0))
    faults.update({"latency_factor": 4.0})
    assert faults.fails({"route": "/transcribe", "code": "200"}) and faults.latency_factor == 4.0
    faults.heal()
    assert not faults.fails({"route": "/transcribe"}) and faults.latency_factor == 0.5


@pytest.mark.parametrize("spec_path", SPECS)
def test_every_specs_module_satisfies_the_protocol(spec_path: str, tmp_path: Path) -> None:
    metrics = load_instrumentation(_module_file(spec_path, tmp_path))
    assert isinstance(metrics, InstrumentationModule) and isinstance(metrics, MetricsServer)
    assert set(metrics.LABEL_VALUES) == {label.name for label in load_spec(spec_path).labels}
    roles = {m.role for m in load_spec(spec_path).metrics}
    assert isinstance(metrics, InferenceTiming) == ("inference_duration" in roles)
    assert isinstance(metrics, GpuMemoryGauge) == ("gpu_memory" in roles)


def test_the_protocol_holds_under_mypy(tmp_path: Path) -> None:
    """Statically too: mypy --strict accepts each generated module as an InstrumentationModule
    and a MetricsServer (and the EmotiVoice one as InferenceTiming and GpuMemoryGauge)."""
    lines = [
        "from mongen.verify.service.instrumentation import GpuMemoryGauge, InferenceTiming, InstrumentationModule",
        "from mongen.verify.service.instrumentation import MetricsServer",
    ]
    for index, spec_path in enumerate(SPECS):
        name = _module_file(spec_path, tmp_path).stem
        lines += [f"import {name}", f"module_{index}: InstrumentationModule = {name}"]
        lines += [f"server_{index}: MetricsServer = {name}"]
    lines += ["inference: InferenceTiming = emotivoice_metrics", "gpu: GpuMemoryGauge = emotivoice_metrics"]
    (tmp_path / "conformance.py").write_text("\n".join(lines) + "\n")
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--follow-imports=silent", "conformance.py"],
        cwd=tmp_path,
        env={**os.environ, "MYPYPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr


def test_a_module_without_the_public_api_is_rejected_by_name(tmp_path: Path) -> None:
    path = tmp_path / "old_metrics.py"
    path.write_text(
        "from prometheus_client import CollectorRegistry\nREGISTRY = CollectorRegistry()\n"
        "_LABEL_VALUES = {}\ndef record_request(**kwargs): pass\n"
    )
    with pytest.raises(MetricsModuleError, match="lacks LABEL_VALUES: expected an instrumentation module"):
        load_instrumentation(path)


def test_labels_the_service_does_not_know_get_every_declared_value() -> None:
    module = ModuleType("asr_metrics")
    module.REGISTRY = None  # type: ignore[attr-defined]
    module.LABEL_VALUES = {"route": ("/transcribe", "/stream", "other"), "code": ("200", "500", "other")}  # type: ignore[attr-defined]
    module.record_request = lambda route, code, duration_seconds: None  # type: ignore[attr-defined]
    assert isinstance(module, InstrumentationModule)
    known = {"method": "POST", "endpoint": "/synthesize", "status": 500, "emotion": "happy"}
    params = frozenset({"route", "code"})
    routes = {request_arguments(module, params, known, spread)["route"] for spread in (0.0, 0.4, 0.9)}
    assert routes == {"/transcribe", "/stream", "other"}
    assert request_arguments(module, params, known, 0.9)["code"] == 500  # follows the status


def test_the_example_entry_point_serves_metrics(default_files: dict[str, str], tmp_path: Path) -> None:
    """`python -m examples.emotivoice_service --metrics-module ... --port N`, as the README shows."""
    module = tmp_path / "emotivoice_metrics.py"
    module.write_text(default_files["instrumentation/emotivoice_metrics.py"])
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "examples.emotivoice_service", "--metrics-module", str(module), "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(60, proc.kill)  # bounded even if the service hangs before printing
    watchdog.start()
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith(f"fake EmotiVoice on http://127.0.0.1:{port}")
        assert _post(f"http://127.0.0.1:{port}/synthesize", {"text": "hi", "emotion": "sad"}) == 200
    finally:
        watchdog.cancel()
        proc.terminate()
        proc.wait(timeout=10)
