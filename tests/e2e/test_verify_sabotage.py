"""verify proves delivery: the generated artifacts sabotaged after generation make it fail, each
run on the one phase the sabotage concerns (the healthy phase, then that phase: about a minute).

- an SLO's page alert with its severity rewritten to one no route knows, in a spec without a
  default receiver: Alertmanager sends it to the null receiver, which stays a black hole in the
  run, and verify says the page reached no one;
- the inhibit rule widened back to `equal: [service, slo]` on severities: the target-down page
  (no `slo` label) silences the absent ticket (no `slo` label either), which the spec's
  inhibition does not cover.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mongen import layout
from mongen.loading import build_spec, load_spec
from mongen.spec.loader import load_yaml
from mongen.verify import run_verify
from tests.support import ROOT, need

pytestmark = pytest.mark.e2e

PAGE = "EmotivoiceAvailabilityErrorBudgetBurnPage"


def _failures(report: object) -> list[str]:
    return [f"[{e.phase}] {e.subject}: {e.check} ({e.detail})" for e in report.expectations if not e.ok]  # type: ignore[attr-defined]


def test_an_slo_page_routed_to_no_one_fails_verify(tmp_path: Path) -> None:
    for tool in ("prometheus", "prometheus-alertmanager"):
        need(tool)
    text = (ROOT / "specs/emotivoice.yaml").read_text().replace("  default_receiver: sre-email\n", "")
    spec = build_spec(load_yaml(text, str(ROOT / "specs/emotivoice.yaml")))

    def unrouted(root: Path) -> None:
        path = root / layout.rule_files(spec.service)["alerts"]
        doc = yaml.safe_load(path.read_text())
        for group in doc["groups"]:
            for rule in group["rules"]:
                if rule.get("alert") == PAGE:
                    rule["labels"]["severity"] = "unrouted-page"
        path.write_text(yaml.safe_dump(doc, sort_keys=False))

    report = run_verify(spec, workdir=tmp_path, mutate=unrouted, only=lambda name: name == "availability-fast-burn")
    failures = _failures(report)
    assert not report.passed
    assert any(
        f.startswith(f"[availability-fast-burn] {PAGE}: reaches oncall-dingtalk, oncall-wecom via the page route")
        for f in failures
    ), failures
    assert any(f"{PAGE}: reaches a receiver (routed to no one" in f for f in failures), failures
    # The null receiver is no webhook in the run: nothing was "delivered" to it.
    config = yaml.safe_load((tmp_path / "verify/alertmanager.yml").read_text())
    assert {"name": "Unrouted"} in config["receivers"]


def test_an_inhibition_widened_to_missing_labels_fails_verify(tmp_path: Path) -> None:
    for tool in ("prometheus", "prometheus-alertmanager"):
        need(tool)
    spec = load_spec("specs/emotivoice.yaml")

    def widened(root: Path) -> None:
        path = root / layout.ALERTMANAGER_CONFIG
        doc = yaml.safe_load(path.read_text())
        doc["inhibit_rules"] = [
            {
                "source_matchers": ['severity="page"'],
                "target_matchers": ['severity="ticket"'],
                "equal": ["service", "slo"],
            }
        ]
        path.write_text(yaml.safe_dump(doc, sort_keys=False))

    report = run_verify(spec, workdir=tmp_path, mutate=widened, only=lambda name: name == "target-down")
    failures = _failures(report)
    assert failures == [
        "[target-down] EmotivoiceMetricsAbsent: reaches sre-email via the ticket route (not sre-email)"
    ], report.to_text()
