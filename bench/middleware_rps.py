"""Requests per second of a minimal Starlette app served by uvicorn, with the generated
MetricsMiddleware and without, for bench/run.py. One client (http.client, one keep-alive
connection per server) sends the same JSON POST to both servers in alternating rounds, so load
from other processes falls on both alike."""

from __future__ import annotations

import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Many short alternating rounds: on a shared machine a burst of load lands in one round of one
# server; the median of the rounds' ratios leaves it out.
ROUNDS, PER_ROUND = 40, 250
TARGET = 0.85

APP = """
import os
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route


async def synthesize(request: Request) -> PlainTextResponse:
    await request.body()
    return PlainTextResponse("ok")


app = Starlette(routes=[Route("/synthesize", synthesize, methods=["POST"])])
if os.environ.get("BENCH_METRICS") == "1":
    import emotivoice_metrics

    app.add_middleware(emotivoice_metrics.MetricsMiddleware)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(tmp_path: Path, port: int, metrics: bool) -> subprocess.Popen[bytes]:
    env = {**os.environ, "BENCH_METRICS": "1" if metrics else "0", "PYTHONPATH": str(tmp_path)}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    args = [sys.executable, "-m", "uvicorn", "bench_app:app", "--host", "127.0.0.1", "--port", str(port)]
    # keep-alive past a round of the other server, so each connection stays open for the whole run
    quiet = ["--no-access-log", "--log-level", "warning", "--timeout-keep-alive", "600"]
    proc = subprocess.Popen([*args, *quiet], env=env, cwd=tmp_path)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the bench app did not start")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of `pid` so far, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _round(connection: http.client.HTTPConnection, body: bytes, n: int) -> float:
    headers = {"Content-Type": "application/json"}
    start = time.perf_counter()
    for _ in range(n):
        connection.request("POST", "/synthesize", body, headers)
        response = connection.getresponse()
        response.read()
        assert response.status == 200
    return time.perf_counter() - start


def middleware_rows(tmp_path: Path, module_file: Path) -> list[tuple[str, str]]:
    (tmp_path / "bench_app.py").write_text(APP)
    (tmp_path / "emotivoice_metrics.py").write_text(module_file.read_text("utf-8"))
    plain_port, metrics_port = _free_port(), _free_port()
    servers = [_start(tmp_path, plain_port, False), _start(tmp_path, metrics_port, True)]
    body = json.dumps({"input": "你好，世界", "voice": "8051", "prompt": "开心"}).encode()
    try:
        plain = http.client.HTTPConnection("127.0.0.1", plain_port)
        measured = http.client.HTTPConnection("127.0.0.1", metrics_port)
        _round(plain, body, 200), _round(measured, body, 200)  # warm up both
        cpu_before = [_cpu_seconds(server.pid) for server in servers]
        rounds = [(_round(plain, body, PER_ROUND), _round(measured, body, PER_ROUND)) for _ in range(ROUNDS)]
        plain_cpu, measured_cpu = (
            _cpu_seconds(server.pid) - before for server, before in zip(servers, cpu_before, strict=True)
        )
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
    n = ROUNDS * PER_ROUND
    plain_rps = n / sum(plain for plain, _ in rounds)
    measured_rps = n / sum(measured for _, measured in rounds)
    ratio = statistics.median(plain / measured for plain, measured in rounds)
    return [
        (
            f"Starlette + uvicorn, MetricsMiddleware vs none ({n} POSTs each, one client)",
            f"{measured_rps:.0f} vs {plain_rps:.0f} requests/s, ratio {ratio:.2f} "
            f"(median of {ROUNDS} alternating rounds; target >= {TARGET})",
        ),
        (
            "the same, requests per CPU-second of the server process",
            f"{n / measured_cpu:.0f} vs {n / plain_cpu:.0f}, ratio {plain_cpu / measured_cpu:.2f} "
            f"(less sensitive to other processes' load; target >= {TARGET})",
        ),
    ]


if __name__ == "__main__":
    import tempfile

    sys.path.insert(0, str(ROOT))
    from mongen import layout
    from mongen.loading import load_spec
    from mongen.pipeline import render

    spec = load_spec(str(ROOT / "specs/emotivoice.yaml"))
    with tempfile.TemporaryDirectory(prefix="mongen-bench-mw-") as tmp:
        module = Path(tmp) / "module.py"
        module.write_text(render(spec)[layout.instrumentation_module(spec.service)])
        for name, value in middleware_rows(Path(tmp), module):
            print(f"{name}  {value}")
