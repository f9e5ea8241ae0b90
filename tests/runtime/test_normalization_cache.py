"""The HTTP middleware's normalization cache is bounded in memory as well as in entries: a long
value read from a request body is recorded (normalized) but never remembered."""

from __future__ import annotations

import itertools
from types import ModuleType

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from mongen import layout
from tests.support.generated_module import load_generated

_names = itertools.count()


@pytest.fixture
def m(default_spec, default_files: dict[str, str]) -> ModuleType:
    return load_generated(default_files[layout.instrumentation_module(default_spec.service)], f"cache_bound_{next(_names)}")


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
