"""The fake EmotiVoice service runs, instrumented only through the generated module."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from types import ModuleType

from prometheus_client.parser import text_string_to_metric_families

from mongen.fake_service import FaultModel, request_arguments, serve


def _post(url: str, body: dict[str, object]) -> int:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_service_exposes_requests_by_emotion(default_files: dict[str, str], tmp_path: Path) -> None:
    module = tmp_path / "emotivoice_metrics.py"
    module.write_text(default_files["instrumentation/emotivoice_metrics.py"])
    server = serve(module, port=0, time_scale=0.0)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        assert _post(f"{base}/admin/faults", {"error_rates": {"angry": 1.0}}) == 200
        statuses = [
            _post(f"{base}/synthesize", {"text": "hello " * n, "emotion": e})
            for n, e in [(3, "happy"), (30, "Joyful"), (5, "ANGRY"), (2, "whatever")]
        ]
        assert statuses == [200, 200, 500, 200]
        with urllib.request.urlopen(f"{base}/metrics", timeout=10) as response:
            text = response.read().decode()
    finally:
        server.shutdown()
        server.server_close()
    by_emotion = {
        s.labels["emotion"]: s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if s.name == "emoti_voice_tts_requests_by_emotion_total"
    }
    assert by_emotion == {"happy": 2.0, "sad": 0.0, "angry": 1.0, "neutral": 1.0, "surprised": 0.0}
    assert (
        'emoti_voice_tts_requests_total{emotion="angry",endpoint="/synthesize",method="POST",status="500"} 1.0' in text
    )
    assert "process_cpu_seconds_total" not in text


def test_faults_match_every_label_of_their_key() -> None:
    faults = FaultModel()
    faults.update({"error_rates": {"route=/transcribe,code=200": 1.0, "angry": 1.0}})
    assert faults.fails({"route": "/transcribe", "code": "200"})
    assert not faults.fails({"route": "/stream", "code": "200"})  # one label differs
    assert faults.fails({"emotion": "angry"}) and not faults.fails({"emotion": "happy"})  # bare value: emotion
    faults.update({"error_rates": {}})
    assert not faults.fails({"emotion": "angry"})


def test_labels_the_service_does_not_know_get_every_declared_value() -> None:
    module = ModuleType("asr_metrics")
    module._LABEL_VALUES = {"route": ("/transcribe", "/stream", "other"), "code": ("200", "500", "other")}  # type: ignore[attr-defined]
    known = {"method": "POST", "endpoint": "/synthesize", "status": 500, "emotion": "happy"}
    routes = {request_arguments(module, {"route", "code"}, known, spread)["route"] for spread in (0.0, 0.4, 0.9)}
    assert routes == {"/transcribe", "/stream", "other"}
    assert request_arguments(module, {"route", "code"}, known, 0.9)["code"] == 500  # follows the status
