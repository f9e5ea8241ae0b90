"""The simulated service's requests, built from the spec rather than from one service's shape.

verify turns the spec into a `SimulationPlan` (mongen.verify.profile) and hands it to the
service process as JSON. Each simulated request draws one declared value per label, decides
whether it fails (the FaultModel's error faults match on the drawn labels), then feeds every
declared metric through the generated module's metric objects (its public `Counter`, `Histogram`
and `Gauge` constants, found by the family name they register):

- a counter is incremented, its error labels (the ones its `errors` selector names) carrying an
  error value when the request failed and a success value otherwise;
- a histogram observes a value below its `level` (skewed low, as latencies are), shifted past
  the threshold of a SlowRequests fault on it (for the share of observations it slows);
- a gauge is set around its healthy `level`, or past the threshold of a GaugeLevel fault on it.
"""

from __future__ import annotations

import json
import random
import threading
from dataclasses import asdict, dataclass
from types import ModuleType
from typing import Literal

from prometheus_client import Counter, Gauge, Histogram

from mongen.faults import GaugeLevel
from mongen.verify.service.faults import FaultModel

MetricKind = Literal["counter", "histogram", "gauge"]
LabelValues = tuple[tuple[str, tuple[str, ...]], ...]  # (label, values), in spec order

# The smallest healthy observation as a share of a histogram's level (see `observation`).
LOWEST_SHARE = 0.3
# How far a slow observation lands above the threshold of the fault that slows it.
SLOW_MARGIN = 2.0


@dataclass(frozen=True)
class SimulatedMetric:
    family: str  # the name the module registers (a counter's without `_total`)
    kind: MetricKind
    labels: tuple[str, ...]
    level: float  # counter: increment per request; histogram: largest healthy value; gauge: healthy level


@dataclass(frozen=True)
class SimulationPlan:
    """Every label's values and how every declared metric is fed; `error_values` are, per error
    label, the values a failed request carries (the rest of its values are successes)."""

    labels: LabelValues
    error_values: LabelValues
    metrics: tuple[SimulatedMetric, ...]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> SimulationPlan:
        data = json.loads(text)
        return cls(
            labels=tuple((label, tuple(values)) for label, values in data["labels"]),
            error_values=tuple((label, tuple(values)) for label, values in data["error_values"]),
            metrics=tuple(
                SimulatedMetric(m["family"], m["kind"], tuple(m["labels"]), float(m["level"])) for m in data["metrics"]
            ),
        )


def slow_factor(threshold: float, level: float) -> float:
    """How far a SlowRequests fault shifts the observations of a histogram whose largest healthy
    observation is `level`: even the lowest lands SLOW_MARGIN x over `threshold`."""
    return round(SLOW_MARGIN * threshold / (LOWEST_SHARE * level), 3)


def faulted_level(fault: GaugeLevel) -> float:
    """Where a GaugeLevel fault holds its gauge: twice its threshold (half of it, for `below`)."""
    if fault.above:
        return fault.threshold * 2 if fault.threshold > 0 else fault.threshold + 1
    return fault.threshold / 2 if fault.threshold > 0 else fault.threshold - 1


def observation(level: float, draw: float) -> float:
    """A healthy observation from a uniform `draw`: LOWEST_SHARE..1 of `level`, mostly low."""
    return level * (LOWEST_SHARE + (1 - LOWEST_SHARE) * draw * draw)


def metric_objects(module: ModuleType | object) -> dict[str, Counter | Histogram | Gauge]:
    """The module's metric constants by the family name they register."""
    found: dict[str, Counter | Histogram | Gauge] = {}
    for value in vars(module).values():
        if isinstance(value, Counter | Histogram | Gauge):
            for family in value.describe():
                found.setdefault(family.name, value)
    return found


class Simulator:
    """Feeds every metric of `plan` through `module`'s metric objects, one request at a time."""

    def __init__(self, module: ModuleType | object, plan: SimulationPlan, faults: FaultModel, seed: int = 13) -> None:
        objects = metric_objects(module)
        self.missing = [m.family for m in plan.metrics if m.family not in objects]
        self.fed = [(m, objects[m.family]) for m in plan.metrics if m.family in objects]
        self.plan, self.faults = plan, faults
        self.errors = dict(plan.error_values)
        self.random = random.Random(seed)
        self.lock = threading.Lock()

    def request(self) -> bool:
        """One simulated request through every metric; whether it failed. Every declared value
        of a label is equally likely (each sees enough traffic for a per-value alert to hold),
        but a success status is mostly the first one (200)."""
        with self.lock:
            pick = self.random.choice
            drawn = {label: pick(values) for label, values in self.plan.labels if label not in self.errors}
            failed = self.faults.fails(drawn)
            for label, values in self.plan.labels:
                if label in self.errors:
                    bad = self.errors[label]
                    good = tuple(v for v in values if v not in bad) or values
                    drawn[label] = pick(bad) if failed else good[0] if self.random.random() < 0.9 else pick(good)
            draws = [self.random.random() for _ in self.fed]
        for (metric, obj), draw in zip(self.fed, draws, strict=True):
            child = obj.labels(*(drawn.get(label, "") for label in metric.labels)) if metric.labels else obj
            if isinstance(child, Counter):
                child.inc(metric.level)
            elif isinstance(child, Histogram):
                slow = self.faults.slow_fault(metric.family)
                factor = 1.0 if slow is None else slow_factor(slow.threshold, metric.level)
                child.observe(observation(metric.level, draw) * factor)
            elif isinstance(child, Gauge):
                moved = self.faults.gauge_fault(metric.family)
                child.set(metric.level * (0.95 + 0.1 * draw) if moved is None else faulted_level(moved))
        return failed
