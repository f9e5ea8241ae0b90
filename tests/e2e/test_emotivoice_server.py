"""An EmotiVoice-shaped server (tests/data/apps/tts_openai.py: `POST /v1/audio/speech`, a stub
model, a streamed answer) instrumented in at most five lines, served by uvicorn with two workers
behind the generated nginx snippet and scraped by a real Prometheus from the generated
prometheus.yml (time-compressed as `mongen verify` runs it): every recording rule returns a finite
value for the traffic sent, a 400 from bad input is recorded as a 400 (a client error, no SLO
error), and a streamed answer is timed whole."""

from __future__ import annotations

import contextlib
import json
import math
import re
import shutil
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from mongen import layout
from mongen.loading import build_spec
from mongen.pipeline import render
from mongen.spec.loader import load_yaml
from mongen.validate import nginx_conf
from mongen.verify.checks import rule_queries, unserved_series
from mongen.verify.configs import prometheus_config
from mongen.verify.report import VerifyReport
from mongen.verify.testbed import free_port, get_json, process, start_prometheus, wait_ready
from mongen.writer import write_tree
from tests.support import ROOT, need

APP = ROOT / "tests/data/apps/tts_openai.py"
# The instrumentation: each line of the app that mentions the generated module ends with this.
MARKER = "# metrics"
EMOTIONS = ["普通", "生气", "开心", "惊讶", "悲伤", "厌恶", "恐惧"]
CHUNK_SECONDS = 0.3  # the stub model's time per sentence; three sentences make a 0.9 s answer


def test_the_emotivoice_shaped_server_needs_at_most_five_added_lines() -> None:
    lines = APP.read_text("utf-8").splitlines()
    added = [line for line in lines if line.rstrip().endswith(MARKER)]
    assert 1 <= len(added) <= 5, added
    # Nothing else touches the module: the app without those lines is the uninstrumented app.
    assert all(MARKER in line for line in lines if re.search(r"\bmetrics\b", line) and not line.startswith('"""'))
    compile("\n".join(line for line in lines if line not in added), str(APP), "exec")


