"""The dashboard: modern Grafana JSON, every query checked by the lint checks against the spec."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from mongen import layout
from mongen.dashboard_checks import dashboard_problems, metrics_without_panel, series_read
from mongen.generators.grafana import SCHEMA_VERSION, dashboard
from mongen.lint.runner import lint
from mongen.loading import load_spec
from mongen.pipeline import render
from mongen.writer import write_tree

SPECS = ("specs/emotivoice.yaml", "specs/multi-slo.yaml", "specs/llm.yaml")
STATIC = {
    "unknown-metric",
    "unknown-label",
    "dropped-label",
    "unknown-label-value",
    "histogram-quantile-input",
    "rate-on-gauge",
    "promql-parse",
}


def _queries(board: dict) -> list[tuple[str, str]]:
    return [(p["title"], t["expr"]) for p in board["panels"] for t in p.get("targets", [])]


@pytest.mark.parametrize("spec_path", SPECS)
def test_every_panel_query_names_only_spec_metrics_and_recorded_series(spec_path: str, tmp_path: Path) -> None:
    spec = load_spec(spec_path)
    write_tree(tmp_path, render(spec))
    board = json.loads((tmp_path / layout.dashboard(spec.service)).read_text())
    rules = []
    variables = [v["name"] for v in board["templating"]["list"]]
    for i, (_, expr) in enumerate(_queries(board)):
        for var in variables:
            expr = expr.replace(f"${var}", ".*")  # Grafana interpolates variables as text
        rules.append({"record": f"dashboard:panel_{i}:query", "expr": expr})
    queries = tmp_path / "dashboard-queries.yml"
    queries.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}, sort_keys=False))
    findings = lint(spec, [tmp_path / "prometheus/rules", queries], run_promtool=False).findings
    assert [f for f in findings if f.check in STATIC] == []
    assert len(rules) > 10


@pytest.mark.parametrize("spec_path", SPECS)
def test_dashboard_structure(spec_path: str) -> None:
    board = dashboard(load_spec(spec_path))
    assert dashboard_problems(board) == []
    assert board["schemaVersion"] == SCHEMA_VERSION
    assert not {"rows", "sharedCrosshair"} & set(board)


def test_structure_check_catches_overlap_off_grid_missing_unit_and_legacy_heatmap() -> None:
    board = dashboard(load_spec("specs/emotivoice.yaml"))
    panels = [p for p in board["panels"] if p["type"] != "row"]
    panels[1]["gridPos"] = dict(panels[0]["gridPos"])
    panels[2]["fieldConfig"]["defaults"]["unit"] = ""
    heatmap = next(p for p in panels if p["type"] == "heatmap")
    heatmap["options"] = {}
    panels[-1]["gridPos"]["x"] = 16
    problems = " ".join(dashboard_problems(board))
    assert "overlaps" in problems and "has no unit" in problems and "no React options" in problems
    assert f"{panels[-1]['title']!r} reaches past the 24-column grid" in problems


def test_heatmap_is_a_react_heatmap_of_prebucketed_data() -> None:
    board = dashboard(load_spec("specs/emotivoice.yaml"))
    heatmap = next(p for p in board["panels"] if p["type"] == "heatmap")
    assert heatmap["options"]["calculate"] is False
    assert heatmap["options"]["yAxis"]["unit"] == "s"
    assert heatmap["targets"][0]["format"] == "heatmap"
    assert not {"cards", "dataFormat", "yAxis", "color"} & set(heatmap)


def test_variables_filter_the_panels() -> None:
    board = dashboard(load_spec("specs/emotivoice.yaml"))
    names = [v["name"] for v in board["templating"]["list"]]
    assert names == ["datasource", "job", "instance", "emotion", "endpoint", "method", "status"]
    exprs = [e for _, e in _queries(board)]
    for label in names[3:]:  # every dropdown filters some query
        assert any(f'{label}=~"${label}"' in e for e in exprs), label
    # SLO series carry service/slo only; dcgm-exporter's keep its own job (the GPU row selects it).
    assert all('job=~"$job"' in e for e in exprs if not e.startswith("slo:") and "DCGM_" not in e)
    assert all('job="dcgm-exporter"' in e for e in exprs if "DCGM_" in e)


def test_a_new_slo_gets_its_panels_without_code_changes() -> None:
    titles = [p["title"] for p in dashboard(load_spec("specs/multi-slo.yaml"))["panels"]]
    for slo in ("availability", "availability_weekly", "latency"):
        assert f"SLO {slo}: burn rate" in titles


@pytest.mark.parametrize("spec_path", SPECS)
def test_every_declared_metric_reaches_a_panel(spec_path: str) -> None:
    """#18's done-when: each metric is read by some panel query, directly or through its rules."""
    spec = load_spec(spec_path)
    assert metrics_without_panel(spec, dashboard(spec)) == []


def test_a_metric_whose_panels_are_gone_is_reported() -> None:
    spec = load_spec("specs/llm.yaml")
    board = dashboard(spec)
    board["panels"] = [p for p in board["panels"] if "tokens" not in p["title"]]
    assert metrics_without_panel(spec, board) == ["llm_generated_tokens_total"]
    # A query of the raw series counts as much as one of its recording rules.
    board["panels"].append({"targets": [{"expr": 'rate(llm_generated_tokens_total{job=~"$job"}[$__rate_interval])'}]})
    assert metrics_without_panel(spec, board) == []


def test_coverage_follows_rules_that_read_other_rules() -> None:
    """The SLO panels read `slo:*` series, which read the SLI rules, which read the metric."""
    spec = load_spec("specs/multi-slo.yaml")
    board = dashboard(spec)
    board["panels"] = [p for p in board["panels"] if p.get("title", "").startswith("SLO latency")]
    assert series_read(board["panels"][0]["targets"][0]["expr"]) <= {"slo:period_error_budget_remaining:ratio"}
    assert metrics_without_panel(spec, board) == ["asr_gateway_requests_total"]
