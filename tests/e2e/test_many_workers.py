"""Real uvicorn and gunicorn servers with two workers: one metrics endpoint serves the sum of
both workers, no worker crashes on the metrics port, and the endpoint survives a killed worker."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from mongen.verify.testbed import free_port, process, wait_ready
from tests.support import ROOT

pytestmark = pytest.mark.e2e

APPS = ROOT / "tests/data/apps"
# `counter_123.db`: prometheus_client's file of worker 123's counters.
COUNTER_FILE = re.compile(r"counter_([0-9]+)\.db\Z")
REQUESTS = 24


class Deployment:
    """The generated module and the apps in one directory, a multiprocess dir, two free ports."""

    def __init__(self, root: Path, module_text: str) -> None:
        self.root = root
        (root / "emotivoice_metrics.py").write_text(module_text)
        for app in APPS.glob("*.py"):
            shutil.copy(app, root / app.name)
        self.multiproc = root / "multiproc"
        self.multiproc.mkdir()
        self.port, self.metrics_port = free_port(), free_port()
        self.log = root / "server.log"

    def env(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("PYTHONPATH", str(self.root))
        monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(self.multiproc))
        monkeypatch.setenv("METRICS_PORT", str(self.metrics_port))

    def worker_pids(self) -> set[int]:
        return {int(found[1]) for found in map(COUNTER_FILE.match, os.listdir(self.multiproc)) if found}

    def wait_for_workers(self, count: int, exclude: set[int] = frozenset(), timeout: float = 60) -> set[int]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            alive = {pid for pid in self.worker_pids() - exclude if _alive(pid)}
            if len(alive) >= count:
                return alive
            time.sleep(0.2)
        raise AssertionError(f"{count} workers did not start:\n{self.log.read_text()[-3000:]}")

    def scrape(self) -> dict[tuple[str, ...], float]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=10) as response:
            text = response.read().decode()
        return {
            (s.name, *sorted(f"{k}={v}" for k, v in s.labels.items())): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
        }

    def settled(
        self, observe: Callable[[dict[tuple[str, ...], float]], object], expected: object, timeout: float = 10
    ) -> dict[tuple[str, ...], float]:
        """A scrape where `observe` gives `expected`, or the last one's values in the failure."""
        deadline = time.monotonic() + timeout
        while True:
            samples = self.scrape()
            if observe(samples) == expected or time.monotonic() > deadline:
                assert observe(samples) == expected
                return samples
            time.sleep(0.2)

    def wait_scrapable(self, timeout: float = 30) -> dict[tuple[str, ...], float]:
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.scrape()
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def post(url: str, body: dict[str, object]) -> int:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json", "Connection": "close"}
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def requests_total(samples: dict[tuple[str, ...], float], endpoint: str, status: str, emotion: str) -> float:
    key = (
        "emoti_voice_tts_requests_total",
        f"emotion={emotion}",
        f"endpoint={endpoint}",
        "method=POST",
        f"status={status}",
    )
    return samples.get(key, 0.0)


@pytest.fixture
def deployment(
    tmp_path: Path, default_spec, default_files: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Deployment:
    from mongen import layout

    deployed = Deployment(tmp_path, default_files[layout.instrumentation_module(default_spec.service)])
    deployed.env(monkeypatch)
    return deployed


def _server(kind: str, d: Deployment) -> list[str]:
    bind = f"127.0.0.1:{d.port}"
    if kind == "uvicorn":
        return [sys.executable, "-m", "uvicorn", "tts_openai:app", "--workers", "2", "--host", "127.0.0.1",
                "--port", str(d.port), "--app-dir", str(d.root), "--no-access-log"]  # fmt: skip
    if kind == "gunicorn-sync":
        return [sys.executable, "-m", "gunicorn", "-w", "2", "-b", bind, "--chdir", str(d.root), "tts_flask:app"]
    return [sys.executable, "-m", "gunicorn", "-w", "2", "-k", "uvicorn.workers.UvicornWorker", "-b", bind,
            "--chdir", str(d.root), "tts_openai:app"]  # fmt: skip


@contextlib.contextmanager
def serving(kind: str, d: Deployment) -> Iterator[subprocess.Popen[bytes]]:
    with process(_server(kind, d), d.log) as proc:
        wait_ready(f"http://127.0.0.1:{d.port}/pid", proc, d.log, timeout=60)
        yield proc


@pytest.mark.parametrize("kind", ["uvicorn", "gunicorn-sync", "gunicorn-uvicorn"])
def test_two_workers_serve_one_aggregate_and_survive_a_killed_worker(kind: str, deployment: Deployment) -> None:
    d = deployment
    path, endpoint = ("/synthesize", "/synthesize") if kind == "gunicorn-sync" else ("/v1/audio/speech", "/synthesize")
    with serving(kind, d):
        workers = d.wait_for_workers(2)
        statuses = [
            post(f"http://127.0.0.1:{d.port}{path}", {"input": "你好。世界", "prompt": "生气"}) for _ in range(REQUESTS)
        ]
        statuses += [post(f"http://127.0.0.1:{d.port}{path}", {"input": ""}) for _ in range(2)]
        assert statuses == [200] * REQUESTS + [400, 400]
        d.wait_scrapable()
        # A request is recorded once its last chunk is sent, a moment after the client has it.
        samples = d.settled(
            lambda got: (
                requests_total(got, endpoint, "200", "angry"),
                requests_total(got, endpoint, "400", "neutral"),
            ),
            (REQUESTS, 2),
        )
        # One worker dies hard: the aggregate keeps its counts, a worker serves the endpoint again.
        victim = min(workers)
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while True:
            try:
                samples = d.scrape()
                break
            except (urllib.error.URLError, OSError):
                assert time.monotonic() < deadline, d.log.read_text()[-3000:]
                time.sleep(0.5)
        assert requests_total(samples, endpoint, "200", "angry") == REQUESTS
        assert samples[("emoti_voice_tts_requests_in_flight",)] == 0.0
    log = d.log.read_text()
    assert "Address already in use" not in log, log[-3000:]
    assert "Traceback" not in log, log[-3000:]


def test_a_worker_that_dies_mid_request_leaves_the_in_flight_sum(deployment: Deployment) -> None:
    """Dead workers are marked at scrape: uvicorn has no exit hook to call mark_process_dead."""
    d = deployment
    worker = (
        "import emotivoice_metrics as m, os\n"
        "m.record_request(method='POST', endpoint='/synthesize', status=200, emotion='sad', duration_seconds=1.0)\n"
        "with m.track_request(method='POST', endpoint='/synthesize', emotion='sad'):\n"
        "    os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", worker], check=True, timeout=60)
    assert any(name.startswith("gauge_livesum_") for name in os.listdir(d.multiproc))
    scrape = (
        "import emotivoice_metrics as m, sys\n"
        "app = m.metrics_wsgi_app()\n"
        "environ = {'REQUEST_METHOD': 'GET', 'PATH_INFO': '/metrics', 'QUERY_STRING': ''}\n"
        "sys.stdout.write(b''.join(app(environ, lambda status, headers: None)).decode())\n"
    )
    text = subprocess.run([sys.executable, "-c", scrape], check=True, timeout=60, capture_output=True, text=True).stdout
    assert 'emoti_voice_tts_requests_by_emotion_total{emotion="sad"} 1.0' in text
    assert "emoti_voice_tts_requests_in_flight 0.0" in text
