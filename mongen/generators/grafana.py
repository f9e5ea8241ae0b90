"""Grafana dashboard (built with grafanalib) and its file-provisioning config.

Panels follow the spec: a metric role the spec lacks gives no panel; every enum, endpoint
and SLO gets its panels without code changes. Queries read the recording rules, so the
dashboard stays cheap however many people have it open.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import grafanalib.core as g
from grafanalib._gen import DashboardEncoder

from mongen import layout
from mongen.model import Metric, Role, Spec
from mongen.promql import quote
from mongen.rules import naming
from mongen.rules.naming import error_ratio_name, quantile_name, rate_name, share_name, sli_error_name, slo_alert_name
from mongen.rules.recording import DEFAULT_QUANTILES
from mongen.serialize import to_json, to_yaml
from mongen.units import format_duration, format_number

DATASOURCE_UID = "mongen-prometheus"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
WIDTH = 24


@dataclass(frozen=True)
class PanelSpec:
    """What a panel shows; turned into a grafanalib panel with a grid position."""

    title: str
    queries: tuple[tuple[str, str], ...]  # (expr, legend)
    unit: str
    kind: str = "timeseries"  # timeseries | heatmap
    width: int = 12
    stacking: str | None = None
    thresholds: tuple[tuple[float, str], ...] = ()
    description: str = ""


VARIABLE_LABELS = ("endpoint", "emotion")


def variable_labels(spec: Spec) -> tuple[str, ...]:
    """Labels that get a dashboard variable: those of VARIABLE_LABELS the request counter has."""
    requests = spec.by_role.get("requests")
    return tuple(label for label in VARIABLE_LABELS if requests and label in requests.labels)


def _filter(spec: Spec, group: tuple[str, ...] = ()) -> str:
    """`job=~"$job"` plus the variable of every label the series keeps, so the dropdowns filter."""
    return ",".join(['job=~"$job"', *(f'{label}=~"${label}"' for label in group if label in variable_labels(spec))])


def _quantile_queries(spec: Spec, metric: Metric, group: tuple[str, ...], window: int) -> tuple[tuple[str, str], ...]:
    """P50/P95/P99 from the recorded quantiles, one legend entry per quantile (and group value)."""
    suffix = "".join(f" {{{{{label}}}}}" for label in group)
    return tuple(
        (f"{quantile_name(metric, group, q, window)}{{{_filter(spec, group)}}}", f"P{format_number(q * 100)}{suffix}")
        for q in DEFAULT_QUANTILES
    )


def _red_line(threshold: float | None) -> tuple[tuple[float, str], ...]:
    return ((threshold, "red"),) if threshold is not None else ()


def panels(spec: Spec) -> list[tuple[str, list[PanelSpec]]]:
    """Rows of panels derived from the spec."""
    roles = spec.by_role
    w = spec.rate_window
    rows: list[tuple[str, list[PanelSpec]]] = []
    traffic: list[PanelSpec] = []
    errors: list[PanelSpec] = []
    latency: list[PanelSpec] = []
    requests = roles.get("requests")
    if requests:
        group = ("endpoint",) if ("endpoint",) in requests.record_by else ()
        traffic.append(
            PanelSpec(
                "QPS by endpoint" if group else "QPS",
                (
                    (
                        f"{rate_name(requests, group, w)}{{{_filter(spec, group)}}}",
                        "{{endpoint}}" if group else "{{job}}",
                    ),
                ),
                "reqps",
            )
        )
        if requests.errors:
            for label in ("endpoint", "emotion"):
                if (label,) in requests.record_by:
                    threshold = next(
                        (a.threshold for a in spec.alerts if a.kind == "error_ratio" and a.by == (label,)), None
                    )
                    errors.append(
                        PanelSpec(
                            f"Error ratio by {label}",
                            (
                                (
                                    f"{error_ratio_name(requests, (label,), w)}{{{_filter(spec, (label,))}}}",
                                    "{{%s}}" % label,
                                ),
                            ),
                            "percentunit",
                            thresholds=_red_line(threshold),
                        )
                    )
    usage = roles.get("emotion_usage")
    if usage and ("emotion",) in usage.record_by:
        traffic.append(
            PanelSpec(
                "Emotion share",
                ((f"{share_name(usage, ('emotion',), w)}{{{_filter(spec, ('emotion',))}}}", "{{emotion}}"),),
                "percentunit",
                stacking="percent",
            )
        )
    duration = roles.get("request_duration")
    if duration:
        group = ("endpoint",) if ("endpoint",) in duration.record_by else ()
        queries = _quantile_queries(spec, duration, group, w)
        threshold = next(
            (a.threshold for a in spec.alerts if a.kind == "latency_quantile" and a.metric == duration.name), None
        )
        latency.append(PanelSpec("Latency P50/P95/P99", queries, "s", thresholds=_red_line(threshold)))
        latency.append(
            PanelSpec(
                "Latency distribution (heatmap)",
                ((f"sum by (le) ({rate_name(duration, (), w, '_bucket')}{{{_filter(spec)}}})", "{{le}}"),),
                "s",
                kind="heatmap",
                description="Where requests pile up: a few slow buckets filling means a latency regression.",
            )
        )
    inference = roles.get("inference_duration")
    if inference:
        latency.append(
            PanelSpec(
                "Model inference time",
                _quantile_queries(spec, inference, (), w),
                "s",
            )
        )
    length = roles.get("input_length")
    if length:
        latency.append(
            PanelSpec(
                "Input text length",
                _quantile_queries(spec, length, (), w),
                "none",
                description="Latency grows sharply past ~120 characters; compare with the latency panel.",
            )
        )
    saturation: list[PanelSpec] = []
    gauges: tuple[tuple[Role, str, str], ...] = (
        ("gpu_memory", "GPU memory", "bytes"),
        ("in_flight", "Requests in flight", "none"),
    )
    for role, title, unit in gauges:
        metric = roles.get(role)
        if metric:
            saturation.append(
                PanelSpec(
                    title,
                    (
                        (f"{naming.gauge_name(metric, (), 'max')}{{{_filter(spec)}}}", "max"),
                        (f"{naming.gauge_name(metric, (), 'avg')}{{{_filter(spec)}}}", "avg"),
                    ),
                    unit,
                )
            )
    slos: list[PanelSpec] = []
    for slo in spec.slos:
        this = f"{{service={quote(spec.service)},slo={quote(slo.name)}}}"
        slos.append(
            PanelSpec(
                f"SLO {slo.name}: error budget remaining ({format_duration(slo.period)})",
                ((f"{naming.SLO_BUDGET_REMAINING}{this}", "remaining"),),
                "percentunit",
                thresholds=((0.0, "red"),),
            )
        )
        burn = tuple(
            (f"{sli_error_name(win)}{this} / {format_number(slo.error_budget)}", f"burn {format_duration(win)}")
            for win in sorted({x.long for x in slo.windows})
        )
        page = next(x.burn_factor for x in slo.windows if x.severity == "page" and x.speed == "quick")
        ticket = next(x.burn_factor for x in slo.windows if x.severity == "ticket" and x.speed == "slow")
        slos.append(
            PanelSpec(
                f"SLO {slo.name}: burn rate",
                burn,
                "none",
                thresholds=((ticket, "orange"), (page, "red")),
                description=f"Pages: {slo_alert_name(spec, slo, 'page')}; tickets: {slo_alert_name(spec, slo, 'ticket')}.",
            )
        )
    instances = [PanelSpec("Targets up", ((f'up{{{_filter(spec)},instance=~"$instance"}}', "{{instance}}"),), "none")]
    if requests:
        instances.append(
            PanelSpec(
                "QPS by instance (max / avg)",
                (
                    (
                        f'max(sum by (instance) (rate({requests.exposed_name}{{{_filter(spec)},instance=~"$instance"}}[{format_duration(w)}])))',
                        "max",
                    ),
                    (
                        f'avg(sum by (instance) (rate({requests.exposed_name}{{{_filter(spec)},instance=~"$instance"}}[{format_duration(w)}])))',
                        "avg",
                    ),
                ),
                "reqps",
            )
        )
    for title, items in (
        ("Traffic", traffic),
        ("Errors", errors),
        ("Latency", latency),
        ("Saturation", saturation),
        ("SLOs", slos),
        ("Instances", instances),
    ):
        if items:
            rows.append((title, items))
    return rows


def _panel(p: PanelSpec, panel_id: int, pos: g.GridPos) -> Any:
    targets = [
        g.Target(
            expr=expr,
            legendFormat=legend,
            refId=chr(ord("A") + i),
            datasource=DATASOURCE,
            format="heatmap" if p.kind == "heatmap" else "time_series",
        )
        for i, (expr, legend) in enumerate(p.queries)
    ]
    if p.kind == "heatmap":
        return g.Heatmap(
            title=p.title,
            dataSource=DATASOURCE,
            targets=targets,
            id=panel_id,
            gridPos=pos,
            dataFormat="tsbuckets",
            description=p.description or None,
            yAxis=g.YAxis(format=p.unit),
            hideZeroBuckets=True,
        )
    thresholds = [g.Threshold("green", 0, 0.0)] + [
        g.Threshold(color, i + 1, float(value)) for i, (value, color) in enumerate(p.thresholds)
    ]
    return g.TimeSeries(
        title=p.title,
        dataSource=DATASOURCE,
        targets=targets,
        id=panel_id,
        gridPos=pos,
        unit=p.unit,
        description=p.description or None,
        stacking={"mode": p.stacking, "group": "A"} if p.stacking else {},
        fillOpacity=80 if p.stacking else 10,
        thresholds=thresholds if p.thresholds else [],
        thresholdsStyleMode="line" if p.thresholds else "off",
        legendDisplayMode="table" if len(p.queries) > 1 else "list",
    )


def _variable(name: str, query: str, label: str) -> Any:
    return g.Template(
        name=name,
        label=label,
        query=query,
        dataSource=DATASOURCE,
        includeAll=True,
        multi=True,
        allValue=".*",
        default="All",
        refresh=2,
        sort=1,
    )


def dashboard(spec: Spec) -> dict[str, Any]:
    panel_objs: list[Any] = []
    y = 0
    next_id = 1
    for title, items in panels(spec):
        panel_objs.append(g.RowPanel(title=title, id=next_id, gridPos=g.GridPos(h=1, w=WIDTH, x=0, y=y)))
        next_id += 1
        y += 1
        x = 0
        for item in items:
            if x + item.width > WIDTH:
                x, y = 0, y + 8
            panel_objs.append(_panel(item, next_id, g.GridPos(h=8, w=item.width, x=x, y=y)))
            next_id += 1
            x += item.width
        y += 8
    job = spec.scrape.job
    requests = spec.by_role.get("requests")
    series = requests.exposed_name if requests else "up"
    variables = [
        g.Template(
            name="datasource", label="Data source", query="prometheus", type="datasource", default=DATASOURCE_UID
        ),
        g.Template(
            name="job", label="Job", query="label_values(up, job)", dataSource=DATASOURCE, default=job, refresh=2
        ),
        _variable("instance", 'label_values(up{job=~"$job"}, instance)', "Instance"),
    ]
    for label in variable_labels(spec):
        variables.append(_variable(label, f'label_values({series}{{job=~"$job"}}, {label})', label.capitalize()))
    board = g.Dashboard(
        title=f"{spec.service} service",
        uid=f"mongen-{spec.service}"[:40],
        tags=["mongen", spec.service],
        timezone="browser",
        refresh="30s",
        time=g.Time("now-6h", "now"),
        panels=panel_objs,
        templating=g.Templating(list=variables),
        description=f"Generated by mongen from {spec.source}. Do not edit: change the spec and regenerate.",
    ).auto_panel_ids()
    data: dict[str, Any] = json.loads(json.dumps(board.to_json_data(), cls=DashboardEncoder))
    return modernize(data)


# grafanalib writes schemaVersion 12 with angular-era fields. Grafana's DashboardMigrator
# then replays every migration from 13 on, and the heatmap panel's migration handler
# treats a heatmap with empty `options` as an angular heatmap and rebuilds it
# (angularToReactHeatmap), dropping its fieldConfig. We emit the schema Grafana 10.x/11
# writes itself (39) and the React heatmap options, so nothing is migrated on import.
SCHEMA_VERSION = 39
PLUGIN_VERSION = "11.0.0"
_LEGACY_DASHBOARD_KEYS = ("rows", "sharedCrosshair", "hideControls", "style", "gnetId", "__inputs")
_LEGACY_HEATMAP_KEYS = (
    "cards",
    "color",
    "dataFormat",
    "heatmap",
    "hideZeroBuckets",
    "highlightCards",
    "legend",
    "reverseYBuckets",
    "tooltip",
    "xAxis",
    "yAxis",
    "xBucketNumber",
    "xBucketSize",
    "yBucketBound",
    "yBucketNumber",
    "yBucketSize",
    "height",
    "span",
    "minSpan",
)


def heatmap_options(unit: str) -> dict[str, Any]:
    """React heatmap options for pre-bucketed Prometheus histograms (format: heatmap)."""
    return {
        "calculate": False,  # the buckets come from the histogram, not from Grafana
        "cellGap": 1,
        "color": {
            "mode": "scheme",
            "scheme": "Oranges",
            "steps": 64,
            "exponent": 0.5,
            "scale": "exponential",
            "fill": "dark-orange",
            "reverse": False,
        },
        "filterValues": {"le": 1e-9},  # hide empty buckets
        "legend": {"show": True},
        "rowsFrame": {"layout": "le"},  # Prometheus `le` is each bucket's upper bound
        "showValue": "never",
        "tooltip": {"mode": "single", "yHistogram": True, "showColorScale": False},
        "yAxis": {"axisPlacement": "left", "reverse": False, "unit": unit},
        "cellValues": {"unit": "reqps"},
        "exemplars": {"color": "rgba(255,0,255,0.7)"},
    }


def modernize(data: dict[str, Any]) -> dict[str, Any]:
    for key in _LEGACY_DASHBOARD_KEYS:
        data.pop(key, None)
    data["schemaVersion"] = SCHEMA_VERSION
    for panel in data["panels"]:
        if panel["type"] == "heatmap":
            unit = (panel.get("yAxis") or {}).get("format") or "short"
            for key in _LEGACY_HEATMAP_KEYS:
                panel.pop(key, None)
            panel["options"] = heatmap_options(unit)
            panel["fieldConfig"] = {
                "defaults": {
                    "custom": {
                        "hideFrom": {"legend": False, "tooltip": False, "viz": False},
                        "scaleDistribution": {"type": "linear"},
                    }
                },
                "overrides": [],
            }
        if panel["type"] != "row":
            panel["pluginVersion"] = PLUGIN_VERSION
    return data


def generate(spec: Spec) -> dict[str, str]:
    provider = {
        "apiVersion": 1,
        "providers": [
            {
                "name": f"mongen-{spec.service}",
                "type": "file",
                "disableDeletion": True,
                "allowUiUpdates": False,
                "options": {"path": "/var/lib/grafana/dashboards/mongen", "foldersFromFilesStructure": False},
            }
        ],
    }
    datasource = {
        "apiVersion": 1,
        "datasources": [
            {
                "name": "Prometheus",
                "type": "prometheus",
                "uid": DATASOURCE_UID,
                "access": "proxy",
                "url": "http://127.0.0.1:9090",
                "jsonData": {"timeInterval": format_duration(spec.scrape.interval)},
            }
        ],
    }
    return {
        layout.dashboard(spec.service): to_json(dashboard(spec)),
        layout.dashboard_provider(spec.service): to_yaml(provider, spec.source),
        layout.GRAFANA_DATASOURCE: to_yaml(datasource, spec.source),
    }
