"""A simulated inference service, instrumented only through the generated module.

With `--simulation PLAN.json` (what `mongen verify` runs) every POST is one request of the
spec-built simulation (simulation.py): every declared metric is fed, whatever the service's
shape. Without it, the EmotiVoice-shaped demo below records through record_request().

    python -m examples.emotivoice_service --metrics-module out/instrumentation/emotivoice_metrics.py

It lives in the package because `mongen verify` drives it; examples/ is its entry point.

POST /synthesize  {"text": "...", "emotion": "happy"} -> {"audio_bytes": N} or a 500 (also /clone)
GET  /metrics     the module's registry (put the generated nginx snippet in front of it); with
                  --metrics-port, nothing: the module's own start_metrics_server() serves them
POST /admin/faults {"error_rates": {"emotion=angry": 0.5}, "latency_factor": 3.0}  (demos; see faults.py)

With --time-scale below 1 the service sleeps less than the latency it reports, so tests can
produce hours of realistic histograms in seconds.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from mongen.faults import TargetGone
from mongen.verify.service.faults import FaultModel, ServiceFault
from mongen.verify.service.instrumentation import (
    GpuMemoryGauge,
    InferenceTiming,
    InstrumentationModule,
    MetricsModuleError,
    MetricsServer,
    label_text,
    load_instrumentation,
    normalizers,
    record_parameters,
    request_arguments,
)
from mongen.verify.service.simulation import SimulationPlan, Simulator

ENDPOINTS = ("/synthesize", "/clone")
MAX_BODY = 1 << 20  # bytes of a request body read; a longer one is refused
INFERENCE_SHARE = 0.7  # of a request's latency spent in the model (the rest: queueing, encoding)


class SimulatedService:
    """The service on host:port in background threads; faults change how it answers."""

    def __init__(
        self,
        metrics: InstrumentationModule,
        host: str,
        port: int,
        time_scale: float,
        faults: FaultModel,
        metrics_on_api: bool = True,
        simulation: SimulationPlan | None = None,
    ) -> None:
        self.metrics, self.time_scale, self.faults = metrics, time_scale, faults
        self.simulator = Simulator(metrics, simulation, faults) if simulation is not None else None
        self.metrics_on_api = metrics_on_api  # GET /metrics on the API port (demos)
        self.record_params = record_parameters(metrics)
        self.normalizers = normalizers(metrics)
        self.inference = metrics if isinstance(metrics, InferenceTiming) else None
        self.gpu_memory = metrics if isinstance(metrics, GpuMemoryGauge) else None
        self.stopped = threading.Event()
        self.server = ThreadingHTTPServer((host, port), _handler(self))
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def synthesize(self, method: str, endpoint: str, text: str, raw_emotion: object) -> int:
        """Simulate one request and record it through the generated module; the HTTP status."""
        latency = self.faults.latency(len(text))
        time.sleep(latency * self.time_scale)
        request: dict[str, Any] = {
            "method": method,
            "endpoint": endpoint,
            "status": 200,
            "emotion": raw_emotion,
            "duration_seconds": latency,
            "text_length": len(text),
        }
        spread = self.faults.draw()
        labels = self._series_labels(request_arguments(self.metrics, self.record_params, request, spread))
        status = request["status"] = 500 if self.faults.fails(labels) else 200
        if self.inference is not None:
            self.inference.observe_inference(latency * INFERENCE_SHARE)
        if self.gpu_memory is not None:
            self.gpu_memory.set_gpu_memory(6e9 + 4e6 * len(text))  # a 6 GB model plus activations
        self.metrics.record_request(**request_arguments(self.metrics, self.record_params, request, spread))
        return status

    def _series_labels(self, arguments: dict[str, Any]) -> dict[str, str]:
        """The label values the request's series will carry, which error faults match on."""
        return {
            label: label_text(self.normalizers[label](raw) if label in self.normalizers else raw)
            for label, raw in arguments.items()
            if label in self.metrics.LABEL_VALUES
        }

    def inject(self, fault: ServiceFault | TargetGone) -> None:
        if isinstance(fault, TargetGone):
            self.stop()
        else:
            self.faults.apply(fault)

    def heal(self) -> None:
        self.faults.heal()

    def stop(self) -> None:
        """Stop answering at once, also on open keep-alive connections. Idempotent."""
        if self.stopped.is_set():
            return
        self.stopped.set()
        self.server.shutdown()
        self.server.server_close()


