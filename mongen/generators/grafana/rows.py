"""One function per dashboard row: the model in, the row's panel descriptions out.

A row function returns no panels when the spec has nothing for it, and the row is left out.
Every declared metric gets the panels of its type (metric_panels): counters in Traffic and
Errors, histograms in Latency (durations) or Distributions, gauges in Saturation. Roles only
add what is specific to them (titles, the text-length note, the request counter leading its
rows and feeding the Instances row). Adding a row is one function and one line in ROWS.
"""

from __future__ import annotations

from collections.abc import Callable

from mongen.generators.grafana.gpu import ROW_TITLE as GPU_ROW_TITLE
from mongen.generators.grafana.gpu import gpu
from mongen.generators.grafana.metric_panels import (
    error_ratio_panels,
    gauge_panel,
    heatmap_panel,
    quantile_panel,
    quantiles_title,
    rate_panels,
    share_panels,
)
from mongen.generators.grafana.panels import Panel, Query, Row, Threshold
from mongen.generators.grafana.presets import preset_rows
from mongen.generators.grafana.queries import INSTANCE, TARGET_UP, instance_selector
from mongen.model import COUNTER, GAUGE, HISTOGRAM, Metric, MetricType, Role, Slo, Spec
from mongen.promql import by_clause
from mongen.rules import naming
from mongen.units import format_duration, format_number

RowFunction = Callable[[Spec], tuple[Panel, ...]]

# What a role's panels are called; a metric without a role is called by its name (metric_title).
ROLE_TITLES: dict[Role, str] = {
    "requests": "QPS",
    "emotion_usage": "Usage",
    "request_duration": "Latency",
    "inference_duration": "Model inference time",
    "input_length": "Input text length",
    "gpu_memory": "GPU memory",
    "in_flight": "Requests in flight",
}
# Notes a role's panels carry: on the quantiles, on the heatmap.
QUANTILE_NOTES: dict[Role, str] = {
    "input_length": "Latency grows sharply past ~120 characters; compare with the latency panel.",
}
HEATMAP_NOTES: dict[Role, str] = {
    "request_duration": "Where requests pile up: a few slow buckets filling means a latency regression.",
}
# The roles whose metric leads its row: the request counter, the request latency.
LEADING_ROLES: tuple[Role, ...] = ("requests", "request_duration")
# Grafana units of a counter's rate by the counter's unit: seconds per second is a busy fraction.
RATE_UNITS = {"bytes": "Bps", "seconds": "percentunit"}
REQUEST_RATE_UNIT = "reqps"
COUNT_RATE_UNIT = "cps"  # Grafana's "counts/sec"


def metric_title(spec: Spec, metric: Metric) -> str:
    """`Time to first token` for `llm_time_to_first_token_seconds`: the name without the
    namespace, the counter suffix and the declared unit."""
    words = metric.base.removeprefix(spec.namespace + "_")
    if metric.unit:
        words = words.removesuffix("_" + metric.unit)
    return words.replace("_", " ").capitalize()


def ordered(spec: Spec, metric_type: MetricType) -> tuple[Metric, ...]:
    """The spec's metrics of one type, the leading roles' first, then in spec order."""
    of_type = [m for m in spec.metrics if m.type == metric_type]
    return tuple(sorted(of_type, key=lambda m: m.role not in LEADING_ROLES))


def title(spec: Spec, metric: Metric) -> str:
    """The role's title (`QPS`, `GPU memory`), else the metric's own (metric_title)."""
    return ROLE_TITLES[metric.role] if metric.role else metric_title(spec, metric)


def rate_title(spec: Spec, metric: Metric) -> str:
    return title(spec, metric) if metric.role else f"{metric_title(spec, metric)} per second"


def rate_unit(metric: Metric) -> str:
    if metric.role == "requests":
        return REQUEST_RATE_UNIT
    return RATE_UNITS.get(metric.unit or "", COUNT_RATE_UNIT)


