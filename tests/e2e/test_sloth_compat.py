"""mongen's burn-rate alerts fire exactly when Sloth's do, for 30d and 28d SLOs.

The same traffic (constant error ratios around the factors, bursts and a ramp) goes through
mongen's generated SLO rules and through the rules Sloth defines for the same 99.9% SLOs (written
as test data from Sloth's published windows and formula: tests/data/sloth/), in one promtool run
that evaluates both every minute. For each scenario and each alert, the number of minutes in which
exactly one of mongen's alert and Sloth's is firing must be 0; Sloth's alert must fire in the
scenarios built to make it fire and stay quiet in the others, so the comparison is never vacuous.
Then the same traffic goes through mongen's rules as they once were (a `for` on the
burn-rate alerts, 28d factors rounded to 6 decimals): the comparison must fail.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from mongen.loading import load_spec
from mongen.pipeline import render
from mongen.serialize import to_yaml
from mongen.writer import write_tree
from tests.support import ROOT, need
from tests.support.sloth import SCENARIOS, SLOTH_DATA, SLOTH_RULES, scenario_test

pytestmark = pytest.mark.e2e

@pytest.fixture(scope="module")
def comparison(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sloth")
    write_tree(root / "out", render(load_spec(SLOTH_DATA.relative_to(ROOT) / "spec.yaml")))
    shutil.copy(SLOTH_DATA / SLOTH_RULES, root / SLOTH_RULES)
    mongen_rules = [root / "out/prometheus/rules/tts-slos.yml", root / "out/prometheus/rules/tts-alerts.yml"]
    groups = {
        path.name: [g["name"] for g in yaml.safe_load(path.read_text())["groups"]]
        for path in (*mongen_rules, root / SLOTH_RULES)
    }
    # Recording groups first, then the alerts: both rule sets see the ratios of the same instant.
    order = groups["tts-slos.yml"] + [g for g in groups[SLOTH_RULES] if "recordings" in g]
    order += groups["tts-alerts.yml"] + [g for g in groups[SLOTH_RULES] if "alerts" in g]
    doc = {
        "rule_files": [str(p.relative_to(root)) for p in mongen_rules] + [SLOTH_RULES],
        "evaluation_interval": "1m",
        "group_eval_order": order,
        "tests": [scenario_test(name, *scenario) for name, scenario in SCENARIOS.items()],
    }
    (root / "compare.test.yml").write_text(to_yaml(doc))
    return root


def _promtool(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [need("promtool"), "test", "rules", "compare.test.yml"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_mongen_fires_exactly_when_sloth_does(comparison: Path) -> None:
    proc = _promtool(comparison)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_comparison_catches_a_for_and_rounded_factors(comparison: Path, tmp_path: Path) -> None:
    """mongen's rules as they were: `for: 2m` on pages, `for: 15m` on tickets, 0.933333."""
    root = tmp_path / "old"
    shutil.copytree(comparison, root)
    path = root / "out/prometheus/rules/tts-alerts.yml"
    doc = yaml.safe_load(path.read_text())
    for rule in doc["groups"][0]["rules"]:
        rule["for"] = "2m" if rule["labels"]["severity"] == "page" else "15m"
        rule["expr"] = rule["expr"].replace("0.9333333333333333", "0.933333")
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    proc = _promtool(root)
    assert proc.returncode != 0
    minutes = {sum(m for m, _ in phases): name for name, (phases, _) in SCENARIOS.items()}
    failed = {minutes[int(m)] for m in re.findall(r"\[(\d+)m:1m\]", proc.stdout + proc.stderr)}
    assert {"54m burst at 1.65%", "constant 0.09333332%", "constant 1.5% (15x: every alert)"} <= failed, proc.stderr
