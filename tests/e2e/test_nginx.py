"""A real nginx on 127.0.0.1 in front of a local backend: the allowlist decides 200 or 403; and the
generated prometheus.yml scraping through it."""

from __future__ import annotations

import contextlib
import http.client
import http.server
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from mongen.generators.nginx import generate as generate_nginx
from mongen.loading import build_spec
from mongen.pipeline import render
from mongen.spec.loader import load_yaml
from mongen.validate import nginx_conf, nginx_test
from mongen.verify.testbed import free_port, process
from mongen.writer import write_tree
from tests.support import ROOT, need

pytestmark = pytest.mark.e2e


class _Metrics(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"emoti_voice_tts_requests_total 1\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def backend() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Metrics)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _snippet(tmp_path: Path, backend_port: int, listen: int, cidrs: list[str]) -> Path:
    text = (ROOT / "specs/emotivoice.yaml").read_text()
    text = text.replace("  port: 8001\n", f"  port: {backend_port}\n").replace(
        "    listen: 8080\n", f"    listen: 127.0.0.1:{listen}\n"
    )
    text = text.replace("allowed_cidrs: [10.20.0.0/16, 192.168.100.0/24]", f"allowed_cidrs: [{', '.join(cidrs)}]")
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(text)
    spec = build_spec(load_yaml(text, str(spec_file)))
    ((path, conf),) = generate_nginx(spec).items()
    snippet = tmp_path / Path(path).name
    snippet.write_text(conf)
    return snippet


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


@pytest.mark.parametrize(
    ("cidrs", "expected"), [(["127.0.0.1"], 200), (["10.0.0.0/8"], 403), (["10.0.0.0/8", "127.0.0.0/8"], 200)]
)
def test_allowlist_decides(tmp_path: Path, backend: int, cidrs: list[str], expected: int) -> None:
    nginx = need("nginx")
    listen = free_port()
    spec_text_listen = listen
    snippet = _snippet(tmp_path, backend, spec_text_listen, cidrs)
    assert nginx_test(snippet).returncode == 0
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    conf = prefix / "nginx.conf"
    conf.write_text(nginx_conf(prefix, snippet))
    proc = subprocess.Popen(
        [nginx, "-e", "stderr", "-p", str(prefix), "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", listen), timeout=0.2).close()
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                time.sleep(0.05)
        assert _get(f"http://127.0.0.1:{listen}/metrics") == expected
        assert _get(f"http://127.0.0.1:{listen}/other") == 404
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _status_from(source: str, port: int) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5, source_address=(source, 0))
    try:
        connection.request("GET", "/metrics")
        return connection.getresponse().status
    finally:
        connection.close()


_SERVE_METRICS = """
import importlib.util, sys, time
spec = importlib.util.spec_from_file_location("generated_metrics", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
module.start_metrics_server()  # METRICS_ADDR:METRICS_PORT, exactly as generated
time.sleep(300)
"""


def test_generated_config_scrapes_the_static_target_through_nginx(tmp_path: Path) -> None:
    """#13: the prometheus.yml generated from specs/emotivoice.yaml, its static hosts moved to
    127.0.0.1 (and the ports to free ones), less the Kubernetes job Debian's Prometheus cannot
    load, in a real Prometheus; nginx runs the generated snippet (127.0.0.1 allowed) in front of
    the generated module's own metrics server. The static target is active and up, scraped at
    the nginx listener; a client at 127.0.0.2 gets 403; the metrics port refuses 127.0.0.2."""
    nginx, prometheus = need("nginx"), need("prometheus")
    listen, metrics_port, prom_port = free_port(), free_port(), free_port()
    text = (ROOT / "specs/emotivoice.yaml").read_text()
    for old, new in [
        ("  port: 8001\n", f"  port: {metrics_port}\n"),
        ("    listen: 8080\n", f"    listen: 127.0.0.1:{listen}\n"),
        ('["192.168.1.10:8080", "192.168.1.11:8080"]', f'["127.0.0.1:{listen}"]'),
        ("allowed_cidrs: [10.20.0.0/16,", "allowed_cidrs: [127.0.0.1/32, 10.20.0.0/16,"),
    ]:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(text)
    root = tmp_path / "out"
    write_tree(root, render(build_spec(load_yaml(text, str(spec_file)))))
    config_path = root / "prometheus/prometheus.yml"
    config = yaml.safe_load(config_path.read_text())
    config["scrape_configs"] = [j for j in config["scrape_configs"] if "kubernetes_sd_configs" not in j]
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    (prefix / "nginx.conf").write_text(nginx_conf(prefix, root / "nginx/emotivoice-metrics.conf"))
    module = root / "instrumentation/emotivoice_metrics.py"
    with contextlib.ExitStack() as stack:
        stack.enter_context(process([sys.executable, "-c", _SERVE_METRICS, str(module)], tmp_path / "module.log"))
        nginx_args = [nginx, "-e", "stderr", "-p", str(prefix), "-c", str(prefix / "nginx.conf")]
        stack.enter_context(process(nginx_args, tmp_path / "nginx.log"))
        prom_args = [
            prometheus,
            f"--config.file={config_path}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{prom_port}",
        ]
        stack.enter_context(process(prom_args, tmp_path / "prometheus.log"))
        target = _wait_for_static_target(prom_port)
        assert target["scrapeUrl"] == f"http://127.0.0.1:{listen}/metrics", target
        assert target["health"] == "up", target
        assert {k: target["labels"][k] for k in ("job", "service")} == {"job": "emotivoice", "service": "emotivoice"}
        assert _status_from("127.0.0.1", listen) == 200
        assert _status_from("127.0.0.2", listen) == 403
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.2", metrics_port), timeout=5).close()
        socket.create_connection(("127.0.0.1", metrics_port), timeout=5).close()  # it is listening


def _wait_for_static_target(prom_port: int) -> dict[str, Any]:
    """The static job's target once scraped (Prometheus spreads first scrapes over the 30s interval)."""
    deadline = time.monotonic() + 60
    target: dict[str, Any] = {}
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{prom_port}/api/v1/targets", timeout=5) as response:
                active = json.loads(response.read())["data"]["activeTargets"]
        except OSError:
            active = []
        target = next((t for t in active if t["scrapePool"] == "emotivoice-static"), {})
        if target.get("health") in ("up", "down"):
            return target
        time.sleep(0.5)
    raise AssertionError(f"the static target was not scraped within 60s: {target}")