def traffic(spec: Spec) -> tuple[Panel, ...]:
    """Every counter's rate by its recorded groups, and each enum value's share of it."""
    panels: list[Panel] = []
    for metric in ordered(spec, COUNTER):
        if metric.role != "emotion_usage":  # its shares say it all; the requests' rate is QPS
            panels += rate_panels(spec, metric, rate_title(spec, metric), rate_unit(metric))
        of = {"emotion_usage": "", "requests": " of requests"}.get(
            metric.role or "", f" of {metric_title(spec, metric).lower()}"
        )
        panels += share_panels(spec, metric, of)
    return tuple(panels)


def errors(spec: Spec) -> tuple[Panel, ...]:
    """Every counter with `errors:`: its error ratio by each label it is recorded by."""
    return tuple(
        panel
        for metric in ordered(spec, COUNTER)
        for panel in error_ratio_panels(
            spec, metric, "Error ratio" if metric.role == "requests" else f"{metric_title(spec, metric)} error ratio"
        )
    )


def histogram_panels(spec: Spec, metric: Metric) -> tuple[Panel, Panel]:
    name = title(spec, metric)
    notes = (QUANTILE_NOTES.get(metric.role, ""), HEATMAP_NOTES.get(metric.role, "")) if metric.role else ("", "")
    return (
        quantile_panel(spec, metric, f"{name} {quantiles_title()}", notes[0]),
        heatmap_panel(spec, metric, f"{name} distribution (heatmap)", notes[1]),
    )


def latency(spec: Spec) -> tuple[Panel, ...]:
    """Histograms of durations: P50/P95/P99 and a heatmap each, the request latency first."""
    return tuple(p for m in ordered(spec, HISTOGRAM) if m.unit == "seconds" for p in histogram_panels(spec, m))


def distributions(spec: Spec) -> tuple[Panel, ...]:
    """The other histograms (lengths, sizes, counts): P50/P95/P99 and a heatmap each."""
    return tuple(p for m in ordered(spec, HISTOGRAM) if m.unit != "seconds" for p in histogram_panels(spec, m))


def saturation(spec: Spec) -> tuple[Panel, ...]:
    """Every gauge: worst and mean instance."""
    return tuple(gauge_panel(spec, metric, title(spec, metric)) for metric in ordered(spec, GAUGE))


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
        description="; ".join(
            f"{'Pages' if t.tier == 'page' else 'tickets'}: {naming.slo_alert_name(spec, slo, t.tier)}"
            for t in slo.enabled_tiers
        )
        + "."
        if slo.enabled_tiers
        else "Both burn-rate alerts of this SLO are disabled in the spec.",
    )
    return remaining, burn_rate


def slos(spec: Spec) -> tuple[Panel, ...]:
    return tuple(panel for slo in spec.slos for panel in slo_panels(spec, slo))


def instances(spec: Spec) -> tuple[Panel, ...]:
    """Which targets are up, and how evenly the request rate spreads over them (raw series)."""
    panels = [Panel("Targets up", (Query(f"{TARGET_UP}{instance_selector(spec)}", f"{{{{{INSTANCE}}}}}"),), "none")]
    requests = spec.by_role.get("requests")
    if requests:
        # The raw series keeps every label of the counter, so every dropdown filters it.
        raw = f"{requests.exposed_name}{instance_selector(spec, requests.labels)}"
        rate = f"rate({raw}[{format_duration(spec.rate_window)}])"
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
    ("Distributions", distributions),
    ("Saturation", saturation),
    (GPU_ROW_TITLE, gpu),
    ("SLOs", slos),
    ("Instances", instances),
)


def dashboard_rows(spec: Spec) -> tuple[Row, ...]:
    """Every row that has panels for this spec, in ROWS order."""
    rows = tuple(Row(title, panels) for title, build in ROWS if (panels := build(spec)))
    return rows + preset_rows(spec)
