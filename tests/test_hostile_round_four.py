"""What an attacker tried on the features of issues 24-30, each a regression test: the middleware's
normalization cache bounded in memory as well as in entries, and the importers' answer to files
of the wrong shape or encoding (exit 2 at the file, never a traceback). The spec-side findings
(a body field choosing the status label, a template in an SLO alert's label) are failure cases in
tests/spec_failure_cases/."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from mongen import layout
from tests.test_instrumentation import load_generated

_names = itertools.count()


@pytest.fixture
def m(default_spec, default_files: dict[str, str]) -> ModuleType:
    return load_generated(default_files[layout.instrumentation_module(default_spec.service)], f"h4_{next(_names)}")


async def _ok(request) -> PlainTextResponse:  # type: ignore[no-untyped-def]
    await request.body()  # the middleware reads the body as the app reads it
    return PlainTextResponse("ok")


def test_long_body_values_are_recorded_but_not_remembered(m: ModuleType) -> None:
    app = Starlette(routes=[Route("/synthesize", _ok, methods=["POST"])])
    app.add_middleware(m.MetricsMiddleware)
    with TestClient(app) as client:
        for i in range(50):
            assert client.post("/synthesize", json={"prompt": f"{i}" + "a" * 5000}).status_code == 200
        assert client.post("/synthesize", json={"prompt": "happy"}).status_code == 200
    cached = m._HTTP._normalized
    assert max(len(str(v)) for key in cached for v in key if v is not None) <= 128
    assert len(cached) == 1  # the short request only; the 50 long ones were normalized each time
    # and every request was counted all the same.
    counted = sum(
        sample.value
        for metric in m.REGISTRY.collect()
        if metric.name == "emoti_voice_tts_requests"
        for sample in metric.samples
        if sample.name == "emoti_voice_tts_requests_total"
    )
    assert counted == 51.0


@pytest.mark.parametrize(
    ("command", "content", "expected"),
    [
        ("sloth", b'version: prometheus/v1\nservice: x\nslos: "x"\n', ":3:7: error: slos: `slos` must be a list"),
        ("sloth", b"version: prometheus/v1\nservice: x\nslos: [1, x]\n", ":3:8: error: slos[0]: `slos[0]` must be"),
        ("sloth", b"\xff\xfe", ":1:1: error: <root>: not UTF-8 text"),
        (
            "openslo",
            b'apiVersion: openslo/v1\nkind: SLO\nmetadata: "x"\nspec: 5\n',
            ":3:11: error: metadata: `metadata` must be a mapping",
        ),
        ("openslo", b"\xff\xfe", ":1:1: error: <root>: not UTF-8 text"),
    ],
    ids=["slos-a-string", "slos-of-scalars", "sloth-not-utf8", "openslo-spec-a-number", "openslo-not-utf8"],
)
def test_importing_a_file_of_the_wrong_shape_is_a_clean_error(
    command: str, content: bytes, expected: str, tmp_path: Path
) -> None:
    source = tmp_path / "in.yaml"
    source.write_bytes(content)
    proc = subprocess.run(
        [sys.executable, "-m", "mongen", "import", command, str(source), "-o", str(tmp_path / "spec.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(f"{source}{expected}"), proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "spec.yaml").exists()
