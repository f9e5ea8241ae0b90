"""The test bed's plumbing: free ports, child processes, readiness, the webhook sink, signals.

Everything here is started inside a `contextlib.ExitStack`, so it is stopped on success, on
failure and on Ctrl-C/SIGTERM alike (see `interruptible`).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"


class VerifyError(RuntimeError):
    """A server of the test bed did not start; carries the tail of its log."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _die_with_parent() -> None:
    """In the child, before exec: SIGKILL it when mongen dies, also by a signal mongen cannot
    handle (SIGKILL, a closed terminal's process-group kill): its own session keeps it out of
    mongen's process group, so nothing else would stop it. Linux only; elsewhere a no-op."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


@contextlib.contextmanager
def process(args: list[str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A child process with its output in `log`, terminated (then killed) when the block ends.
    Started from the main thread: the death signal follows the thread that started it."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent
        )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


# The watchdog of scratch_directory: waits until mongen's end of the pipe closes (mongen exited,
# however it died), then removes the directory, retrying while the dying servers still write into it.
_WATCHDOG = """
import os, shutil, sys, time
sys.stdin.buffer.read()
for _ in range(50):
    shutil.rmtree(sys.argv[1], ignore_errors=True)
    if not os.path.lexists(sys.argv[1]):
        break
    time.sleep(0.2)
"""


@contextlib.contextmanager
def scratch_directory(prefix: str) -> Iterator[Path]:
    """A temporary directory removed when the block ends, and also when mongen is killed outright
    (SIGKILL runs no cleanup): a watchdog process holds a pipe from mongen and removes the
    directory once the pipe closes."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        watchdog: subprocess.Popen[bytes] | None = subprocess.Popen(
            [sys.executable, "-I", "-c", _WATCHDOG, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a terminal's Ctrl-C or hang-up does not reach it
        )
    except OSError:  # no process to spare: the directory is still removed on every ordinary exit
        watchdog = None
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        if watchdog is not None and watchdog.stdin is not None:
            watchdog.stdin.close()
            try:
                watchdog.wait(timeout=10)
            except subprocess.TimeoutExpired:
                watchdog.kill()
                watchdog.wait()


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise VerifyError(f"{log.stem} exited with {proc.returncode}:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise VerifyError(f"{url} did not become ready in {timeout:.0f}s:\n{log.read_text()[-2000:]}")


class WebhookSink:
    """Stands in for every receiver: records which receiver got which alerts."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.received_at: list[float] = []  # Unix seconds, one per entry of `received`
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer((HOST, 0), self._handler())
        self.port = int(self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, receiver: str) -> str:
        return f"http://{HOST}:{self.port}/{receiver}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                receiver = self.path.strip("/")
                with sink.lock:
                    for alert in body.get("alerts", []):
                        sink.received.append((receiver, alert))
                        sink.received_at.append(time.time())
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def got(self, alertname: str, labels: dict[str, str]) -> list[str]:
        """The receivers that got `alertname` firing with `labels`."""
        with self.lock:
            return sorted(
                {
                    receiver
                    for receiver, alert in self.received
                    if alert.get("status") == "firing"
                    and alert["labels"].get("alertname") == alertname
                    and all(alert["labels"].get(k) == v for k, v in labels.items())
                }
            )

    def mark(self) -> int:
        """Where the record stands now; `since(mark)` reads what came after."""
        with self.lock:
            return len(self.received)

    def since(self, mark: int) -> dict[str, set[str]]:
        """Alert name -> the receivers that got it firing after `mark`."""
        out: dict[str, set[str]] = {}
        with self.lock:
            for receiver, alert in self.received[mark:]:
                if alert.get("status") == "firing":
                    out.setdefault(alert["labels"].get("alertname", ""), set()).add(receiver)
        return out

    def firing_notifications(self) -> list[tuple[float, str, str]]:
        """(Unix seconds, alert name, receiver) of every firing notification received."""
        with self.lock:
            return [
                (at, alert["labels"].get("alertname", ""), receiver)
                for at, (receiver, alert) in zip(self.received_at, self.received, strict=True)
                if alert.get("status") == "firing"
            ]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP (a closed terminal or ssh session) unwind the run (and so stop
    every server), even where the shell started us with SIGINT ignored (background jobs, CI runners)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@dataclass(frozen=True)
class Server:
    """A started child process and where it says it is ready."""

    proc: subprocess.Popen[bytes]
    log: Path
    ready_url: str

    def wait_ready(self) -> None:
        wait_ready(self.ready_url, self.proc, self.log)


def start_alertmanager(stack: contextlib.ExitStack, binary: str, config: Path, workdir: Path, port: int) -> Server:
    log = workdir / "alertmanager.log"
    args = [
        binary,
        f"--config.file={config}",
        f"--storage.path={workdir / 'am-data'}",
        f"--web.listen-address={HOST}:{port}",
        "--cluster.listen-address=",  # no gossip port: one instance, nothing else bound
    ]
    return Server(stack.enter_context(process(args, log)), log, f"http://{HOST}:{port}/-/ready")


def start_prometheus(stack: contextlib.ExitStack, binary: str, config: Path, workdir: Path, port: int) -> Server:
    log = workdir / "prometheus.log"
    args = [
        binary,
        f"--config.file={config}",
        f"--storage.tsdb.path={workdir / 'tsdb'}",
        f"--web.listen-address={HOST}:{port}",
        "--rules.alert.resend-delay=1s",  # the default 1m would outlast a compressed phase
    ]
    return Server(stack.enter_context(process(args, log)), log, f"http://{HOST}:{port}/-/ready")


EXPOSITION = "text/plain; version=0.0.4; charset=utf-8"


class ExpositionServer:
    """A simulated exporter's endpoint on HOST, at any path (each scrape job's `metrics_path`):
    it serves `text()`, or answers 503 while `down` (the exporter is gone for a phase). A
    subclass sets up its state, then calls this `__init__`, which starts serving."""

    down = False

    def __init__(self) -> None:
        self.server = ThreadingHTTPServer((HOST, 0), self._handler())
        self.address = f"{HOST}:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def text(self) -> str:
        raise NotImplementedError

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        exporter = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if exporter.down:
                    self.send_error(503, "the simulated exporter is down for this phase")
                    return
                body = exporter.text().encode()
                self.send_response(200)
                self.send_header("Content-Type", EXPOSITION)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
