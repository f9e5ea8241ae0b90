"""One function per dashboard row: the model in, the row's panel descriptions out.

A row function returns no panels when the spec has nothing for it, and the row is left out.
The panels come from metric_panels (what a metric's type and recorded groups give); the
roles pick which metrics a row shows and add what is specific to them (titles, the
text-length note). Adding a row is one function and one line in ROWS.
"""

from __future__ import annotations

from collections.abc import Callable

from mongen.generators.grafana.metric_panels import (
    error_ratio_panels,
    gauge_panel,
    heatmap_panel,
    quantile_panel,
    quantiles_title,
    rate_panel,
    share_panels,
)
from mongen.generators.grafana.panels import Panel, Query, Row, Threshold
from mongen.generators.grafana.queries import INSTANCE, TARGET_UP, instance_selector
from mongen.model import Role, Slo, Spec
from mongen.promql import by_clause
from mongen.rules import naming
from mongen.units import format_duration, format_number

RowFunction = Callable[[Spec], tuple[Panel, ...]]

# Histograms besides the request duration: (role, title, description).
HISTOGRAM_ROLES: tuple[tuple[Role, str, str], ...] = (
    ("inference_duration", "Model inference time", ""),
    (
        "input_length",
        "Input text length",
        "Latency grows sharply past ~120 characters; compare with the latency panel.",
    ),
)
# Gauges: (role, title).
GAUGE_ROLES: tuple[tuple[Role, str], ...] = (
    ("gpu_memory", "GPU memory"),
    ("in_flight", "Requests in flight"),
)


def traffic(spec: Spec) -> tuple[Panel, ...]:
    """Request rate, and each enum value's share of usage."""
    panels: list[Panel] = []
    requests = spec.by_role.get("requests")
    if requests:
        panels.append(rate_panel(spec, requests, "QPS", "reqps"))
    usage = spec.by_role.get("emotion_usage")
    if usage:
        panels += share_panels(spec, usage)
    return tuple(panels)


def errors(spec: Spec) -> tuple[Panel, ...]:
    """The request counter's error ratio by each label it is recorded by."""
    requests = spec.by_role.get("requests")
    return error_ratio_panels(spec, requests) if requests else ()


def latency(spec: Spec) -> tuple[Panel, ...]:
    """Request latency quantiles and heatmap, then the other histograms' quantiles."""
    panels: list[Panel] = []
    duration = spec.by_role.get("request_duration")
    if duration:
        panels.append(quantile_panel(spec, duration, f"Latency {quantiles_title()}"))
        panels.append(
            heatmap_panel(
                spec,
                duration,
                "Latency distribution (heatmap)",
                "Where requests pile up: a few slow buckets filling means a latency regression.",
            )
        )
    for role, title, description in HISTOGRAM_ROLES:
        metric = spec.by_role.get(role)
        if metric:
            panels.append(quantile_panel(spec, metric, title, description))
    return tuple(panels)


def saturation(spec: Spec) -> tuple[Panel, ...]:
    return tuple(gauge_panel(spec, metric, title) for role, title in GAUGE_ROLES if (metric := spec.by_role.get(role)))


def slo_panels(spec: Spec, slo: Slo) -> tuple[Panel, Panel]:
    """Budget left in the period, and the burn rate over each alert window against its factors."""
    this = naming.slo_selector(spec, slo)
    remaining = Panel(
        f"SLO {slo.name}: error budget remaining ({format_duration(slo.period)})",
        (Query(f"{naming.SLO_BUDGET_REMAINING}{this}", "remaining"),),
        "percentunit",
        thresholds=(Threshold(0.0, "red"),),
    )
    burn = tuple(
        Query(
            f"{naming.sli_error_name(window)}{this} / {format_number(slo.error_budget)}",
            f"burn {format_duration(window)}",
        )
        for window in sorted({w.long for w in slo.windows})
    )
    page = next(w.burn_factor for w in slo.windows if w.severity == "page" and w.speed == "quick")
    ticket = next(w.burn_factor for w in slo.windows if w.severity == "ticket" and w.speed == "slow")
    burn_rate = Panel(
        f"SLO {slo.name}: burn rate",
        burn,
        "none",
        thresholds=(Threshold(ticket, "orange"), Threshold(page, "red")),
        description=f"Pages: {naming.slo_alert_name(spec, slo, 'page')}; "
        f"tickets: {naming.slo_alert_name(spec, slo, 'ticket')}.",
    )
    return remaining, burn_rate


def slos(spec: Spec) -> tuple[Panel, ...]:
    return tuple(panel for slo in spec.slos for panel in slo_panels(spec, slo))


def instances(spec: Spec) -> tuple[Panel, ...]:
    """Which targets are up, and how evenly the request rate spreads over them (raw series)."""
    panels = [Panel("Targets up", (Query(f"{TARGET_UP}{instance_selector(spec)}", f"{{{{{INSTANCE}}}}}"),), "none")]
    requests = spec.by_role.get("requests")
    if requests:
        rate = f"rate({requests.exposed_name}{instance_selector(spec)}[{format_duration(spec.rate_window)}])"
        per_instance = f"sum {by_clause((INSTANCE,))} ({rate})"
        panels.append(
            Panel(
                "QPS by instance (max / avg)",
                (Query(f"max({per_instance})", "max"), Query(f"avg({per_instance})", "avg")),
                "reqps",
            )
        )
    return tuple(panels)


ROWS: tuple[tuple[str, RowFunction], ...] = (
    ("Traffic", traffic),
    ("Errors", errors),
    ("Latency", latency),
    ("Saturation", saturation),
    ("SLOs", slos),
    ("Instances", instances),
)


def dashboard_rows(spec: Spec) -> tuple[Row, ...]:
    """Every row that has panels for this spec, in ROWS order."""
    return tuple(Row(title, panels) for title, build in ROWS if (panels := build(spec)))
