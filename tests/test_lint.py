"""`mongen lint`: every check fires on its bad example and stays quiet on its good one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from mongen.errors import Finding
from mongen.lint import runner
from mongen.lint.checks import CHECKS
from mongen.lint.rulefiles import RuleFile, read_rule_file
from mongen.lint.runner import lint, lint_files
from mongen.spec.build import load_spec
from tests.conftest import ROOT

GOOD_ALERT = {"for": "5m", "labels": {"severity": "page"}, "annotations": {"summary": "s", "description": "d"}}


def _lint_rules(
    tmp_path: Path, rules: list[dict[str, object]], spec_path: str = "specs/emotivoice.yaml"
) -> list[Finding]:
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": rules}]}, sort_keys=False))
    return lint(load_spec(spec_path), [path], run_promtool=False).findings


def _record(expr: str, name: str = "job:x:y") -> dict[str, object]:
    return {"record": name, "expr": expr}


def _alert(expr: str, **extra: object) -> dict[str, object]:
    return {"alert": "A", "expr": expr, **GOOD_ALERT, **extra}


CASES: dict[str, tuple[list[dict[str, object]], list[dict[str, object]]]] = {
    "unknown-metric": (
        [_record("sum(rate(emoti_voice_tts_request_total[5m]))")],
        [_record("sum(rate(emoti_voice_tts_requests_total[5m]))")],
    ),
    "unknown-label": (
        [_record('sum(rate(emoti_voice_tts_request_duration_seconds_count{emotion="angry"}[5m]))')],
        [_record('sum(rate(emoti_voice_tts_request_duration_seconds_count{endpoint="/synthesize"}[5m]))')],
    ),
    "dropped-label": (
        [
            _record("sum by (job, endpoint) (rate(emoti_voice_tts_requests_total[5m]))", "endpoint:r:rate5m"),
            _record('sum(endpoint:r:rate5m{emotion="angry"})', "job:r2:sum"),
        ],
        [
            _record("sum by (job, endpoint) (rate(emoti_voice_tts_requests_total[5m]))", "endpoint:r:rate5m"),
            _record('sum(endpoint:r:rate5m{endpoint="/clone"})', "job:r2:sum"),
        ],
    ),
    "unknown-label-value": (
        [_record('sum(rate(emoti_voice_tts_requests_total{emotion="angy"}[5m]))')],
        [_record('sum(rate(emoti_voice_tts_requests_total{emotion="angry"}[5m]))')],
    ),
    "rate-on-gauge": (
        [_record("rate(emoti_voice_gpu_memory_usage_bytes[5m])")],
        [_record("deriv(emoti_voice_gpu_memory_usage_bytes[5m])")],
    ),
    "gauge-sum-over-time": (
        [_record("sum_over_time(emoti_voice_tts_requests_in_flight[1h])")],
        [_record("avg_over_time(emoti_voice_tts_requests_in_flight[1h])")],
    ),
    "counter-without-rate": (
        [_record("emoti_voice_tts_request_duration_seconds_sum / emoti_voice_tts_request_duration_seconds_count")],
        [
            _record(
                "rate(emoti_voice_tts_request_duration_seconds_sum[5m]) / rate(emoti_voice_tts_request_duration_seconds_count[5m])"
            )
        ],
    ),
    "histogram-quantile-input": (
        [
            _record(
                "histogram_quantile(0.95, sum by (endpoint) (rate(emoti_voice_tts_request_duration_seconds_bucket[5m])))"
            )
        ],
        [
            _record(
                "histogram_quantile(0.95, sum by (endpoint, le) (rate(emoti_voice_tts_request_duration_seconds_bucket[5m])))"
            )
        ],
    ),
    "short-range": (
        [_record("sum(rate(emoti_voice_tts_requests_total[1m]))")],
        [_record("sum(rate(emoti_voice_tts_requests_total[2m]))")],
    ),
    "alert-without-for": (
        [
            {
                "alert": "A",
                "expr": "up == 0",
                "labels": {"severity": "page"},
                "annotations": {"summary": "s", "description": "d"},
            }
        ],
        [_alert("up == 0")],
    ),
    "unrouted-severity": ([_alert("up == 0", labels={"severity": "critical"})], [_alert("up == 0")]),
    "missing-annotation": ([_alert("up == 0", annotations={"summary": "s"})], [_alert("up == 0")]),
    "annotation-unknown-label": (
        [_alert("up == 0", annotations={"summary": "{{ $labels.emotion }}", "description": "d"})],
        [_alert("up == 0", annotations={"summary": "{{ $labels.instance }}", "description": "d"})],
    ),
    "recording-rule-name": ([_record("sum(up)", "emotivoice_up")], [_record("sum(up)", "job:up:sum")]),
    "duplicate-rule": (
        [_record("sum(up)", "job:up:sum"), _record("sum(up)", "job:up:sum")],
        [_record("sum(up)", "job:up:sum")],
    ),
    "record-label-mismatch": (
        [_record("sum by (job) (up)", "job:up:sum"), _record("sum by (job, instance) (up)", "job:up:sum")],
        [
            _record("sum by (job) (up)", "job:up:sum") | {"labels": {"shard": "a"}},
            _record("sum by (job) (up)", "job:up:sum") | {"labels": {"shard": "b"}},
        ],
    ),
}


def test_every_check_has_a_case_and_docs() -> None:
    assert {c.id for c in CHECKS} == set(CASES)
    for check in CHECKS:
        assert check.summary and check.bad and check.good and check.severity in ("error", "warning")


@pytest.mark.parametrize("check", sorted(CASES))
def test_check_fires_on_bad_and_stays_quiet_on_good(check: str, tmp_path: Path) -> None:
    bad, good = CASES[check]
    fired = [f for f in _lint_rules(tmp_path, bad) if f.check == check]
    assert fired, f"{check} did not fire"
    assert all(f.file.endswith("rules.yml") and f.line > 1 for f in fired)
    quiet = [f for f in _lint_rules(tmp_path, good) if f.check == check]
    assert quiet == [], quiet


def test_suppression_comment_silences_one_check(tmp_path: Path) -> None:
    path = tmp_path / "rules.yml"
    path.write_text(
        "groups:\n- name: g\n  rules:\n"
        "  # mongen-lint: disable=short-range the 1m window is deliberate for this debug rule\n"
        "  - record: job:r:rate1m\n    expr: sum by (job) (rate(emoti_voice_tts_requests_total[1m]))\n"
    )
    assert [f.check for f in lint(load_spec("specs/emotivoice.yaml"), [path], run_promtool=False).findings] == []
    path.write_text(path.read_text().replace("disable=short-range", "disable=unknown-metric"))
    assert [f.check for f in lint(load_spec("specs/emotivoice.yaml"), [path], run_promtool=False).findings] == [
        "short-range"
    ]


def test_zero_findings_on_everything_mongen_generates() -> None:
    for spec in ("specs/emotivoice.yaml", "specs/multi-slo.yaml"):
        assert lint(load_spec(spec), [], run_promtool=False).findings == []


def test_briefs_alert_gets_the_emotion_finding_on_the_right_line() -> None:
    spec = load_spec("tests/data/brief-spec.yaml")
    rules = ROOT / "tests/data/brief-rules.yml"
    findings = [f for f in lint(spec, [rules], run_promtool=False).findings if f.check == "unknown-label"]
    line = (
        rules.read_text()
        .splitlines()
        .index('          sum(rate(emoti_voice_tts_requests_total{emotion="angry", status=~"5.."}[5m]))')
        + 1
    )
    assert {(f.line, f.severity) for f in findings} == {(line, "error")}
    assert (
        "label `emotion` is not on `emoti_voice_tts_requests_total`; its labels: endpoint, instance, job, method, service, status"
        in findings[0].message
    )


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mongen", "lint", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_cli_formats_and_exit_codes(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        yaml.safe_dump(
            {
                "groups": [
                    {"name": "g", "rules": [_record('sum(rate(emoti_voice_tts_requests_total{emotion="angy"}[5m]))')]}
                ]
            }
        )
    )
    text = _cli("--no-promtool", str(bad))
    assert text.returncode == 1
    line = next(n for n, x in enumerate(bad.read_text().splitlines(), 1) if "expr:" in x)
    assert f"{bad}:{line}:" in text.stderr and "error [unknown-label-value]" in text.stderr
    as_json = json.loads(_cli("--no-promtool", "--format", "json", str(bad)).stdout)
    assert as_json == [
        {
            "check": "unknown-label-value",
            "col": as_json[0]["col"],
            "file": str(bad),
            "line": line,
            "message": as_json[0]["message"],
            "severity": "error",
        }
    ]
    github = _cli("--no-promtool", "--format", "github", str(bad)).stdout
    assert github.startswith(f"::error file={bad},line={line},")
    assert _cli("--no-promtool", str(tmp_path / "missing.yml")).returncode == 2
    clean = tmp_path / "clean.yml"
    clean.write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": [_record("sum by (job) (up)", "job:up:sum")]}]}))
    assert _cli(str(clean)).returncode == 0  # promtool check rules runs too


def test_promtool_failures_are_reported_in_the_same_format(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("groups:\n- name: g\n  rules:\n  - record: job:up:sum\n    expr: sum(up)\n    for: 5m\n")
    proc = _cli(str(broken))
    assert proc.returncode == 1
    assert f"{broken}:1:1: error [promtool-check]" in proc.stderr


def test_diff_base_reports_only_changed_rules(tmp_path: Path) -> None:
    repo = tmp_path / "ops"
    repo.mkdir()
    run = lambda *a: subprocess.run(["git", *a], cwd=repo, check=True, capture_output=True)  # noqa: E731
    run("init", "-q")
    run("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "base")
    rules = repo / "rules.yml"
    old = _record("sum(rate(emoti_voice_tts_requests_total[1m]))", "job:a:rate1m")
    rules.write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": [old]}]}, sort_keys=False))
    run("add", ".")
    run("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-q", "-m", "old rule")
    new = _record("sum(rate(emoti_voice_tts_requests_total[1m]))", "job:b:rate1m")
    rules.write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": [old, new]}]}, sort_keys=False))
    everything = lint(load_spec("specs/emotivoice.yaml"), [rules], run_promtool=False).findings
    changed = lint(load_spec("specs/emotivoice.yaml"), [rules], diff_base="HEAD", run_promtool=False).findings
    assert len(everything) == 2 and len(changed) == 1
    assert changed[0].line > everything[0].line


def test_docs_page_is_generated_from_the_checks() -> None:
    from mongen.lint.docs import render

    assert (ROOT / "docs/lint-rules.md").read_text() == render(), (
        "run `python -m mongen.lint.docs > docs/lint-rules.md`"
    )


def _spec_checks(tmp_path: Path, old: str = "", new: str = "") -> list[str]:
    from mongen.lint.runner import spec_findings

    text = (ROOT / "specs/emotivoice.yaml").read_text()
    assert old in text
    path = tmp_path / "spec.yaml"
    path.write_text(text.replace(old, new, 1))
    return [f"{f.check}:{f.line}" for f in spec_findings(load_spec(str(path)))]


def test_metric_name_check(tmp_path: Path) -> None:
    assert _spec_checks(tmp_path) == []
    old = "  - name: emoti_voice_tts_requests_in_flight\n"
    found = _spec_checks(tmp_path, old, "  - name: emoti_voice_tts_queue_wait_milliseconds\n")
    line = (ROOT / "specs/emotivoice.yaml").read_text().splitlines().index(old.rstrip("\n")) + 1
    assert found == [f"metric-name:{line}"]


def test_cardinality_budget_check(tmp_path: Path) -> None:
    found = _spec_checks(tmp_path, "max_series_per_instance: 1000", "max_series_per_instance: 350")
    assert [f.split(":")[0] for f in found] == ["cardinality-budget"]


def test_by_on_a_label_an_inner_aggregation_dropped(tmp_path: Path) -> None:
    inner = "sum by (job, endpoint) (rate(emoti_voice_tts_requests_total[5m]))"
    bad = _lint_rules(tmp_path, [_record(f"sum by (emotion) ({inner})", "emotion:r:sum")])
    assert [f.check for f in bad] == ["unknown-label"]
    assert "the input has no label `emotion`" in bad[0].message
    assert _lint_rules(tmp_path, [_record(f"sum by (endpoint) ({inner})", "endpoint:r:sum")]) == []


def test_on_needs_the_label_on_both_sides_but_ignoring_does_not(tmp_path: Path) -> None:
    part = "sum by (job, emotion) (rate(emoti_voice_tts_requests_total[5m]))"
    whole = "sum by (job) (rate(emoti_voice_tts_requests_total[5m]))"
    assert _lint_rules(tmp_path, [_record(f"{part} / ignoring (emotion) group_left {whole}", "emotion:r:share")]) == []
    bad = _lint_rules(tmp_path, [_record(f"{part} / on (emotion) group_left {whole}", "emotion:r:share")])
    assert [f.check for f in bad] == ["unknown-label"] and "`on(emotion)`: the right side" in bad[0].message


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        (
            "emoti_voice_tts_request_duration_seconds",
            "is a histogram: query `emoti_voice_tts_request_duration_seconds_bucket`",
        ),
        (
            "emoti_voice_tts_requests_by_emotion",
            "the counter is exposed as `emoti_voice_tts_requests_by_emotion_total`",
        ),
        ("emoti_voice_tts_requests_created", "turns `_created` series off"),
        ("emoti_voice_tts_requets_total", "did you mean `emoti_voice_tts_requests_total`?"),
    ],
)
def test_unknown_metric_explains_suffix_mistakes(tmp_path: Path, name: str, hint: str) -> None:
    findings = _lint_rules(tmp_path, [_record(f"sum by (job) ({name})", "job:x:sum")])
    messages = [f.message for f in findings if f.check == "unknown-metric"]
    assert len(messages) == 1 and hint in messages[0], messages


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
    monkeypatch.setattr(runner, "_RULES_PER_PROCESS", 1)  # split even a handful of rules
    forked = lint_files(spec, _rule_files(tmp_path, rules), processes=4)
    assert forked == serial
    assert {"dropped-label", "promql-parse", "duplicate-rule", "record-label-mismatch", "rate-on-gauge"} <= {
        f.check for f in serial
    }


def test_a_worker_that_dies_costs_time_not_findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = load_spec("specs/emotivoice.yaml")
    serial = lint_files(spec, _rule_files(tmp_path, _MIXED_RULES), processes=1)
    monkeypatch.setattr(runner, "_RULES_PER_PROCESS", 1)
    monkeypatch.setattr(runner, "_work", lambda conn, *args: os._exit(3))
    assert lint_files(spec, _rule_files(tmp_path, _MIXED_RULES), processes=2) == serial


def test_rule_positions_and_yaml_features(tmp_path: Path) -> None:
    path = tmp_path / "rules.yml"
    path.write_text(
        "groups:\n"
        "- name: g\n"
        "  rules:\n"
        "  - record: job:a:sum\n"
        "    expr: sum by (job) (up)\n"  # line 5, col 11
        "  - record: job:b:sum\n"
        "    expr: |\n"
        "      sum by (job) (up)\n"  # block scalar: the query's own line, 8
        "    labels: &shard {shard: a}\n"
        "  - alert: Down\n"
        '    expr: "up == 0"\n'  # line 11
        "    labels: *shard\n"
    )
    rules = read_rule_file(path).rules
    assert [(r.name, r.line, r.col) for r in rules] == [("job:a:sum", 5, 11), ("job:b:sum", 8, 11), ("Down", 11, 11)]
    assert rules[2].labels == {"shard": "a"} and rules[2].kind == "alert"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("groups:\n- name: g\n  rules: [\n", 4, "invalid YAML"),
        ("groups: []\n---\ngroups: []\n", 2, "expected one YAML document"),
        ("groups:\n- rules: *nowhere\n", 2, "undefined alias"),
        ("rules: []\n", 1, "no `groups` list"),
    ],
)
def test_broken_rule_files_are_one_finding_each(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "rules.yml"
    path.write_text(text)
    findings = lint(load_spec("specs/emotivoice.yaml"), [path], run_promtool=False).findings
    assert [(f.check, f.line) for f in findings] == [("rule-file", line)] and message in findings[0].message


_YAML_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=30)
    | st.sampled_from(["up", "sum(up)", "rate(x[5m])"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(["record", "alert", "expr", "for", "labels", "annotations", "name"]), inner)
    ),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None)
@given(groups=st.lists(st.dictionaries(st.sampled_from(["name", "rules", "interval"]), _YAML_VALUES), max_size=3))
def test_lint_never_crashes_on_odd_rule_files(groups: list[dict[str, object]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rules.yml"
        path.write_text(yaml.safe_dump({"groups": groups}))
        findings = lint_files(load_spec("specs/emotivoice.yaml"), [read_rule_file(path)], processes=1)
    assert all(f.severity in ("error", "warning") for f in findings)
