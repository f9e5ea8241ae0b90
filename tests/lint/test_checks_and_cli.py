"""`mongen lint`: every check's documented examples give exactly the documented findings, and the
runner around the checks (suppressions, --diff-base, promtool, output formats) behaves."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import mongen.lint.checks
from mongen.errors import Finding
from mongen.lint.checks import CHECKS, INPUT_CHECKS, RULE_CHECKS, RULE_SET_CHECKS, SPEC_CHECKS
from mongen.lint.checks.base import EXAMPLE_RULES_FILE, EXAMPLE_SPEC_FILE, Check
from mongen.lint.examples import run_example
from mongen.lint.runner import lint
from mongen.loading import load_spec
from tests.support import ROOT

GOOD_ALERT = {"for": "5m", "labels": {"severity": "page"}, "annotations": {"summary": "s", "description": "d"}}
_BY_ID = {check.id: check for check in CHECKS}


def _lint_rules(
    tmp_path: Path, rules: list[dict[str, object]], spec_path: str = "specs/emotivoice.yaml"
) -> list[Finding]:
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": rules}]}, sort_keys=False))
    return lint(load_spec(spec_path), [path], run_promtool=False).findings


def _record(expr: str, name: str = "job:x:y") -> dict[str, object]:
    return {"record": name, "expr": expr}


@pytest.mark.parametrize("check_id", sorted(_BY_ID))
def test_bad_example_gives_exactly_the_documented_findings(check_id: str) -> None:
    check = _BY_ID[check_id]
    assert run_example(check.bad) == check.documented_findings()


@pytest.mark.parametrize("check_id", sorted(_BY_ID))
def test_good_example_gives_no_findings(check_id: str) -> None:
    assert run_example(_BY_ID[check_id].good) == []


@pytest.mark.parametrize("check_id", sorted(c.id for c in CHECKS if not c.needs_spec and c.bad.rules))
def test_a_check_that_needs_no_spec_finds_its_bad_example_without_one(check_id: str) -> None:
    """`mongen lint FILES` without --spec: what it reports is documented, and each such check finds
    something on its own example (so `needs_spec = False` is not a claim nobody checked)."""
    check = _BY_ID[check_id]
    found = run_example(check.bad, with_spec=False)
    assert set(found) <= set(check.documented_findings())
    assert any(f.check == check_id for f in found)
    assert run_example(check.good, with_spec=False) == []


def test_checks_that_need_the_spec_stay_silent_without_one() -> None:
    for check in CHECKS:
        if check.needs_spec and check.bad.rules:
            assert [f for f in run_example(check.bad, with_spec=False) if f.check == check.id] == [], check.id


def test_every_check_module_is_registered_once_and_documented() -> None:
    defined: list[type[Check]] = []
    for module_info in pkgutil.iter_modules(mongen.lint.checks.__path__):
        if module_info.name == "base":
            continue
        module = importlib.import_module(f"mongen.lint.checks.{module_info.name}")
        here = [
            c
            for c in vars(module).values()
            if inspect.isclass(c) and issubclass(c, Check) and c.__module__ == module.__name__
        ]
        assert len(here) == 1, f"{module.__name__} should hold exactly one check, holds {here}"
        defined += here
    assert sorted(c.__name__ for c in defined) == sorted(type(c).__name__ for c in CHECKS)
    assert len({c.id for c in CHECKS}) == len(CHECKS)
    assert set(CHECKS) == {*RULE_CHECKS, *RULE_SET_CHECKS, *SPEC_CHECKS, *INPUT_CHECKS}
    for check in CHECKS:
        assert "__doc__" in vars(type(check)) and check.doc, f"{check.id} has no doc paragraph"
        assert check.severity in ("error", "warning") and check.problems
        assert check.bad.rules or check.bad.spec
        assert check.example_file == (EXAMPLE_SPEC_FILE if check in SPEC_CHECKS else EXAMPLE_RULES_FILE)


def test_docs_page_is_generated_from_the_checks() -> None:
    from mongen.lint.docs import render

    assert (ROOT / "docs/lint-rules.md").read_text() == render(), (
        "run `python -m mongen.lint.docs > docs/lint-rules.md`"
    )


def test_the_cli_reports_a_documented_example_as_the_docs_show_it(tmp_path: Path) -> None:
    """The examples run through lint_files; the whole command gives the same lines for them."""
    check = _BY_ID["dropped-label"]
    (tmp_path / EXAMPLE_SPEC_FILE).write_text(check.bad.spec)
    (tmp_path / EXAMPLE_RULES_FILE).write_text(check.bad.rules)
    proc = subprocess.run(
        [sys.executable, "-m", "mongen", "lint", "--no-promtool", "--spec", EXAMPLE_SPEC_FILE, EXAMPLE_RULES_FILE],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [str(f) for f in check.documented_findings()]
    assert proc.stderr == "2 rules in 1 file: 1 error, 0 warnings (spec: spec.yaml)\n"


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
    line = (
        rules.read_text()
        .splitlines()
        .index('          sum(rate(emoti_voice_tts_requests_total{emotion="angry", status=~"5.."}[5m]))')
        + 1
    )
    assert lint(spec, [rules], run_promtool=False).findings == [
        Finding(
            str(rules),
            line,
            15,
            "error",
            "unknown-label",
            "label `emotion` is not on `emoti_voice_tts_requests_total`; its labels: endpoint, instance, job, method, service, status",
        )
    ]


def test_spec_checks_point_at_the_default_spec(tmp_path: Path) -> None:
    """A spec check on a real spec, not an example: the finding lands on the metric's own line."""
    text = (ROOT / "specs/emotivoice.yaml").read_text()
    old = "  - name: emoti_voice_tts_requests_in_flight\n"
    path = tmp_path / "spec.yaml"
    path.write_text(text.replace(old, "  - name: emoti_voice_tts_queue_wait_milliseconds\n", 1))
    line = text.splitlines().index(old.rstrip("\n")) + 1
    findings = lint(load_spec(str(path)), [ROOT / "tests/data/brief-rules.yml"], run_promtool=False).findings
    assert [(f.file, f.line, f.col, f.check) for f in findings if f.file == str(path)] == [
        (str(path), line, 11, "metric-name")
    ]


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
    spec = ("--spec", "specs/emotivoice.yaml")
    text = _cli("--no-promtool", *spec, str(bad))
    assert text.returncode == 1
    line = next(n for n, x in enumerate(bad.read_text().splitlines(), 1) if "expr:" in x)
    message = "`emotion` is never 'angy'; declared values: happy, sad, neutral, angry, surprised, disgusted, fearful"
    # Findings, errors included, on stdout (`> report.txt` keeps them); the summary on stderr.
    assert text.stdout == f"{bad}:{line}:11: error [unknown-label-value] {message}\n"
    assert text.stderr == "1 rule in 1 file: 1 error, 0 warnings (spec: specs/emotivoice.yaml)\n"
    as_json = json.loads(_cli("--no-promtool", *spec, "--format", "json", str(bad)).stdout)
    assert as_json == [
        {
            "check": "unknown-label-value",
            "col": 11,
            "file": str(bad),
            "line": line,
            "message": message,
            "severity": "error",
        }
    ]
    github = _cli("--no-promtool", *spec, "--format", "github", str(bad)).stdout
    file = str(bad).replace(":", "%3A").replace(",", "%2C")
    assert github == f"::error file={file},line={line},col=11,title=unknown-label-value::{message}\n"
    # In this repository (a project config names specs/emotivoice.yaml) FILES get its spec by default.
    assert _cli("--no-promtool", str(bad)).stdout == text.stdout
    spec_less = _cli("--no-promtool", "--no-spec", str(bad))  # the label values are the spec's: nothing to say
    assert (spec_less.returncode, spec_less.stdout) == (0, "")
    assert spec_less.stderr == "1 rule in 1 file: 0 errors, 0 warnings (no spec: spec checks skipped)\n"
    assert _cli("--no-promtool", str(tmp_path / "missing.yml")).returncode == 2
    clean = tmp_path / "clean.yml"
    clean.write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": [_record("sum by (job) (up)", "job:up:sum")]}]}))
    assert _cli(str(clean)).returncode == 0  # promtool check rules runs too


