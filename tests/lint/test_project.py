"""Lint in an ops repository: a project config naming several specs, no --spec.

Rule files are checked against every spec at once (each series belongs to the spec declaring it),
the series mongen's own rules record for those specs are known whether or not the generated files
are in the run, and the summary names the specs used."""

from __future__ import annotations

from pathlib import Path

import pytest

from mongen.lint.runner import known_recorded, lint
from mongen.loading import load_spec
from tests.support import ROOT, mongen
from tests.support.ops_repo import TEAM_RULES, ops_tree

TYPO = (
    "rules/team.yml:17:15: error [unknown-metric] unknown metric `emoti_voice_tts_request_total`; "
    "did you mean `emoti_voice_tts_requests_total`?"
)
# llm's `status` values, not emotivoice's: the label is looked up in the spec declaring the metric.
NOT_FOUND = (
    "rules/team.yml:19:15: error [unknown-label-value] `status` is never '404'; "
    "declared values: 200, 400, 429, 500, 503, 4xx, 5xx, other"
)


def test_rule_files_are_checked_against_every_spec_of_the_project(tmp_path: Path) -> None:
    root = ops_tree(tmp_path / "ops")
    proc = mongen("lint", "--no-promtool", "rules/team.yml", cwd=root)
    # A typo, a value the llm spec never has; the recorded series of mongen's own rules (the generated
    # files are not in the run) and a rule reading both services are fine.
    assert proc.stdout.splitlines() == [TYPO, NOT_FOUND], proc.stdout + proc.stderr
    assert proc.stderr == "5 rules in 1 file: 2 errors, 0 warnings (specs: specs/emotivoice.yaml, specs/llm.yaml)\n"
    assert proc.returncode == 1


def test_the_pre_commit_hook_form_with_one_spec_accepts_mongens_recorded_series(tmp_path: Path) -> None:
    root = ops_tree(tmp_path / "ops", ("emotivoice",))
    rules = TEAM_RULES.split("      - record: job:llm_and_tts_requests")[0]
    (root / "rules/team.yml").write_text(rules, "utf-8")
    proc = mongen("lint", "--no-promtool", "--", "rules/team.yml", cwd=root)
    assert proc.stdout == ""
    assert proc.stderr == "2 rules in 1 file: 0 errors, 0 warnings (spec: specs/emotivoice.yaml)\n"
    assert proc.returncode == 0


def test_no_project_is_still_spec_less_and_says_so(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "team.yml").write_text(TEAM_RULES, "utf-8")
    proc = mongen("lint", "--no-promtool", "team.yml", cwd=tmp_path)
    assert proc.stderr.endswith("(no spec: spec checks skipped)\n")
    assert "unknown-metric" not in proc.stdout


def test_generated_series_keep_their_labels_and_their_spec() -> None:
    emotivoice, llm = load_spec(ROOT / "specs/emotivoice.yaml"), load_spec(ROOT / "specs/llm.yaml")
    known = known_recorded([emotivoice, llm])
    budget = known.recorded["slo:period_error_budget_remaining:ratio"]
    assert all({"service", "slo"} <= labels for labels in budget)
    assert known.owner["slo:period_error_budget_remaining:ratio"] is None  # both record it
    assert known.owner["job:emoti_voice_tts_requests:error_ratio_rate5m"] is emotivoice
    assert {"job"} <= next(iter(known.recorded["job:emoti_voice_tts_requests:error_ratio_rate5m"]))


def test_a_matcher_on_a_label_a_generated_series_lacks_is_reported(tmp_path: Path) -> None:
    rules = tmp_path / "team.yml"
    rules.write_text(
        "groups:\n  - name: team\n    rules:\n"
        "      - record: x:y:z\n"
        '        expr: sum(job:emoti_voice_tts_requests:error_ratio_rate5m{emotion="angry"})\n',
        "utf-8",
    )
    result = lint([load_spec(ROOT / "specs/emotivoice.yaml")], [rules], run_promtool=False, processes=1)
    assert [(f.check, f.line) for f in result.findings] == [("dropped-label", 5)], result.findings


@pytest.mark.parametrize("processes", [1, 2])
def test_two_specs_give_the_same_findings_in_workers(tmp_path: Path, processes: int) -> None:
    root = ops_tree(tmp_path / "ops")
    specs = [load_spec(root / "specs/emotivoice.yaml"), load_spec(root / "specs/llm.yaml")]
    result = lint(specs, [root / "rules/team.yml"], run_promtool=False, processes=processes)
    assert [(f.check, f.line) for f in result.findings] == [("unknown-metric", 17), ("unknown-label-value", 19)]


def test_a_rate_of_a_generated_sum_names_the_generated_rule(tmp_path: Path) -> None:
    rules = tmp_path / "team.yml"
    rules.write_text(
        "groups:\n  - name: team\n    rules:\n"
        "      - record: job:x:rate5m\n"
        "        expr: sum by (job) (rate(job:emoti_voice_tts_requests:rate5m[5m]))\n",
        "utf-8",
    )
    result = lint([load_spec(ROOT / "specs/emotivoice.yaml")], [rules], run_promtool=False, processes=1)
    (finding,) = [f for f in result.findings if f.check == "rate-over-sum"]
    assert "which prometheus/rules/emotivoice-recording.yml (generated from " in finding.message
    assert "specs/emotivoice.yaml) records as a sum" in finding.message
