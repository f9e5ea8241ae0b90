"""The generated MetricsMiddleware and MetricsWSGIMiddleware count each request once, with the
status the client got and the time until the last body chunk, on real Starlette and Flask apps."""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType

import pytest
from flask import Flask, abort, request
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from mongen import layout
from mongen.loading import load_spec
from mongen.pipeline import render
from tests.support import ROOT
from tests.support.generated_module import load_generated

_names = itertools.count()


@pytest.fixture
def m(default_spec, default_files: dict[str, str]) -> ModuleType:
    """A fresh copy of the default spec's module (its own registry, every count at 0)."""
    return load_generated(default_files[layout.instrumentation_module(default_spec.service)], f"mw_{next(_names)}")


def count(m: ModuleType, method: str, endpoint: str, status: str, emotion: str = "neutral") -> float:
    labels = {"method": method, "endpoint": endpoint, "status": status, "emotion": emotion}
    value = m.REGISTRY.get_sample_value("emoti_voice_tts_requests_total", labels)
    assert value is not None, labels
    return value


def total(m: ModuleType) -> float:
    return sum(
        s.value
        for metric in m.REGISTRY.collect()
        if metric.name == "emoti_voice_tts_requests"
        for s in metric.samples
        if s.name == "emoti_voice_tts_requests_total"
    )


def seconds(m: ModuleType, endpoint: str) -> tuple[float, float]:
    """(count, sum) of the request duration histogram."""
    get = m.REGISTRY.get_sample_value
    labels = {"endpoint": endpoint}
    return (
        get("emoti_voice_tts_request_duration_seconds_count", labels) or 0.0,
        get("emoti_voice_tts_request_duration_seconds_sum", labels) or 0.0,
    )


async def synthesize(request: Request) -> Response:
    body = await request.json()
    if body.get("voice") == "unknown":
        raise HTTPException(status_code=400, detail="unknown voice")
    if body.get("voice") == "crash":
        raise RuntimeError("model crashed")
    if "speed" in body and "input" not in body:  # what FastAPI's body validation answers
        return JSONResponse({"detail": "input is required"}, status_code=422)
    if body.get("stream"):

        async def audio() -> AsyncIterator[bytes]:
            for _ in range(3):
                yield b"\0" * 1024
                await asyncio_sleep(0.3)

        return StreamingResponse(audio(), media_type="audio/wav")
    return JSONResponse({"ok": True})


async def asyncio_sleep(delay: float) -> None:
    import asyncio

    await asyncio.sleep(delay)


async def clone(request: Request) -> Response:
    return PlainTextResponse("cloned")


def starlette_app(m: ModuleType) -> Starlette:
    app = Starlette(
        routes=[
            Route("/synthesize", synthesize, methods=["POST"]),
            Route("/v1/audio/speech", synthesize, methods=["POST"]),
            Route("/clone", clone, methods=["POST"]),
            Route("/docs", clone, methods=["GET"]),
        ]
    )
    app.add_middleware(m.MetricsMiddleware)
    return app


@pytest.fixture
def client(m: ModuleType) -> Iterator[TestClient]:
    with TestClient(starlette_app(m), raise_server_exceptions=False) as test_client:
        yield test_client


def test_a_200_counts_once(m: ModuleType, client: TestClient) -> None:
    assert client.post("/synthesize", json={"input": "hi"}).status_code == 200
    assert client.post("/clone").status_code == 200
    assert count(m, "POST", "/synthesize", "200") == 1.0
    assert count(m, "POST", "/clone", "200") == 1.0
    assert total(m) == 2.0
    assert seconds(m, "/synthesize")[0] == 1.0


def test_an_http_exception_400_counts_as_400(m: ModuleType, client: TestClient) -> None:
    assert client.post("/synthesize", json={"voice": "unknown"}).status_code == 400
    assert (count(m, "POST", "/synthesize", "400"), total(m)) == (1.0, 1.0)


def test_an_unhandled_error_counts_as_500(m: ModuleType, client: TestClient) -> None:
    assert client.post("/synthesize", json={"voice": "crash"}).status_code == 500
    assert (count(m, "POST", "/synthesize", "500"), total(m)) == (1.0, 1.0)


def test_a_validation_422_counts_as_its_class(m: ModuleType, client: TestClient) -> None:
    assert client.post("/synthesize", json={"speed": 1.0}).status_code == 422
    assert (count(m, "POST", "/synthesize", "4xx"), total(m)) == (1.0, 1.0)


def test_starlettes_405_counts_as_4xx(m: ModuleType, client: TestClient) -> None:
    assert client.get("/synthesize").status_code == 405
    assert (count(m, "GET", "/synthesize", "4xx"), total(m)) == (1.0, 1.0)


def test_a_404_on_an_undeclared_path_counts_under_the_endpoint_fallback(m: ModuleType, client: TestClient) -> None:
    assert client.post("/v2/nothing-here").status_code == 404
    assert (count(m, "POST", "other", "4xx"), total(m)) == (1.0, 1.0)


