"""The runtime of every generated instrumentation module, as real, checked Python.

`mongen generate` copies this file, from `from __future__` to the end, into each generated
`<service>_metrics.py` after that module's own docstring, then appends the spec's data: label
tables, enums, metric objects and thin typed wrappers (mongen/templates/instrumentation.py.j2).
The generated module therefore stays one standalone file the service copies, and this code runs
inside the service: it imports only the standard library and prometheus_client, it never raises
on the values a request brings (a label value or a measurement is not worth an exception), and
every name it defines at module level is a name of the generated module, which the generator
never reuses for a spec-derived identifier.

Lines ending in `# nvml` and blocks between `# nvml {` and `# } nvml` read GPU memory from NVML;
the generator keeps them (without those markers) only in modules whose spec has a `gpu_memory`
metric with `source: {from: nvml}`, so every other module stays as it was. The part is marked
here rather than kept in a file of its own (which would make this file shorter than its ~550
lines) because its imports must join the generated module's one import block.
"""

from __future__ import annotations

import contextvars
import enum
import errno
import functools
import importlib  # nvml
import inspect
import json
import logging
import math
import os
import re
import threading
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
from prometheus_client import values as prometheus_values
from prometheus_client.core import GaugeMetricFamily  # nvml
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

# `_created` series double the series count and no rule or dashboard reads them.
disable_created_metrics()  # type: ignore[no-untyped-call,unused-ignore]

REGISTRY = CollectorRegistry(auto_describe=True)
_LOG = logging.getLogger(__name__)
_REPORTED: set[str] = set()


def _report_once(what: str, error: BaseException) -> None:
    """Log the first failure to record `what`; the service goes on and never sees it."""
    if what not in _REPORTED:
        _REPORTED.add(what)
        _LOG.warning("a %s was not recorded: %r (logged once)", what, error)


# --- multiprocess mode ------------------------------------------------------------------
_MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def _multiprocess_dir_problem() -> str | None:
    """Why PROMETHEUS_MULTIPROC_DIR cannot hold this process's metric files, or None if it can."""
    directory = os.environ.get(_MULTIPROC_ENV, "")
    if not directory:
        return f"{_MULTIPROC_ENV} is empty"
    if not os.path.isdir(directory):
        return f"{_MULTIPROC_ENV}={directory!r} is not a directory (removed by a tmp cleaner or a redeploy?)"
    if not os.access(directory, os.W_OK | os.X_OK):
        return f"{_MULTIPROC_ENV}={directory!r} is not writable"
    return None


def _fall_back_to_in_process(problem: str) -> None:
    """Keep metrics in this process's memory: prometheus_client would raise FileNotFoundError at
    the first metric (at import) or at the first update after a fork, into the service."""
    global MULTIPROCESS
    MULTIPROCESS = False
    prometheus_values.ValueClass = prometheus_values.MutexValue
    _LOG.warning("%s: metrics stay in this process (pid %d), not aggregated across workers", problem, os.getpid())


def _in_process_value() -> Any:
    return prometheus_values.MutexValue("", "", "", (), (), "")  # type: ignore[no-untyped-call,unused-ignore]


def _in_process_values() -> None:
    """Swap every metric value of REGISTRY for an in-process one (after a fork into a vanished
    multiprocess dir: the inherited values would reopen their files there and raise)."""
    for collector in list(getattr(REGISTRY, "_collector_to_names", {})):
        children = getattr(collector, "_metrics", None)
        for metric in [collector, *(children.values() if isinstance(children, dict) else ())]:
            for attribute in ("_value", "_sum", "_count"):
                if getattr(getattr(metric, attribute, None), "_multiprocess", False):
                    setattr(metric, attribute, _in_process_value())
            buckets = getattr(metric, "_buckets", None)
            if isinstance(buckets, list):
                buckets[:] = [_in_process_value() for _ in buckets]


def _after_fork_in_child() -> None:
    if MULTIPROCESS:
        problem = _multiprocess_dir_problem()
        if problem is not None:
            _fall_back_to_in_process(problem)
            _in_process_values()


MULTIPROCESS = _MULTIPROC_ENV in os.environ
if MULTIPROCESS and (_problem := _multiprocess_dir_problem()) is not None:
    _fall_back_to_in_process(_problem)
