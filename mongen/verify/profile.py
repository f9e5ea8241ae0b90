"""The simulated service's healthy profile, built from the spec: every declared metric with the
level it runs at when nothing is wrong, on the quiet side of every alert and SLO that watches it.

What the alerts watch comes from their faults (alert_faults.py, computed once per run): a
`SlowRequests` bounds its histogram, a `GaugeLevel` its gauge. The plan is data
(service/simulation.py) that the service process reads as JSON.
"""

from __future__ import annotations

from mongen.faults import GaugeLevel, SlowRequests
from mongen.model import COUNTER, GAUGE, HISTOGRAM, Matcher, Metric, Spec
from mongen.verify.alert_faults import AlertFaults
from mongen.verify.service.simulation import LabelValues, MetricKind, SimulatedMetric, SimulationPlan

# Healthy histograms stay this far under the lowest threshold that watches them (SLO or alert).
HEADROOM = 0.8
# A counter with a unit (tokens, bytes) counts this much per request; one without counts requests.
UNITS_PER_REQUEST = 200.0


def family(metric: Metric) -> str:
    """The name the generated module registers the metric under (a counter's without `_total`)."""
    return metric.base if metric.type == COUNTER else metric.name


def simulation_plan(spec: Spec, faults: AlertFaults) -> SimulationPlan:
    labels = tuple((label.name, label.values) for label in spec.labels)
    return SimulationPlan(labels, error_values(spec), tuple(_simulated(spec, faults, m) for m in spec.metrics))


def error_values(spec: Spec) -> LabelValues:
    """Per label an `errors` selector names, every declared value a selector counts as failed."""
    bad: dict[str, dict[str, None]] = {}
    for metric in spec.metrics:
        for matcher in metric.errors:
            for value in accepted_values(spec, matcher):
                bad.setdefault(matcher.label, {})[value] = None
    return tuple((label, tuple(values)) for label, values in bad.items())


def accepted_values(spec: Spec, matcher: Matcher) -> tuple[str, ...]:
    return tuple(v for v in spec.label_by_name[matcher.label].values if (v in matcher.values) != matcher.negate)


def _simulated(spec: Spec, faults: AlertFaults, metric: Metric) -> SimulatedMetric:
    if metric.type == HISTOGRAM:
        level = histogram_level(spec, faults, metric)
    elif metric.type == GAUGE:
        level = gauge_level(faults, metric)
    else:
        level = UNITS_PER_REQUEST if metric.unit and not metric.errors and metric.role is None else 1.0
    kind: MetricKind = "histogram" if metric.type == HISTOGRAM else "gauge" if metric.type == GAUGE else "counter"
    return SimulatedMetric(family(metric), kind, metric.labels, level)


def _watching(faults: AlertFaults, metric: Metric) -> list[SlowRequests | GaugeLevel]:
    return [f for f in faults.values() if isinstance(f, SlowRequests | GaugeLevel) and f.metric == metric.name]


def histogram_level(spec: Spec, faults: AlertFaults, metric: Metric) -> float:
    """The largest healthy observation: under every latency SLO threshold on the metric, and at
    or under the highest bucket bound below every quantile alert's threshold (histogram_quantile
    interpolates within a bucket: observations up to 3.6 s in the 2..5 bucket read as a P95 near
    5 s); else the middle bucket."""
    limits = [
        HEADROOM * s.threshold for s in spec.slos if s.kind == "latency" and s.metric == metric.name and s.threshold
    ]
    for fault in _watching(faults, metric):
        if isinstance(fault, SlowRequests):
            below = [b for b in metric.buckets if b <= HEADROOM * fault.threshold]
            limits.append(below[-1] if below else HEADROOM * fault.threshold)
    return min(limits) if limits else metric.buckets[len(metric.buckets) // 2]


def gauge_level(faults: AlertFaults, metric: Metric) -> float:
    """Between the gauge's `below` and `above` thresholds, else a plausible level for its unit."""
    watched = [f for f in _watching(faults, metric) if isinstance(f, GaugeLevel)]
    high = min((f.threshold for f in watched if f.above), default=None)
    low = max((f.threshold for f in watched if not f.above), default=None)
    if high is not None and low is not None:
        return (high + low) / 2
    if high is not None:
        return high / 2 if high > 0 else high - 1
    if low is not None:
        return low * 2 if low > 0 else low + 1
    return 6e9 if metric.unit == "bytes" else 4.0
