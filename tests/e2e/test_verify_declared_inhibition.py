"""verify holds a declared inhibition (`inhibits`) to Alertmanager's own state: with the
target-down alert declaring that it silences the absent alert, the outage phase expects the absent
ticket held back (and delivered to no one), and passes on the generated config."""

from __future__ import annotations

from pathlib import Path

import pytest

from mongen.loading import build_spec
from mongen.spec.loader import load_yaml
from mongen.verify import run_verify
from tests.support import ROOT, need

pytestmark = pytest.mark.e2e


def test_the_outage_phase_expects_the_declared_inhibition(tmp_path: Path) -> None:
    for tool in ("prometheus", "prometheus-alertmanager"):
        need(tool)
    path = ROOT / "specs/emotivoice.yaml"
    text = path.read_text().replace(
        "    kind: target_down\n", "    kind: target_down\n    inhibits: [EmotivoiceMetricsAbsent]\n"
    )
    report = run_verify(build_spec(load_yaml(text, str(path))), workdir=tmp_path, only=lambda p: p == "target-down")
    assert report.passed, report.to_text(verbose=True)
    checks = {(e.phase, e.subject, e.check): e.ok for e in report.expectations}
    assert checks[("target-down", "EmotivoiceMetricsAbsent", "held back by EmotivoiceTargetDown (inhibited)")]
    matrix = {(d.phase, d.alert): d for d in report.deliveries}
    assert matrix[("target-down", "EmotivoiceMetricsAbsent")].expected == []
    assert matrix[("target-down", "EmotivoiceMetricsAbsent")].role == "inhibited"
