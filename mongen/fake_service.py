"""A fake EmotiVoice TTS service, instrumented only through the mongen-generated module.

    python -m examples.emotivoice_service --metrics-module out/instrumentation/emotivoice_metrics.py

It lives in the package because `mongen verify` drives it; examples/ is its entry point.

POST /synthesize  {"text": "...", "emotion": "happy"} -> {"audio_bytes": N} or a 500
GET  /metrics     the module's registry (put the generated nginx snippet in front of it)
POST /admin/faults {"error_rates": {"emotion=angry": 0.5}, "latency_factor": 3.0}  (demos, `mongen verify`)

An error-rate key is `label=value[,label=value...]` over the labels the request is recorded
with (all must match); a bare value (`"angry"`) means `emotion=<value>`.

Latency follows the brief: about 0.9 s for short texts, growing sharply past ~120
characters. With --time-scale below 1 the service sleeps less than the latency it reports,
so tests can produce hours of realistic histograms in seconds.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest


def load_metrics_module(path: str | Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("generated_metrics", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load the metrics module {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ENDPOINTS = ("/synthesize", "/clone")


class FaultModel:
    """Latency and per-emotion error rates, changeable at run time."""

    def __init__(self, seed: int = 7) -> None:
        self.error_rates: list[tuple[dict[str, str], float]] = []
        self.latency_factor = 1.0
        self.random = random.Random(seed)
        self.lock = threading.Lock()

    def latency(self, text_length: int) -> float:
        base = 0.6 + 0.004 * text_length
        if text_length > 120:
            base += 0.035 * (text_length - 120)
        with self.lock:
            jitter = self.random.uniform(0.85, 1.15)
            return base * jitter * self.latency_factor

    def fails(self, labels: dict[str, str]) -> bool:
        with self.lock:
            rates = [rate for match, rate in self.error_rates if all(labels.get(k) == v for k, v in match.items())]
            return self.random.random() < max(rates, default=0.0)

    def draw(self) -> float:
        with self.lock:
            return self.random.random()

    def update(self, data: dict[str, Any]) -> None:
        with self.lock:
            if "error_rates" in data:
                self.error_rates = [(_label_match(str(k)), float(v)) for k, v in data["error_rates"].items()]
            if "latency_factor" in data:
                self.latency_factor = float(data["latency_factor"])


def _label_match(key: str) -> dict[str, str]:
    if "=" not in key:
        return {"emotion": key}
    return {label: value for label, _, value in (part.partition("=") for part in key.split(","))}


def request_arguments(
    metrics: ModuleType, params: set[str], known: dict[str, Any], spread: float = 0.0
) -> dict[str, Any]:
    """record_request() arguments for this spec. Labels the service does not know by name
    (a `route` or `code` label, say) get whichever request value the label declares (a `code`
    label declaring "200" and "500" follows the status), else the declared value at `spread`
    (0 <= spread < 1, drawn once per request), so every declared value sees traffic."""
    declared: dict[str, tuple[str, ...]] = getattr(metrics, "_LABEL_VALUES", {})
    args = {k: v for k, v in known.items() if k in params}
    for param in params - set(args):
        values = declared.get(param, ())
        raw = [known["endpoint"], known["status"], known["method"], known["emotion"]]
        fallback = values[int(spread * len(values))] if values else ""
        args[param] = next((v for v in raw if str(v) in values), fallback)
    return args


def make_handler(metrics: ModuleType, faults: FaultModel, time_scale: float) -> type[BaseHTTPRequestHandler]:
    # Specs differ in their request labels; pass the ones this module's record_request takes.
    record_params = set(inspect.signature(metrics.record_request).parameters)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            try:
                data = json.loads(self.rfile.read(length) or b"{}")
            except json.JSONDecodeError:
                return {}
            return data if isinstance(data, dict) else {}

        def _stopped(self) -> bool:
            # Keep-alive connections outlive serve_forever(); a stopped service answers nothing.
            if getattr(self.server, "stopped", False):
                self.close_connection = True
                return True
            return False

        def do_GET(self) -> None:
            if self._stopped():
                return
            if self.path.split("?")[0] == "/metrics":
                self._send(200, generate_latest(metrics.REGISTRY), CONTENT_TYPE_LATEST)
            else:
                self._send(404, b'{"error": "not found"}')

        def do_POST(self) -> None:
            if self._stopped():
                return
            path = self.path.split("?")[0]
            data = self._json()
            if path == "/admin/faults":
                faults.update(data)
                self._send(200, b'{"ok": true}')
                return
            if path not in ENDPOINTS:
                self._send(404, b'{"error": "not found"}')
                return
            text = str(data.get("text", ""))
            raw_emotion = data.get("emotion", "neutral")
            normalize = getattr(metrics, "normalize_emotion", None)
            emotion = str(getattr(normalize(raw_emotion), "value", raw_emotion)) if normalize else ""
            latency = faults.latency(len(text))
            inference = latency * 0.7
            time.sleep(latency * time_scale)
            values: dict[str, Any] = {
                "method": self.command,
                "endpoint": path,
                "status": 200,
                "emotion": raw_emotion,
                "duration_seconds": latency,
                "text_length": len(text),
            }
            spread = faults.draw()
            labels = {k: str(v) for k, v in request_arguments(metrics, record_params, values, spread).items()}
            if "emotion" in labels:
                labels["emotion"] = emotion
            status = values["status"] = 500 if faults.fails(labels) else 200
            if hasattr(metrics, "observe_inference"):
                metrics.observe_inference(inference)
            if hasattr(metrics, "set_gpu_memory"):
                metrics.set_gpu_memory(6e9 + 4e6 * len(text))
            metrics.record_request(**request_arguments(metrics, record_params, values, spread))
            if status == 500:
                self._send(500, b'{"error": "synthesis failed"}')
            else:
                self._send(200, json.dumps({"audio_bytes": 3200 * max(1, len(text))}).encode())

        def log_message(self, *args: object) -> None:
            pass

    return Handler


def serve(
    metrics_module: str | Path, host: str = "127.0.0.1", port: int = 8001, time_scale: float = 1.0
) -> ThreadingHTTPServer:
    """Start the service in a background thread; returns the server (call .shutdown())."""
    metrics = load_metrics_module(metrics_module)
    server = ThreadingHTTPServer((host, port), make_handler(metrics, FaultModel(), time_scale))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def stop(server: ThreadingHTTPServer) -> None:
    """Stop answering at once, also on open keep-alive connections (a replica going down). Idempotent."""
    if getattr(server, "stopped", False):
        return
    server.stopped = True  # type: ignore[attr-defined]
    server.shutdown()
    server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--metrics-module", required=True, help="instrumentation/<service>_metrics.py generated by mongen"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--time-scale", type=float, default=1.0, help="sleep this fraction of the simulated latency")
    args = parser.parse_args()
    server = serve(args.metrics_module, args.host, args.port, args.time_scale)
    print(f"fake EmotiVoice on http://{args.host}:{server.server_address[1]} (Ctrl-C stops)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.shutdown()


if __name__ == "__main__":
    main()
