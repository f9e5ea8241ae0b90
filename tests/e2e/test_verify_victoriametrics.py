"""`mongen verify --engine victoriametrics` (mongen/verify/engines.py): vmagent, victoria-metrics and
vmalert with the generated files and flags, the same phases and expectations as on Prometheus."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from mongen import layout
from mongen.cli import VerifyEngine
from mongen.loading import load_spec
from mongen.pipeline import render
from mongen.rules.ruleset import rule_set
from mongen.verify import VerifyError, run_verify
from mongen.verify.engines import VERIFY_ENGINES, _substitute_flags, vmagent_targets
from mongen.verify.report import VerifyReport
from mongen.writer import write_tree
from tests.support import ROOT, need

e2e = pytest.mark.e2e
SPEC = "specs/emotivoice.yaml"


def test_the_cli_offers_every_engine() -> None:
    assert tuple(e.value for e in VerifyEngine) == VERIFY_ENGINES


def test_a_spec_without_the_engine_is_refused_before_anything_starts() -> None:
    spec = replace(load_spec(SPEC), engines=("prometheus",))
    with pytest.raises(VerifyError, match="add `victoriametrics` to its `engines`"):
        run_verify(spec, engine="victoriametrics")


def test_substituted_flags_are_reported_and_the_rest_kept(tmp_path: Path) -> None:
    write_tree(tmp_path, render(load_spec(SPEC)))
    report = VerifyReport()
    args = _substitute_flags(
        "vmalert",
        tmp_path,
        {"rule": ["/a.yml", "/b.yml"], "evaluationInterval": ["1s"]},
        {"datasource.queryStep": "5s"},
        {"rule": "r", "evaluationInterval": "e", "datasource.queryStep": "q"},
        report,
    )
    assert [a for a in args if a.startswith("-rule=")] == ["-rule=/a.yml", "-rule=/b.yml"]
    assert "-evaluationInterval=1s" in args and "-evaluationInterval=30s" not in args
    assert args[-1] == "-datasource.queryStep=5s"
    assert "-disableAlertgroupLabel" in args and "-external.url=http://vmalert:8880" in args
    changes = [s.change for s in report.substitutions]
    assert changes[1] == "-evaluationInterval 30s -> 1s"
    assert changes[0].startswith("-rule prometheus/rules/emotivoice-recording.yml, ")
    assert all(s.artifact == layout.engine_flags("victoriametrics", "vmalert") for s in report.substitutions)


def test_vmagent_targets_read_as_prometheus_scrape_pools() -> None:
    answer = {
        "activeTargets": [{"scrapePool": "emotivoice", "discoveredLabels": {"job": "emotivoice-static"}}],
        "droppedTargets": None,
    }
    view = vmagent_targets(answer)
    assert view["activeTargets"][0]["scrapePool"] == "emotivoice-static"
    assert view["droppedTargets"] == []


def _verify(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    for tool in ("prometheus-alertmanager", "vmagent", "vmalert", "victoria-metrics"):
        need(tool)
    return subprocess.run(
        [sys.executable, "-m", "mongen", "verify", SPEC, "--engine", "victoriametrics", "--format", "json", *extra],
        cwd=ROOT,
        env={**os.environ, "TMPDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )


@e2e
def test_verify_on_victoriametrics_fires_every_alert_with_its_deliveries(tmp_path: Path) -> None:
    proc = _verify(tmp_path)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    alerts = [a.name for a in rule_set(load_spec(SPEC)).all_alerts]
    assert set(report["fired_in"]) == set(alerts)  # a burn-rate alert has a rule per window pair
    assert all(report["fired_in"].values())
    delivered = [e for e in report["expectations"] if e["check"].startswith("reaches ")]
    assert delivered and all(e["ok"] for e in delivered)
    changes = {(s["artifact"], s["change"].split(" ")[0]) for s in report["substitutions"]}
    for flag in ("-search.latencyOffset", "-remoteWrite.flushInterval", "-evaluationInterval", "-notifier.url"):
        assert any(change == flag for _, change in changes), flag
    assert any("MetricsQL" in s["change"] for s in report["substitutions"])
    (labels,) = [e for e in report["expectations"] if e["subject"] == "alerts sent by vmalert"]
    assert labels["ok"], labels


@e2e
def test_a_vmagent_config_that_loses_the_job_label_fails_the_healthy_phase(tmp_path: Path) -> None:
    """Sabotage: the generated vmagent.yml without its `job` relabeling; the targets check sees it."""

    def sabotage(root: Path) -> None:
        path = root / layout.VMAGENT_CONFIG
        config = yaml.safe_load(path.read_text())
        for job in config["scrape_configs"]:
            job["relabel_configs"] = [r for r in job.get("relabel_configs", []) if r.get("target_label") != "job"]
        path.write_text(yaml.safe_dump(config))

    for tool in ("prometheus-alertmanager", "vmagent", "vmalert", "victoria-metrics"):
        need(tool)
    report = run_verify(
        load_spec(SPEC), tmp_path / "run", mutate=sabotage, fault_phases=False, engine="victoriametrics"
    )
    failed = [e for e in report.expectations if not e.ok and e.subject.startswith("scrape job emotivoice-")]
    assert failed and all("job=" in e.detail for e in failed), [(e.subject, e.detail) for e in failed]


def test_the_cli_refuses_an_engine_the_spec_does_not_generate(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    text = (ROOT / "specs/llm.yaml").read_text()
    assert "\nengines: [prometheus, victoriametrics]\n" in text
    spec.write_text(text.replace("\nengines: [prometheus, victoriametrics]\n", "\nengines: [prometheus, thanos, mimir]\n"))
    proc = subprocess.run(
        [sys.executable, "-m", "mongen", "verify", str(spec), "--engine", "victoriametrics"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert "generates no victoriametrics files: add `victoriametrics` to its `engines`" in proc.stderr
