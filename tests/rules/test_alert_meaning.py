"""Alerts that mean what the on-call engineer reads.

Status classes (502 and 504 are server errors everywhere), routing that never pages by accident,
window-pair descriptions that name the window that fired, minimum traffic on error ratios, the
SLO info series, dashboard links and runbook skeletons, and specs that used to fail their own
validation.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from fractions import Fraction
from http import HTTPStatus
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from mongen import layout
from mongen.generators.alertmanager import NULL_RECEIVER
from mongen.lint.runner import lint
from mongen.loading import load_spec
from mongen.model import Spec
from mongen.pipeline import render
from mongen.rules import naming
from mongen.rules.ruleset import rule_set
from mongen.writer import write_tree
from tests.support import ROOT, need

SPEC = "specs/emotivoice.yaml"
ERROR_RATIO = "emotion:emoti_voice_tts_requests:error_ratio_rate5m"


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("emotivoice") / "out"
    write_tree(root, render(load_spec(SPEC)))
    return root


def _promtool_test(directory: Path, name: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [need("promtool"), "test", "rules", name], cwd=directory, capture_output=True, text=True, timeout=120
    )


def _generate(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    """`mongen generate` with every validation (promtool, amtool, ...) on a spec given as text."""
    (tmp_path / "spec.yaml").write_text(text)
    return subprocess.run(
        [sys.executable, "-m", "mongen", "generate", "spec.yaml", "-o", "out"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )


# --- status classes ------------------------------------------------------------------------------


def _load_module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"alert_meaning_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_default_spec_counts_every_5xx_as_a_server_error(default_spec: Spec) -> None:
    status = default_spec.label_by_name["status"]
    requests = default_spec.by_role["requests"]
    availability = next(s for s in default_spec.slos if s.name == "availability")
    for matchers in (requests.errors, availability.errors):
        assert [(m.label, m.values, m.negate) for m in matchers] == [("status", ("500", "503", "5xx"), False)]
    assert status.classes == ("4xx", "5xx")


def test_502_and_504_from_the_service_count_in_the_availability_sli_and_the_emotion_error_ratio(
    out: Path, tmp_path: Path
) -> None:
    """The generated module records 502 and 504 as `5xx`, and the generated rules count them: the
    service's own samples, fed to promtool, give the error ratios they should."""
    metrics = _load_module(out / layout.instrumentation_module("emotivoice"))
    assert [metrics.normalize_status(s) for s in ("502", 504, HTTPStatus.BAD_GATEWAY, "404", "200", "5o2")] == [
        "5xx",
        "5xx",
        "5xx",
        "4xx",
        "200",
        "other",
    ]
    for emotion, statuses in (("angry", [200] * 6 + [502, HTTPStatus.GATEWAY_TIMEOUT]), ("happy", [200] * 8)):
        for status in statuses:
            metrics.record_request(
                method="POST",
                endpoint="/synthesize",
                status=status,
                emotion=emotion,
                duration_seconds=1.0,
                text_length=9,
            )
    samples = [
        s
        for family in metrics.REGISTRY.collect()
        for s in family.samples
        if s.name == "emoti_voice_tts_requests_total" and s.value
    ]
    assert {(s.labels["emotion"], s.labels["status"]): s.value for s in samples} == {
        ("angry", "200"): 6.0,
        ("angry", "5xx"): 2.0,
        ("happy", "200"): 8.0,
    }
    inputs = [
        {
            "series": "emoti_voice_tts_requests_total{"
            + ",".join(f'{k}="{v}"' for k, v in {"job": "emotivoice", "instance": "a:1", **s.labels}.items())
            + "}",
            "values": f"0+{s.value:g}x15",
        }
        for s in samples
    ]

    def at_10m(expr: str, value: float) -> dict[str, Any]:
        return {"expr": f"sum({expr})", "eval_time": "10m", "exp_samples": [{"labels": "{}", "value": value}]}

    doc = {
        "rule_files": [str(out / layout.rule_file("emotivoice", k)) for k in ("recording", "slos")],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": inputs,
                "promql_expr_test": [
                    at_10m(f'{ERROR_RATIO}{{emotion="angry"}}', 0.25),
                    at_10m(f'{naming.sli_error_name(300)}{{slo="availability"}}', 0.125),
                ],
            }
        ],
    }
    (tmp_path / "classes.test.yml").write_text(yaml.safe_dump(doc))
    proc = _promtool_test(tmp_path, "classes.test.yml")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_generated_tests_feed_a_5xx_series_to_the_emotion_error_ratio_and_the_availability_sli(
    out: Path,
) -> None:
    doc = yaml.safe_load((out / layout.rule_test_file("emotivoice", "recording")).read_text())
    tests = {t["name"]: t for t in doc["tests"]}
    counted = "(errors: status 500, 503, 5xx; 5xx = any other 5xx code, e.g. 502, 504)"
    requests = tests[f"recording rules of emoti_voice_tts_requests_total {counted}"]
    slo = tests[f"SLO availability: SLI and budget rules at a 25% error ratio {counted}"]
    for test in (requests, slo):
        assert any('status="5xx"' in s["series"] for s in test["input_series"]), test["name"]
    # Three error series (500, 503, 5xx) at 1/s and a healthy one at 3/s for the first emotion:
    # 3 of 6 fail, with the 5xx series counted (2 of 5 if it were not).
    ratio = next(e for e in requests["promql_expr_test"] if ERROR_RATIO in e["expr"])
    assert [s["value"] for s in ratio["exp_samples"]] == [0.5, 0]
    assert (
        _promtool_test(
            out / layout.RULE_TESTS_DIR, Path(layout.rule_test_file("emotivoice", "recording")).name
        ).returncode
        == 0
    )


