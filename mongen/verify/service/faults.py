"""What can go wrong with the simulated service: typed faults and the model that applies them.

A fault is a value (`ServerErrors`, `SlowResponses`, `Outage`); verify's phases carry one
each, and `POST /admin/faults` turns its JSON body into the same values.

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
class Outage:
    """The service stops answering at once, keep-alive connections included (a replica going
    down). It does not come back, so it is the last fault of a run."""


Fault = ServerErrors | SlowResponses | Outage


class FaultModel:
    """Latency and error faults, changeable at run time from any thread. `heal()` returns to
    the healthy state it was created with."""

    def __init__(self, seed: int = 7, latency_factor: float = 1.0) -> None:
        self.healthy_latency_factor = latency_factor
        self.latency_factor = latency_factor
        self.errors: tuple[ServerErrors, ...] = ()
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

    def apply(self, fault: ServerErrors | SlowResponses) -> None:
        """Add an error fault (replacing one with the same match) or set the latency."""
        with self.lock:
            if isinstance(fault, ServerErrors):
                self.errors = (*(e for e in self.errors if e.match != fault.match), fault)
            else:
                self.latency_factor = fault.latency_factor

    def heal(self) -> None:
        with self.lock:
            self.errors = ()
            self.latency_factor = self.healthy_latency_factor

    def update(self, body: Mapping[str, object]) -> None:
        """Apply a `POST /admin/faults` body: `error_rates` replaces every error fault, either
        {"label=value[,label=value]": rate} (a bare value means `emotion=<value>`) or, for values
        holding `,` or `=`, [{"match": {"label": "value"}, "rate": rate}]; `latency_factor` sets
        the latency. Raises ValueError on anything else in those fields."""
        errors = body.get("error_rates")
        if isinstance(errors, list):
            parsed = tuple(_error_fault(item) for item in errors)
        elif isinstance(errors, dict) or errors is None:
            parsed = tuple(ServerErrors(label_match(str(k)), _number(v)) for k, v in (errors or {}).items())
        else:
            raise ValueError("error_rates: expected an object of label match -> rate, or a list of {match, rate}")
        factor = body.get("latency_factor")
        with self.lock:
            if errors is not None:
                self.errors = parsed
            if factor is not None:
                self.latency_factor = _number(factor)


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


def _error_fault(item: object) -> ServerErrors:
    if not isinstance(item, dict) or not isinstance(item.get("match"), dict):
        raise ValueError('error_rates: expected items {"match": {label: value}, "rate": rate}')
    match = tuple((str(k), str(v)) for k, v in item["match"].items())
    return ServerErrors(match, _number(item.get("rate")))


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"expected a number, got {value!r}")
    return float(value)
