"""Rows of panel descriptions -> dashboard JSON in the schema Grafana 10.x/11 writes itself.

grafanalib builds what it models the way Grafana 11 reads it: time-series and row panels,
query targets, variables. The dashboard object and the heatmap are built here instead.
grafanalib's Dashboard writes schemaVersion 12 with angular-era keys (`rows`, `style`,
`sharedCrosshair`, ...), so Grafana's DashboardMigrator replays every migration from 13 on;
its only heatmap is the angular one, and the heatmap migration handler treats a heatmap whose
`options` are empty as angular and rebuilds it (angularToReactHeatmap), dropping its
fieldConfig. With schema 39 and a React heatmap, nothing is migrated on import.

grafanalib is imported inside the functions that use it: its import (~0.15 s, mostly building its
attrs classes) is paid by a run that renders a dashboard, not by every command that imports the
generators.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from mongen.generators.grafana.grid import GridPos, place
from mongen.generators.grafana.panels import Panel, Row, Variable
from mongen.generators.grafana.queries import INSTANCE, JOB, TARGET_UP
from mongen.model import Spec
from mongen.rules import naming
from mongen.serialize import quoted_path

if TYPE_CHECKING:
    import grafanalib.core as g

SCHEMA_VERSION = 39
PLUGIN_VERSION = "11.0.0"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}  # whatever the `datasource` variable picks
UID_LENGTH = naming.DASHBOARD_UID_LENGTH


def to_data(value: Any) -> Any:
    """grafanalib objects -> plain JSON data, through their public `to_json_data()`."""
    as_json = getattr(value, "to_json_data", None)
    if as_json is not None:
        return to_data(as_json())
    if isinstance(value, dict):
        return {key: to_data(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_data(item) for item in value]
    return value


def targets(panel: Panel) -> list[dict[str, Any]]:
    import grafanalib.core as g

    return [
        to_data(
            g.Target(
                expr=query.expr,
                legendFormat=query.legend,
                refId=chr(ord("A") + i),
                datasource=DATASOURCE,
                format="heatmap" if panel.kind == "heatmap" else "time_series",
            )
        )
        for i, query in enumerate(panel.queries)
    ]


def timeseries(panel: Panel, panel_id: int, pos: GridPos) -> dict[str, Any]:
    import grafanalib.core as g

    # Step 0 is the base: the colour below the first line (grafanalib writes its value as "null").
    thresholds = [g.Threshold("green", 0, 0.0)] + [
        g.Threshold(t.color, i + 1, float(t.value)) for i, t in enumerate(panel.thresholds)
    ]
    data: dict[str, Any] = to_data(
        g.TimeSeries(
            title=panel.title,
            dataSource=DATASOURCE,
            targets=targets(panel),
            id=panel_id,
            gridPos=asdict(pos),
            unit=panel.unit,
            description=panel.description or None,
            stacking={"mode": panel.stacking, "group": "A"} if panel.stacking else {},
            fillOpacity=80 if panel.stacking else 10,
            thresholds=thresholds if panel.thresholds else [],
            thresholdsStyleMode="line" if panel.thresholds else "off",
            legendDisplayMode="table" if len(panel.queries) > 1 else "list",
            extraJson={"pluginVersion": PLUGIN_VERSION},
        )
    )
    return data


def heatmap_options(unit: str) -> dict[str, Any]:
    """React heatmap options for pre-bucketed Prometheus histograms (targets of format heatmap)."""
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


def heatmap(panel: Panel, panel_id: int, pos: GridPos) -> dict[str, Any]:
    """The React heatmap Grafana 11 saves, with the panel fields grafanalib writes on the others."""
    return {
        "type": "heatmap",
        "id": panel_id,
        "gridPos": asdict(pos),
        "title": panel.title,
        "description": panel.description or None,
        "datasource": DATASOURCE,
        "targets": targets(panel),
        "options": heatmap_options(panel.unit),
        "fieldConfig": {
            "defaults": {
                "custom": {
                    "hideFrom": {"legend": False, "tooltip": False, "viz": False},
                    "scaleDistribution": {"type": "linear"},
                }
            },
            "overrides": [],
        },
        "pluginVersion": PLUGIN_VERSION,
        "cacheTimeout": None,
        "editable": True,
        "error": False,
        "hideTimeOverride": False,
        "interval": None,
        "links": [],
        "maxDataPoints": 100,
        "maxPerRow": None,
        "repeat": None,
        "repeatDirection": None,
        "timeFrom": None,
        "timeShift": None,
        "transformations": [],
        "transparent": False,
    }


def panels_json(rows: tuple[Row, ...]) -> list[dict[str, Any]]:
    """Row headers and panels, placed on the grid and numbered top to bottom."""
    import grafanalib.core as g

    out: list[dict[str, Any]] = []
    for row, placed in zip(rows, place([[p.width for p in row.panels] for row in rows]), strict=True):
        out.append(to_data(g.RowPanel(title=row.title, id=len(out) + 1, gridPos=asdict(placed.header))))
        for panel, pos in zip(row.panels, placed.panels, strict=True):
            encode_panel = heatmap if panel.kind == "heatmap" else timeseries
            out.append(encode_panel(panel, len(out) + 1, pos))
    return out


def label_variable(variable: Variable) -> g.Template:
    """A multi-select dropdown, `All` by default; its values follow the time range and the job."""
    import grafanalib.core as g

    return g.Template(
        name=variable.label,
        label=variable.title,
        query=f'label_values({variable.series}{{{JOB}=~"${JOB}"}}, {variable.label})',
        dataSource=DATASOURCE,
        includeAll=True,
        multi=True,
        allValue=".*",
        default="All",
        refresh=g.REFRESH_ON_TIME_RANGE_CHANGE,
        sort=g.SORT_ALPHA_ASC,
    )


def templating(spec: Spec, variables: tuple[Variable, ...]) -> dict[str, Any]:
    """Data source, job and instance first: every other variable's values depend on them."""
    import grafanalib.core as g

    fixed = [
        g.Template(
            name="datasource",
            label="Data source",
            query="prometheus",
            type="datasource",
            default=spec.grafana.datasource_uid,
        ),
        g.Template(
            name=JOB,
            label="Job",
            query=f"label_values({TARGET_UP}, {JOB})",
            dataSource=DATASOURCE,
            default=spec.scrape.job,
            refresh=g.REFRESH_ON_TIME_RANGE_CHANGE,
        ),
        label_variable(Variable(INSTANCE, TARGET_UP)),
    ]
    return {"list": to_data(fixed + [label_variable(v) for v in variables])}


def dashboard_json(spec: Spec, rows: tuple[Row, ...], variables: tuple[Variable, ...]) -> dict[str, Any]:
    import grafanalib.core as g

    return {
        "title": f"{spec.service} service",
        "uid": naming.dashboard_uid(spec),
        "description": f"Generated by mongen from {quoted_path(spec.source)}. Do not edit: change the spec and regenerate.",
        "tags": ["mongen", spec.service],
        "schemaVersion": SCHEMA_VERSION,
        "version": 0,
        "id": None,  # Grafana gives the dashboard its database id on import
        "editable": True,
        "graphTooltip": 0,  # no shared crosshair
        "timezone": "browser",
        "refresh": "30s",
        "time": to_data(g.Time("now-6h", "now")),
        "timepicker": to_data(g.DEFAULT_TIME_PICKER),
        "annotations": {"list": []},
        "links": [],
        "templating": templating(spec, variables),
        "panels": panels_json(rows),
    }
