"""MetricsWSGIMiddleware stands between a WSGI server and the app without changing what either
sees (PEP 3333): the wsgi.input it hands the app offers exactly the read methods the server's
input offers, and the response keeps its length (one chunk: the server sets Content-Length) and
the server's wsgi.file_wrapper (the server may send the file itself); the request is still counted
once, when the server closes the response."""

from __future__ import annotations

import io
import itertools
import threading
import urllib.request
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from mongen import layout
from tests.support.generated_module import load_generated

_names = itertools.count()
App = Callable[[dict[str, Any], Callable[..., Any]], Any]


@pytest.fixture
def m(default_spec, default_files: dict[str, str]) -> ModuleType:
    return load_generated(default_files[layout.instrumentation_module(default_spec.service)], f"wsgi_{next(_names)}")


def requests_counted(m: ModuleType) -> float:
    return sum(
        s.value
        for metric in m.REGISTRY.collect()
        if metric.name == "emoti_voice_tts_requests"
        for s in metric.samples
        if s.name == "emoti_voice_tts_requests_total"
    )


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Seen:
    """What the server got back from the middleware."""

    def __init__(self) -> None:
        self.result_types: list[type] = []


def _serve(app: App, seen: _Seen, path: str) -> tuple[bytes, dict[str, str]]:
    """One GET through wsgiref's real server with `app` behind it."""
    server: WSGIServer = make_server("127.0.0.1", 0, app, handler_class=_Quiet)
    original = server.get_app()

    def recording_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        result = original(environ, start_response)
        seen.result_types.append(type(result))
        return result

    server.set_app(recording_app)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}{path}", timeout=10) as r:
            return r.read(), dict(r.headers)
    finally:
        thread.join(10)
        server.server_close()


class _ReadOnly:
    """A wsgi.input with only read(), as some servers' request streams are."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._data.read(size)


def test_the_apps_input_offers_what_the_servers_input_offers(m: ModuleType) -> None:
    seen: dict[str, set[str]] = {}

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        stream = environ["wsgi.input"]
        seen["offered"] = {n for n in ("read", "readline", "readlines", "readinto") if hasattr(stream, n)}
        body = stream.read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [body]

    wrapped = m.MetricsWSGIMiddleware(app)
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/synthesize",
        "CONTENT_LENGTH": "18",
        "wsgi.input": _ReadOnly(b'{"prompt": "sad"} '),
    }
    result = wrapped(environ, lambda status, headers, exc_info=None: None)
    assert list(result) == [b'{"prompt": "sad"} ']
    result.close()
    assert seen["offered"] == {"read"}
    # A full stream keeps every method, each read still seen by the body labels.
    environ["wsgi.input"] = io.BytesIO(b'{"prompt": "sad"}\n')
    result = wrapped(environ, lambda status, headers, exc_info=None: None)
    result.close()
    assert seen["offered"] == {"read", "readline", "readlines", "readinto"}
    assert requests_counted(m) == 2


def test_a_one_chunk_response_keeps_its_length_through_a_real_server(m: ModuleType) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"hello"]

    body, headers = _serve(m.MetricsWSGIMiddleware(app), _Seen(), "/synthesize")
    assert body == b"hello"
    # wsgiref sets Content-Length itself only when len(result) == 1.
    assert headers.get("Content-Length") == "5", headers
    assert requests_counted(m) == 1


def test_the_servers_file_wrapper_reaches_the_server(m: ModuleType, tmp_path: Any) -> None:
    path = tmp_path / "audio.wav"
    path.write_bytes(b"\0" * 4096)
    closed: list[bool] = []

    class File(io.FileIO):
        def close(self) -> None:
            closed.append(True)
            super().close()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        start_response("200 OK", [("Content-Type", "audio/wav")])
        return environ["wsgi.file_wrapper"](File(str(path)), 1024)

    seen = _Seen()
    body, _ = _serve(m.MetricsWSGIMiddleware(app), seen, "/synthesize")
    assert body == b"\0" * 4096
    # wsgiref's FileWrapper, so the server knows the result is a file (and may send it itself).
    (result_type,) = seen.result_types
    assert result_type.__name__ == "FileWrapper", result_type
    assert closed == [True]  # the file is closed, and the request counted once, after it was sent
    assert requests_counted(m) == 1


def test_a_response_without_a_length_offers_none(m: ModuleType) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"a"

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        start_response("200 OK", [])
        return chunks()

    result = m.MetricsWSGIMiddleware(app)({"REQUEST_METHOD": "GET", "PATH_INFO": "/synthesize"}, lambda *a: None)
    assert not hasattr(result, "__len__") and hasattr(result, "close")
    assert list(result) == [b"a"]
    result.close()
    assert requests_counted(m) == 1
