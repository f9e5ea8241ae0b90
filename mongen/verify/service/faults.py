"""What can go wrong with the simulated service: typed faults and the model that applies them.

A fault is a value (`ServerErrors`, `SlowResponses`, `LatencyShift`, `GaugeLevel`, `Outage`);
verify's phases carry one each, and `POST /admin/faults` turns its JSON body into the same values.
`LatencyShift` and `GaugeLevel` act on one metric of the spec-built simulation (simulation.py).

Latency follows the brief: about 0.9 s for short texts, growing sharply past ~120
characters, with +-15% jitter.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass

LabelMatch = tuple[tuple[str, str], ...]  # (label, value) pairs a request must all carry


@dataclass(frozen=True)
class ServerErrors:
    """Requests whose labels carry every (label, value) of `match` fail with a 500 at `rate`
    (0 to 1); an empty match means every request."""

    match: LabelMatch
    rate: float


@dataclass(frozen=True)
class SlowResponses:
    """Every latency the service reports is its latency model times `latency_factor`."""

    latency_factor: float


@dataclass(frozen=True)
class LatencyShift:
    """Every observation of the histogram `metric` (a `share` of them, drawn at random) is
    multiplied by `factor`."""

    metric: str
    factor: float
    share: float = 1.0


@dataclass(frozen=True)
class GaugeLevel:
    """The gauge `metric` is set to `level` instead of its healthy level."""

    metric: str
    level: float


@dataclass(frozen=True)
class Outage:
    """The service stops answering at once, keep-alive connections included (a replica going
    down). It does not come back, so it is the last fault of a run."""


Fault = ServerErrors | SlowResponses | LatencyShift | GaugeLevel | Outage


class FaultModel:
    """Latency and error faults, changeable at run time from any thread. `heal()` returns to
    the healthy state it was created with."""

    def __init__(self, seed: int = 7, latency_factor: float = 1.0) -> None:
        self.healthy_latency_factor = latency_factor
        self.latency_factor = latency_factor
        self.errors: tuple[ServerErrors, ...] = ()
        self.latency_shifts: dict[str, float] = {}  # histogram -> factor
        self.latency_shares: dict[str, float] = {}  # histogram -> share of observations shifted
        self.gauge_levels: dict[str, float] = {}  # gauge -> level
        self.random = random.Random(seed)
        self.lock = threading.Lock()

    def latency(self, text_length: int) -> float:
        base = 0.6 + 0.004 * text_length
        if text_length > 120:
            base += 0.035 * (text_length - 120)
        with self.lock:
            jitter = self.random.uniform(0.85, 1.15)
            return base * jitter * self.latency_factor

    def fails(self, labels: Mapping[str, str]) -> bool:
        with self.lock:
            rates = [e.rate for e in self.errors if all(labels.get(k) == v for k, v in e.match)]
            return self.random.random() < max(rates, default=0.0)

    def draw(self) -> float:
        with self.lock:
            return self.random.random()

    def shift(self, metric: str) -> float:
        """The factor for one observation of `metric`: its shift, for the shifted share."""
        with self.lock:
            factor = self.latency_shifts.get(metric, 1.0)
            share = self.latency_shares.get(metric, 1.0)
            return factor if share >= 1 or self.random.random() < share else 1.0

    def gauge_level(self, metric: str) -> float | None:
        with self.lock:
            return self.gauge_levels.get(metric)

    def apply(self, fault: ServerErrors | SlowResponses | LatencyShift | GaugeLevel) -> None:
        """Add an error fault (replacing one with the same match), set the latency, shift one
        histogram or hold one gauge at a level."""
        with self.lock:
            if isinstance(fault, ServerErrors):
                self.errors = (*(e for e in self.errors if e.match != fault.match), fault)
            elif isinstance(fault, LatencyShift):
                self.latency_shifts[fault.metric] = fault.factor
                self.latency_shares[fault.metric] = fault.share
            elif isinstance(fault, GaugeLevel):
                self.gauge_levels[fault.metric] = fault.level
            else:
                self.latency_factor = fault.latency_factor

    def heal(self) -> None:
        with self.lock:
            self.errors = ()
            self.latency_factor = self.healthy_latency_factor
            self.latency_shifts, self.latency_shares, self.gauge_levels = {}, {}, {}

    def update(self, body: Mapping[str, object]) -> None:
        """Apply a `POST /admin/faults` body: `error_rates` replaces every error fault, either
        {"label=value[,label=value]": rate} (a bare value means `emotion=<value>`) or, for values
        holding `,` or `=`, [{"match": {"label": "value"}, "rate": rate}]; `latency_factor` sets
        the latency; `latency_shifts` {histogram: factor} (with `latency_shares` {histogram: share of
        observations shifted}, default all) and `gauge_levels` {gauge: level}
        replace those of the simulation. Raises ValueError on anything else in those fields."""
        errors = body.get("error_rates")
        if isinstance(errors, list):
            parsed = tuple(_error_fault(item) for item in errors)
        elif isinstance(errors, dict) or errors is None:
            parsed = tuple(ServerErrors(label_match(str(k)), _number(v)) for k, v in (errors or {}).items())
        else:
            raise ValueError("error_rates: expected an object of label match -> rate, or a list of {match, rate}")
        factor = body.get("latency_factor")
        shifts, levels = _per_metric(body, "latency_shifts"), _per_metric(body, "gauge_levels")
        shares = _per_metric(body, "latency_shares")
        with self.lock:
            if errors is not None:
                self.errors = parsed
            if factor is not None:
                self.latency_factor = _number(factor)
            if shifts is not None:
                self.latency_shifts = shifts
                self.latency_shares = shares or {}
            if levels is not None:
                self.gauge_levels = levels


def label_match(key: str) -> LabelMatch:
    """`label=value[,label=value...]`, or a bare value meaning `emotion=<value>` (the demo's
    shorthand from before labels were generic)."""
    if "=" not in key:
        return (("emotion", key),)
    return tuple((label, value) for label, _, value in (part.partition("=") for part in key.split(",")))


def error_rates_body(fault: ServerErrors) -> list[dict[str, object]]:
    """The `error_rates` of a `POST /admin/faults` body that applies `fault` (the list form:
    label values may hold any character)."""
    return [{"match": dict(fault.match), "rate": fault.rate}]


def fault_body(fault: ServerErrors | SlowResponses | LatencyShift | GaugeLevel) -> dict[str, object]:
    """The `POST /admin/faults` body that applies `fault` (and only it)."""
    if isinstance(fault, ServerErrors):
        return {"error_rates": error_rates_body(fault)}
    if isinstance(fault, LatencyShift):
        return {"latency_shifts": {fault.metric: fault.factor}, "latency_shares": {fault.metric: fault.share}}
    if isinstance(fault, GaugeLevel):
        return {"gauge_levels": {fault.metric: fault.level}}
    return {"latency_factor": fault.latency_factor}


def _per_metric(body: Mapping[str, object], key: str) -> dict[str, float] | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError(f"{key}: expected an object of metric -> number")
    return {str(k): _number(v) for k, v in value.items()}


def _error_fault(item: object) -> ServerErrors:
    if not isinstance(item, dict) or not isinstance(item.get("match"), dict):
        raise ValueError('error_rates: expected items {"match": {label: value}, "rate": rate}')
    match = tuple((str(k), str(v)) for k, v in item["match"].items())
    return ServerErrors(match, _number(item.get("rate")))


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"expected a number, got {value!r}")
    return float(value)
