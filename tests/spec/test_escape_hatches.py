"""The escape hatches (`kind: expr` alerts, `below` thresholds, recording rules of
the spec's own, more receivers), each checked against the spec when mongen generates."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mongen import layout
from mongen.errors import SpecError
from mongen.lint.runner import lint
from mongen.loading import build_spec, load_spec
from mongen.project import LoadedSpec, Project, render_project
from mongen.rules.alert_kinds import BY_NAME
from mongen.rules.ruleset import rule_set
from mongen.spec.loader import load_yaml
from tests.support import ROOT

SPEC = """\
version: 1
service: {name: tiny, namespace: tiny}
labels:
  code: {values: ["200", "500", 5xx, other], classes: [5xx], fallback: other}
  model: {values: [small, large], fallback: small}
metrics:
  - {name: tiny_requests_total, type: counter, help: Requests., labels: [code, model], errors: {code: {class: 5xx}}}
  - {name: tiny_queue_depth, type: gauge, help: Requests waiting., labels: [model]}
  - {name: tiny_generated_tokens_per_second, type: gauge, help: Tokens generated per second.}
alerts:
  - name: TinyQueueDeep
    kind: expr
    expr: max by (model) (tiny_queue_depth{model="large"}) * 2 > 40
    summary: The queue of the large model is deep
    severity: ticket
  - name: TinyTrafficLow
    kind: expr
    expr: 0.5 > sum(rate(tiny_requests_total[5m]))
    summary: Traffic dropped
    description: Check the clients.
    for: 10m
    severity: ticket
  - name: TinyFrameBufferFull
    kind: expr
    expr: max by (gpu) (DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE)) > 0.95
    summary: GPU frame buffer nearly full
    severity: ticket
  - name: TinyThroughputLow
    kind: gauge_threshold
    metric: tiny_generated_tokens_per_second
    comparison: below
    threshold: 10
    severity: ticket
  - name: TinyLargeModelIdle
    kind: expr
    expr: model:tiny_requests:rate5m{model="large"} < 0.1
    summary: The large model gets no traffic
    severity: ticket
  - name: TinyGpuFrameBufferFull
    kind: dcgm_frame_buffer
    threshold: 0.9
    by: [Hostname]
    severity: ticket
recording_rules:
  - record: model:tiny_requests:rate5m
    expr: sum by (model) (rate(tiny_requests_total[5m]))
    labels: {team: inference}
scrape:
  job: tiny
  interval: 30s
  static_targets: ["127.0.0.1:9000"]
  exporters:
    - {job: dcgm, exporter: dcgm, static_targets: ["10.0.0.5:9400"], interval: 5s}
    - {job: node, file_sd: targets/node-*.json}
routing:
  routes:
    page: [oncall-pagerduty, oncall-opsgenie]
    ticket:
      receivers: [team-slack]
      mute_time_intervals: [nights]
  time_intervals:
    nights:
      - times: [{start_time: "22:00", end_time: "24:00"}, {start_time: "00:00", end_time: "07:00"}]
        weekdays: ["monday:friday"]
        location: Asia/Shanghai
      - weekdays: [saturday, sunday]
  receivers:
    - {name: team-slack, type: slack, api_url_file: /etc/alertmanager/secrets/slack-url, channel: "#tiny-alerts"}
    - {name: oncall-pagerduty, type: pagerduty, routing_key_file: /etc/alertmanager/secrets/pagerduty-key}
    - {name: oncall-opsgenie, type: opsgenie, api_key_file: /etc/alertmanager/secrets/opsgenie-key}
