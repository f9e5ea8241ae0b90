"""What panel queries are made of: the dashboard variables, the selector that applies them,
the groups a metric is broken down by, legends, units and alert thresholds.

Everything is read from the model (metric types, `record_by` groups, alerts); no label name
of the service is spelled here. `job` and `instance` are the target labels the generated
scrape config sets (Spec.target_labels), and every recording rule keeps `job`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mongen.generators.grafana.panels import Query, Threshold, Variable
from mongen.model import Metric, Spec

if TYPE_CHECKING:
    from mongen.rules.alert_kinds import AlertKindName

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


def dashboard_variables(spec: Spec) -> tuple[Variable, ...]:
    """One dropdown per breakdown label of the request counter, whose raw series carries them all."""
    requests = spec.by_role.get("requests")
    if requests is None:
        return ()
    return tuple(Variable(label, requests.exposed_name) for label in breakdown_labels(requests))


def dashboard_selector(spec: Spec, group: tuple[str, ...] = (), extra: tuple[str, ...] = ()) -> str:
    """`{job=~"$job",...}` plus the variable of every label the series keeps, so dropdowns filter."""
    variables = {variable.label for variable in dashboard_variables(spec)}
    matchers = [f'{JOB}=~"${JOB}"', *(f'{label}=~"${label}"' for label in group if label in variables), *extra]
    return "{" + ",".join(matchers) + "}"


def instance_selector(spec: Spec) -> str:
    return dashboard_selector(spec, extra=(f'{INSTANCE}=~"${INSTANCE}"',))


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


def alert_threshold(
    spec: Spec, kind: AlertKindName, metric: Metric, by: tuple[str, ...] | None = None
) -> tuple[Threshold, ...]:
    """The threshold of the first `kind` alert on `metric` (with that `by`, if given) as a red line."""
    for alert in spec.alerts:
        if (
            alert.kind == kind
            and alert.metric == metric.name
            and by in (None, alert.by)
            and alert.threshold is not None
        ):
            return (Threshold(alert.threshold, "red"),)
    return ()
