"""The runtime of every generated instrumentation module, as real, checked Python.

`mongen generate` copies this file, from `from __future__` to the end, into each generated
`<service>_metrics.py` after that module's own docstring, then appends the spec's data: label
tables, enums, metric objects and thin typed wrappers (mongen/templates/instrumentation.py.j2).
The generated module therefore stays one standalone file the service copies, and this code runs
inside the service: it imports only the standard library and prometheus_client, it never raises
on the values a request brings (a label value or a measurement is not worth an exception), and
every name it defines at module level is a name of the generated module, which the generator
never reuses for a spec-derived identifier.
"""

from __future__ import annotations

import enum
import functools
import inspect
import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from types import TracebackType
from typing import Any, Generic, ParamSpec, SupportsFloat, TypeVar, cast

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    make_asgi_app,
    make_wsgi_app,
    start_http_server,
)
from prometheus_client.multiprocess import MultiProcessCollector

# `_created` series double the series count and no rule or dashboard reads them.
disable_created_metrics()  # type: ignore[no-untyped-call,unused-ignore]

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
REGISTRY = CollectorRegistry(auto_describe=True)

_Metric = TypeVar("_Metric", Counter, Gauge, Histogram)
_P = ParamSpec("_P")
_R = TypeVar("_R")


# --- label normalization --------------------------------------------------------------
class _LabelTable:
    """One label's declared values, and how any raw input maps onto exactly one of them.

    `classes` maps a status class's digit to its value (`{"5": "5xx"}`): a three-digit code that
    is not declared itself (502, 504) is recorded as its class, not as the fallback, so the error
    selectors that count the class see it."""

    __slots__ = ("_classes", "_declared", "_lookup", "fallback", "path_like", "values")

    def __init__(
        self,
        values: tuple[str, ...],
        fallback: str,
        aliases: Mapping[str, str] | None = None,
        *,
        path_like: bool = False,
        classes: Mapping[str, str] | None = None,
    ) -> None:
        self.values = values
        self.fallback = fallback
        self.path_like = path_like
        self._classes = dict(classes or {})
        self._declared = frozenset(values)
        lookup: dict[str, str] = {}
        for value in values:
            lookup.setdefault(self._key(value), value)
        for alias, value in (aliases or {}).items():
            if value in self._declared:
                lookup[self._key(alias)] = value
        self._lookup = lookup

    def _key(self, text: str) -> str:
        # Unbound str methods: a str subclass from __str__ cannot change what they return.
        key = str.casefold(str.strip(text))
        if self.path_like:
            # `/synthesize/?voice=1` is a request to `/synthesize`.
            key = key.split("?", 1)[0].rstrip("/") or "/"
        return key

    def normalize(self, raw: object) -> str:
        """The declared value for `raw`: a declared value as is, else the trimmed, case-folded
        text (an Enum's value) or its alias, else the fallback. Never raises."""
        if type(raw) is str and raw in self._declared:
            return raw
        try:
            text = raw.value if isinstance(raw, enum.Enum) else raw
            key = self._key(str(text))
            found = self._lookup.get(key)
            if found is not None:
                return found
            if len(key) == 3 and key.isascii() and key.isdigit():
                return self._classes.get(key[0], self.fallback)
            return self.fallback
        except Exception:  # whatever __str__, __class__ or .value do, the label stays bounded
            return self.fallback


def _measurement(value: object) -> float | None:
    """`value` as a float when it is a finite number >= 0 (durations, lengths, bytes), else None.

    NaN would poison a histogram's `_sum` for good, a negative value makes it shrink and an
    infinite one makes it +Inf: such values are dropped, never recorded."""
    try:
        number = float(cast("SupportsFloat", value))
    except Exception:  # not a number at all (None, text, an object whose __float__ raises)
        return None
    return number if 0.0 <= number < math.inf else None


# --- metric children --------------------------------------------------------------------
def _combinations(tables: Sequence[_LabelTable]) -> list[tuple[str, ...]]:
    """Every combination of the tables' declared values, in declaration order."""
    combos: list[tuple[str, ...]] = [()]
    for table in tables:
        combos = [(*prefix, value) for prefix in combos for value in table.values]
    return combos


