"""How the simulated service applies faults (the vocabulary of mongen.faults): request errors,
slow requests and gauge levels, changeable at run time from any thread.

verify's phases carry one fault each, and `POST /admin/faults` takes the same values as JSON
(mongen.faults.to_json). The service derives its own numbers from them: the simulation
(simulation.py) shifts a slow histogram's observations from its healthy level and holds a gauge
past its threshold. A `TargetGone` is the service process dying (process.py, app.py).

Latency of the demo (no simulation plan) follows the brief: about 0.9 s for short texts, growing
sharply past ~120 characters, with +-15% jitter.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping

from mongen.faults import GaugeLevel, LabelMatch, ServerErrors, SlowRequests, from_json, number, share

# The faults the service process applies (a TargetGone is the process going down).
ServiceFault = ServerErrors | SlowRequests | GaugeLevel
SERVICE_FAULTS = (ServerErrors, SlowRequests, GaugeLevel)


class FaultModel:
    """Latency and error faults, changeable at run time from any thread. `heal()` returns to
    the healthy state it was created with."""

    def __init__(self, seed: int = 7, latency_factor: float = 1.0) -> None:
        self.healthy_latency_factor = latency_factor
        self.latency_factor = latency_factor  # the demo's latency multiplier
        self.errors: tuple[ServerErrors, ...] = ()
        self.slow: dict[str, SlowRequests] = {}  # histogram -> its fault
        self.gauges: dict[str, GaugeLevel] = {}  # gauge -> its fault
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
            rates = [e.share for e in self.errors if all(labels.get(k) == v for k, v in e.match)]
            return self.random.random() < max(rates, default=0.0)

    def draw(self) -> float:
        with self.lock:
            return self.random.random()

    def slow_fault(self, metric: str) -> SlowRequests | None:
        """The histogram's fault, for one observation: None for the share of them it spares."""
        with self.lock:
            fault = self.slow.get(metric)
            return fault if fault is None or fault.share >= 1 or self.random.random() < fault.share else None

    def gauge_fault(self, metric: str) -> GaugeLevel | None:
        with self.lock:
            return self.gauges.get(metric)

    def apply(self, fault: ServiceFault) -> None:
        """Add an error fault (replacing one with the same match), slow one histogram or move
        one gauge (replacing its fault)."""
        with self.lock:
            self._apply(fault)

    def _apply(self, fault: ServiceFault) -> None:
        if isinstance(fault, ServerErrors):
            self.errors = (*(e for e in self.errors if e.match != fault.match), fault)
        elif isinstance(fault, SlowRequests):
            self.slow[fault.metric] = fault
        else:
            self.gauges[fault.metric] = fault

    def heal(self) -> None:
        with self.lock:
            self.errors = ()
            self.latency_factor = self.healthy_latency_factor
            self.slow, self.gauges = {}, {}

    def update(self, body: Mapping[str, object]) -> None:
        """Apply a `POST /admin/faults` body: `faults` [mongen.faults.to_json(fault), ...] replaces
        every fault with those (verify's form; [] heals); the demos' `error_rates` replaces every
        error fault, either {"label=value[,label=value]": rate} (a bare value means
        `emotion=<value>`) or, for values holding `,` or `=`, [{"match": {"label": "value"},
        "rate": rate}]; `latency_factor` sets the demo's latency. Raises ValueError on anything
        else in those fields."""
        listed = body.get("faults")
        if listed is not None and not isinstance(listed, list):
            raise ValueError('faults: expected a list of {"fault": "<type>", ...}')
        faults = [f for f in (from_json(item) for item in listed or ()) if isinstance(f, SERVICE_FAULTS)]
        if len(faults) != len(listed or ()):
            raise ValueError(f"faults: the service applies only {', '.join(t.__name__ for t in SERVICE_FAULTS)}")
        errors = body.get("error_rates")
        if isinstance(errors, list):
            parsed = tuple(_error_fault(item) for item in errors)
        elif isinstance(errors, dict) or errors is None:
            parsed = tuple(ServerErrors("", label_match(str(k)), _rate(v)) for k, v in (errors or {}).items())
        else:
            raise ValueError("error_rates: expected an object of label match -> rate, or a list of {match, rate}")
        factor = None if body.get("latency_factor") is None else number(body.get("latency_factor"))
        if factor is not None and factor < 0:
            raise ValueError(f"latency_factor: expected a number of at least 0, got {factor}")
        with self.lock:
            if listed is not None:
                self.errors, self.slow, self.gauges = (), {}, {}
                for fault in faults:
                    self._apply(fault)
            if errors is not None:
                self.errors = parsed
            if factor is not None:
                self.latency_factor = factor


def label_match(key: str) -> LabelMatch:
    """`label=value[,label=value...]`, or a bare value meaning `emotion=<value>` (the demo's
    shorthand from before labels were generic)."""
    if "=" not in key:
        return (("emotion", key),)
    return tuple((label, value) for label, _, value in (part.partition("=") for part in key.split(",")))


def _error_fault(item: object) -> ServerErrors:
    if not isinstance(item, dict) or not isinstance(item.get("match"), dict):
        raise ValueError('error_rates: expected items {"match": {label: value}, "rate": rate}')
    match = tuple((str(k), str(v)) for k, v in item["match"].items())
    return ServerErrors("", match, _rate(item.get("rate")))


def _rate(value: object) -> float:
    try:
        return share(value)
    except ValueError as exc:
        raise ValueError(f"error_rates: {exc}") from None