def test_skipped_paths_are_not_counted(m: ModuleType, client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    assert client.get("/metrics").status_code == 404
    assert total(m) == 0.0


def test_a_streamed_response_is_timed_until_its_last_chunk(m: ModuleType, client: TestClient) -> None:
    started = time.perf_counter()
    response = client.post("/synthesize", json={"stream": True})
    client_saw = time.perf_counter() - started
    assert response.status_code == 200 and len(response.content) == 3 * 1024
    recorded = seconds(m, "/synthesize")
    assert recorded[0] == 1.0
    assert 0.85 <= recorded[1] <= client_saw, (recorded, client_saw)


def test_the_route_and_body_fields_give_the_labels(m: ModuleType, client: TestClient) -> None:
    """EmotiVoice's OpenAI route records as /synthesize; its Chinese `prompt` as the emotion."""
    body = {"input": "你好，世界" * 10, "voice": "8051", "prompt": "生气", "language": "zh_us", "model": "emoti-voice"}
    assert client.post("/v1/audio/speech", json=body).status_code == 200
    assert count(m, "POST", "/synthesize", "200", emotion="angry") == 1.0
    assert m.REGISTRY.get_sample_value("emoti_voice_tts_requests_by_emotion_total", {"emotion": "angry"}) == 1.0
    assert m.REGISTRY.get_sample_value("emoti_voice_tts_input_text_length_characters_sum") == 50.0


@pytest.mark.parametrize(
    "content",
    [
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'{"prompt": ["happy"]}',
        b"[" * 100000,
        b'{"prompt": "' + b"x" * 70000 + b'"}',
    ],
    ids=["text", "not utf-8", "a list", "a list field", "too deep", "over the byte limit"],
)
def test_an_unreadable_body_records_the_fallback_and_never_fails_the_request(
    m: ModuleType, client: TestClient, content: bytes
) -> None:
    response = client.post("/clone", content=content)
    assert response.status_code == 200
    assert count(m, "POST", "/clone", "200", emotion="neutral") == 1.0
    assert m.REGISTRY.get_sample_value("emoti_voice_tts_input_text_length_characters_count") == 0.0


def flask_app(m: ModuleType) -> Flask:
    app = Flask("tts")

    @app.post("/synthesize")
    def flask_synthesize() -> object:
        body = request.get_json(silent=True) or {}
        if body.get("voice") == "unknown":
            abort(400)
        if body.get("voice") == "crash":
            raise RuntimeError("model crashed")
        return {"ok": True}

    app.wsgi_app = m.MetricsWSGIMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    return app


class BufferedClient:
    """werkzeug's test client, closing each response as a WSGI server does (PEP 3333)."""

    def __init__(self, app: Flask) -> None:
        self._client = app.test_client()

    def post(self, path: str, **kwargs: object) -> int:
        return int(self._client.post(path, buffered=True, **kwargs).status_code)  # type: ignore[arg-type]

    def get(self, path: str) -> int:
        return int(self._client.get(path, buffered=True).status_code)


def test_the_wsgi_middleware_counts_flask_requests_as_the_client_saw_them(m: ModuleType) -> None:
    client = BufferedClient(flask_app(m))
    assert client.post("/synthesize", json={"prompt": "开心", "input": "hello"}) == 200
    assert client.post("/synthesize", json={"voice": "unknown"}) == 400
    assert client.post("/synthesize", json={"voice": "crash"}) == 500
    assert client.get("/synthesize") == 405
    assert client.get("/nowhere") == 404
    assert client.get("/metrics") == 404
    assert count(m, "POST", "/synthesize", "200", emotion="happy") == 1.0
    assert count(m, "POST", "/synthesize", "400") == 1.0
    assert count(m, "POST", "/synthesize", "500") == 1.0
    assert count(m, "GET", "/synthesize", "4xx") == 1.0
    assert count(m, "GET", "other", "4xx") == 1.0
    assert total(m) == 5.0
    assert m.REGISTRY.get_sample_value("emoti_voice_tts_input_text_length_characters_sum") == 5.0


def test_the_label_cache_stays_bounded_under_hostile_bodies(m: ModuleType) -> None:
    """The middleware remembers normalized labels of plain values only, and at most 4096 of them."""
    http = m._HTTP
    for i in range(5000):
        http.record("POST", "/synthesize", 200, f'{{"prompt": "mood {i}", "input": "x"}}'.encode(), 0.01)
    http.record("POST", "/synthesize", 200, b'{"prompt": ["happy"], "input": "x"}', 0.01)
    assert len(http._normalized) == 4096
    assert count(m, "POST", "/synthesize", "200", emotion="neutral") == 5001.0
    http.record("POST", "/synthesize", 200, '{"prompt": "生气"}'.encode(), 0.01)
    assert count(m, "POST", "/synthesize", "200", emotion="angry") == 1.0


def test_a_route_outside_ascii_records_under_wsgi_as_under_asgi(tmp_path: Path) -> None:
    """A WSGI server hands PATH_INFO over as the URL's bytes decoded as Latin-1 (PEP 3333), an ASGI
    server as text: a route the spec writes with `é` is the same route under both middlewares."""
    text = (ROOT / "specs/emotivoice.yaml").read_text("utf-8")
    assert text.count("    /clone: /clone\n") == 1
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(
        text.replace("    /clone: /clone\n", "    /clone: /clone\n    /voix/clonée: /clone\n"), "utf-8"
    )
    spec = load_spec(str(spec_path))
    source = render(spec)[layout.instrumentation_module(spec.service)]
    wsgi, asgi = (load_generated(source, f"mw_{next(_names)}") for _ in range(2))
    flask = Flask("tts")
    flask.add_url_rule("/voix/clonée", "clone", lambda: "cloned", methods=["POST"])
    flask.wsgi_app = wsgi.MetricsWSGIMiddleware(flask.wsgi_app)  # type: ignore[method-assign]
    assert BufferedClient(flask).post("/voix/clon%C3%A9e") == 200
    with TestClient(starlette_app(asgi), raise_server_exceptions=False) as client:
        client.post("/voix/clon%C3%A9e")
    for module in (wsgi, asgi):
        assert total(module) == 1.0
        assert sum(count(module, "POST", "/clone", status) for status in ("200", "4xx")) == 1.0
