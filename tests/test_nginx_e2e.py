"""A real nginx on 127.0.0.1 in front of a local backend: the allowlist decides 200 or 403."""

from __future__ import annotations

import http.server
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from mongen.generators.nginx import generate as generate_nginx
from mongen.spec.build import build_spec
from mongen.spec.loader import load_yaml
from mongen.validate import nginx_conf, nginx_test
from tests.conftest import ROOT, need

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
