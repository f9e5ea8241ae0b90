"""lint on rule files written to mirror what real rule repositories hold: every shape a check
once reported wrongly gives nothing (upstream-shapes.yml), and each planted bug is found by the
check that owns its class, at its line (planted-bugs.yml). Before the precision work, lint
reported 51 findings on upstream-shapes.yml (4 errors) and missed three of the planted bugs
(impossible-matching, deriv-on-counter, scalar-of-groups); the test pins that none remain."""

from __future__ import annotations

from pathlib import Path

from mongen.lint.runner import lint
from tests.support import ROOT

_DATA = ROOT / "tests/data/lint-corpus"


def _found(name: str) -> list[tuple[int, str, str]]:
    result = lint(None, [_DATA / name], run_promtool=False, processes=1)
    return [(f.line, f.severity, f.check) for f in result.findings]


def test_upstream_shapes_give_no_findings() -> None:
    assert _found("upstream-shapes.yml") == []


def test_each_planted_bug_is_found_by_its_check() -> None:
    assert _found("planted-bugs.yml") == [
        (7, "warning", "alert-topk"),  # topk without by: a ranking
        (12, "warning", "alert-topk"),  # topk by (job) (1, ...) straight into the alert: the pod moves
        (17, "warning", "alert-without-comparison"),
        (22, "warning", "alert-without-for"),
        (26, "warning", "alert-without-for"),  # rate(...) > 10 is a threshold, not an event
        (31, "warning", "missing-annotation"),
        (37, "error", "duplicate-rule"),  # (ext4|xfs) and (xfs|nfs) share xfs
        (39, "warning", "regex-anchor"),  # nfs4 slips through
        (44, "error", "impossible-matching"),  # x > 0 and absent(y): never fires
        (49, "warning", "deriv-on-counter"),
        (51, "warning", "scalar-of-groups"),
        (63, "warning", "duplicate-alert"),
        (71, "warning", "alert-without-for"),  # a traffic guard after `and` confirms nothing
        (76, "warning", "alert-without-comparison"),  # sum() of a state's count: 0, not absent
    ]


def test_the_planted_messages_say_the_consequence() -> None:
    result = lint(None, [_DATA / "planted-bugs.yml"], run_promtool=False, processes=1)
    by_line = {f.line: f.message for f in result.findings}
    assert "`nfs` does not match `nfs4`, which is not excluded" in by_line[39]
    assert "only the left side has instance, job; `and` keeps nothing" in by_line[44]
    assert "Alertmanager merges them into one alert that flaps" in by_line[63]


def test_a_shape_file_is_a_real_rule_file_for_promtool(tmp_path: Path) -> None:
    """The shapes are valid Prometheus rules (so "no findings" is not "not read")."""
    result = lint(None, [_DATA / "upstream-shapes.yml"], run_promtool=True, processes=1)
    assert result.rules == 37 and result.findings == []
