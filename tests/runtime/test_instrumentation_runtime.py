"""The instrumentation runtime (mongen/instrumentation_runtime.py), tested as the package module.

Every generated module carries this code verbatim; tests/generators/instrumentation/test_module.py checks the
generated modules themselves.
"""

from __future__ import annotations

import asyncio
import enum
import inspect
import math
from collections.abc import Callable, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from mongen import instrumentation_runtime as runtime
from mongen.instrumentation_runtime import TrackedRequest, _LabelTable, _Measured, _measurement, _RequestMetrics

EMOTIONS = _LabelTable(("happy", "sad", "neutral"), "neutral", {"joyful": "happy", " Glad ": "happy"})
ENDPOINTS = _LabelTable(("/synthesize", "/", "other"), "other", path_like=True)
# Any other 5xx is recorded as `5xx` (#14: a gateway's 502 and 504 are server errors too).
STATUSES = _LabelTable(("200", "429", "500", "5xx", "other"), "other", classes={"5": "5xx"})


class Mood(enum.Enum):
    JOY = "Joyful"


class RaisingStr:
    def __str__(self) -> str:
        raise RuntimeError("no text for you")


class RaisingAttributes:
    def __getattribute__(self, name: str) -> object:
        raise RuntimeError(f"no {name} for you")


class UnhashableFold(str):
    def casefold(self) -> list[str]:  # type: ignore[override]
        return ["unhashable"]

    def strip(self, chars: str | None = None) -> UnhashableFold:
        return self


class StrSubclassFromStr:
    def __str__(self) -> str:
        return UnhashableFold("happy")


class NotAString:
    def __str__(self) -> object:  # type: ignore[override]
        return 42


class RaisingClassAttribute:
    @property  # type: ignore[misc]
    def __class__(self) -> type:  # type: ignore[override]
        raise RuntimeError("no class for you")


# Built inside the tests: pytest and hypothesis inspect parameters, and these objects bite.
HOSTILE: dict[str, Callable[[], object]] = {
    "__str__ raises": RaisingStr,
    "every attribute raises": RaisingAttributes,
    "__str__ returns a str subclass": StrSubclassFromStr,
    "__str__ returns an int": NotAString,
    "__class__ raises": RaisingClassAttribute,
    "an int str() refuses": lambda: 10**5000,
    "bytes": lambda: b"happy",
    "None": lambda: None,
    "nan": lambda: float("nan"),
    "nested list": lambda: [1, [2]],
    "object": object,
    "control, surrogate, line separator": lambda: "\x00\ud800\u2028",
}


@pytest.mark.parametrize(
    ("table", "raw", "expected"),
    [
        (EMOTIONS, "happy", "happy"),
        (EMOTIONS, " JOYFUL\t", "happy"),
        (EMOTIONS, "glad", "happy"),  # alias keys are trimmed and case-folded too
        (EMOTIONS, Mood.JOY, "happy"),  # an Enum counts by its value
        (EMOTIONS, "bored", "neutral"),
        (ENDPOINTS, "/synthesize/?voice=1", "/synthesize"),
        (ENDPOINTS, "//", "/"),
        (ENDPOINTS, "/SYNTHESIZE", "/synthesize"),
        (ENDPOINTS, "/synthesize/more", "other"),
        (STATUSES, 429, "429"),
        (STATUSES, 502, "5xx"),
        (STATUSES, " 504 ", "5xx"),
        (STATUSES, "404", "other"),  # no 4xx class declared
        (STATUSES, "5000", "other"),
        (STATUSES, "50x", "other"),
        (STATUSES, "\uff15\uff10\uff12", "other"),  # full-width digits are not a status code
    ],
)
def test_label_table_maps_input_to_declared_values(table: _LabelTable, raw: object, expected: str) -> None:
    assert table.normalize(raw) == expected


def test_a_str_subclass_from_str_is_folded_by_str_itself() -> None:
    assert EMOTIONS.normalize(StrSubclassFromStr()) == "happy"  # its own casefold() is never called


def test_an_alias_to_an_undeclared_value_is_ignored() -> None:
    assert _LabelTable(("a", "other"), "other", {"b": "c"}).normalize("b") == "other"


@pytest.mark.parametrize("kind", HOSTILE)
def test_normalize_never_raises_on_hostile_objects(kind: str) -> None:
    raw = HOSTILE[kind]()
    for table in (EMOTIONS, ENDPOINTS, STATUSES):
        assert table.normalize(raw) in table.values


@settings(max_examples=300, deadline=None)
@given(
    raw=st.one_of(
        st.text(),
        st.integers(),
        st.floats(allow_nan=True),
        st.binary(),
        st.none(),
        st.lists(st.text()),
    )
)
def test_normalize_always_returns_a_declared_value(raw: object) -> None:
    for table in (EMOTIONS, ENDPOINTS, STATUSES):
        assert table.normalize(raw) in table.values


class RaisingFloat:
    def __float__(self) -> float:
        raise RuntimeError("no number for you")


