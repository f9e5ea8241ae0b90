"""Recording, SLO and alert rules: exact burn-rate math, and generated tests that can fail."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from mongen.loading import load_spec
from mongen.pipeline import render
from mongen.rules.ruleset import rule_set
from mongen.units import format_number
from mongen.writer import write_tree
from tests.support import need


def _window_pairs(rules) -> list[tuple[str, str, str, str, str]]:
    """(alert, long window, short window, factor, budget) of every burn-rate rule, as written."""
    out = []
    for rule in rules:
        found = re.findall(r"ratio_rate(\w+)\{[^}]*\} > \(([\d.]+) \* ([\d.]+)\)", rule.expr)
        (long, factor, budget), (short, factor2, budget2) = found
        assert (factor, budget) == (factor2, budget2), rule.expr
        assert dict(rule.labels)["long_window"] == long and dict(rule.labels)["short_window"] == short
        out.append((rule.name, long, short, factor, budget))
    return out


def test_sloth_burn_factors_for_999_over_30d(default_spec) -> None:
    rules = [r for r in rule_set(default_spec).slo_alerts if dict(r.labels)["slo"] == "availability"]
    page, ticket = "EmotivoiceAvailabilityErrorBudgetBurnPage", "EmotivoiceAvailabilityErrorBudgetBurnTicket"
    assert _window_pairs(rules) == [
        (page, "1h", "5m", "14.4", "0.001"),
        (page, "6h", "30m", "6", "0.001"),
        (ticket, "1d", "2h", "3", "0.001"),
        (ticket, "3d", "6h", "1", "0.001"),
    ]
    assert all(rule.for_seconds == 0 for rule in rules), "the short window is the confirmation, not a `for`"


def test_28d_factors_are_exact_and_other_periods_follow_mongens_rule() -> None:
    spec = load_spec("specs/multi-slo.yaml")
    four_weeks = next(s for s in spec.slos if s.period == 28 * 86400)
    # Sloth's 28d windows: the same windows and budget shares as 30d, the factor exact, not rounded.
    assert [w.burn_factor for w in four_weeks.windows] == [13.44, 5.6, 2.8, 0.9333333333333333]
    rules = [r for r in rule_set(spec).slo_alerts if dict(r.labels)["slo"] == four_weeks.name]
    assert [pair[3] for pair in _window_pairs(rules)] == ["13.44", "5.6", "2.8", "0.9333333333333333"]
    # 7d: Sloth defines no windows; mongen keeps the workbook's windows and shares (2/5/10/10%).
    weekly = next(s for s in spec.slos if s.period == 7 * 86400)
    assert [w.burn_factor for w in weekly.windows] == [3.36, 1.4, 0.7, 0.23333333333333334]


def test_every_alert_has_hygiene(default_spec) -> None:
    rules, slo_rules = rule_set(default_spec).alerts, rule_set(default_spec).slo_alerts
    severities = default_spec.routing.severities
    for rule in rules + slo_rules:
        labels = dict(rule.labels)
        assert labels["severity"] in severities
        annotations = rule.annotations()
        assert annotations["summary"] and annotations["description"]
        assert annotations["runbook_url"] == f"runbooks/{rule.name}.md"
        assert annotations["dashboard_url"] == "https://grafana.example.com/d/mongen-emotivoice"
        assert rule.first_checks
        if rule not in slo_rules:
            assert rule.for_seconds >= 2 * default_spec.scrape.evaluation_interval
        for label in re.findall(r"\$labels\.(\w+)", annotations["summary"] + annotations["description"]):
            assert label in rule.output_labels, (rule.name, label)


def test_every_alert_has_a_firing_and_a_quiet_case(default_spec) -> None:
    rules = rule_set(default_spec)
    for rule in rules.all_alerts:
        mine = [c for c in rules.alert_cases + rules.slo_cases if c.alert.name == rule.name]
        assert {c.firing for c in mine} == {True, False}, rule.name


def _promtool_tests(root: Path) -> list[subprocess.CompletedProcess[str]]:
    promtool = need("promtool")
    return [
        subprocess.run(
            [promtool, "test", "rules", p.name], cwd=p.parent, capture_output=True, text=True, timeout=300, check=False
        )
        for p in sorted((root / "prometheus/tests").glob("*.yml"))
    ]


@pytest.fixture(scope="module")
def alerts_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default output without the SLO test files (those are covered by the mutation test below)."""
    root = tmp_path_factory.mktemp("rules")
    write_tree(root, render(load_spec("specs/emotivoice.yaml")))
    return root


THRESHOLD_ALERTS = ["EmotivoiceP95LatencyHigh", "EmotivoiceEmotionErrorRatioHigh", "EmotivoiceGpuMemoryHigh"]


@pytest.mark.parametrize("alert", THRESHOLD_ALERTS)
@pytest.mark.parametrize("factor", [1.1, 0.9])
def test_mutated_threshold_is_caught_by_generated_tests(
    alerts_only: Path, alert: str, factor: float, tmp_path: Path
) -> None:
    import shutil

    root = tmp_path / "o"
    shutil.copytree(alerts_only, root)
    path = root / "prometheus/rules/emotivoice-alerts.yml"
    doc = yaml.safe_load(path.read_text())
    rule = next(r for g in doc["groups"] for r in g["rules"] if r.get("alert") == alert)
    condition, _, rest = rule["expr"].partition("\n")  # an error ratio's traffic guard follows
    number = re.search(r"> ([\d.e+]+)$", condition).group(1)
    condition = condition[: -len(number)] + format_number(float(number) * factor)
    rule["expr"] = condition + ("\n" + rest if rest else "")
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    for extra in (root / "prometheus/tests").glob("*slo-*.yml"):
        extra.unlink()
    results = _promtool_tests(root)
    failed = [r for r in results if r.returncode != 0]
    assert failed, f"threshold of {alert} x{factor} went unnoticed"
    assert alert in failed[0].stdout + failed[0].stderr


@pytest.mark.parametrize("factor", [1.1, 0.9])
def test_mutated_burn_factors_are_caught(alerts_only: Path, factor: float, tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "o"
    shutil.copytree(alerts_only, root)
    path = root / "prometheus/rules/emotivoice-alerts.yml"
    text = path.read_text()
    mutated = re.sub(
        r"> \(([\d.]+) \* ", lambda m: f"> ({format_number(round(float(m.group(1)) * factor, 6))} * ", text
    )
    assert mutated != text
    path.write_text(mutated)
    for other in (root / "prometheus/tests").glob("*.yml"):
        if "slo-availability" not in other.name:
            other.unlink()
    results = _promtool_tests(root)
    output = "".join(r.stdout + r.stderr for r in results)
    assert any(r.returncode != 0 for r in results)
    assert "ErrorBudgetBurnPage" in output and "ErrorBudgetBurnTicket" in output