def post(url: str, body: object) -> tuple[int, float]:
    data = json.dumps(body, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data, {"Content-Type": "application/json", "Connection": "close"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            return int(response.status), time.perf_counter() - started
    except urllib.error.HTTPError as error:
        return int(error.code), time.perf_counter() - started


def scrape(url: str) -> dict[tuple[str, ...], float]:
    with urllib.request.urlopen(url, timeout=10) as response:
        text = response.read().decode()
    return {
        (s.name, *sorted(f"{k}={v}" for k, v in s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def settled(
    url: str, observe: Callable[[dict[tuple[str, ...], float]], float], expected: float
) -> dict[tuple[str, ...], float]:
    """A scrape where `observe` gives `expected`: a request is recorded once its last chunk is
    sent, a moment after the client has it."""
    deadline = time.monotonic() + 10
    while True:
        samples = scrape(url)
        if observe(samples) == expected or time.monotonic() > deadline:
            assert observe(samples) == expected
            return samples
        time.sleep(0.2)


def duration(samples: dict[tuple[str, ...], float], suffix: str, *labels: str) -> float:
    return samples.get(("emoti_voice_tts_request_duration_seconds" + suffix, "endpoint=/synthesize", *labels), 0.0)


def requests_total(samples: dict[tuple[str, ...], float], status: str) -> float:
    return sum(
        value
        for key, value in samples.items()
        if key[0] == "emoti_voice_tts_requests_total" and f"status={status}" in key and "endpoint=/synthesize" in key
    )


class Traffic:
    """Requests of every kind, from a few threads, until stopped: every emotion, bad input (400),
    a model crash (500), an undeclared route (404 on /clone's value), a GET (`other`)."""

    def __init__(self, base: str) -> None:
        self._base = base
        self._stop = threading.Event()
        self.statuses: list[int] = []
        self._threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(4)]

    def _run(self, index: int) -> None:
        turn = index
        while not self._stop.is_set():
            turn += 1
            emotion = EMOTIONS[turn % len(EMOTIONS)]
            body: dict[str, object] = {"input": "你好", "voice": "8051", "prompt": emotion, "model": "emoti-voice"}
            if turn % 11 == 0:
                body["input"] = "crash"
            elif turn % 7 == 0:
                body["voice"] = "nobody"
            url = f"{self._base}/clone" if turn % 13 == 0 else f"{self._base}/v1/audio/speech"
            with contextlib.suppress(OSError):
                self.statuses.append(post(url, body)[0])
            if turn % 5 == 0:
                with contextlib.suppress(OSError), urllib.request.urlopen(f"{self._base}/pid", timeout=10):
                    pass

    def __enter__(self) -> Traffic:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)


@pytest.mark.e2e
def test_emotivoice_shaped_server_behind_nginx_scraped_by_prometheus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nginx, prometheus = need("nginx"), need("prometheus")
    app_port, listen, metrics_port, prom_port = free_port(), free_port(), free_port(), free_port()
    text = (ROOT / "specs/emotivoice.yaml").read_text("utf-8")
    for old, new in [
        ("  port: 8001\n", f"  port: {metrics_port}\n"),
        ("    listen: 8080\n", f"    listen: 127.0.0.1:{listen}\n"),
        ('["192.168.1.10:8080", "192.168.1.11:8080"]', f'["127.0.0.1:{listen}"]'),
        ("allowed_cidrs: [10.20.0.0/16,", "allowed_cidrs: [127.0.0.1/32, 10.20.0.0/16,"),
    ]:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(text, "utf-8")
    spec = build_spec(load_yaml(text, str(spec_file)))
    root = tmp_path / "out"
    write_tree(root, render(spec))
    service_dir = tmp_path / "service"
    service_dir.mkdir()
    shutil.copy(root / layout.instrumentation_module(spec.service), service_dir / "emotivoice_metrics.py")
    shutil.copy(APP, service_dir / APP.name)
    (tmp_path / "multiproc").mkdir()
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "multiproc"))
    monkeypatch.setenv("TEST_CHUNK_SECONDS", str(CHUNK_SECONDS))
    monkeypatch.delenv("METRICS_PORT", raising=False)
    config, _targets = prometheus_config(spec, root, f"127.0.0.1:{listen}", free_port(), VerifyReport())
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    (prefix / "nginx.conf").write_text(nginx_conf(prefix, root / layout.nginx_snippet(spec.service)))
    base, metrics_url = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{listen}/metrics"
    uvicorn = [sys.executable, "-m", "uvicorn", "tts_openai:app", "--workers", "2", "--host", "127.0.0.1",
               "--port", str(app_port), "--app-dir", str(service_dir), "--no-access-log"]  # fmt: skip
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(process(uvicorn, tmp_path / "uvicorn.log"))
        wait_ready(f"{base}/pid", server, tmp_path / "uvicorn.log", timeout=60)
        nginx_args = [nginx, "-e", "stderr", "-p", str(prefix), "-c", str(prefix / "nginx.conf")]
        proxy = stack.enter_context(process(nginx_args, tmp_path / "nginx.log"))
        wait_ready(metrics_url, proxy, tmp_path / "nginx.log", timeout=30)

        # A streamed answer of three 0.3 s sentences is timed whole (not when the handler returns).
        before = scrape(metrics_url)
        status, client_seconds = post(f"{base}/v1/audio/speech", {"input": "一。二。三", "prompt": "开心"})
        assert status == 200 and client_seconds >= 0.9
        after = settled(metrics_url, lambda got: duration(got, "_count") - duration(before, "_count"), 1)
        assert 0.85 <= duration(after, "_sum") - duration(before, "_sum") <= client_seconds
        assert duration(after, "_bucket", "le=0.5") == duration(before, "_bucket", "le=0.5")

        # Bad input is the client's error: a 400, never a 5xx that burns the availability SLO.
        assert post(f"{base}/v1/audio/speech", {"input": "你好", "voice": "nobody"})[0] == 400
        again = settled(metrics_url, lambda got: requests_total(got, "400") - requests_total(after, "400"), 1)
        assert requests_total(again, "5xx") + requests_total(again, "500") == 0

        prom = start_prometheus(stack, prometheus, config, tmp_path, prom_port)
        prom.wait_ready()
        queries = [(s, e) for s, e in rule_queries(spec) if not unserved_series(spec, e)]
        assert len(queries) >= 40
        missing = [subject for subject, _ in queries]
        with Traffic(base) as traffic:
            deadline = time.monotonic() + 120
            while missing and time.monotonic() < deadline:
                time.sleep(2)
                missing = [subject for subject, expr in queries if not _finite(prom_port, expr)]
        assert not missing, f"{len(missing)} recording rules without a finite value: {missing[:10]}"
        assert {200, 400, 404, 500} <= set(traffic.statuses)
        target = next(
            t for t in get_json(f"http://127.0.0.1:{prom_port}/api/v1/targets")["data"]["activeTargets"]
            if t["scrapePool"] == "emotivoice-static"
        )  # fmt: skip
        assert (target["health"], target["scrapeUrl"]) == ("up", metrics_url)
    log = (tmp_path / "uvicorn.log").read_text()
    assert "Address already in use" not in log, log[-3000:]
    # The only tracebacks are the stub model's crashes the traffic asked for (uvicorn logs each 500).
    assert log.count("Traceback") == log.count("RuntimeError: the model crashed"), log[-3000:]


def _finite(prom_port: int, expr: str) -> bool:
    url = f"http://127.0.0.1:{prom_port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        result = get_json(url)["data"]["result"]
    except OSError:
        return False
    return any(math.isfinite(float(sample["value"][1])) for sample in result)
