"""lint across forked worker processes finds exactly what one process finds, even when a worker dies."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from mongen.lint import workers
from mongen.lint.rulefiles import RuleFile, read_rule_file
from mongen.lint.runner import lint_files
from mongen.loading import load_spec

GOOD_ALERT = {"for": "5m", "labels": {"severity": "page"}, "annotations": {"summary": "s", "description": "d"}}


def _record(expr: str, name: str) -> dict[str, object]:
    return {"record": name, "expr": expr}


def _alert(expr: str, **extra: object) -> dict[str, object]:
    return {"alert": "A", "expr": expr, **GOOD_ALERT, **extra}


# Rules whose checks cross process boundaries when lint splits a file: recorded series read before
# and after their definition, a dropped label, a parse error, duplicates, a label-set mismatch.
_MIXED_RULES: list[dict[str, object]] = [
    _alert('endpoint:r:rate5m{emotion="angry"} > 1', annotations={"summary": "{{ $labels.endpoint }}"}),
    _record("sum by (job) (endpoint:r:rate5m)", "job:r:rate5m"),
    _record("endpoint:r:rate5m / 2", "endpoint:r:half_rate5m"),
    _alert('endpoint:r:half_rate5m{emotion="angry"} > 1'),
    _record("sum by (job, endpoint) (rate(emoti_voice_tts_requests_total[5m]))", "endpoint:r:rate5m"),
    _record("sum by (job, emotion) (rate(emoti_voice_tts_requests_total[1m]))", "emotion:r:rate1m"),
    _record('sum(rate(emoti_voice_tts_requests_total{emotion="angy"}[5m])) +', "job:broken:sum"),
    _record("sum by (job) (up)", "job:up:sum"),
    _record("sum by (job, instance) (up)", "job:up:sum"),
    _alert('job:r:rate5m{endpoint="/clone"} > 1', annotations={"summary": "{{ $labels.job }}", "description": "d"}),
    _record("rate(emoti_voice_gpu_memory_usage_bytes[5m])", "gpu_rate"),
    _alert("emotion:r:rate1m > 1", labels={"severity": "critical"}),
]


def _rule_files(tmp_path: Path, rules: list[dict[str, object]]) -> list[RuleFile]:
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": rules}]}, sort_keys=False))
    return [read_rule_file(path)]


@pytest.mark.parametrize("rotate", range(0, len(_MIXED_RULES), 3))
def test_forked_workers_find_exactly_what_one_process_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rotate: int
) -> None:
    spec = load_spec("specs/emotivoice.yaml")
    rules = _MIXED_RULES[rotate:] + _MIXED_RULES[:rotate]
    serial = lint_files(spec, _rule_files(tmp_path, rules), processes=1)
    monkeypatch.setattr(workers, "RULES_PER_PROCESS", 1)  # split even a handful of rules
    forked = lint_files(spec, _rule_files(tmp_path, rules), processes=4)
    assert forked == serial
    assert {"dropped-label", "promql-parse", "duplicate-rule", "record-label-mismatch", "rate-on-gauge"} <= {
        f.check for f in serial
    }


def test_a_worker_that_dies_costs_time_not_findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = load_spec("specs/emotivoice.yaml")
    serial = lint_files(spec, _rule_files(tmp_path, _MIXED_RULES), processes=1)
    monkeypatch.setattr(workers, "RULES_PER_PROCESS", 1)
    monkeypatch.setattr(workers, "_work", lambda conn, *args: os._exit(3))
    assert lint_files(spec, _rule_files(tmp_path, _MIXED_RULES), processes=2) == serial


def test_shares_are_contiguous_and_cover_every_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    assert workers._shares(10_000, 3) == [(0, 3333), (3333, 6666), (6666, 10_000)]
    assert workers._shares(10_000, 16) == [(0, 2500), (2500, 5000), (5000, 7500), (7500, 10_000)]
    assert workers._shares(3000, 4) == [(0, 3000)]  # fewer than 2,000 rules a process: no workers
    assert workers._shares(0, 4) == [(0, 0)]


@pytest.mark.parametrize("processes", [1, 3])
def test_a_recorded_series_built_on_one_defined_further_down_gets_its_labels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, processes: int
) -> None:
    """Pass 1 cannot know `endpoint:r:half_rate5m`'s labels (it reads a series recorded below it);
    pass 2 works them out, so the first rule's filter on a dropped label is found."""
    monkeypatch.setattr(workers, "RULES_PER_PROCESS", 1)
    rules = [
        _record('sum by (job) (endpoint:r:half_rate5m{emotion="angry"})', "job:r:angry_half_rate5m"),
        _record("endpoint:r:rate5m / 2", "endpoint:r:half_rate5m"),
        _record("sum by (job, endpoint) (rate(emoti_voice_tts_requests_total[5m]))", "endpoint:r:rate5m"),
    ]
    files = _rule_files(tmp_path, rules)
    findings = lint_files(load_spec("specs/emotivoice.yaml"), files, processes=processes)
    assert [(f.line, f.check, f.message) for f in findings] == [
        (5, "dropped-label", "`endpoint:r:half_rate5m` keeps only endpoint, job; `emotion` was aggregated away")
    ]
    assert [r.result for r in files[0].rules] == [{"job"}, {"job", "endpoint"}, {"job", "endpoint"}]