"""


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


def _spec_errors(text: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        build_spec(load_yaml(text, "spec.yaml"))
    return [str(issue) for issue in caught.value.issues]


def test_expr_alerts_generate_and_their_promtool_cases_pass(tmp_path: Path) -> None:
    proc = _generate(tmp_path, SPEC)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tests = yaml.safe_load((tmp_path / "out" / layout.rule_test_file("tiny", "alerts")).read_text())["tests"]
    names = [t["name"] for t in tests]
    assert "TinyQueueDeep fires at tiny_queue_depth at 22" in names
    assert "TinyQueueDeep stays quiet at tiny_queue_depth at 18" in names
    # `0.5 > x` is `x < 0.5`: it fires below, on a counter increasing 0.45 per second.
    assert "TinyTrafficLow fires at tiny_requests_total increasing at 0.45/s" in names
    assert "TinyTrafficLow stays quiet at tiny_requests_total increasing at 0.55/s" in names
    assert not [n for n in names if n.startswith("TinyFrameBufferFull")]
    # `comparison: below`: the lowest value per instance, firing under the threshold.
    assert "TinyThroughputLow fires at 9.5" in names
    assert "TinyThroughputLow stays quiet at 10.5" in names


def test_recording_rules_of_the_spec_are_written_checked_and_readable_by_alerts(tmp_path: Path) -> None:
    proc = _generate(tmp_path, SPEC)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    groups = yaml.safe_load((tmp_path / "out" / layout.rule_files("tiny")["recording"]).read_text())["groups"]
    assert groups[0]["rules"][-1] == {
        "record": "model:tiny_requests:rate5m",
        "expr": "sum by (model) (rate(tiny_requests_total[5m]))",
        "labels": {"team": "inference"},
    }
    spec = build_spec(load_yaml(SPEC, "spec.yaml"))
    idle = next(a for a in spec.alerts if a.name == "TinyLargeModelIdle")
    assert BY_NAME["expr"].cannot_drive(spec, idle) == (
        "mongen cannot drive `TinyLargeModelIdle`: `model:tiny_requests:rate5m` is a recorded series or undeclared; "
        "mongen drives the series the spec declares"
    )


@pytest.mark.parametrize(
    ("find", "replace", "message"),
    [
        (
            'model:tiny_requests:rate5m{model="large"}',
            'model:tiny_requests:rate5m{modell="large"}',
            "spec.yaml:36:11: error: alerts[4].expr: `model:tiny_requests:rate5m` keeps only model, team; "
            "`modell` was aggregated away (lint check dropped-label)",
        ),
        (
            "sum by (model) (rate(tiny_requests_total[5m]))",
            "sum by (modle) (rate(tiny_requests_total[5m]))",
            "spec.yaml:46:11: error: recording_rules[0].expr: `sum by (modle)`: the input has no label `modle`",
        ),
        (
            "    labels: {team: inference}\n",
            "    labels: {team: inference}\n  - record: job:tiny_requests:rate5m\n    expr: vector(1)\n",
            "spec.yaml:48:13: error: recording_rules[1].record: `job:tiny_requests:rate5m` is already recorded by "
            "mongen for the spec's metrics or SLOs; choose another name, or read that series instead",
        ),
        (
            "    labels: {team: inference}\n",
            "    labels: {team: inference}\n  - record: model:tiny_requests:rate5m\n    expr: vector(1)\n",
            "spec.yaml:48:13: error: recording_rules[1].record: `model:tiny_requests:rate5m` is already recorded "
            "by an earlier entry; record each name once",
        ),
        (
            "    labels: {team: inference}\n",
            "    labels: {__team: inference}\n",
            "spec.yaml:47:22: error: recording_rules[0].labels.__team: label names starting with `__` are reserved",
        ),
    ],
)
def test_recording_rules_are_checked_like_expr_alerts(find: str, replace: str, message: str) -> None:
    assert SPEC.count(find) == 1
    errors = _spec_errors(SPEC.replace(find, replace))
    # A typo in a recording rule also shows where its series is read (the first error says why).
    assert errors[0].startswith(message), errors


def test_slack_pagerduty_opsgenie_and_time_intervals_pass_amtool(tmp_path: Path) -> None:
    proc = _generate(tmp_path, SPEC)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    config = yaml.safe_load((tmp_path / "out" / layout.ALERTMANAGER_CONFIG).read_text())
    receivers = {r["name"]: r for r in config["receivers"]}
    assert receivers["team-slack"]["slack_configs"] == [
        {"api_url_file": "/etc/alertmanager/secrets/slack-url", "send_resolved": True, "channel": "#tiny-alerts"}
    ]
    assert receivers["oncall-pagerduty"]["pagerduty_configs"] == [
        {"routing_key_file": "/etc/alertmanager/secrets/pagerduty-key", "send_resolved": True}
    ]
    assert receivers["oncall-opsgenie"]["opsgenie_configs"] == [
        {"api_key_file": "/etc/alertmanager/secrets/opsgenie-key", "send_resolved": True}
    ]
    ticket = next(r for r in config["route"]["routes"] if r["receiver"] == "team-slack")
    assert ticket["mute_time_intervals"] == ["nights"]
    assert config["time_intervals"][0]["name"] == "nights"
    assert config["time_intervals"][0]["time_intervals"][1] == {"weekdays": ["saturday", "sunday"]}


@pytest.mark.parametrize(
    ("find", "replace", "message"),
    [
        (
            "api_url_file: /etc/alertmanager/secrets/slack-url",
            "api_url: https://hooks.slack.com/services/T000/B000/XXXX",
            "spec.yaml:68:48: error: routing.receivers[0].api_url: `api_url` is a secret, and alertmanager.yml is "
            "committed to the ops repo: secrets never go inline. Put it in a file only Alertmanager reads and give "
            "its path as api_url_file",
        ),
        (
            "routing_key_file: /etc/alertmanager/secrets/pagerduty-key",
            "channel: '#x'",
            "spec.yaml:69:58: error: routing.receivers[1].channel: `channel` has no meaning for receivers of type "
            "`pagerduty`; its fields: routing_key_file, service_key_file",
        ),
        (
            "{name: oncall-opsgenie, type: opsgenie, api_key_file: /etc/alertmanager/secrets/opsgenie-key}",
            "{name: oncall-opsgenie, type: wechat, corp_id: tiny, agent_id: '1', to_party: '2'}",
            "spec.yaml:70:37: error: routing.receivers[2].type: Alertmanager 0.25",
        ),
        (
            "mute_time_intervals: [nights]",
            "mute_time_intervals: [night]",
            "spec.yaml:60:29: error: routing.routes.ticket.mute_time_intervals[0]: time interval `night` is not "
            "defined in `routing.time_intervals`; defined: nights",
        ),
    ],
)
def test_receivers_take_secrets_only_from_files(find: str, replace: str, message: str) -> None:
    assert SPEC.count(find) == 1
    errors = _spec_errors(SPEC.replace(find, replace))
    assert errors[0].startswith(message), errors
    assert len(errors) == 1 or "need exactly one" in errors[1], errors


def test_exporter_jobs_and_the_dcgm_frame_buffer_alert(tmp_path: Path) -> None:
    proc = _generate(tmp_path, SPEC)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    jobs = yaml.safe_load((tmp_path / "out" / layout.PROMETHEUS_CONFIG).read_text())["scrape_configs"]
    assert jobs[-2:] == [
        {
            "job_name": "dcgm",
            "metrics_path": "/metrics",
            "scrape_interval": "5s",
            "scrape_timeout": "5s",
            "static_configs": [{"targets": ["10.0.0.5:9400"]}],
        },
        {
            "job_name": "node",
            "metrics_path": "/metrics",
            "file_sd_configs": [{"files": ["targets/node-*.json"], "refresh_interval": "1m"}],
        },
    ]
    tests = yaml.safe_load((tmp_path / "out" / layout.rule_test_file("tiny", "alerts")).read_text())["tests"]
    assert [t["name"] for t in tests if t["name"].startswith("TinyGpuFrameBufferFull")] == [
        "TinyGpuFrameBufferFull fires at 92% used",
        "TinyGpuFrameBufferFull stays quiet at 88% used",
    ]


def test_lint_knows_dcgm_series_from_the_exporter_and_flags_a_misspelt_one(tmp_path: Path) -> None:
    (tmp_path / "spec.yaml").write_text(SPEC)
    result = lint(load_spec(tmp_path / "spec.yaml"), [], run_promtool=False)
    assert [f for f in result.findings if f.severity == "error"] == []
    errors = _spec_errors(SPEC.replace("(DCGM_FI_DEV_FB_USED /", "(DCGM_FI_DEV_FB_USE /"))
    assert errors == [
        "spec.yaml:25:11: error: alerts[2].expr: unknown metric `DCGM_FI_DEV_FB_USE`; did you mean "
        "`DCGM_FI_DEV_FB_USED`? (lint check unknown-metric)"
    ]


def test_a_dcgm_alert_without_dcgm_series_says_what_to_add() -> None:
    text = SPEC.replace("    - {job: dcgm, exporter: dcgm,", "    - {job: dcgm,").replace(
        "  - name: TinyFrameBufferFull", "  - name: TinyFrameBufferFullRaw"
    )
    errors = _spec_errors(text)
    assert errors[-1] == (
        "spec.yaml:40:11: error: alerts[5].kind: unknown metric `DCGM_FI_DEV_FB_USED` (lint check unknown-metric); "
        "scrape dcgm-exporter under `scrape.exporters` with `exporter: dcgm`, or declare its series in external_metrics"
    )


def test_a_below_threshold_alert_watches_the_lowest_value_per_instance() -> None:
    spec = build_spec(load_yaml(SPEC, "spec.yaml"))
    rules = {r.name: r for r in rule_set(spec).alerts}
    assert rules["TinyThroughputLow"].expr == "min by (job, instance) (tiny_generated_tokens_per_second) < 10"
    assert rules["TinyThroughputLow"].summary[0] == "tiny_generated_tokens_per_second below 10 on "


def test_comparison_is_rejected_on_kinds_that_would_ignore_it() -> None:
    text = SPEC.replace("    summary: Traffic dropped\n", "    summary: Traffic dropped\n    comparison: below\n")
    assert _spec_errors(text) == [
        "spec.yaml:20:17: error: alerts[1].comparison: `comparison` has no meaning for alerts of kind `expr`; "
        "its fields: expr, summary"
    ]


def test_an_expr_mongen_cannot_drive_says_why() -> None:
    spec = build_spec(load_yaml(SPEC, "spec.yaml"))
    by_name = {a.name: a for a in spec.alerts}
    kind = BY_NAME["expr"]
    assert kind.cannot_drive(spec, by_name["TinyQueueDeep"]) is None
    assert kind.cannot_drive(spec, by_name["TinyFrameBufferFull"]) == (
        "mongen cannot drive `TinyFrameBufferFull`: it reads 2 metrics (DCGM_FI_DEV_FB_FREE, DCGM_FI_DEV_FB_USED); "
        "mongen drives a comparison over one"
    )
    rules = {r.name: r for r in rule_set(spec).alerts}
    assert rules["TinyFrameBufferFull"].expr == kind.params(by_name["TinyFrameBufferFull"]).expr


@pytest.mark.parametrize(
    ("find", "replace", "message"),
    [
        (
            "0.5 > sum(rate(tiny_requests_total[5m]))",
            '0.5 > sum(rate(tiny_requests_total{cod="500"}[5m]))',
            "spec.yaml:18:11: error: alerts[1].expr: label `cod` is not on `tiny_requests_total`; did you mean `code`? its labels: "
            "code, instance, job, model, service (lint check unknown-label)",
        ),
        (
            "tiny_queue_depth{",
            "tiny_queue_dept{",
            "spec.yaml:13:11: error: alerts[0].expr: unknown metric `tiny_queue_dept`; did you mean `tiny_queue_depth`? "
            "(lint check unknown-metric)",
        ),
        (
            "max by (gpu)",
            "maxx by (gpu)",
            "spec.yaml:25:11: error: alerts[2].expr: expression does not parse: ",
        ),
        (
            "0.5 > sum(rate(",
            "0.5 > sum(rat(",
            "spec.yaml:18:11: error: alerts[1].expr: expression does not parse: unknown function with name 'rat' "
            "(lint check promql-parse)",
        ),
    ],
)
def test_a_typo_inside_an_expr_is_a_spec_error_at_its_line(find: str, replace: str, message: str) -> None:
    assert SPEC.count(find) == 1
    errors = _spec_errors(SPEC.replace(find, replace))
    assert len(errors) == 1
    assert errors[0].startswith(message)


@pytest.mark.parametrize(
    ("expr", "reason"),
    [
        ("tiny_queue_depth > bool 3", "it compares with `bool`, which returns 0 or 1 instead of filtering"),
        ("tiny_queue_depth offset 1h > 3", "it reads `tiny_queue_depth` with `offset` or `@`"),
        ("count(tiny_queue_depth) > 3", "`count` over one series is not a level mongen can set"),
        ("tiny_queue_depth * tiny_queue_depth > 3", "its value does not follow the level of `tiny_queue_depth`"),
        ("tiny_requests_total > 3", "it reads the counter `tiny_requests_total` without `rate`"),
        ('tiny_queue_depth{model=~"s.*"} > 3', "it selects `model` with a regex or negative matcher"),
        ("sum(rate(tiny_requests_total[5m])) > -1", "`tiny_requests_total` is a counter and would have to fall"),
        ("absent(tiny_queue_depth)", "it is not a comparison `<vector> <op> <number>`"),
    ],
)
def test_expressions_mongen_cannot_drive_get_no_case_and_a_reason(expr: str, reason: str) -> None:
    spec = build_spec(load_yaml(SPEC.replace('max by (model) (tiny_queue_depth{model="large"}) * 2 > 40', expr), "x"))
    alert = spec.alerts[0]
    assert BY_NAME["expr"].params(alert).expr == expr
    why = BY_NAME["expr"].cannot_drive(spec, alert)
    assert why is not None and why.startswith(f"mongen cannot drive `TinyQueueDeep`: {reason}"), why
    assert [c for c in rule_set(spec).alert_cases if c.alert.name == "TinyQueueDeep"] == []


def test_a_typo_inside_an_expr_exits_2(tmp_path: Path) -> None:
    proc = _generate(tmp_path, SPEC.replace("tiny_queue_depth{", "tiny_queue_dept{"))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "spec.yaml:13:11: error: alerts[0].expr: unknown metric `tiny_queue_dept`" in proc.stderr


def test_the_default_spec_scrapes_dcgm_exporter_and_alerts_on_its_frame_buffer() -> None:
    spec = build_spec(load_yaml((ROOT / "specs/emotivoice.yaml").read_text(), "specs/emotivoice.yaml"))
    assert [(e.job, e.exporter) for e in spec.scrape.exporters] == [("dcgm-exporter", "dcgm")]
    frame_buffer = next(a for a in spec.alerts if a.kind == "dcgm_frame_buffer")
    rule = next(r for r in rule_set(spec).alerts if r.name == frame_buffer.name)
    assert "DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE)" in rule.expr


def test_an_exporter_job_two_services_define_the_same_is_scraped_once() -> None:
    exporter = '    - {job: dcgm, exporter: dcgm, static_targets: ["10.0.0.5:9400"], interval: 5s}\n'
    assert exporter in SPEC
    # Another service of its own metric namespace (and recording rule names) beside the same exporter.
    other = SPEC.replace("tiny_", "othr_").replace("_tiny", "_othr")
    other = other.replace("service: {name: tiny, namespace: tiny}", "service: {name: other, namespace: othr}")
    other = other.replace("  job: tiny\n", "  job: other\n").replace(
        "    - {job: node, file_sd: targets/node-*.json}\n", ""
    )
    other = other.replace("- name: Tiny", "- name: Other")
    services = []
    for name, text in (("tiny.yaml", SPEC), ("other.yaml", other)):
        doc = load_yaml(text, name)
        services.append(LoadedSpec(build_spec(doc), doc))
    jobs = yaml.safe_load(render_project(Project.of(services))[layout.PROMETHEUS_CONFIG])["scrape_configs"]
    assert [j["job_name"] for j in jobs].count("dcgm") == 1
