"""What panel queries are made of: the dashboard variables, the selector that applies them,
the groups a metric is broken down by, legends, units and alert thresholds.

Everything is read from the model (metric types, `record_by` groups, alerts); no label name
of the service is spelled here. `job` and `instance` are the target labels the generated
scrape config sets (Spec.target_labels), and every recording rule keeps `job`.
"""

from __future__ import annotations

from mongen.generators.grafana.panels import Query, Threshold, Variable
from mongen.model import HISTOGRAM, PAGE_SEVERITY, Metric, Spec
from mongen.rules.alert_kinds import BY_NAME
from mongen.rules.alert_kinds.base import ThresholdPanel

JOB = "job"
INSTANCE = "instance"
TARGET_UP = "up"  # Prometheus records it for every scrape target

# Grafana unit ids for the base units a metric's `unit:` can name; others show as plain numbers.
GRAFANA_UNITS = {"seconds": "s", "bytes": "bytes", "ratio": "percentunit", "celsius": "celsius"}


def breakdown_labels(metric: Metric) -> tuple[str, ...]:
    """Labels the metric is recorded by on their own (`record_by: [[endpoint]]`), in spec order.

    Each can break a panel down and filter it with a dashboard variable.
    """
    return tuple(group[0] for group in metric.record_by if len(group) == 1)


def main_group(metric: Metric) -> tuple[str, ...]:
    """The recorded group a metric's panel shows: its first breakdown label, else the whole job."""
    labels = breakdown_labels(metric)
    if labels:
        return (labels[0],)
    return whole_group(metric)


def whole_group(metric: Metric) -> tuple[str, ...]:
    """The whole job (`[]`) where it is recorded, else the first recorded group (summing that
    over its labels gives the whole job too)."""
    if () in metric.record_by or not metric.record_by:
        return ()
    return metric.record_by[0]


def variable_series(metric: Metric) -> str:
    """The raw series of `metric` that carries all its labels (a histogram's `_count`)."""
    return metric.name + "_count" if metric.type == HISTOGRAM else metric.exposed_name


def dashboard_variables(spec: Spec) -> tuple[Variable, ...]:
    """One dropdown per declared label a panel query keeps, in the spec's label order: the labels
    of every recorded group, and every label of the request counter (the Instances row reads its
    raw series). Its values are read from the first metric that carries the label."""
    kept = {label for metric in spec.metrics for group in metric.record_by for label in group}
    requests = spec.by_role.get("requests")
    kept |= set(requests.labels) if requests else set()
    out = []
    for label in spec.labels:
        carrier = next((m for m in spec.metrics if label.name in m.labels), None)
        if label.name in kept and carrier is not None:
            out.append(Variable(label.name, variable_series(carrier)))
    return tuple(out)


def dashboard_selector(spec: Spec, group: tuple[str, ...] = (), extra: tuple[str, ...] = ()) -> str:
    """`{job=~"$job",...}` plus the variable of every label the series keeps, so dropdowns filter."""
    variables = {variable.label for variable in dashboard_variables(spec)}
    matchers = [f'{JOB}=~"${JOB}"', *(f'{label}=~"${label}"' for label in group if label in variables), *extra]
    return "{" + ",".join(matchers) + "}"


def instance_selector(spec: Spec, labels: tuple[str, ...] = ()) -> str:
    """The dashboard selector of a raw series that keeps `labels`, with the instance dropdown."""
    return dashboard_selector(spec, labels, extra=(f'{INSTANCE}=~"${INSTANCE}"',))


def legend(group: tuple[str, ...]) -> str:
    """`{{endpoint}}`: one legend entry per value of the group (the job when it is the whole job)."""
    return " ".join(f"{{{{{label}}}}}" for label in group or (JOB,))


def legend_suffix(group: tuple[str, ...]) -> str:
    """` {{endpoint}}` after a fixed legend text such as `P95`; empty for the whole job."""
    return "".join(f" {{{{{label}}}}}" for label in group)


def recorded(spec: Spec, series: str, group: tuple[str, ...], legend_text: str) -> Query:
    """A query of one recorded series, filtered by the dashboard's variables."""
    return Query(f"{series}{dashboard_selector(spec, group)}", legend_text)


def value_unit(metric: Metric) -> str:
    return GRAFANA_UNITS.get(metric.unit or "", "none")


# Grafana's palette names: a paging alert's line is red, any other severity's orange.
THRESHOLD_COLORS = {PAGE_SEVERITY: "red"}
OTHER_THRESHOLD_COLOR = "orange"


def alert_thresholds(
    spec: Spec, panel: ThresholdPanel, metric: str | None, by: tuple[str, ...] | None = None
) -> tuple[Threshold, ...]:
    """The threshold line every alert draws on `panel` of `metric` (of the recorded group `by`, if
    given), as the alert's kind declares it, one line each, ascending as Grafana's threshold steps
    must be."""
    lines = {
        line.value: THRESHOLD_COLORS.get(alert.severity, OTHER_THRESHOLD_COLOR)
        for alert in spec.alerts
        for line in BY_NAME[alert.kind].threshold_lines(alert)
        if line.panel == panel and line.metric == metric and by in (None, line.by)
    }
    return tuple(Threshold(value, color) for value, color in sorted(lines.items()))