os.register_at_fork(after_in_child=_after_fork_in_child)

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
        try:
            self._record(value, raw_labels)
        except Exception as error:  # a metric store that fails (a vanished multiprocess dir)
            _report_once("measurement", error)

    def timer(self, raw_labels: tuple[object, ...] = ()) -> _Timer:
        """A `with` block, `async with` block or decorated function whose duration is recorded."""
        return _Timer(self, raw_labels)

    def read_from(self, read: Callable[[], object], raw_labels: tuple[object, ...] = ()) -> None:
        """Read the gauge from `read()` at every scrape (in this process). A value that is no
        finite number >= 0, or a `read` that raises, shows as NaN: a scrape never fails."""
        if self._gauge is None:
            return
        reported: list[bool] = []

        def value() -> float:
            try:
                number = _measurement(read())
            except Exception as error:
                number = None
                if not reported:
                    reported.append(True)
                    _LOG.warning("the GPU memory callback raised %r; the gauge shows NaN (logged once)", error)
            return math.nan if number is None else number

        values = tuple(map(_LabelTable.normalize, self._tables, raw_labels))
        self._gauge.child(values).set_function(value)

    def _record(self, value: object, raw_labels: tuple[object, ...]) -> None:
        number = _measurement(value)
        if number is None:
            self._dropped.inc()
            return
        values = tuple(map(_LabelTable.normalize, self._tables, raw_labels))
        if self._histogram is not None:
            self._histogram.child(values).observe(number)
        elif self._gauge is not None:
            self._gauge.child(values).set(number)