@pytest.mark.parametrize(
    "value", [math.nan, math.inf, -math.inf, -5, -0.001, 10**400, None, "abc", RaisingFloat(), object()]
)
def test_measurement_refuses_what_would_corrupt_a_histogram(value: object) -> None:
    assert _measurement(value) is None


@pytest.mark.parametrize(("value", "expected"), [(0, 0.0), (1.5, 1.5), (120, 120.0), ("2.5", 2.5)])
def test_measurement_accepts_finite_non_negative_numbers(value: object, expected: float) -> None:
    assert _measurement(value) == expected


class Service:
    """A registry with the request metrics of a small TTS-like spec, fed by _RequestMetrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        tables = {"endpoint": ENDPOINTS, "status": STATUSES, "emotion": EMOTIONS}
        self.dropped = Counter("svc_dropped", "dropped", registry=self.registry)
        self.requests = _RequestMetrics(
            ("endpoint", "status", "emotion"),
            tables,
            self.dropped,
            requests=(
                Counter("svc_requests", "r", ["endpoint", "status", "emotion"], registry=self.registry),
                ("endpoint", "status", "emotion"),
            ),
            usage=(Counter("svc_by_emotion", "u", ["emotion"], registry=self.registry), ("emotion",)),
            duration=(Histogram("svc_seconds", "d", ["endpoint"], registry=self.registry), ("endpoint",)),
            input_length=(Histogram("svc_chars", "l", [], buckets=[10, 100], registry=self.registry), ()),
            in_flight=(Gauge("svc_in_flight", "f", ["endpoint"], registry=self.registry), ("endpoint",)),
            status_label="status",
            success_status="200",
            error_status="500",
        )

    def value(self, name: str, **labels: str) -> float:
        value = self.registry.get_sample_value(name, labels)
        assert value is not None, (name, labels)
        return value

    def count(self, status: str, endpoint: str = "/synthesize", emotion: str = "happy") -> float:
        return self.value("svc_requests_total", endpoint=endpoint, status=status, emotion=emotion)

    def in_flight(self, endpoint: str = "/synthesize") -> float:
        return self.value("svc_in_flight", endpoint=endpoint)

    def track(self) -> TrackedRequest:
        return self.requests.track(("/synthesize", "Joyful"), 42)


@pytest.fixture
def service() -> Iterator[Service]:
    yield Service()


def test_every_combination_exists_at_zero(service: Service) -> None:
    assert service.count("500", "other", "sad") == 0.0
    assert service.value("svc_by_emotion_total", emotion="neutral") == 0.0
    assert service.in_flight("/") == 0.0


def test_record_normalizes_and_feeds_every_metric(service: Service) -> None:
    service.requests.record(("/synthesize?x=1", 200, " JOYFUL"), 1.5, 80)
    assert service.count("200") == 1.0
    assert service.value("svc_by_emotion_total", emotion="happy") == 1.0
    assert service.value("svc_seconds_sum", endpoint="/synthesize") == 1.5
    assert service.value("svc_chars_sum") == 80.0
    assert service.value("svc_dropped_total") == 0.0


@pytest.mark.parametrize("bad", [math.nan, -5.0, math.inf, None, "soon"])
def test_bad_measurements_are_dropped_and_counted_but_the_request_counts(service: Service, bad: object) -> None:
    service.requests.record(("/synthesize", 200, "happy"), bad, bad)
    assert service.count("200") == 1.0
    assert service.value("svc_seconds_count", endpoint="/synthesize") == 0.0
    assert service.value("svc_seconds_sum", endpoint="/synthesize") == 0.0
    assert service.value("svc_chars_count") == 0.0
    assert service.value("svc_dropped_total") == (2.0 if bad is not None else 1.0)  # no text_length: not measured


def test_measured_helper_drops_and_counts_bad_values() -> None:
    registry = CollectorRegistry()
    dropped = Counter("m_dropped", "d", registry=registry)
    gauge = Gauge("m_gpu_bytes", "g", ["emotion"], registry=registry)
    gpu = _Measured(gauge, ("emotion",), {"emotion": EMOTIONS}, dropped)
    gpu.record(2e9, ("JOYFUL",))
    gpu.record(math.nan, ("happy",))
    gpu.record(-1, ("happy",))
    assert registry.get_sample_value("m_gpu_bytes", {"emotion": "happy"}) == 2e9
    assert registry.get_sample_value("m_dropped_total") == 2.0


def test_with_block_records_its_status(service: Service) -> None:
    with service.track() as request:
        assert service.in_flight() == 1.0
        request.status = 429
    assert (service.count("429"), service.count("200"), service.in_flight()) == (1.0, 0.0, 0.0)
    assert service.value("svc_chars_sum") == 42.0


def test_with_block_that_raises_records_the_error_once_and_propagates(service: Service) -> None:
    with pytest.raises(RuntimeError, match="boom"), service.track():
        raise RuntimeError("boom")
    assert (service.count("500"), service.count("200"), service.in_flight()) == (1.0, 0.0, 0.0)


def test_decorated_def_counts_each_call(service: Service) -> None:
    @service.track()
    def synthesize(text: str) -> str:
        assert service.in_flight() == 1.0
        return text.upper()

    assert synthesize("hi") == "HI" and synthesize(text="yo") == "YO"
    assert synthesize.__name__ == "synthesize"
    assert (service.count("200"), service.in_flight()) == (2.0, 0.0)


def test_decorated_def_that_raises_records_the_error_once(service: Service) -> None:
    @service.track()
    def synthesize() -> None:
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        synthesize()
    assert (service.count("500"), service.count("200"), service.in_flight()) == (1.0, 0.0, 0.0)


def test_decorated_async_def_is_timed_while_awaited(service: Service) -> None:
    @service.track()
    async def synthesize(text: str) -> str:
        await asyncio.sleep(0)
        assert service.in_flight() == 1.0
        return text

    assert inspect.iscoroutinefunction(synthesize), "frameworks await it only if they see a coroutine function"
    coroutine = synthesize("hi")
    assert service.count("200") == 0.0, "nothing is recorded before the body runs"
    assert asyncio.run(coroutine) == "hi"
    assert (service.count("200"), service.in_flight()) == (1.0, 0.0)


def test_decorated_async_def_that_raises_records_exactly_one_error(service: Service) -> None:
    @service.track()
    async def synthesize() -> None:
        await asyncio.sleep(0)
        raise RuntimeError("model crashed")

    with pytest.raises(RuntimeError, match="model crashed"):
        asyncio.run(synthesize())
    assert (service.count("500"), service.count("200"), service.in_flight()) == (1.0, 0.0, 0.0)


def test_async_with_that_raises_records_exactly_one_error(service: Service) -> None:
    async def handle() -> None:
        async with service.track():
            assert service.in_flight() == 1.0
            await asyncio.sleep(0)
            raise RuntimeError("model crashed")

    with pytest.raises(RuntimeError, match="model crashed"):
        asyncio.run(handle())
    assert (service.count("500"), service.count("200"), service.in_flight()) == (1.0, 0.0, 0.0)


def test_a_status_of_an_undeclared_5xx_code_is_recorded_as_its_class(service: Service) -> None:
    async def handle(status: object) -> None:
        async with service.track() as request:
            request.status = status

    for status in (502, "504", 500):
        asyncio.run(handle(status))
    assert (service.count("5xx"), service.count("500"), service.count("other")) == (2.0, 1.0, 0.0)


def test_async_with_records_its_status(service: Service) -> None:
    async def handle() -> None:
        async with service.track() as request:
            request.status = "429"

    asyncio.run(handle())
    assert (service.count("429"), service.in_flight()) == (1.0, 0.0)


def test_concurrent_async_requests_are_all_in_flight(service: Service) -> None:
    seen: list[float] = []

    @service.track()
    async def synthesize(gate: asyncio.Event) -> None:
        await gate.wait()
        seen.append(service.in_flight())

    async def main() -> None:
        gate = asyncio.Event()
        calls = [asyncio.create_task(synthesize(gate)) for _ in range(3)]
        await asyncio.sleep(0)
        seen.append(service.in_flight())
        gate.set()
        await asyncio.gather(*calls)

    asyncio.run(main())
    assert seen[0] == 3.0 and service.in_flight() == 0.0
    assert service.count("200") == 3.0


def test_a_tracked_request_counts_once_even_if_entered_twice(service: Service) -> None:
    request = service.track()
    with request, request:
        assert service.in_flight() == 1.0
    assert (service.count("200"), service.in_flight()) == (1.0, 0.0)


def test_without_a_status_label_the_given_labels_are_recorded() -> None:
    registry = CollectorRegistry()
    counter = Counter("n_requests", "r", ["emotion"], registry=registry)
    requests = _RequestMetrics(
        ("emotion",),
        {"emotion": EMOTIONS},
        Counter("n_dropped", "d", registry=registry),
        requests=(counter, ("emotion",)),
    )
    with pytest.raises(KeyError), requests.track(("sad",)):
        raise KeyError("x")
    assert registry.get_sample_value("n_requests_total", {"emotion": "sad"}) == 1.0


def test_debug_collectors_switch_is_idempotent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "REGISTRY", CollectorRegistry(auto_describe=True))
    monkeypatch.setattr(runtime, "_debug_collectors_on", False)
    assert "python_info" not in {metric.name for metric in runtime.REGISTRY.collect()}
    runtime.enable_debug_collectors()
    runtime.enable_debug_collectors()  # registering twice would raise "Duplicated timeseries"
    assert "python_info" in {metric.name for metric in runtime.REGISTRY.collect()}


def test_exposure_apps_serve_the_registry() -> None:
    assert runtime._exposition_registry() is runtime.REGISTRY  # no PROMETHEUS_MULTIPROC_DIR in tests
    assert callable(runtime.metrics_wsgi_app()) and callable(runtime.metrics_asgi_app())