class _Feed(Generic[_Metric]):
    """A metric a helper feeds: which of the helper's label values it takes, and its children.

    Every label combination is created up front, so `rate()` sees 0 instead of nothing and a
    request finds its child with one dict lookup."""

    __slots__ = ("_children", "_key", "_metric")
    _metric: _Metric
    _key: Callable[[tuple[str, ...]], Any] | None
    _children: dict[Any, _Metric]

    def __init__(self, metric: _Metric, positions: tuple[int, ...], tables: Sequence[_LabelTable]) -> None:
        self._metric = metric
        # itemgetter picks a metric's values out of the helper's: a tuple for several labels, the
        # value itself for one; the children are keyed the same way.
        self._key = itemgetter(*positions) if positions else None
        combos = _combinations(tables) if positions else []
        self._children = {combo if len(combo) > 1 else combo[0]: metric.labels(*combo) for combo in combos}

    def child(self, values: tuple[str, ...]) -> _Metric:
        """The child for the helper's normalized label values (all of them, in helper order)."""
        if self._key is None:
            return self._metric
        key = self._key(values)
        child = self._children.get(key)
        if child is None:  # unreachable while normalizers return declared values; kept safe
            child = self._metric.labels(*key) if isinstance(key, tuple) else self._metric.labels(key)
        return child


def _feed(
    metric: _Metric, names: tuple[str, ...], helper_names: tuple[str, ...], tables: Mapping[str, _LabelTable]
) -> _Feed[_Metric]:
    return _Feed(metric, tuple(helper_names.index(name) for name in names), [tables[name] for name in names])


def _precreate(metric: _Metric, names: tuple[str, ...], tables: Mapping[str, _LabelTable]) -> None:
    """Create every label combination of a metric no helper feeds (see _Feed)."""
    _feed(metric, names, names, tables)


class _Measured:
    """A histogram or gauge that one helper sets from one measurement (model time, GPU bytes)."""

    def __init__(
        self,
        metric: Histogram | Gauge,
        names: tuple[str, ...],
        tables: Mapping[str, _LabelTable],
        dropped: Counter,
    ) -> None:
        self._tables = tuple(tables[name] for name in names)
        self._histogram = _feed(metric, names, names, tables) if isinstance(metric, Histogram) else None
        self._gauge = _feed(metric, names, names, tables) if isinstance(metric, Gauge) else None
        self._dropped = dropped

    def record(self, value: object, raw_labels: tuple[object, ...] = ()) -> None:
        number = _measurement(value)
        if number is None:
            self._dropped.inc()
            return
        values = tuple(map(_LabelTable.normalize, self._tables, raw_labels))
        if self._histogram is not None:
            self._histogram.child(values).observe(number)
        elif self._gauge is not None:
            self._gauge.child(values).set(number)


# --- one-call request recording ---------------------------------------------------------
class _RequestMetrics:
    """Every metric one request updates, fed from one set of raw label values.

    `label_names` is the order of record_request's label parameters. The status label, if the
    spec's error selector names one, is what track_request sets when the request ends: the
    block's `.status` (default `success_status`), or `error_status` when the block raised."""

    def __init__(
        self,
        label_names: tuple[str, ...],
        tables: Mapping[str, _LabelTable],
        dropped: Counter,
        *,
        requests: tuple[Counter, tuple[str, ...]] | None = None,
        usage: tuple[Counter, tuple[str, ...]] | None = None,
        duration: tuple[Histogram, tuple[str, ...]] | None = None,
        input_length: tuple[Histogram, tuple[str, ...]] | None = None,
        in_flight: tuple[Gauge, tuple[str, ...]] | None = None,
        status_label: str | None = None,
        success_status: str = "",
        error_status: str = "",
    ) -> None:
        self._tables = tuple(tables[name] for name in label_names)
        self._dropped = dropped
        self._counters = tuple(_feed(m, names, label_names, tables) for m, names in filter(None, (requests, usage)))
        self._duration = _feed(duration[0], duration[1], label_names, tables) if duration else None
        self._input_length = _feed(input_length[0], input_length[1], label_names, tables) if input_length else None
        self._in_flight = _feed(in_flight[0], in_flight[1], label_names, tables) if in_flight else None
        self._status_at = label_names.index(status_label) if status_label is not None else None
        self._status_table = tables[status_label] if status_label is not None else None
        self.success_status = success_status
        self.error_status = error_status

    def _normalized(self, raw_labels: tuple[object, ...], tables: tuple[_LabelTable, ...]) -> tuple[str, ...]:
        return tuple(map(_LabelTable.normalize, tables, raw_labels))

    def record(
        self, raw_labels: tuple[object, ...], duration_seconds: object = None, text_length: object = None
    ) -> None:
        """One finished request; `raw_labels` in `label_names` order, each normalized here."""
        self._record(self._normalized(raw_labels, self._tables), duration_seconds, text_length)

    def _record(self, values: tuple[str, ...], duration_seconds: object, text_length: object) -> None:
        for counter in self._counters:
            counter.child(values).inc()
        if self._duration is not None:
            seconds = _measurement(duration_seconds)
            if seconds is None:
                self._dropped.inc()
            else:
                self._duration.child(values).observe(seconds)
        if self._input_length is not None and text_length is not None:
            length = _measurement(text_length)
            if length is None:
                self._dropped.inc()
            else:
                self._input_length.child(values).observe(length)

    def track(self, raw_labels: tuple[object, ...], text_length: object = None) -> TrackedRequest:
        """A request to time: `raw_labels` in `label_names` order without the status label."""
        tables = self._tables
        if self._status_at is not None:
            tables = tables[: self._status_at] + tables[self._status_at + 1 :]
        return TrackedRequest(self, self._normalized(raw_labels, tables), text_length)

    def _with_status(self, values: tuple[str, ...], status: object) -> tuple[str, ...]:
        if self._status_at is None or self._status_table is None:
            return values
        at = self._status_at
        return (*values[:at], self._status_table.normalize(status), *values[at:])

    def begin(self, values: tuple[str, ...]) -> Gauge | None:
        if self._in_flight is None:
            return None
        gauge = self._in_flight.child(self._with_status(values, self.success_status))
        gauge.inc()
        return gauge

    def end(self, values: tuple[str, ...], status: object, duration: float, text_length: object) -> None:
        self._record(self._with_status(values, status), duration, text_length)


