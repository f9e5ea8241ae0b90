"""Structural checks of a dashboard: unique ids, no overlapping panels, units, parseable queries."""

from __future__ import annotations

from typing import Any

import promql_parser


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
    panels = _panels(dashboard)
    ids = [p.get("id") for p in panels]
    if len(ids) != len(set(ids)) or None in ids:
        problems.append(f"panel ids are not unique: {ids}")
    cells: dict[tuple[int, int], str] = {}
    for panel in panels:
        pos = panel.get("gridPos") or {}
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
        unit = (
            (panel.get("fieldConfig", {}).get("defaults", {}).get("unit"))
            or (panel.get("yAxis") or {}).get("format")
            or ((panel.get("yaxes") or [{}])[0].get("format"))
        )
        if not unit:
            problems.append(f"panel {panel.get('title')!r} has no unit")
        for target in panel.get("targets", []):
            expr = target.get("expr", "")
            try:
                promql_parser.parse(expr.replace("$__rate_interval", "5m"))
            except (ValueError, TypeError) as exc:
                problems.append(f"panel {panel.get('title')!r}: query does not parse: {expr!r}: {exc}")
    return problems
