"""OpenSLO v1: `mongen import openslo` maps ratio SLOs onto events SLIs and refuses what has no
mongen equivalent at its position; `mongen export openslo` writes a spec's SLOs so that they
import back to the same SLOs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mongen.adopt.openslo import export_openslo, import_openslo
from mongen.errors import SpecError
from mongen.loading import load_spec
from mongen.pipeline import generate
from tests.support import ROOT
from tests.support.adopt_inputs import SLO_AND_SLI

# Written for these tests: an SLO that names its SLI document, an alert policy beside them.


def _write(tmp_path: Path, text: str, name: str = "slo.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_ratio_slo_with_its_sli_imports_and_generates(tmp_path: Path) -> None:
    imported = import_openslo([str(_write(tmp_path, SLO_AND_SLI))])
    spec_path = _write(tmp_path, imported.text, "checkout.yaml")
    spec = load_spec(spec_path)
    (slo,) = spec.slos
    assert (spec.service, slo.name, slo.objective, slo.period) == (
        "checkout",
        "checkout_availability",
        99.9,
        28 * 86400,
    )
    assert slo.error_query == 'sum(rate(http_requests_total{service="checkout",code=~"5.."}[{{.window}}]))'
    assert slo.total_query == 'sum(rate(http_requests_total{service="checkout"}[{{.window}}]))'
    assert any("AlertPolicy `fast-burn` not mapped" in str(note) for note in imported.notes)
    assert generate(str(spec_path), tmp_path / "out", validate=True).written


def test_what_is_not_mapped_is_a_warning_at_its_position_like_every_other(tmp_path: Path) -> None:
    path = _write(tmp_path, SLO_AND_SLI)
    proc = subprocess.run(
        [sys.executable, "-m", "mongen", "import", "openslo", "slo.yaml", "-o", "out.yaml"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    line = SLO_AND_SLI[: SLO_AND_SLI.index("kind: AlertPolicy")].count("\n")  # the document's first line
    assert proc.stderr.splitlines()[0].startswith(f"slo.yaml:{line}:1: warning: AlertPolicy `fast-burn` not mapped: ")
    assert path.exists()


def test_export_re_imports_to_the_same_slos(tmp_path: Path) -> None:
    text = (ROOT / "specs/llm.yaml").read_text()
    # The showcase's ratio SLO and an events SLO; a latency SLO exports as `good` (see below).
    start, end = text.index("  - name: ttft\n"), text.index("\nalerts:\n")
    events = (
        "  - name: availability_events\n    objective: 99.5\n    period: 28d\n    sli:\n      events:\n"
        '        error_query: sum(rate(llm_requests_total{status=~"5.."}[{{.window}}]))\n'
        "        total_query: sum(rate(llm_requests_total[{{.window}}]))\n"
    )
    original = load_spec(_write(tmp_path, text[:start] + events + text[end:], "llm.yaml"))
    exported = _write(tmp_path, export_openslo(original), "exported.yaml")
    again = load_spec(_write(tmp_path, import_openslo([str(exported)]).text, "again.yaml"))
    assert [(s.name, s.objective, s.period, s.description) for s in again.slos] == [
        (s.name, s.objective, s.period, s.description) for s in original.slos
    ]
    ratio, events_slo = again.slos
    assert ratio.error_query == 'sum(rate(llm_requests_total{status=~"500|503|5xx"}[{{.window}}]))'
    assert ratio.total_query == "sum(rate(llm_requests_total[{{.window}}]))"
    assert (events_slo.error_query, events_slo.total_query) == (
        original.slos[1].error_query,
        original.slos[1].total_query,
    )
    # A second round trip changes nothing.
    assert (
        import_openslo([str(_write(tmp_path, export_openslo(again), "twice.yaml"))]).text.split("\n", 3)[3]
        == (import_openslo([str(exported)]).text.split("\n", 3)[3])
    )


@pytest.mark.parametrize(
    ("change", "where", "says"),
    [
        (
            ("    - duration: 28d\n      isRolling: true\n", "    - duration: 1M\n      isRolling: false\n"),
            ":28:7:",
            "calendar window",
        ),
        (("  budgetingMethod: Occurrences\n", "  budgetingMethod: Timeslices\n"), ":30:20:", "time slices"),
        (("      target: 0.999\n", "      target: 0.999\n    - target: 0.99\n"), ":32:5:", "exactly one objective"),
        (("    bad:\n", "    good:\n"), ":7:5:", "not only `good`"),
        (("kind: AlertPolicy", "kind: CompositeSLO"), ":36:7:", "no mongen equivalent"),
    ],
)
def test_what_cannot_be_mapped_is_refused_at_its_position(
    tmp_path: Path, change: tuple[str, str], where: str, says: str
) -> None:
    assert SLO_AND_SLI.count(change[0]) == 1
    path = _write(tmp_path, SLO_AND_SLI.replace(*change))
    with pytest.raises(SpecError) as caught:
        import_openslo([str(path)])
    text = "\n".join(str(i) for i in caught.value.issues)
    assert f"slo.yaml{where}" in text and says in text, text
    proc = subprocess.run(
        [sys.executable, "-m", "mongen", "import", "openslo", str(path), "-o", str(tmp_path / "out.yaml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2 and says in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out.yaml").exists()
