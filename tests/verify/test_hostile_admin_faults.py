"""The simulated service's `POST /admin/faults` (mongen.faults.from_json, FaultModel.update) refuses
hostile bodies with a 400 naming what is wrong, applies nothing of them, and keeps answering:
no number the simulation cannot apply (NaN, infinity, a negative latency factor, a share past 1),
no unreadable body or length taken as an empty one, no request thread left waiting for bytes."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from mongen.faults import from_json
from mongen.verify.service import FaultModel, serve

HOSTILE_BODIES = [
    {"latency_factor": -1},
    {"latency_factor": "nan"},
    {"latency_factor": "inf"},
    {"latency_factor": int("9" * 400)},  # an integer past float's range
    {"error_rates": {"angry": "NaN"}},
    {"error_rates": {"angry": 5}},
    {"error_rates": [{"match": {"emotion": "angry"}, "rate": -0.5}]},
    {"faults": [{"fault": "ServerErrors", "metric": "m", "match": [], "share": 1.5}]},
    {"faults": [{"fault": "SlowRequests", "metric": "m", "threshold": "Infinity"}]},
    {"faults": [{"fault": "SlowRequests", "metric": "m", "threshold": 1, "share": "nan"}]},
    {"faults": [{"fault": "GaugeLevel", "metric": "m", "threshold": -float("inf")}]},
]


@pytest.mark.parametrize("body", HOSTILE_BODIES, ids=lambda b: json.dumps(b)[:60])
def test_a_number_the_simulation_cannot_apply_is_refused_and_nothing_applied(body: dict[str, object]) -> None:
    faults = FaultModel(latency_factor=1.0)
    with pytest.raises(ValueError) as caught:
        faults.update(body)
    assert len(str(caught.value)) < 300  # a huge value is quoted short
    assert faults.latency_factor == 1.0 and not faults.errors and not faults.slow and not faults.gauges
    assert faults.latency(10) >= 0


def test_fault_json_round_trip_still_takes_shares_and_finite_numbers() -> None:
    fault = from_json({"fault": "ServerErrors", "metric": "m", "match": [["emotion", "angry"]], "share": "0.5"})
    assert fault.share == 0.5  # type: ignore[union-attr]
    assert from_json({"fault": "GaugeLevel", "metric": "g", "threshold": 1e300}).threshold == 1e300  # type: ignore[union-attr]


def _status_line(port: int, request: bytes) -> bytes:
    """Send `request` on a fresh connection (left open, as a keep-alive client does) and read the
    answer's status line; a service still waiting for body bytes times out instead."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request)
        answer = b""
        while b"\r\n" not in answer and (chunk := conn.recv(65536)):
            answer += chunk
        return answer.split(b"\r\n")[0]


def test_unreadable_bodies_get_400_and_the_service_keeps_answering(
    default_files: dict[str, str], tmp_path: Path
) -> None:
    module = tmp_path / "emotivoice_metrics.py"
    module.write_text(default_files["instrumentation/emotivoice_metrics.py"])
    service = serve(module, port=0, time_scale=0.0)
    try:
        head = b"POST /admin/faults HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n"
        for length, body in [
            (b"-1", b'{"latency_factor": 2}'),  # read(-1) waited for the client to close
            (b"abc", b"{}"),
            (b"\xc2\xb2", b"{}"),  # a digit to str.isdigit, not to int()
            (str(1 << 40).encode(), b"{}"),
            (None, b"\xff\xfe{}"),  # not UTF-8
            (None, b"[" * 100000 + b"]" * 100000),  # nested past the stack
            (None, b'{"latency_factor": ' + b"9" * 5000 + b"}"),  # past int()'s digits limit
            (None, b"not json"),
            (None, b"[1, 2]"),
        ]:
            size = length if length is not None else str(len(body)).encode()
            status = _status_line(service.port, head + b"Content-Length: " + size + b"\r\n\r\n" + body)
            assert status.startswith(b"HTTP/1.1 400"), (length, body[:20], status)
        assert _status_line(service.port, head + b"Content-Length: 2\r\n\r\n{}").startswith(b"HTTP/1.1 200")
        assert service.faults.latency_factor == 1.0
    finally:
        service.stop()