class _BlockOrDecorator:
    """A `with` / `async with` block that is also a decorator: each call of a decorated `def`, or
    of an `async def` while it is awaited, runs inside the block (the same object, so a recursive
    call is inside it already)."""

    def __enter__(self) -> Any:
        raise NotImplementedError

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Any:
        return self.__enter__()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.__exit__(exc_type, exc, tb)

    def __call__(self, func: Callable[_P, _R]) -> Callable[_P, _R]:
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def in_block_coroutine(*args: _P.args, **kwargs: _P.kwargs) -> Any:
                async with self:
                    return await func(*args, **kwargs)

            return cast("Callable[_P, _R]", in_block_coroutine)

        @functools.wraps(func)
        def in_block(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            with self:
                return func(*args, **kwargs)

        return in_block


class _Timer(_BlockOrDecorator):
    """Times a block or each call of a function into a _Measured histogram; each thread or task
    times its own entries (the start times live in a context variable)."""

    def __init__(self, measured: _Measured, raw_labels: tuple[object, ...]) -> None:
        self._measured = measured
        self._raw_labels = raw_labels
        self._starts: contextvars.ContextVar[tuple[float, ...]] = contextvars.ContextVar("mongen_timer", default=())

    async def __aenter__(self) -> _Timer:
        return self.__enter__()

    def __enter__(self) -> _Timer:
        self._starts.set((*self._starts.get(), time.perf_counter()))
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        starts = self._starts.get()
        if starts:
            self._starts.set(starts[:-1])
            self._measured.record(time.perf_counter() - starts[-1], self._raw_labels)


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
        try:
            self._record(self._normalized(raw_labels, self._tables), duration_seconds, text_length)
        except Exception as error:  # a metric store that fails (a vanished multiprocess dir)
            _report_once("request", error)

    def normalized(self, raw_labels: tuple[object, ...]) -> tuple[str, ...]:
        """`raw_labels` (in `label_names` order) normalized, for record_normalized()."""
        return self._normalized(raw_labels, self._tables)

    def record_normalized(self, values: tuple[str, ...], duration_seconds: object, text_length: object) -> None:
        """record() of labels normalized already; never raises."""
        try:
            self._record(values, duration_seconds, text_length)
        except Exception as error:  # a metric store that fails (a vanished multiprocess dir)
            _report_once("request", error)

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


# An exception that carries the HTTP status its framework answers with: FastAPI's and Starlette's
# HTTPException (`status_code`), werkzeug's (`code`). Anything else is the error status.
_STATUS_ATTRIBUTES = ("status_code", "code")


def _exception_status(error: BaseException | None) -> int | None:
    """The HTTP status `error` carries (an int in 100..599 under a known attribute), else None."""
    for attribute in _STATUS_ATTRIBUTES:
        try:
            value = getattr(error, attribute, None)
            if isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599:
                return int(value)
        except Exception:  # a property that raises carries no status
            continue
    return None


class _Call:
    """One running request of a TrackedRequest, private to the thread or task that entered it."""

    __slots__ = ("depth", "in_flight", "started", "status", "status_set", "token")

    def __init__(self, status: object, status_set: bool) -> None:
        self.status = status
        self.status_set = status_set
        self.started = time.perf_counter()
        self.in_flight: Gauge | None = None
        self.depth = 0
        self.token: contextvars.Token[_Call | None] | None = None


class TrackedRequest(_BlockOrDecorator):
    """One request, recorded once when it ends: `with`, `async with`, or a decorator on a
    `def` or an `async def` (each call is then one request).

    Set `.status` inside the block (it defaults to the success status). When the block raises,
    the request is recorded with the status set inside the block before the raise, else the HTTP
    status the exception carries (`status_code`, or an int `code` in 100..599 as werkzeug's),
    else the error status; the exception propagates. The in-flight gauge, if the spec has one,
    counts the request while it runs.

    One object may be shared: hoisted to module level and entered by many threads or tasks at
    once, each entry is its own request with its own `.status` (the running call lives in a
    context variable), and recording never raises into the caller."""

    def __init__(self, requests: _RequestMetrics, values: tuple[str, ...], text_length: object) -> None:
        self._requests = requests
        self._values = values
        self._text_length = text_length
        self._status: object = requests.success_status
        self._status_set = False
        self._calls: contextvars.ContextVar[_Call | None] = contextvars.ContextVar("mongen_request", default=None)

    @property
    def status(self) -> object:
        call = self._calls.get()
        return self._status if call is None else call.status

    @status.setter
    def status(self, value: object) -> None:
        call = self._calls.get()
        if call is None:  # set before entering: the status every later entry starts from
            self._status, self._status_set = value, True
        else:
            call.status, call.status_set = value, True

    async def __aenter__(self) -> TrackedRequest:
        return self.__enter__()

    def __enter__(self) -> TrackedRequest:
        call = self._calls.get()
        if call is not None:  # entered again while running in this thread or task: still one request
            call.depth += 1
            return self
        call = _Call(self._status, self._status_set)
        call.token = self._calls.set(call)
        try:
            call.in_flight = self._requests.begin(self._values)
        except Exception as error:  # a metric store that fails (a vanished multiprocess dir)
            _report_once("in-flight gauge", error)
        call.started = time.perf_counter()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        call = self._calls.get()
        if call is None:  # never entered in this thread or task: nothing to record
            return
        if call.depth:
            call.depth -= 1
            return
        duration = time.perf_counter() - call.started
        try:
            if call.token is not None:
                self._calls.reset(call.token)
        except ValueError:  # exited in another context than the one that entered
            self._calls.set(None)
        try:
            if call.in_flight is not None:
                call.in_flight.dec()
            self._requests.end(self._values, self._final_status(call, exc), duration, self._text_length)
        except Exception as error:
            _report_once("request", error)

    def _final_status(self, call: _Call, error: BaseException | None) -> object:
        if error is None or call.status_set:
            return call.status
        carried = _exception_status(error)
        return self._requests.error_status if carried is None else carried


# --- HTTP middleware (ASGI and WSGI, no web framework imported) -----------------------------
_SKIPPED = object()  # a path the middleware leaves uncounted
# Raw label tuples the middleware remembers the normalized values of (method, route, status and
# body values of real traffic are few; normalizing them again is most of a request's label work).
_NORMALIZED_CACHE = 4096
_CACHEABLE = (str, int, type(None))
# Longer raw values are normalized each time: a key holds at most this many characters (or a
# bounded int), so the cache stays a few megabytes however long the values clients send.
_CACHEABLE_LENGTH = 128


class _HttpRequests:
    """Where the middleware takes each of record_request's labels from: the HTTP method, the route
    (a path mapped to the route label's value), the response status, a top-level field of the
    JSON request body (read as the app reads it, at most `max_body_bytes`), else the fallback.

    `routes` None: every declared value of the route label that is a path is its own route."""

    def __init__(
        self,
        requests: _RequestMetrics,
        label_names: tuple[str, ...],
        tables: Mapping[str, _LabelTable],
        *,
        method_label: str | None = None,
        route_label: str | None = None,
        status_label: str | None = None,
        routes: Mapping[str, str] | None = None,
        skip: tuple[str, ...] = (),
        body_labels: Mapping[str, str] | None = None,
        text_length_field: str | None = None,
        max_body_bytes: int = 65536,
    ) -> None:
        self.requests = requests
        self._names = label_names
        self._method_at = label_names.index(method_label) if method_label in label_names else None
        self._route_at = label_names.index(route_label) if route_label in label_names else None
        self._status_at = label_names.index(status_label) if status_label in label_names else None
        route_table = tables.get(route_label or "")
        self._route_fallback = route_table.fallback if route_table is not None else ""
        self._routes = {self._path_key(path): value for path, value in routes.items()} if routes is not None else None
        self._skip = frozenset(self._path_key(path) for path in skip)
        self._skip_prefixes = tuple(path + "/" for path in self._skip)
        self._body = {
            label_names.index(label): field for label, field in (body_labels or {}).items() if label in label_names
        }
        self._text_field = text_length_field
        self._normalized: dict[tuple[object, ...], tuple[str, ...]] = {}
        self.max_body_bytes = max_body_bytes if (self._body or text_length_field) else 0

    @staticmethod
    def _path_key(path: str) -> str:
        return path.split("?", 1)[0].rstrip("/") or "/"

    def route(self, path: object) -> object:
        """The raw route label value for `path`, or _SKIPPED for a path the spec leaves uncounted
        (`/metrics`, `/docs` and what lies under them); looked up once, when the request starts."""
        if not isinstance(path, str):
            return None
        key = self._path_key(path)
        if self._skip and (key in self._skip or key.startswith(self._skip_prefixes)):
            return _SKIPPED
        if self._routes is None:
            return path
        return self._routes.get(key, self._route_fallback)

    def record(self, method: object, route: object, status: object, body: bytes | None, seconds: float) -> None:
        """One answered request (`route` from route()); never raises (a label is not worth a
        failed request)."""
        try:
            raw: list[object] = [None] * len(self._names)
            if self._method_at is not None:
                raw[self._method_at] = method
            if self._route_at is not None:
                raw[self._route_at] = route
            if self._status_at is not None:
                raw[self._status_at] = status
            if self.max_body_bytes:
                fields = self._fields(body)
                for at, field in self._body.items():
                    raw[at] = fields.get(field)
                text = fields.get(self._text_field) if self._text_field is not None else None
                length = len(text) if isinstance(text, str) else None
            else:
                length = None
            key = tuple(raw)
            # Plain short text and small numbers only (a JSON list is unhashable; no object decides
            # its own hash or equality), and a bounded count, so hostile bodies cannot grow the cache.
            cacheable = all(type(v) in _CACHEABLE and (v is None or len(str(v)) <= _CACHEABLE_LENGTH) for v in key)
            values = self._normalized.get(key) if cacheable else None
            if values is None:
                values = self.requests.normalized(key)
                if cacheable and len(self._normalized) < _NORMALIZED_CACHE:
                    self._normalized[key] = values
            self.requests.record_normalized(values, seconds, length)
        except Exception as error:
            _report_once("request", error)

    def _fields(self, body: bytes | None) -> dict[str, Any]:
        if not body:
            return {}
        try:
            parsed = json.loads(body)
        except Exception:  # not JSON, not UTF-8, too deep: no field to read
            return {}
        return parsed if isinstance(parsed, dict) else {}


class _BodyCopy:
    """The first bytes of a request body as the app reads them, or None once over the limit."""

    __slots__ = ("_chunks", "_limit", "_size")

    def __init__(self, limit: int) -> None:
        self._chunks: list[bytes] | None = [] if limit > 0 else None
        self._limit = limit
        self._size = 0

    def add(self, chunk: object) -> None:
        if self._chunks is None or not isinstance(chunk, bytes | bytearray) or not chunk:
            return
        self._size += len(chunk)
        if self._size > self._limit:
            self._chunks = None  # a partial document would not parse anyway
        else:
            self._chunks.append(bytes(chunk))

    def text(self) -> bytes | None:
        return b"".join(self._chunks) if self._chunks else None


class _AsgiMetricsMiddleware:
    """Counts every HTTP request once with the status the client got (the response start's, or
    500 when the app raised before starting one), timed until the last body chunk is sent."""

    def __init__(self, app: Any, http: _HttpRequests) -> None:
        self.app = app
        self._http = http

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        http = self._http
        route = http.route(scope.get("path")) if scope.get("type") == "http" else _SKIPPED
        if route is _SKIPPED:
            await self.app(scope, receive, send)
            return
        body = _BodyCopy(http.max_body_bytes)
        status: int | None = None
        recorded = False
        started = time.perf_counter()

        def finish() -> None:
            nonlocal recorded
            if not recorded:
                recorded = True
                seconds = time.perf_counter() - started
                http.record(scope.get("method"), route, 500 if status is None else status, body.text(), seconds)

        async def observed_receive() -> Any:
            message = await receive()
            try:
                if message.get("type") == "http.request":
                    body.add(message.get("body"))
            except Exception as error:  # a message that is no dict: the app will say so
                _report_once("request body", error)
            return message

        async def observed_send(message: Any) -> None:
            nonlocal status
            kind = message.get("type") if isinstance(message, dict) else None
            if kind == "http.response.start" and status is None:
                status = message.get("status")
            await send(message)
            if kind == "http.response.body" and not message.get("more_body", False):
                finish()

        try:
            await self.app(scope, observed_receive if http.max_body_bytes else receive, observed_send)
        finally:
            finish()


class _ObservedInput:
    """wsgi.input, copying what the app reads of it into a _BodyCopy. It offers the read methods
    the wrapped stream offers and no others (an app may test for `readinto`): each is looked up
    on the stream when the app first asks for it."""

    def __init__(self, stream: Any, body: _BodyCopy) -> None:
        self._stream = stream
        self._body = body

    def _observed_read(self, read: Callable[..., Any]) -> Callable[..., Any]:
        def observed(*args: Any) -> Any:
            chunk = read(*args)
            self._body.add(chunk)
            return chunk

        return observed

    def _observed_readinto(self, readinto: Callable[..., Any]) -> Callable[..., Any]:
        def observed(buffer: Any) -> Any:
            size = readinto(buffer)
            if isinstance(size, int) and size > 0:
                self._body.add(bytes(memoryview(buffer)[:size]))
            return size

        return observed

    def _observed_readlines(self, readlines: Callable[..., Any]) -> Callable[..., Any]:
        def observed(*args: Any) -> Any:
            lines = readlines(*args)
            for line in lines:
                self._body.add(line)
            return lines

        return observed

    def __iter__(self) -> Any:
        return self._lines(iter(self._stream))  # a stream that is no iterable fails here, as itself

    def _lines(self, lines: Any) -> Any:
        for line in lines:
            self._body.add(line)
            yield line

    def __getattr__(self, name: str) -> Any:
        found = getattr(self.__dict__.get("_stream"), name)  # AttributeError where the stream has none
        if name in ("read", "readline"):
            found = self._observed_read(found)
        elif name == "readinto":
            found = self._observed_readinto(found)
        elif name == "readlines":
            found = self._observed_readlines(found)
        else:
            return found
        setattr(self, name, found)  # looked up once per request
        return found


class _WsgiResponse:
    """The app's response iterable; the request is recorded when the server closes it, after the
    last chunk went out (PEP 3333: the server calls close())."""

    def __init__(self, iterable: Any, finish: Callable[[], None]) -> None:
        self._iterable = iterable
        self._finish = finish

    def __iter__(self) -> Any:
        return iter(self._iterable)

    def close(self) -> None:
        _close_then(self._iterable, self._finish)


class _SizedWsgiResponse(_WsgiResponse):
    """A response whose iterable has a length keeps it: a server sets Content-Length itself for a
    response of one chunk (wsgiref, gunicorn)."""

    def __len__(self) -> int:
        return len(self._iterable)


def _close_then(iterable: Any, finish: Callable[[], None]) -> None:
    _call_then(getattr(iterable, "close", None), finish)


def _call_then(close: Callable[[], Any] | None, finish: Callable[[], None]) -> None:
    try:
        if close is not None:
            close()
    finally:
        finish()


def _observed_response(iterable: Any, environ: Any, finish: Callable[[], None]) -> Any:
    """What the server gets back: the server's own wsgi.file_wrapper object where the app returned
    one, its close() now recording the request, so that the server can still send the file itself
    (PEP 3333); any other iterable wrapped, with its length where it has one."""
    file_wrapper = environ.get("wsgi.file_wrapper")
    if isinstance(file_wrapper, type) and isinstance(iterable, file_wrapper):
        sendable: Any = iterable
        own_close = getattr(sendable, "close", None)
        try:
            sendable.close = lambda: _call_then(own_close, finish)  # the instance's, not the class's
            return sendable
        except (AttributeError, TypeError):  # a wrapper with __slots__: wrap it as any other
            pass
    return (_SizedWsgiResponse if hasattr(iterable, "__len__") else _WsgiResponse)(iterable, finish)


def _wsgi_path(path: object) -> object:
    """PATH_INFO as the text the client sent: a WSGI server hands the URL's bytes over decoded as
    Latin-1 (PEP 3333), so `/clonée` arrives as `/clonÃ©e` and would match no route the spec
    writes (ASGI servers decode UTF-8 already). Bytes that are no UTF-8 stay as the server gave them."""
    if not isinstance(path, str):
        return path
    try:
        return path.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return path


class _WsgiMetricsMiddleware:
    """The WSGI counterpart of _AsgiMetricsMiddleware (Flask: `app.wsgi_app = ...(app.wsgi_app)`)."""

    def __init__(self, app: Any, http: _HttpRequests) -> None:
        self.app = app
        self._http = http

    def __call__(self, environ: Any, start_response: Any) -> Any:
        http = self._http
        route = http.route(_wsgi_path(environ.get("PATH_INFO")))
        if route is _SKIPPED:
            return self.app(environ, start_response)
        body = _BodyCopy(http.max_body_bytes)
        if http.max_body_bytes and environ.get("wsgi.input") is not None:
            environ["wsgi.input"] = _ObservedInput(environ["wsgi.input"], body)
        status: list[int] = []
        recorded: list[bool] = []
        started = time.perf_counter()

        def finish() -> None:
            if not recorded:
                recorded.append(True)
                seconds = time.perf_counter() - started
                http.record(environ.get("REQUEST_METHOD"), route, status[-1] if status else 500, body.text(), seconds)

        def observed_start_response(line: str, headers: Any, exc_info: Any = None) -> Any:
            try:
                status.append(int(str(line).split(None, 1)[0]))
            except Exception as error:
                _report_once("response status", error)
            return start_response(line, headers, exc_info) if exc_info is not None else start_response(line, headers)

        try:
            return _observed_response(self.app(environ, observed_start_response), environ, finish)
        except BaseException:
            finish()
            raise


# nvml {
# --- GPU memory read from NVML at scrape time ---------------------------------------------
_NVML_LOG = logging.getLogger(__name__)
# prometheus_client's multiprocess files end in the writing process's PID: `gauge_livesum_123.db`.
_MULTIPROC_FILE_PID = re.compile(r"_([0-9]+)\.db\Z")
# How many parents /proc is asked for before a process is taken for someone else's.
_MAX_PROCESS_DEPTH = 32


def _parent_pid(pid: int) -> int | None:
    """The parent of `pid` from /proc (Linux), or None where it cannot be read."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            # `pid (comm) state ppid ...`: comm may hold spaces and parentheses; the last `)` ends it.
            return int(stat.read().rpartition(b")")[2].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def _service_pids() -> set[int]:
    """This process, and with PROMETHEUS_MULTIPROC_DIR set every worker that wrote metrics there."""
    pids = {os.getpid()}
    if MULTIPROCESS:
        try:
            names = os.listdir(os.environ[_MULTIPROC_ENV])
        except OSError:
            names = []
        pids.update(int(found[1]) for found in map(_MULTIPROC_FILE_PID.search, names) if found)
    return pids


def _is_service_process(pid: int, service: set[int]) -> bool:
    """`pid` is one of `service` or a descendant of one (a worker, a data loader)."""
    for _ in range(_MAX_PROCESS_DEPTH):
        if pid in service:
            return True
        parent = _parent_pid(pid)
        if parent is None or parent <= 1:
            return False
        pid = parent
    return False


class _NvmlGpuMemory:
    """A `gpu_memory` gauge read from NVML (pynvml, package nvidia-ml-py) at each scrape: one
    series per visible GPU, the first `max_gpus` of them, labelled `gpu` with the GPU's NVML index
    (the `gpu` label of dcgm-exporter).

    `device` mode exposes the GPU's used memory (every process, the CUDA contexts included);
    `process` mode the `usedGpuMemory` NVML lists for this service's compute processes: this
    process, its descendants and, in multiprocess mode, the workers that wrote metrics to
    PROMETHEUS_MULTIPROC_DIR (0 on a GPU none of them uses).

    Visible GPUs: every GPU NVML counts, or, with CUDA_VISIBLE_DEVICES set, its entries in order:
    a number is an NVML index (CUDA's own numbering agrees with CUDA_DEVICE_ORDER=PCI_BUS_ID), a
    `GPU-...` entry a full UUID; the list ends at the first entry NVML cannot resolve, so an empty
    value shows no GPU, as it hides every GPU from CUDA.

    pynvml is imported at the first scrape, never at import. Without it, without a driver, without
    a visible GPU or while NVML fails, the scrape has no series of this metric and the reason is
    logged once; a scrape never raises."""

    def __init__(self, name: str, documentation: str, mode: str, max_gpus: int) -> None:
        self._name = name
        self._documentation = documentation
        self._per_process = mode == "process"
        self._max_gpus = max_gpus
        self._nvml: Any = None  # the initialized pynvml module
        self._unavailable = False  # no pynvml, or nvmlInit failed: it will not come back
        self._gpus: list[tuple[str, Any]] | None = None  # (index label, handle) once resolved
        self._reported = False

    def describe(self) -> list[GaugeMetricFamily]:
        """The family without touching NVML (registering asks for it)."""
        return [self._family()]

    def collect(self) -> list[GaugeMetricFamily]:
        family = self._family()
        try:
            nvml = self._library()
            if nvml is None:
                return []
            # process mode: the service's PIDs, and whether each listed PID is one of them or their
            # descendant, asked of /proc once per scrape, not once per GPU
            service = _service_pids() if self._per_process else set()
            belongs: dict[int, bool] = {}
            for index, handle in self._visible(nvml):
                family.add_metric([index], float(self._used_bytes(nvml, handle, service, belongs)))
        except Exception as error:  # NVMLError, a GPU gone: no series now, the next scrape retries
            self._gpus = None
            self._report(f"reading NVML failed ({error!r})")
            return []
        if not family.samples:
            self._report("NVML shows no visible GPU")
            return []
        return [family]

    def _family(self) -> GaugeMetricFamily:
        return GaugeMetricFamily(self._name, self._documentation, labels=["gpu"])

    def _report(self, reason: str) -> None:
        if not self._reported:
            self._reported = True
            _NVML_LOG.warning("%s is not exposed: %s (logged once)", self._name, reason)

    def _library(self) -> Any:
        if self._nvml is not None or self._unavailable:
            return self._nvml
        try:
            nvml = importlib.import_module("pynvml")
        except ImportError:
            self._unavailable = True
            self._report("pynvml is not installed (pip install nvidia-ml-py)")
            return None
        try:
            nvml.nvmlInit()  # NVML counts initializations: a second one from another thread is harmless
        except Exception as error:  # no driver, no GPU, a driver/library mismatch
            self._unavailable = True
            self._report(f"nvmlInit failed ({error!r})")
            return None
        self._nvml = nvml
        return nvml

    def _visible(self, nvml: Any) -> list[tuple[str, Any]]:
        if self._gpus is None:
            entries = os.environ.get("CUDA_VISIBLE_DEVICES")
            handles: list[Any] = []
            if entries is None:
                count = int(nvml.nvmlDeviceGetCount())
                handles = [nvml.nvmlDeviceGetHandleByIndex(i) for i in range(min(count, self._max_gpus))]
            for entry in (entries.split(",") if entries is not None else [])[: self._max_gpus]:
                entry = entry.strip()
                try:
                    if entry.isdecimal():
                        handles.append(nvml.nvmlDeviceGetHandleByIndex(int(entry)))
                    elif entry.startswith("GPU-"):
                        # bytes: what every nvidia-ml-py takes (recent ones convert str themselves)
                        handles.append(nvml.nvmlDeviceGetHandleByUUID(entry.encode()))
                    else:
                        break
                except nvml.NVMLError:
                    break
            self._gpus = [(str(nvml.nvmlDeviceGetIndex(handle)), handle) for handle in handles]
        return self._gpus

    def _used_bytes(self, nvml: Any, handle: Any, service: set[int], belongs: dict[int, bool]) -> int:
        if not self._per_process:
            return int(nvml.nvmlDeviceGetMemoryInfo(handle).used)
        used = 0
        for process in nvml.nvmlDeviceGetComputeRunningProcesses(handle):
            if process.usedGpuMemory is None:  # NVML cannot tell (no permission, some containers)
                continue
            pid = int(process.pid)
            if pid not in belongs:
                belongs[pid] = _is_service_process(pid, service)
            if belongs[pid]:
                used += int(process.usedGpuMemory)
        return used


# NVML gauges, also read by the registry that aggregates worker metrics in multiprocess mode.
_NVML_COLLECTORS: list[_NvmlGpuMemory] = []


def _nvml_gauge(name: str, documentation: str, mode: str, max_gpus: int) -> _NvmlGpuMemory:
    collector = _NvmlGpuMemory(name, documentation, mode, max_gpus)
    REGISTRY.register(collector)  # type: ignore[arg-type,unused-ignore]
    _NVML_COLLECTORS.append(collector)
    return collector


# } nvml


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


def _port_from_environment(default: int) -> int:
    """METRICS_PORT from the environment (a deployment's override), else the spec's port."""
    text = os.environ.get("METRICS_PORT", "").strip()
    if not text:
        return default
    if text.isdecimal() and 1 <= int(text) <= 65535:
        return int(text)
    _LOG.warning("METRICS_PORT=%r is no port (1..65535); serving on the spec's %d", text, default)
    return default


def _addr_from_environment(default: str) -> str:
    """METRICS_ADDR from the environment, else the spec's bind address."""
    return os.environ.get("METRICS_ADDR", "").strip() or default


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: alive, someone else's
        return True
    return True


# prometheus_client's live gauge files: `gauge_livesum_123.db`, named by the writing worker's PID.
_LIVE_GAUGE_FILE = re.compile(r"gauge_live[a-z]*_([0-9]+)\.db\Z")


class _WorkerAggregate:
    """Every worker's metrics in PROMETHEUS_MULTIPROC_DIR, read at each scrape. Workers that died
    without their server's exit hook (uvicorn has none) are marked dead first, so their live
    gauges (in-flight requests) leave the sum; their counters stay, as counters must."""

    def __init__(self, path: str) -> None:
        self._path = path

    def collect(self) -> Any:
        try:
            dead = {
                int(found[1])
                for found in map(_LIVE_GAUGE_FILE.match, os.listdir(self._path))
                if found and not _pid_alive(int(found[1]))
            }
            for pid in dead:
                mark_process_dead(pid, self._path)  # type: ignore[no-untyped-call,unused-ignore]
            collector = MultiProcessCollector(None, self._path)  # type: ignore[no-untyped-call,unused-ignore]
            return collector.collect()  # type: ignore[no-untyped-call,unused-ignore]
        except Exception as error:  # the directory vanished: this scrape has no worker metrics
            _report_once("scrape of the workers' metrics", error)
            return []


def _exposition_registry() -> CollectorRegistry:
    """REGISTRY, or with PROMETHEUS_MULTIPROC_DIR set, every worker's metrics aggregated."""
    if not MULTIPROCESS:
        return REGISTRY
    registry = CollectorRegistry()
    registry.register(_WorkerAggregate(os.environ[_MULTIPROC_ENV]))  # type: ignore[arg-type,unused-ignore]
    # nvml {
    # GPU memory is a device's, not a worker's: read by the process that serves this scrape,
    # never written to PROMETHEUS_MULTIPROC_DIR nor summed across workers.
    for collector in _NVML_COLLECTORS:
        registry.register(collector)
    # } nvml
    return registry


# How often a worker that found the metrics port taken tries again (to take over when the worker
# serving it stops); a scrape interval is 15 s or more, so a gap of a few seconds loses nothing.
_TAKEOVER_SECONDS = 2.0


def _serve_metrics(port: int, addr: str) -> None:
    """Serve on addr:port in a background thread. With PROMETHEUS_MULTIPROC_DIR every worker calls
    this: the first binds and serves the aggregate of all; the others find the port taken, never
    crash, and keep trying in a daemon thread, so one takes over when the serving worker stops."""
    registry = _exposition_registry()
    try:
        start_http_server(port, addr, registry=registry)
    except OSError as error:
        if not MULTIPROCESS or error.errno != errno.EADDRINUSE:
            raise
        _LOG.info("%s:%d is served by another worker; pid %d takes over if it stops", addr, port, os.getpid())
        threading.Thread(target=_take_over, args=(port, addr, registry), name="mongen-metrics", daemon=True).start()


def _take_over(port: int, addr: str, registry: CollectorRegistry) -> None:
    while True:
        time.sleep(_TAKEOVER_SECONDS)
        try:
            start_http_server(port, addr, registry=registry)
        except OSError:
            continue
        _LOG.info("pid %d now serves the workers' metrics on %s:%d", os.getpid(), addr, port)
        return


def metrics_wsgi_app() -> Callable[..., Any]:
    """A WSGI app serving the metrics, to mount at METRICS_PATH."""
    app: Callable[..., Any] = make_wsgi_app(_exposition_registry())
    return app


def metrics_asgi_app() -> Callable[..., Any]:
    """An ASGI app serving the metrics, to mount at METRICS_PATH."""
    app: Callable[..., Any] = make_asgi_app(_exposition_registry())
    return app
