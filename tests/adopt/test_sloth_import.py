"""`mongen import sloth`: a Sloth spec in the shape of Sloth's getting-started example imports to
a spec that generates, and its burn-rate alerts fire in exactly the minutes in which Sloth's rules
for the same SLO do, on the scenarios of tests/e2e/test_sloth_compat.py; what cannot be mapped is
refused at its position."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from mongen.adopt.sloth import import_sloth, sloth_tiers, tier_settings_supported
from mongen.errors import SpecError
from mongen.loading import load_spec
from mongen.pipeline import generate, render
from mongen.rules.ruleset import rule_set
from mongen.serialize import to_yaml
from mongen.writer import write_tree
from tests.support import ROOT, need
from tests.support.sloth import SCENARIOS, SLOTH_DATA, SLOTH_RULES, scenario_test

GETTING_STARTED = "tests/data/sloth/getting-started.yml"
ERRORS = 'http_request_duration_seconds_count{job="myservice",code=~"(5..|429)"}'
TOTAL = 'http_request_duration_seconds_count{job="myservice"}'
# (mongen's alert, Sloth's) for the 30d SLO: Sloth's default period, which the import keeps.
ALERTS = (
    ("MyserviceRequestsAvailabilityErrorBudgetBurnPage", "SlothMonthPage"),
    ("MyserviceRequestsAvailabilityErrorBudgetBurnTicket", "SlothMonthTicket"),
)


def _imported(tmp_path: Path) -> Path:
    path = tmp_path / "myservice.yaml"
    path.write_text(import_sloth(GETTING_STARTED).text)
    return path


def test_the_getting_started_spec_imports_and_generates(tmp_path: Path) -> None:
    imported = import_sloth(GETTING_STARTED)
    path = tmp_path / "myservice.yaml"
    path.write_text(imported.text)
    spec = load_spec(path)
    (slo,) = spec.slos
    assert (slo.name, slo.objective, slo.period, slo.kind) == ("requests_availability", 99.9, 30 * 86400, "events")
    assert slo.error_query == f"sum(rate({ERRORS}[{{{{.window}}}}]))"
    assert [m.name for m in spec.external_metrics] == ["http_request_duration_seconds_count"]
    if tier_settings_supported():  # per-tier SLO alert settings (slos[].alerts): Sloth's labels kept
        page = next(r for r in rule_set(spec).slo_alerts if r.name.endswith("Page"))
        assert {("severity", "pageteam"), ("routing_key", "myteam")} <= set(page.labels)
        assert dict(spec.routing.routes)["pageteam"] == ("pageteam-receiver",)
    else:  # not in this spec version: written as a comment and reported, with the Sloth position
        assert any(":18:7: warning: the page/ticket alert settings" in str(note) for note in imported.notes)
        assert "severity: pageteam" in imported.text.split("\nversion: 1\n")[0]
    result = generate(str(path), tmp_path / "out", validate=True)
    assert result.written, [str(f) for f in result.findings]


def test_sloth_alerting_maps_onto_page_and_ticket_settings() -> None:
    alerting = yaml.safe_load((ROOT / GETTING_STARTED).read_text())["slos"][0]["alerting"]
    summary = "High error rate on 'myservice' requests responses"
    assert sloth_tiers(alerting) == {
        "page": {
            "severity": "pageteam",
            "labels": {"category": "availability", "routing_key": "myteam"},
            "annotations": {"sloth_summary": summary},
        },
        "ticket": {
            "severity": "slack",
            "labels": {"category": "availability", "slack_channel": "#alerts-myteam"},
            "annotations": {"sloth_summary": summary},
        },
    }
    assert sloth_tiers({"page_alert": {"disable": True}}) == {"page": {"disable": True}}


def _scenario(name: str, phases: list[tuple[int, float]], fires: frozenset[str]) -> dict[str, Any]:
    """The comparison scenario on the imported spec's own series (its queries read
    http_request_duration_seconds_count of job myservice)."""
    return scenario_test(name, phases, fires, ALERTS, "http_request_duration_seconds_count", labels='job="myservice",')


@pytest.mark.e2e
def test_the_imported_slo_fires_exactly_when_sloths_rules_do(tmp_path: Path) -> None:
    write_tree(tmp_path / "out", render(load_spec(_imported(tmp_path))))
    # The comparison's Sloth rules, on the getting-started spec's queries instead of tts_requests_total.
    sloth = (SLOTH_DATA / SLOTH_RULES).read_text()
    sloth = sloth.replace('tts_requests_total{code=~"5.."}', ERRORS).replace("tts_requests_total[", TOTAL + "[")
    assert sloth.count(ERRORS) == sloth.count(TOTAL + "[") > 0
    (tmp_path / SLOTH_RULES).write_text(sloth)
    mongen_rules = [
        tmp_path / "out/prometheus/rules/myservice-slos.yml",
        tmp_path / "out/prometheus/rules/myservice-alerts.yml",
    ]
    groups = {
        p.name: [g["name"] for g in yaml.safe_load(p.read_text())["groups"]]
        for p in (*mongen_rules, tmp_path / SLOTH_RULES)
    }
    order = groups["myservice-slos.yml"] + [g for g in groups[SLOTH_RULES] if "recordings" in g]
    order += groups["myservice-alerts.yml"] + [g for g in groups[SLOTH_RULES] if "alerts" in g]
    doc = {
        "rule_files": [str(p.relative_to(tmp_path)) for p in mongen_rules] + [SLOTH_RULES],
        "evaluation_interval": "1m",
        "group_eval_order": order,
        "tests": [_scenario(name, *scenario) for name, scenario in SCENARIOS.items()],
    }
    (tmp_path / "compare.test.yml").write_text(to_yaml(doc))
    proc = subprocess.run(
        [need("promtool"), "test", "rules", "compare.test.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # The comparison can fail: a page with a `for` parts from Sloth's in the bursts.
    alerts = tmp_path / "out/prometheus/rules/myservice-alerts.yml"
    broken = yaml.safe_load(alerts.read_text())
    for rule in broken["groups"][0]["rules"]:
        rule["for"] = "2m"
    alerts.write_text(yaml.safe_dump(broken, sort_keys=False))
    again = subprocess.run(
        [need("promtool"), "test", "rules", "compare.test.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert again.returncode != 0


def _sloth(tmp_path: Path, sli: str) -> Path:
    path = tmp_path / "sloth.yml"
    text = (ROOT / GETTING_STARTED).read_text()
    start = text.index("    sli:\n")
    end = text.index("    alerting:\n")
    path.write_text(text[:start] + sli + text[end:])
    return path


@pytest.mark.parametrize(
    ("sli", "where", "says"),
    [
        (
            "    sli:\n      plugin:\n        id: sloth-common/availability\n",
            ":15:9: error: slos[0].sli.plugin:",
            "mongen runs none",
        ),
        (
            "    sli:\n      raw:\n        error_ratio_query: sum(rate(x[{{.window}}]))\n",
            ":15:9: error: slos[0].sli.raw:",
            "raw error-ratio",
        ),
    ],
)
def test_what_cannot_be_mapped_is_refused_at_its_position(tmp_path: Path, sli: str, where: str, says: str) -> None:
    path = _sloth(tmp_path, sli)
    with pytest.raises(SpecError) as caught:
        import_sloth(str(path))
    (issue,) = caught.value.issues
    assert where in str(issue) and says in str(issue), str(issue)
    proc = subprocess.run(
        [sys.executable, "-m", "mongen", "import", "sloth", str(path), "-o", str(tmp_path / "out.yaml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2 and where in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out.yaml").exists()
