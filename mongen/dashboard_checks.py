"""Structural checks of a dashboard: unique ids, no overlapping panels, units, parseable queries."""

from __future__ import annotations

from typing import Any

import promql_parser

GRID_WIDTH = 24  # Grafana's dashboard grid


def _panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for panel in dashboard.get("panels", []):
        out.append(panel)
        out.extend(panel.get("panels", []))
    return out


def dashboard_problems(dashboard: dict[str, Any]) -> list[str]:
    problems = []
    if not dashboard.get("uid"):
        problems.append("dashboard has no uid")
    if dashboard.get("schemaVersion", 0) < 36:
        problems.append(f"schemaVersion {dashboard.get('schemaVersion')} makes Grafana replay old migrations on import")
    panels = _panels(dashboard)
    ids = [p.get("id") for p in panels]
    if len(ids) != len(set(ids)) or None in ids:
        problems.append(f"panel ids are not unique: {ids}")
    cells: dict[tuple[int, int], str] = {}
    for panel in panels:
        pos = panel.get("gridPos") or {}
        if pos.get("x", 0) + pos.get("w", 0) > GRID_WIDTH:
            problems.append(f"panel {panel.get('title')!r} reaches past the {GRID_WIDTH}-column grid")
        for x in range(pos.get("x", 0), pos.get("x", 0) + pos.get("w", 0)):
            for y in range(pos.get("y", 0), pos.get("y", 0) + pos.get("h", 0)):
                if (x, y) in cells:
                    problems.append(f"panel {panel.get('title')!r} overlaps {cells[(x, y)]!r}")
                    break
                cells[(x, y)] = str(panel.get("title"))
            else:
                continue
            break
        if panel.get("type") == "row":
            continue
        if panel.get("type") == "heatmap" and not panel.get("options"):
            problems.append(
                f"heatmap {panel.get('title')!r} has no React options; Grafana would rebuild it from angular settings"
            )
        options: dict[str, Any] = panel["options"] if isinstance(panel.get("options"), dict) else {}
        unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit") or options.get("yAxis", {}).get("unit")
        if not unit:
            problems.append(f"panel {panel.get('title')!r} has no unit")
        for target in panel.get("targets", []):
            expr = target.get("expr", "")
            try:
                promql_parser.parse(expr.replace("$__rate_interval", "5m"))
            except (ValueError, TypeError) as exc:
                problems.append(f"panel {panel.get('title')!r}: query does not parse: {expr!r}: {exc}")
    return problems
