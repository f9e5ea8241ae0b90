"""Grid placement, the JSON encoding of panel descriptions, and the provisioning files."""

from __future__ import annotations

import dataclasses

import grafanalib.core as g
import yaml

from mongen import layout
from mongen.dashboard_checks import dashboard_problems
from mongen.generators.grafana import dashboard, generate, generate_shared
from mongen.generators.grafana.encode import UID_LENGTH, panels_json, to_data
from mongen.generators.grafana.grid import PANEL_HEIGHT, WIDTH, GridPos, place
from mongen.generators.grafana.panels import Panel, Query, Row
from mongen.model import Grafana, Spec

DATASOURCE_UID = Grafana().datasource_uid


def test_panels_fill_a_row_left_to_right_and_wrap() -> None:
    first, second = place([[12, 12, 12], [WIDTH]])
    assert first.header == GridPos(0, 0, WIDTH, 1)
    assert first.panels == (GridPos(0, 1, 12, 8), GridPos(12, 1, 12, 8), GridPos(0, 1 + PANEL_HEIGHT, 12, 8))
    assert second.header == GridPos(0, 1 + 2 * PANEL_HEIGHT, WIDTH, 1)
    assert second.panels == (GridPos(0, 2 + 2 * PANEL_HEIGHT, WIDTH, 8),)


def test_mixed_widths_never_overlap_and_ids_count_up() -> None:
    def panel(width: int) -> Panel:
        return Panel(f"w{width}", (Query("up", "{{instance}}"),), "none", width=width)

    rows = (Row("A", tuple(panel(w) for w in (8, 8, 12, 24, 6))), Row("B", (panel(16), panel(16))))
    panels = panels_json(rows)
    board = {"uid": "x", "schemaVersion": 39, "panels": panels}
    assert dashboard_problems(board) == []
    assert [p["id"] for p in panels] == list(range(1, len(panels) + 1))
    assert [p["type"] for p in panels].count("row") == 2


def test_to_data_turns_nested_grafanalib_objects_into_plain_data() -> None:
    data = to_data({"time": g.Time("now-1h", "now"), "list": (g.GridPos(h=1, w=2, x=3, y=4),)})
    assert data == {"time": {"from": "now-1h", "to": "now"}, "list": [{"h": 1, "w": 2, "x": 3, "y": 4}]}


def test_dashboard_is_modern_grafana_json(default_spec: Spec) -> None:
    board = dashboard(default_spec)
    assert not {"rows", "sharedCrosshair", "hideControls", "style", "gnetId", "__inputs"} & set(board)
    assert all(p["pluginVersion"] == "11.0.0" for p in board["panels"] if p["type"] != "row")
    datasource = board["templating"]["list"][0]
    assert datasource["type"] == "datasource" and datasource["current"]["value"] == DATASOURCE_UID


def test_long_service_names_keep_the_uid_within_grafanas_limit(default_spec: Spec) -> None:
    spec = dataclasses.replace(default_spec, service="a-very-long-service-name-for-a-tts-cluster-in-production")
    assert len(dashboard(spec)["uid"]) == UID_LENGTH


def test_provisioning_points_grafana_at_prometheus_and_the_dashboard(default_spec: Spec) -> None:
    files = generate(default_spec) | generate_shared([default_spec])
    source = yaml.safe_load(files[layout.GRAFANA_DATASOURCE])["datasources"][0]
    assert source["uid"] == DATASOURCE_UID
    assert source["jsonData"]["timeInterval"] == "30s"  # the spec's scrape interval
    provider = yaml.safe_load(files[layout.dashboard_provider(default_spec.service)])["providers"][0]
    assert provider["name"] == "mongen-emotivoice" and provider["allowUiUpdates"] is False
