"""track_request records the status the client got: an exception's own HTTP status, a status
set before the raise, a 500 only for an exception that carries none; also for a tracker that
many threads share."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge

from mongen.instrumentation_runtime import TrackedRequest, _LabelTable, _RequestMetrics

STATUSES = _LabelTable(("200", "400", "500", "503", "4xx", "5xx", "other"), "other", classes={"4": "4xx", "5": "5xx"})
ENDPOINTS = _LabelTable(("/synthesize", "other"), "other", path_like=True)


class HTTPException(Exception):  # FastAPI's and Starlette's shape
    def __init__(self, status_code: int) -> None:
        self.status_code = status_code


class NotFound(Exception):  # werkzeug's shape: the status is a class attribute `code`
    code = 404


class Errno(Exception):
    code = 2  # an errno-like code is no HTTP status


class TextCode(Exception):
    code = "404"


class BoolCode(Exception):
    status_code = True


class RaisingStatus(Exception):
    @property
    def status_code(self) -> int:
        raise RuntimeError("no status for you")


class Service:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        dropped = Counter("t_dropped", "d", registry=self.registry)
        self.requests = _RequestMetrics(
            ("endpoint", "status"),
            {"endpoint": ENDPOINTS, "status": STATUSES},
            dropped,
            requests=(Counter("t_requests", "r", ["endpoint", "status"], registry=self.registry), ("endpoint", "status")),
            in_flight=(Gauge("t_in_flight", "f", ["endpoint"], registry=self.registry), ("endpoint",)),
            status_label="status",
            success_status="200",
            error_status="500",
        )

    def track(self) -> TrackedRequest:
        return self.requests.track(("/synthesize",))

    def counts(self) -> dict[str, float]:
        counted = {}
        for status in STATUSES.values:
            value = self.registry.get_sample_value("t_requests_total", {"endpoint": "/synthesize", "status": status})
            if value:
                counted[status] = value
        return counted

    def in_flight(self) -> float | None:
        return self.registry.get_sample_value("t_in_flight", {"endpoint": "/synthesize"})


def run_with(service: Service, form: str, body: Callable[[TrackedRequest], None]) -> None:
    """Run `body` as one request in the given form; its exception propagates."""
    if form == "with":
        with service.track() as request:
            body(request)
    elif form == "async with":

        async def handle() -> None:
            async with service.track() as request:
                await asyncio.sleep(0)
                body(request)

        asyncio.run(handle())
    elif form == "decorator":
        tracker = service.track()

        @tracker
        def handle() -> None:
            body(tracker)

        handle()
    else:
        tracker = service.track()

        @tracker
        async def handle_async() -> None:
            await asyncio.sleep(0)
            body(tracker)

        asyncio.run(handle_async())


def _raise(error: BaseException) -> Callable[[TrackedRequest], None]:
    def body(request: TrackedRequest) -> None:
        raise error

    return body


def _status_then_raise(request: TrackedRequest) -> None:
    request.status = 404
    raise ValueError("unknown voice")


FORMS = ["with", "async with", "decorator", "async decorator"]
CASES: list[tuple[str, Callable[[TrackedRequest], None], str]] = [
    ("HTTPException(400)", _raise(HTTPException(400)), "400"),
    ("HTTPException(503)", _raise(HTTPException(503)), "503"),
    ("HTTPException(502): its class", _raise(HTTPException(502)), "5xx"),
    ("werkzeug NotFound (code = 404)", _raise(NotFound()), "4xx"),
    ("status 404 set, then ValueError", _status_then_raise, "4xx"),
    ("plain RuntimeError", _raise(RuntimeError("model crashed")), "500"),
    ("an errno-like code 2", _raise(Errno()), "500"),
    ("a text code", _raise(TextCode()), "500"),
    ("a bool status_code", _raise(BoolCode()), "500"),
    ("a status_code property that raises", _raise(RaisingStatus()), "500"),
]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize(("case", "body", "expected"), CASES, ids=[c[0] for c in CASES])
def test_an_exception_is_recorded_with_the_status_it_carries(
    form: str, case: str, body: Callable[[TrackedRequest], None], expected: str
) -> None:
    service = Service()
    with pytest.raises(Exception):  # noqa: B017 - every case raises; the point is what is recorded
        run_with(service, form, body)
    assert service.counts() == {expected: 1.0}
    assert service.in_flight() == 0.0


@pytest.mark.parametrize("form", FORMS)
def test_a_status_set_without_a_raise_is_recorded(form: str) -> None:
    service = Service()

    def body(request: TrackedRequest) -> None:
        request.status = 503

    run_with(service, form, body)
    assert service.counts() == {"503": 1.0}


def test_a_tracker_shared_by_threads_records_each_entry_with_its_own_status() -> None:
    """#27.5: a tracker hoisted to module level, entered by 8 threads at once, never raises into
    them and records every request with the status that thread set."""
    service = Service()
    shared = service.track()
    errors: list[BaseException] = []
    rounds = 300
    start = threading.Barrier(8)

    def worker(index: int) -> None:
        start.wait()
        for turn in range(rounds):
            try:
                with shared as request:
                    request.status = 503 if (index + turn) % 2 else 200
                    if turn % 7 == 0:
                        threading.Event().wait(0.0001)
                    assert request.status == (503 if (index + turn) % 2 else 200)
            except BaseException as error:  # any error reaching a thread is the defect
                errors.append(error)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert service.counts() == {"200": 4 * rounds, "503": 4 * rounds}
    assert service.in_flight() == 0.0


def test_a_tracker_shared_by_async_tasks_records_each_entry() -> None:
    service = Service()
    shared = service.track()

    async def handle(status: int) -> None:
        async with shared as request:
            request.status = status
            await asyncio.sleep(0.01)
            assert request.status == status

    async def main() -> None:
        await asyncio.gather(*(handle(400 if i % 2 else 200) for i in range(20)))

    asyncio.run(main())
    assert service.counts() == {"200": 10.0, "400": 10.0}


def test_an_exit_without_an_entry_in_this_thread_records_nothing() -> None:
    service = Service()
    shared = service.track()
    shared.__exit__(None, None, None)
    assert service.counts() == {}