class TrackedRequest:
    """One request, recorded once when it ends: `with`, `async with`, or a decorator on a
    `def` or an `async def` (each call is then one request).

    Set `.status` inside the block (it defaults to the success status); when the block raises,
    the request is recorded with the error status and the exception propagates. The in-flight
    gauge, if the spec has one, counts the request while it runs."""

    def __init__(self, requests: _RequestMetrics, values: tuple[str, ...], text_length: object) -> None:
        self.status: object = requests.success_status
        self._requests = requests
        self._values = values
        self._text_length = text_length
        self._started: float | None = None
        self._in_flight: Gauge | None = None

    def __enter__(self) -> TrackedRequest:
        if self._started is not None:  # entered again while running: still one request
            return self
        self._in_flight = self._requests.begin(self._values)
        self._started = time.perf_counter()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._started is None:  # never entered, or recorded already: a request counts once
            return
        duration = time.perf_counter() - self._started
        self._started = None
        if self._in_flight is not None:
            self._in_flight.dec()
            self._in_flight = None
        status = self.status if exc_type is None else self._requests.error_status
        self._requests.end(self._values, status, duration, self._text_length)

    async def __aenter__(self) -> TrackedRequest:
        return self.__enter__()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.__exit__(exc_type, exc, tb)

    def __call__(self, func: Callable[_P, _R]) -> Callable[_P, _R]:
        """Track every call of `func` as one request (an `async def` while it is awaited)."""
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def tracked_coroutine(*args: _P.args, **kwargs: _P.kwargs) -> Any:
                async with self._another():
                    return await func(*args, **kwargs)

            return cast("Callable[_P, _R]", tracked_coroutine)

        @functools.wraps(func)
        def tracked(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            with self._another():
                return func(*args, **kwargs)

        return tracked

    def _another(self) -> TrackedRequest:
        return TrackedRequest(self._requests, self._values, self._text_length)


# --- exposure -------------------------------------------------------------------------
_debug_collectors_on = False


def enable_debug_collectors() -> None:
    """Expose process_*, python_gc_* and python_info (off by default: they leak details)."""
    global _debug_collectors_on
    if not _debug_collectors_on:
        for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
            REGISTRY.register(collector)
        _debug_collectors_on = True


if os.environ.get("MONGEN_DEBUG_COLLECTORS") == "1":
    enable_debug_collectors()


def _exposition_registry() -> CollectorRegistry:
    """REGISTRY, or with PROMETHEUS_MULTIPROC_DIR set, every worker's metrics aggregated."""
    if not MULTIPROCESS:
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call,unused-ignore]
    return registry


def _serve_metrics(port: int, addr: str) -> None:
    start_http_server(port, addr, registry=_exposition_registry())


def metrics_wsgi_app() -> Callable[..., Any]:
    """A WSGI app serving the metrics, to mount at METRICS_PATH."""
    app: Callable[..., Any] = make_wsgi_app(_exposition_registry())
    return app


def metrics_asgi_app() -> Callable[..., Any]:
    """An ASGI app serving the metrics, to mount at METRICS_PATH."""
    app: Callable[..., Any] = make_asgi_app(_exposition_registry())
    return app
