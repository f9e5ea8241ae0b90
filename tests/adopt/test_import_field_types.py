"""A Sloth or OpenSLO field of the wrong type (a string for the objective, a list where text
belongs) is refused at the field, naming it and what it must be, with exit 2; it is never written
into the spec as the text of the value (`objective: abc`, `service: a-b` from `[a, b]`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT
from tests.support.adopt_inputs import SLO_AND_SLI

SLOTH = (ROOT / "tests/data/sloth/getting-started.yml").read_text()


@pytest.mark.parametrize(
    ("command", "source", "change", "expected"),
    [
        (
            "sloth",
            SLOTH,
            ("objective: 99.9", 'objective: "abc"'),
            ":11:16: error: slos[0].objective: `objective` must be a number, the objective in percent (99.9), not 'abc'",
        ),
        ("sloth", SLOTH, ('service: "myservice"', "service: [a, b]"), ":4:10: error: service: `service` must be text"),
        (
            "sloth",
            SLOTH,
            ("    objective: 99.9\n", ""),
            ":10:5: error: slos[0]: `objective` is missing: give a number, the objective in percent (99.9)",
        ),
        (
            "sloth",
            SLOTH,
            ("severity: pageteam", "severity: [1]"),
            ":25:21: error: slos[0].alerting.page_alert.labels.severity: `severity` must be text, not [1]",
        ),
        (
            "sloth",
            SLOTH,
            ("      page_alert:\n", "      page_alert:\n        disable: yes please\n"),
            ":24:18: error: slos[0].alerting.page_alert.disable: `disable` must be true or false, not 'yes please'",
        ),
        (
            "openslo",
            SLO_AND_SLI,
            ("target: 0.999", "target: [1]"),
            ":33:15: error: spec.objectives[0].target: `target` must be a number, the objective as a fraction (0.999)",
        ),
        (
            "openslo",
            SLO_AND_SLI,
            ("duration: 28d", "duration: [28d]"),
            ":28:17: error: spec.timeWindow[0].duration: `duration` must be a duration such as 28d, not ['28d']",
        ),
        (
            "openslo",
            SLO_AND_SLI,
            ("indicatorRef: checkout-errors", "indicatorRef: [checkout-errors]"),
            ":26:17: error: spec.indicatorRef: `indicatorRef` must be text",
        ),
    ],
    ids=[
        "sloth-objective-a-string",
        "sloth-service-a-list",
        "sloth-objective-missing",
        "sloth-severity-a-list",
        "sloth-disable-not-a-boolean",
        "openslo-target-a-list",
        "openslo-duration-a-list",
        "openslo-indicator-ref-a-list",
    ],
)
def test_a_field_of_the_wrong_type_is_refused_at_the_field(
    tmp_path: Path, command: str, source: str, change: tuple[str, str], expected: str
) -> None:
    assert source.count(change[0]) == 1
    path = tmp_path / "in.yaml"
    path.write_text(source.replace(*change))
    out = tmp_path / "spec.yaml"
    proc = subprocess.run(
        [sys.executable, "-m", "mongen", "import", command, str(path), "-o", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(f"{path}{expected}"), proc.stderr
    assert "Traceback" not in proc.stderr and not out.exists()


@pytest.mark.parametrize(
    ("command", "source", "change", "expected"),
    [
        (
            "openslo",
            SLO_AND_SLI,
            ("target: 0.999", "target: 99.9"),
            ":33:15: error: spec.objectives[0].target: `target` is the objective as a fraction strictly between 0 "
            "and 1 (0.999 is 99.9%), not 99.9 (a percentage? OpenSLO's target is a fraction)",
        ),
        ("openslo", SLO_AND_SLI, ("target: 0.999", "target: 1"), ":33:15: error: spec.objectives[0].target: "),
        ("openslo", SLO_AND_SLI, ("target: 0.999", "target: .nan"), ":33:15: error: spec.objectives[0].target: "),
        ("openslo", SLO_AND_SLI, ("target: 0.999", "target: 0"), ":33:15: error: spec.objectives[0].target: "),
        (
            "sloth",
            SLOTH,
            ("objective: 99.9", "objective: 100"),
            ":11:16: error: slos[0].objective: `objective` is in percent, strictly between 0 and 100 (99.9), not 100",
        ),
        ("sloth", SLOTH, ("objective: 99.9", "objective: .inf"), ":11:16: error: slos[0].objective: "),
        ("sloth", SLOTH, ("objective: 99.9", "objective: -5"), ":11:16: error: slos[0].objective: "),
    ],
    ids=["openslo-a-percentage", "openslo-1", "openslo-nan", "openslo-0", "sloth-100", "sloth-inf", "sloth-negative"],
)
def test_an_objective_mongen_cannot_take_is_refused_in_the_imported_file(
    tmp_path: Path, command: str, source: str, change: tuple[str, str], expected: str
) -> None:
    """An objective out of range (a percentage for OpenSLO's fraction, 100%, NaN) is refused at its
    position in the file imported, not written into a spec that `generate` then refuses elsewhere."""
    test_a_field_of_the_wrong_type_is_refused_at_the_field(tmp_path, command, source, change, expected)
