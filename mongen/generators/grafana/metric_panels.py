"""The panels one metric gets from its type and recorded groups; row functions pick them by role.

- counter: its rate by each recorded group; an error ratio by each breakdown label (the whole
  job without one) where `errors:` is declared; a share per breakdown label backed by an enum
  (a closed value set, so the shares add up to 100%);
- histogram: P50/P95/P99 and a heatmap of its buckets;
- gauge: max and avg across instances.

The alerts on a metric draw their thresholds on its panels (error ratio, quantile, gauge).

Every query reads a recording rule (mongen.rules.recording records them for the same groups), so
the dashboard stays cheap however many people have it open.
"""

from __future__ import annotations

from mongen.generators.grafana.panels import Panel, Query
from mongen.generators.grafana.queries import (
    alert_thresholds,
    breakdown_labels,
    dashboard_selector,
    legend,
    legend_suffix,
    main_group,
    recorded,
    value_unit,
    whole_group,
)
from mongen.model import Metric, Spec
from mongen.promql import by_clause
from mongen.rules import naming
from mongen.rules.recording import DEFAULT_QUANTILES
from mongen.units import format_number

BUCKET_LABEL = "le"


def titled_by(title: str, group: tuple[str, ...]) -> str:
    """`QPS by endpoint`; the bare title for the whole job."""
    return f"{title} by {' and '.join(group)}" if group else title


def quantile_legend(quantile: float) -> str:
    return f"P{format_number(quantile * 100)}"


def quantiles_title() -> str:
    """`P50/P95/P99`: the quantiles every histogram is recorded for."""
    return "/".join(quantile_legend(q) for q in DEFAULT_QUANTILES)


def rate_panels(spec: Spec, metric: Metric, title: str, unit: str) -> tuple[Panel, ...]:
    """The rate by each recorded group; the whole job's only when no group breaks it down."""
    groups = tuple(group for group in metric.record_by if group) or ((),)
    return tuple(
        Panel(
            titled_by(title, group),
            (recorded(spec, naming.rate_name(metric, group, spec.rate_window), group, legend(group)),),
            unit,
        )
        for group in groups
    )


def error_ratio_panels(spec: Spec, metric: Metric, title: str = "Error ratio") -> tuple[Panel, ...]:
    """One error ratio per breakdown label (the whole job without one), with the threshold of the
    error-ratio alerts by that label."""
    if not metric.errors:
        return ()
    groups = tuple((label,) for label in breakdown_labels(metric)) or (whole_group(metric),)
    return tuple(
        Panel(
            titled_by(title, group),
            (recorded(spec, naming.error_ratio_name(metric, group, spec.rate_window), group, legend(group)),),
            "percentunit",
            thresholds=alert_thresholds(spec, "errors", metric.name, group),
        )
        for group in groups
    )


def share_panels(spec: Spec, metric: Metric, of: str = "") -> tuple[Panel, ...]:
    """Each enum value's share of the metric's rate, stacked to 100% (`of`: what it is a share of)."""
    return tuple(
        Panel(
            f"{label.capitalize()} share{of}",
            (recorded(spec, naming.share_name(metric, (label,), spec.rate_window), (label,), legend((label,))),),
            "percentunit",
            stacking="percent",
        )
        for label in breakdown_labels(metric)
        if (declared := spec.label_by_name.get(label)) and declared.enum
    )


def quantile_panel(spec: Spec, metric: Metric, title: str, description: str = "") -> Panel:
    """P50/P95/P99, with the threshold of the quantile alert on the metric drawn."""
    group = main_group(metric)
    queries = tuple(
        recorded(
            spec,
            naming.quantile_name(metric, group, q, spec.rate_window),
            group,
            quantile_legend(q) + legend_suffix(group),
        )
        for q in DEFAULT_QUANTILES
    )
    thresholds = alert_thresholds(spec, "quantiles", metric.name)
    return Panel(title, queries, value_unit(metric), thresholds=thresholds, description=description)


def heatmap_panel(spec: Spec, metric: Metric, title: str, description: str = "") -> Panel:
    """Bucket rates summed to one series per bucket bound (`le`): where observations pile up."""
    group = whole_group(metric)
    buckets = naming.rate_name(metric, group, spec.rate_window, "_bucket")
    expr = f"sum {by_clause((BUCKET_LABEL,))} ({buckets}{dashboard_selector(spec, group)})"
    query = Query(expr, legend((BUCKET_LABEL,)))
    return Panel(title, (query,), value_unit(metric), kind="heatmap", description=description)


def gauge_panel(spec: Spec, metric: Metric, title: str) -> Panel:
    """Worst and mean instance, with the threshold of the gauge alerts on the metric."""
    group = main_group(metric)
    queries = tuple(
        recorded(spec, naming.gauge_name(metric, group, op), group, f"{op}{legend_suffix(group)}")
        for op in ("max", "avg")
    )
    return Panel(title, queries, value_unit(metric), thresholds=alert_thresholds(spec, "gauge", metric.name))
