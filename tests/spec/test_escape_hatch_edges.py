"""Edges of the escape hatches an attacker found: each was an exit 70 or a wrong artifact."""

from __future__ import annotations

from pathlib import Path

import pytest

from mongen.loading import load_spec
from mongen.pipeline import render
from mongen.synth.drive import NotDrivable, plan
from mongen.verify.checks import rule_queries
from tests.support import ROOT

LLM = (ROOT / "specs/llm.yaml").read_text()
RULE = "  - record: job:llm_generated_tokens_per_request:ratio_rate5m\n"
GPU_HELP = "    help: GPU memory used by the model weights and KV cache.\n"


def _spec(tmp_path: Path, find: str, replace: str):  # type: ignore[no-untyped-def]
    assert find in LLM
    path = tmp_path / "spec.yaml"
    path.write_text(LLM.replace(find, replace, 1))
    return load_spec(str(path))


def test_verify_queries_a_recording_rule_with_labels_of_its_own(tmp_path: Path) -> None:
    spec = _spec(tmp_path, RULE, RULE + "    labels: {team: inference}\n")
    queries = dict(rule_queries(spec))
    assert queries["rule job:llm_generated_tokens_per_request:ratio_rate5m{team=inference}"] == (
        'job:llm_generated_tokens_per_request:ratio_rate5m{team="inference"}'
    )


def test_an_expr_alert_on_a_gauge_read_from_nvml_generates(tmp_path: Path) -> None:
    spec = _spec(tmp_path, GPU_HELP, GPU_HELP + "    source: {from: nvml, mode: device}\n")
    tests = render(spec)["prometheus/tests/llm-textgen-alerts.test.yml"]
    assert 'llm_gpu_memory_usage_bytes{job="llm-textgen",instance="replica-1:8001",gpu="0"}' in tests


@pytest.mark.parametrize(
    ("expr", "reason"),
    [
        ("llm_gpu_memory_usage_bytes > NaN", "beyond the values a test series can hold"),
        ("llm_gpu_memory_usage_bytes > Inf", "beyond the values a test series can hold"),
        ("llm_gpu_memory_usage_bytes > 1.7976931348623157e308", "beyond the values a test series can hold"),
        ("sum(rate(llm_requests_total[5m])) * 1e308 > 1e308", "beyond the values a test series can hold"),
        ("rate(llm_requests_total[5m]) > 1e-300", "too large or too small"),
        ("increase(llm_requests_total[1s]) > 1", "fewer than two of the test's samples"),
    ],
)
def test_an_expression_promtool_cannot_test_exactly_is_not_driven(expr: str, reason: str) -> None:
    # Each used to give a promtool test that failed (exit 1) instead of a reason.
    with pytest.raises(NotDrivable, match=reason):
        plan(load_spec(str(ROOT / "specs/llm.yaml")), expr)