# --- routing -------------------------------------------------------------------------------------


def _route(config: Path, *labels: str) -> list[str]:
    proc = subprocess.run(
        [need("amtool"), "config", "routes", "test", f"--config.file={config}", *labels],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return proc.stdout.strip().split(",")


@pytest.mark.parametrize(
    ("spec_path", "root"), [(SPEC, "sre-email"), ("specs/multi-slo.yaml", "tickets"), (None, NULL_RECEIVER)]
)
def test_an_unknown_or_missing_severity_never_pages(spec_path: str | None, root: str, tmp_path: Path) -> None:
    if spec_path is None:  # no `routing` section: every severity to one webhook, the root to nothing
        text = Path(SPEC).read_text()
        text = text[: text.index("routing:")] + text[text.index("kubernetes:\n  enabled") :]
        spec_path = str(tmp_path / "spec.yaml")
        Path(spec_path).write_text(text.replace("severity: ticket", "severity: page"))
    spec = load_spec(spec_path)
    write_tree(tmp_path / "out", render(spec))
    config = tmp_path / "out" / layout.ALERTMANAGER_CONFIG
    pagers = set(spec.routing.paging_receivers)
    assert set(_route(config, "severity=page")) == pagers
    for labels in (("severity=warning",), ("alertname=Anything",), ("severity=Page",)):
        assert _route(config, *labels) == [root], labels
        assert not pagers & set(_route(config, *labels))
    cases = yaml.safe_load((tmp_path / "out" / layout.ROUTES_TEST).read_text())["cases"]
    assert {"severity": "warning"} in [{k: v for k, v in c["labels"].items() if k == "severity"} for c in cases]
    assert any("severity" not in c["labels"] and c["receivers"] == [root] for c in cases)


# --- burn-rate alerts ----------------------------------------------------------------------------


def _expand(values: str) -> list[float]:
    """promtool's `a+bxn` notation, as the generated SLO inputs use it."""
    out: list[float] = []
    for part in values.split():
        start, step, count = re.fullmatch(r"(-?[\d.e+]+)\+(-?[\d.e+]+)x(\d+)", part).groups()  # type: ignore[union-attr]
        out += [float(start) + float(step) * i for i in range(int(count) + 1)]
    return out


def test_the_page_description_names_6h_30m_and_the_6h_ratio_when_that_pair_fires(out: Path) -> None:
    doc = yaml.safe_load((out / layout.rule_test_file("emotivoice", "slo-availability")).read_text())
    page = "EmotivoiceAvailabilityErrorBudgetBurnPage pages"
    test = next(t for t in doc["tests"] if t["name"].startswith(page) and t["name"].endswith("over 6h/30m"))
    step = 300 if test["interval"] == "5m" else int(test["interval"].rstrip("m")) * 60
    end = int(test["alert_rule_test"][0]["eval_time"].rstrip("h")) * 3600
    series = {s["series"]: _expand(s["values"]) for s in test["input_series"]}
    errors = [sum(v) for v in zip(*(v for k, v in series.items() if 'status="200"' not in k), strict=True)]
    total = [e + o for e, o in zip(errors, next(v for k, v in series.items() if 'status="200"' in k), strict=True)]

    def ratio(window: int) -> Fraction:
        first, last = max(0, (end - window) // step + 1), end // step
        return Fraction(errors[last] - errors[first]) / Fraction(total[last] - total[first])

    six_hours, one_hour, half_hour = ratio(6 * 3600), ratio(3600), ratio(1800)
    assert len({six_hours, one_hour, half_hour}) == 3, "the windows must tell different ratios"
    (alert,) = test["alert_rule_test"][0]["exp_alerts"]
    assert alert["exp_labels"]["long_window"] == "6h" and alert["exp_labels"]["short_window"] == "30m"
    description = alert["exp_annotations"]["description"]
    assert f"the error ratio over 6h is {float(six_hours) * 100:.4g}% and over 30m also above 0.6%" in description
    assert f"{float(one_hour) * 100:.4g}%" not in description
    proc = _promtool_test(out / layout.RULE_TESTS_DIR, "emotivoice-slo-availability.test.yml")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_window_pair_fires_just_above_its_factor_and_stays_quiet_just_below(default_spec: Spec) -> None:
    cases = rule_set(default_spec).slo_cases
    for slo in default_spec.slos:
        for window in slo.windows:
            pair = f"over {window.long // 3600 if window.long < 86400 else window.long // 86400}"
            mine = [c for c in cases if dict(c.alert.labels)["slo"] == slo.name and pair in c.name]
            assert {c.firing for c in mine} >= {True, False}, (slo.name, window)


def test_the_slo_info_series_says_what_every_slo_is(default_spec: Spec) -> None:
    infos = [r for g in rule_set(default_spec).slo_groups for r in g.rules if r.record == naming.SLO_INFO]
    assert [(r.expr, dict(r.labels)) for r in infos] == [
        (
            "vector(1)",
            {"service": "emotivoice", "slo": "availability", "objective": "99.9", "period": "30d", "sli": "ratio"},
        ),
        (
            "vector(1)",
            {"service": "emotivoice", "slo": "latency", "objective": "99", "period": "30d", "sli": "latency"},
        ),
    ]


def test_lint_takes_a_burn_rate_alert_without_for_as_confirmed_by_its_short_window() -> None:
    spec = load_spec("tests/data/sloth/spec.yaml")
    for paths in ([], [ROOT / "tests/data/sloth/availability-30d-28d.rules.yml"]):  # mongen's and Sloth's
        found = [f for f in lint(spec, paths, run_promtool=False).findings if f.check == "alert-without-for"]
        assert found == [], [str(f) for f in found]


def test_lint_still_warns_about_a_plain_alert_without_for(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yml"
    rules.write_text(
        "groups:\n- name: g\n  rules:\n  - alert: RatioHighTwice\n"
        "    expr: slo:sli_error:ratio_rate1h > 0.1 and slo:sli_error:ratio_rate1h > 0.2\n"
        "    labels: {severity: page}\n    annotations: {summary: s, description: d}\n"
    )
    found = [f for f in lint(load_spec("tests/data/sloth/spec.yaml"), [rules], run_promtool=False).findings]
    assert [f.message for f in found if f.check == "alert-without-for"] == [
        "alert `RatioHighTwice` has no `for`; use at least two evaluation intervals"
    ]


# --- minimum traffic -----------------------------------------------------------------------------


def test_one_failure_among_a_handful_of_requests_stays_quiet(out: Path, tmp_path: Path) -> None:
    """Both sides are generated promtool cases; without the guard the quiet one fails."""
    cases = {c.name: c for c in rule_set(load_spec(SPEC)).alert_cases}
    quiet = "EmotivoiceEmotionErrorRatioHigh stays quiet at all 10 requests in 5m failing"
    loud = "EmotivoiceEmotionErrorRatioHigh fires at all 40 requests in 5m failing"
    assert quiet in cases and loud in cases
    guard = "\nand\nemotion:emoti_voice_tts_requests:rate5m * 300 >= 20"
    doc = yaml.safe_load((out / layout.rule_file("emotivoice", "alerts")).read_text())
    rule = next(r for g in doc["groups"] for r in g["rules"] if r["alert"] == "EmotivoiceEmotionErrorRatioHigh")
    assert rule["expr"].rstrip("\n").endswith(guard)
    tests = out / layout.RULE_TESTS_DIR
    assert _promtool_test(tests, "emotivoice-alerts.test.yml").returncode == 0
    unguarded = tmp_path / "out"
    write_tree(unguarded, render(load_spec(SPEC)))
    rule["expr"] = rule["expr"].rstrip("\n").removesuffix(guard)
    (unguarded / layout.rule_file("emotivoice", "alerts")).write_text(yaml.safe_dump(doc, sort_keys=False))
    proc = _promtool_test(unguarded / layout.RULE_TESTS_DIR, "emotivoice-alerts.test.yml")
    assert proc.returncode != 0 and quiet in proc.stdout + proc.stderr
    assert loud not in proc.stdout + proc.stderr


# --- links and runbooks --------------------------------------------------------------------------


def test_alerts_link_the_dashboard_by_its_uid(out: Path) -> None:
    uid = yaml.safe_load((out / layout.dashboard("emotivoice")).read_text())["uid"]
    groups = yaml.safe_load((out / layout.rule_file("emotivoice", "alerts")).read_text())["groups"]
    urls = {r["annotations"]["dashboard_url"] for g in groups for r in g["rules"]}
    assert urls == {f"https://grafana.example.com/d/{uid}"}


def test_every_alert_gets_a_runbook_skeleton_its_runbook_url_points_at(out: Path) -> None:
    groups = yaml.safe_load((out / layout.rule_file("emotivoice", "alerts")).read_text())["groups"]
    alerts = {r["alert"]: r for g in groups for r in g["rules"]}
    assert sorted(p.name for p in (out / layout.RUNBOOKS_DIR).iterdir()) == sorted(f"{a}.md" for a in alerts)
    for name, rule in alerts.items():
        assert rule["annotations"]["runbook_url"] == layout.runbook(name)
        page = (out / layout.runbook(name)).read_text()
        for section in ("## What it means", "## The query", "## First checks", "## Dashboard"):
            assert section in page, (name, section)
        assert rule["expr"].strip() in page
        assert rule["annotations"]["dashboard_url"] in page
        assert "1. " in page.split("## First checks")[1]


def test_a_runbook_base_elsewhere_means_no_skeletons(tmp_path: Path) -> None:
    text = (
        Path(SPEC)
        .read_text()
        .replace(
            "  max_series_per_instance: 1000\n",
            "  max_series_per_instance: 1000\n  runbook_base: https://wiki.example.com/tts/\n",
        )
    )
    (tmp_path / "spec.yaml").write_text(text)
    files = render(load_spec(tmp_path / "spec.yaml"))
    assert not [p for p in files if p.startswith(layout.RUNBOOKS_DIR)]
    rules = yaml.safe_load(files[layout.rule_file("emotivoice", "alerts")])["groups"][0]["rules"]
    assert rules[0]["annotations"]["runbook_url"] == f"https://wiki.example.com/tts/{rules[0]['alert']}"


def test_spec_text_cannot_become_html_in_a_runbook(tmp_path: Path) -> None:
    text = (
        Path(SPEC)
        .read_text()
        .replace(
            "    severity: ticket\n  - name: EmotivoiceGpuMemoryHigh",
            "    severity: ticket\n    description: <img src=x onerror=alert(1)> & more\n  - name: EmotivoiceGpuMemoryHigh",
        )
    )
    (tmp_path / "spec.yaml").write_text(text)
    page = render(load_spec(tmp_path / "spec.yaml"))[layout.runbook("EmotivoiceMetricsAbsent")]
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; more" in page and "<img" not in page


# --- specs that failed their own validation -------------------------------------------------------

_SMALL = """\
version: 1
service: {name: tiny, namespace: tiny}
labels:
  code: {values: ["200", "500", 5xx, other], classes: [5xx], fallback: other}
metrics:
  - {name: tiny_requests_total, type: counter, help: Requests., labels: [code], errors: {code: {class: 5xx}}}
  - {name: tiny_temperature_celsius, type: gauge, unit: celsius, help: Board temperature.}
alerts:
  - {name: TinyErrors, kind: error_ratio, metric: tiny_requests_total, threshold: 0.05, severity: page}
  - {name: TinyFreezing, kind: gauge_threshold, metric: tiny_temperature_celsius, threshold: THRESHOLD, severity: ticket}
scrape: {job: tiny, interval: 30s, static_targets: ["127.0.0.1:9000"]}
"""


@pytest.mark.parametrize("threshold", ["0", "-5"])
def test_a_counter_whose_only_label_is_the_error_label_and_a_gauge_threshold_at_or_below_zero_validate(
    threshold: str, tmp_path: Path
) -> None:
    proc = _generate(tmp_path, _SMALL.replace("THRESHOLD", threshold))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    recording = yaml.safe_load((tmp_path / "out" / layout.rule_test_file("tiny", "recording")).read_text())
    series = [s["series"] for t in recording["tests"] for s in t["input_series"]]
    assert len(series) == len(set(series))
