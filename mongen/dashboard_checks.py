"""Structural checks of a dashboard: unique ids, no overlapping panels, units, parseable queries;
and, with the spec at hand, that every declared metric reaches some panel (metrics_without_panel).

`mongen validate` runs them on whatever JSON a directory holds, so every field is type-checked
before use and every size is bounded: a malformed dashboard gives problems, never an exception.
"""

from __future__ import annotations

from typing import Any

import promql_parser

from mongen import promql_tree
from mongen.model import Spec
from mongen.rules.ruleset import rule_set

GRID_WIDTH = 24  # Grafana's dashboard grid
MAX_PANEL_HEIGHT = 1000  # grid rows; Grafana's own panels are a few dozen at most
MAX_GRID_CELLS = 1_000_000  # bounds the overlap check on a dashboard of hostile size
# promql-parser recurses per nesting level: 2,000 parentheses take ~300 MB and 10,000 crash the
# process (SIGSEGV). mongen's queries nest a handful of levels, so deeper ones are not parsed.
MAX_QUERY_NESTING = 100
MAX_QUERY_LENGTH = 65_536


def _dicts(value: object) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for panel in _dicts(dashboard.get("panels")):
        out.append(panel)
        out.extend(_dicts(panel.get("panels")))
    return out


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _grid_problem(title: str, pos: object) -> str | None:
    if not isinstance(pos, dict):
        return f"panel {title} has no gridPos"
    x, y, w, h = (_int(pos.get(key)) for key in ("x", "y", "w", "h"))
    if x is None or y is None or w is None or h is None:
        return f"panel {title}: gridPos x, y, w and h must be integers"
    if x < 0 or y < 0 or w < 1 or h < 1 or h > MAX_PANEL_HEIGHT:
        return f"panel {title}: gridPos {pos} is outside the grid"
    if x + w > GRID_WIDTH:
        return f"panel {title} reaches past the {GRID_WIDTH}-column grid"
    return None


def _overlaps(panels: list[tuple[str, dict[str, int]]]) -> list[str]:
    problems = []
    if sum(pos["w"] * pos["h"] for _, pos in panels) > MAX_GRID_CELLS:
        return [f"the panels cover more than {MAX_GRID_CELLS} grid cells; not checked for overlaps"]
    cells: dict[tuple[int, int], str] = {}
    for title, pos in panels:
        hit = next(
            (
                cells[(x, y)]
                for x in range(pos["x"], pos["x"] + pos["w"])
                for y in range(pos["y"], pos["y"] + pos["h"])
                if (x, y) in cells
            ),
            None,
        )
        if hit is not None:
            problems.append(f"panel {title} overlaps {hit}")
        for x in range(pos["x"], pos["x"] + pos["w"]):
            for y in range(pos["y"], pos["y"] + pos["h"]):
                cells.setdefault((x, y), title)
    return problems


def _query_problem(title: str, expr: object) -> str | None:
    if not isinstance(expr, str):
        return f"panel {title}: query is not a string"
    if len(expr) > MAX_QUERY_LENGTH:
        return f"panel {title}: query is {len(expr)} characters long; not parsed"
    depth = deepest = 0
    for char in expr:  # an upper bound: parentheses inside string literals count too
        depth += (char == "(") - (char == ")")
        deepest = max(deepest, depth)
    if deepest > MAX_QUERY_NESTING:
        return f"panel {title}: query nests {deepest} parentheses deep; not parsed"
    try:
        promql_parser.parse(expr.replace("$__rate_interval", "5m"))
    except (ValueError, TypeError) as exc:
        return f"panel {title}: query does not parse: {expr!r}: {exc}"
    return None


def _unit(panel: dict[str, Any]) -> object:
    field_config = panel.get("fieldConfig")
    defaults = field_config.get("defaults") if isinstance(field_config, dict) else None
    options = panel.get("options")
    y_axis = options.get("yAxis") if isinstance(options, dict) else None
    return (defaults.get("unit") if isinstance(defaults, dict) else None) or (
        y_axis.get("unit") if isinstance(y_axis, dict) else None
    )


def dashboard_problems(dashboard: object) -> list[str]:
    if not isinstance(dashboard, dict):
        return ["the dashboard is not a JSON object"]
    problems = []
    if not dashboard.get("uid"):
        problems.append("dashboard has no uid")
    schema_version = _int(dashboard.get("schemaVersion"))
    if schema_version is None or schema_version < 36:
        problems.append(
            f"schemaVersion {dashboard.get('schemaVersion')!r} makes Grafana replay old migrations on import"
        )
    panels = _panels(dashboard)
    ids = [p.get("id") for p in panels]
    if None in ids or not all(isinstance(i, (int, str)) for i in ids) or len(ids) != len(set(ids)):
        problems.append(f"panel ids are not unique: {ids}")
    placed: list[tuple[str, dict[str, int]]] = []
    for panel in panels:
        title = repr(panel.get("title"))
        grid = _grid_problem(title, panel.get("gridPos"))
        if grid:
            problems.append(grid)
        else:
            placed.append((title, panel["gridPos"]))
        if panel.get("type") == "row":
            continue
        if panel.get("type") == "heatmap" and not panel.get("options"):
            problems.append(f"heatmap {title} has no React options; Grafana would rebuild it from angular settings")
        if not _unit(panel):
            problems.append(f"panel {title} has no unit")
        for target in _dicts(panel.get("targets")):
            query = _query_problem(title, target.get("expr", ""))
            if query:
                problems.append(query)
    return problems + _overlaps(placed)


def series_read(expr: str) -> set[str]:
    """The series names a query selects (`$__rate_interval` read as 5m, as Grafana would fill it)."""
    tree = promql_tree.parse(expr.replace("$__rate_interval", "5m"))
    if tree.root is None:
        return set()
    return {node.name for node in promql_tree.descendants(tree.root) if isinstance(node, promql_tree.Selector)}


def panel_queries(dashboard: dict[str, Any]) -> list[str]:
    return [
        target["expr"]
        for panel in _panels(dashboard)
        for target in _dicts(panel.get("targets"))
        if isinstance(target.get("expr"), str)
    ]


def metrics_without_panel(spec: Spec, dashboard: dict[str, Any]) -> list[str]:
    """The spec's metrics that no panel query reads, directly or through the recording rules
    (followed to the raw series they read, however many rules deep)."""
    reads = {rule.record: series_read(rule.expr) for group in rule_set(spec).recording_groups for rule in group.rules}
    seen: set[str] = set()
    pending = [name for expr in panel_queries(dashboard) for name in series_read(expr)]
    while pending:
        name = pending.pop()
        if name not in seen:
            seen.add(name)
            pending.extend(reads.get(name, ()))
    return [metric.name for metric in spec.metrics if not seen & set(metric.exposed_series)]
