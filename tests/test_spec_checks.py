"""Semantic spec checks beyond the schema: each rejects a spec that would generate a dead or broken rule."""

from __future__ import annotations

import pytest

from mongen.errors import SpecError
from mongen.spec.build import build_spec
from mongen.spec.loader import load_yaml
from tests.conftest import ROOT

SPEC = (ROOT / "specs/emotivoice.yaml").read_text()
ERRORS = '    errors: {status: ["500", "503"]}\n    record_by'


def _errors(text: str) -> list[str]:
    try:
        build_spec(load_yaml(text, "s.yaml"))
    except SpecError as exc:
        return [str(issue) for issue in exc.issues]
    return []


def test_default_spec_is_clean() -> None:
    assert _errors(SPEC) == []


@pytest.mark.parametrize(
    ("selector", "message"),
    [
        (
            '{status: {not: ["200", "400", "429", "500", "503", "other"]}}',
            "accepts none of the declared values of `status`",
        ),
        ('{status: ["200", "400", "429", "500", "503", "other"]}', "accepts every declared value of `status`"),
    ],
)
def test_error_selector_must_split_the_values(selector: str, message: str) -> None:
    assert ERRORS in SPEC
    issues = _errors(SPEC.replace(ERRORS, f"    errors: {selector}\n    record_by", 1))
    assert len(issues) == 1
    assert issues[0].startswith("s.yaml:") and "metrics[0].errors.status: " + "this" in issues[0]
    assert message in issues[0]


def test_alert_where_must_use_a_label_the_recorded_series_keeps() -> None:
    old = "    by: [emotion]\n    threshold: 0.3\n"
    assert old in SPEC
    issues = _errors(
        SPEC.replace(old, "    by: [emotion]\n    where: {endpoint: /synthesize}\n    threshold: 0.3\n", 1)
    )
    assert len(issues) == 1
    assert "alerts[1].where.endpoint: " in issues[0]
    assert "not in `by`" in issues[0]