class ServiceRequestHandler(BaseHTTPRequestHandler):
    """HTTP in front of a SimulatedService (bound per service by `_handler`)."""

    protocol_version = "HTTP/1.1"
    service: ClassVar[SimulatedService]

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self) -> dict[str, Any] | None:
        """The body's JSON object ({} for none); None for a body that is not one, or a length
        that is no number of bytes up to MAX_BODY (the connection is then closed: the rest of
        the body, if any, cannot be told from the next request)."""
        text = self.headers.get("Content-Length") or "0"
        length = int(text) if text.isascii() and text.isdigit() else -1
        if not 0 <= length <= MAX_BODY:
            self.close_connection = True
            return None
        try:
            data = json.loads(self.rfile.read(length) or b"{}")
        except (ValueError, RecursionError):  # not JSON, not UTF-8, nested past the stack, digits past int's limit
            return None
        return data if isinstance(data, dict) else None

    def _stopped(self) -> bool:
        # Keep-alive connections outlive serve_forever(); a stopped service answers nothing.
        if self.service.stopped.is_set():
            self.close_connection = True
        return self.service.stopped.is_set()

    def do_GET(self) -> None:
        if self._stopped():
            return
        if self.path.split("?")[0] == "/metrics" and self.service.metrics_on_api:
            self._send(200, generate_latest(self.service.metrics.REGISTRY), CONTENT_TYPE_LATEST)
        else:
            self._send(404, b'{"error": "not found"}')

    def do_POST(self) -> None:
        if self._stopped():
            return
        path, body = self.path.split("?")[0], self._json()
        data = body if body is not None else {}
        if path == "/admin/faults":
            if body is None:
                self._send(400, json.dumps({"error": f"expected a JSON object of at most {MAX_BODY} bytes"}).encode())
            else:
                self._admin_faults(body)
        elif path not in ENDPOINTS and self.service.simulator is None:
            self._send(404, b'{"error": "not found"}')
        elif self.service.simulator is not None:
            failed = self.service.simulator.request()
            self._send(500 if failed else 200, b'{"failed": true}' if failed else b"{}")
        else:
            text = str(data.get("text", ""))
            status = self.service.synthesize(self.command, path, text, data.get("emotion", "neutral"))
            if status == 500:
                self._send(500, b'{"error": "synthesis failed"}')
            else:
                self._send(200, json.dumps({"audio_bytes": 3200 * max(1, len(text))}).encode())

    def _admin_faults(self, data: dict[str, Any]) -> None:
        try:
            self.service.faults.update(data)
        except ValueError as exc:
            self._send(400, json.dumps({"error": str(exc)}).encode())
            return
        self._send(200, b'{"ok": true}')

    def log_message(self, *args: object) -> None:
        pass


def _handler(service: SimulatedService) -> type[BaseHTTPRequestHandler]:
    return type("Handler", (ServiceRequestHandler,), {"service": service})


def serve(
    metrics_module: str | Path,
    host: str = "127.0.0.1",
    port: int = 8001,
    time_scale: float = 1.0,
    faults: FaultModel | None = None,
    metrics_on_api: bool = True,
    simulation: SimulationPlan | None = None,
) -> SimulatedService:
    """Start the service in background threads (port 0: a free one); call .stop()."""
    module = load_instrumentation(metrics_module)
    return SimulatedService(module, host, port, time_scale, faults or FaultModel(), metrics_on_api, simulation)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--metrics-module", required=True, help="instrumentation/<service>_metrics.py generated by mongen"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--time-scale", type=float, default=1.0, help="sleep this fraction of the simulated latency")
    parser.add_argument("--latency-factor", type=float, default=1.0, help="healthy latency multiplier")
    parser.add_argument(
        "--metrics-port",
        type=int,
        help="serve the metrics as a real service would: the module's start_metrics_server() on this port "
        "and its METRICS_ADDR (and none on --port)",
    )
    parser.add_argument("--metrics-addr", help="with --metrics-port: bind here instead of the module's METRICS_ADDR")
    parser.add_argument("--simulation", type=Path, help="a simulation plan (JSON) written by `mongen verify`")
    args = parser.parse_args()
    faults = FaultModel(latency_factor=args.latency_factor)
    plan = SimulationPlan.from_json(args.simulation.read_text()) if args.simulation else None
    try:
        service = serve(
            args.metrics_module, args.host, args.port, args.time_scale, faults, args.metrics_port is None, plan
        )
    except MetricsModuleError as exc:
        raise SystemExit(f"error: {exc}") from None
    if service.simulator is not None and service.simulator.missing:
        # verify's healthy checks then name each metric that has no data; say why here.
        print(f"not in the module, not fed: {', '.join(service.simulator.missing)}", flush=True)
    if args.metrics_port is not None:
        module = service.metrics
        if not isinstance(module, MetricsServer):
            raise SystemExit(f"error: {args.metrics_module} has no start_metrics_server()")
        if args.metrics_addr is None:
            module.start_metrics_server(args.metrics_port)
        else:
            module.start_metrics_server(args.metrics_port, args.metrics_addr)
    print(f"fake EmotiVoice on http://{args.host}:{service.port} (Ctrl-C stops)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        service.stop()