def test_promtool_failures_are_reported_in_the_same_format(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("groups:\n- name: g\n  rules:\n  - record: job:up:sum\n    expr: sum(up)\n    for: 5m\n")
    proc = _cli(str(broken))
    assert proc.returncode == 1
    assert f"{broken}:1:1: error [promtool-check]" in proc.stdout


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
    assert [(f.line, f.check) for f in everything] == [(5, "short-range"), (7, "short-range")]
    assert changed == everything[1:]


def test_on_needs_the_label_on_both_sides_but_ignoring_does_not(tmp_path: Path) -> None:
    part = "sum by (job, emotion) (rate(emoti_voice_tts_requests_total[5m]))"
    whole = "sum by (job) (rate(emoti_voice_tts_requests_total[5m]))"
    assert _lint_rules(tmp_path, [_record(f"{part} / ignoring (emotion) group_left {whole}", "emotion:r:share")]) == []
    bad = _lint_rules(tmp_path, [_record(f"{part} / on (emotion) group_left {whole}", "emotion:r:share")])
    assert [(f.check, f.message) for f in bad] == [
        ("unknown-label", "`on(emotion)`: the right side has no label `emotion` (job)")
    ]


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


def test_min_for_makes_alert_without_for_stricter(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yml"
    rules.write_text(
        yaml.safe_dump(
            {"groups": [{"name": "g", "rules": [{"alert": "A", "expr": "up == 0", **GOOD_ALERT, "for": "1m"}]}]}
        )
    )
    assert _cli("--no-promtool", str(rules)).stdout == ""
    strict = _cli("--no-promtool", "--min-for", "2m", str(rules))
    assert strict.returncode == 0  # a warning
    assert strict.stdout.endswith(
        "warning [alert-without-for] alert `A` has `for: 1m`, shorter than the minimum of 2m (--min-for)\n"
    )
    wrong = _cli("--no-promtool", "--min-for", "2 minutes", str(rules))
    assert (wrong.returncode, wrong.stderr) == (
        2,
        "error: --min-for '2 minutes' is not a duration such as 90s, 5m or 1h30m\n",
    )


def test_an_alert_without_severity_is_named_as_such(tmp_path: Path) -> None:
    alert = {"alert": "Down", "expr": 'up{job="emotivoice"} == 0', **GOOD_ALERT, "labels": {}}
    messages = [f.message for f in _lint_rules(tmp_path, [alert]) if f.check == "unrouted-severity"]
    assert messages == ["the alert has no `severity` label, so no route takes it; routed: page, ticket"]


def test_dividing_a_label_free_aggregate_by_a_scraped_series_is_never_matched(tmp_path: Path) -> None:
    """Without a spec a scraped series' labels are not all known, but it surely has `job` and
    `instance`; a side whose labels are known exactly and lack them never pairs up with it, in
    arithmetic as in `and`. The finding is on the operator that empties the result (`/`), and the
    `and` after it, which is empty for its own reason, is still reported."""
    path = tmp_path / "rules.yml"
    path.write_text(
        "groups:\n"
        "  - name: quota\n"
        "    rules:\n"
        "      - alert: WorkerQuotaNearlyUsed\n"
        "        expr: count(worker_up) / worker_quota > 0.8 and worker_quota > 0\n"
        "        for: 10m\n"
    )
    found = lint(None, [path], run_promtool=False, processes=1).findings
    assert [(f.check, f.line, f.col, f.message) for f in found if f.check.endswith("matching")] == [
        (
            "impossible-matching",
            5,
            15,
            "`and` matches series with equal labels, but only the right side has instance, job; "
            "`and` keeps nothing: the result is always empty; match `on(...)` labels both sides have",
        ),
        (
            "vector-matching",
            5,
            15,
            "`/` pairs series with equal labels, but only the right side has instance, job, so nothing pairs "
            "up and the result is always empty; match `on()` (with group_left) or aggregate both sides alike",
        ),
    ]
    grouped = "sum by (job, instance) (worker_up) / worker_quota > 0.8"
    path.write_text(path.read_text().replace("count(worker_up) / worker_quota > 0.8 and worker_quota > 0", grouped))
    assert [f for f in lint(None, [path], run_promtool=False, processes=1).findings if "matching" in f.check] == []


def test_a_template_label_an_aggregation_dropped_is_named_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "rules.yml"
    path.write_text(
        "groups:\n"
        "  - name: workers\n"
        "    rules:\n"
        "      - alert: WorkersFailing\n"
        "        expr: sum(rate(worker_failures_total[5m])) > 1\n"
        "        for: 10m\n"
        "        annotations: {summary: 'Workers fail on {{ $labels.instance }}'}\n"
    )
    found = lint(None, [path], run_promtool=False, processes=1).findings
    assert [(f.line, f.col, f.message) for f in found if f.check == "annotation-unknown-label"] == [
        (
            5,
            15,
            "annotation `summary` reads `$labels.instance`, but the result has no label `instance` (it has no "
            "labels); keep `instance` in the aggregation's `by (...)`, or stop reading it",
        )
    ]
