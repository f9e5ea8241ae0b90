"""`mongen verify` on real Prometheus and Alertmanager (127.0.0.1 only), healthy and sabotaged."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mongen.loading import load_spec
from mongen.pipeline import render
from mongen.verify import run_verify
from mongen.verify.checks import dashboard_panels, dashboard_queries
from mongen.verify.report import Expectation, Substitution, VerifyReport
from mongen.verify.timescale import compress_duration, compress_expr
from mongen.writer import write_tree
from tests.support import ROOT, need

e2e = pytest.mark.e2e


def test_compress_rewrites_ranges_through_the_ast() -> None:
    assert compress_expr('sum by (job) (rate(x_total{a="b"}[5m]))') == 'sum by (job)(rate(x_total{a="b"}[5s]))'
    assert compress_expr("sum_over_time(r[30d])") == "sum_over_time(r{}[12h])"
    assert (compress_duration("10m"), compress_duration("30s"), compress_duration("1s")) == ("10s", "1s", "1s")


@pytest.mark.parametrize("spec_path", ["specs/emotivoice.yaml", "specs/multi-slo.yaml", "specs/llm.yaml"])
def test_dashboard_queries_leave_no_variable(spec_path: str, tmp_path: Path) -> None:
    spec = load_spec(spec_path)
    write_tree(tmp_path, render(spec))
    queries = dashboard_queries(spec, tmp_path)
    assert queries and all("$" not in expr for _, expr in queries), queries
    # An exporter's panels (dcgm-exporter's, a preset's) keep that exporter's own job.
    exporters = [f'job="{e.job}"' for e in spec.scrape.exporters]
    own = [expr for _, expr in queries if "job" in expr and "DCGM_" not in expr and not any(j in expr for j in exporters)]
    assert own and all(f'job=~"{spec.scrape.job}"' in expr for expr in own)


@e2e
def test_verify_passes_on_the_default_spec(tmp_path: Path) -> None:
    for tool in ("prometheus", "prometheus-alertmanager"):
        need(tool)
    html_page = tmp_path / "report.html"
    command = ["verify", "specs/emotivoice.yaml", "--format", "json", "--html", str(html_page)]
    proc = subprocess.run(
        [sys.executable, "-m", "mongen", *command],
        cwd=ROOT,
        env=_own_tmpdir(tmp_path),
        capture_output=True,
        text=True,
        timeout=480,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    assert report["passed"] is True and report["seconds"] < 400
    states = report["alert_states"]
    assert states["EmotivoiceEmotionErrorRatioHigh"] == {
        "healthy": "inactive",
        "slow": "inactive",
        "angry-errors": "firing",
        "gpu_memory_usage_bytes-high": "inactive",
        "gpu1-frame-buffer-full": "inactive",
        "availability-fast-burn": states["EmotivoiceEmotionErrorRatioHigh"]["availability-fast-burn"],  # may fire
        "availability-slow-burn": "inactive",
        "latency-fast-burn": "inactive",
        "latency-slow-burn": "inactive",
        # dcgm-exporter's preset alert pack: a phase per alert (tests/presets/test_exporter_presets.py).
        "dcgm-exporter-critical-xid": "inactive",
        "dcgm-exporter-remapped-rows": "inactive",
        "dcgm-exporter-temperature": "inactive",
        "dcgm-exporter-exporter-down": "inactive",
        "target-down": "inactive",
    }
    # Every SLO alert is driven per tier: it fires in its own burn phase and reaches its receivers.
    passed = {(e["phase"], e["subject"], e["check"]) for e in report["expectations"] if e["ok"]}
    for slo in ("Availability", "Latency"):
        page, ticket = f"Emotivoice{slo}ErrorBudgetBurnPage", f"Emotivoice{slo}ErrorBudgetBurnTicket"
        fast, slow = f"{slo.lower()}-fast-burn", f"{slo.lower()}-slow-burn"
        assert (fast, page, "fires") in passed
        assert (fast, page, "fires over its 1h/5m window pair") in passed
        assert (slow, ticket, "fires over its 3d/6h window pair") in passed
        assert (fast, page, "reaches oncall-dingtalk, oncall-wecom via the page route") in passed
        assert (slow, ticket, "fires") in passed
        assert (slow, ticket, "reaches sre-email via the ticket route") in passed
        assert (slow, page, f"goes quiet (carried over from {fast})") in passed
        assert states[page][slow] == "inactive"
    matrix = {(d["phase"], d["alert"]): d for d in report["delivery_matrix"]}
    assert matrix[("target-down", "EmotivoiceMetricsAbsent")]["observed"] == ["sre-email"]
    # The text report a person reads: a line per phase, under ~40 lines on the default spec.
    text = VerifyReport(
        substitutions=[Substitution(**s) for s in report["substitutions"]],
        expectations=[Expectation(**e) for e in report["expectations"]],
        seconds=report["seconds"],
    ).to_text()
    assert len(text.splitlines()) <= 40, text
    # Every alert of the spec fired, each in the phase of its own fault.
    assert {a: report["fired_in"][a] for a in _spec_alerts("specs/emotivoice.yaml")} == {
        "EmotivoiceP95LatencyHigh": "slow",
        "EmotivoiceEmotionErrorRatioHigh": "angry-errors",
        "EmotivoiceTargetDown": "target-down",
        "EmotivoiceMetricsAbsent": "target-down",
        "EmotivoiceGpuMemoryHigh": "gpu_memory_usage_bytes-high",
        "EmotivoiceGpuFrameBufferFull": "gpu1-frame-buffer-full",
        "EmotivoiceDcgmCriticalXid": "dcgm-exporter-critical-xid",
        "EmotivoiceDcgmRowRemapping": "dcgm-exporter-remapped-rows",
        "EmotivoiceDcgmGpuTemperatureHigh": "dcgm-exporter-temperature",
        "EmotivoiceDcgmExporterDown": "dcgm-exporter-exporter-down",
    }
    assert report["not_driven"] == {}
    assert all(count > 0 for count in report["series_counts"].values()) and len(report["series_counts"]) > 80
    assert _servers(tmp_path) == [], "verify left processes running"
    # Scraped through the nginx listener and the generated discovery, each mechanism in its own job.
    listener = next(s["change"] for s in report["substitutions"] if s["change"].startswith("listen ")).split()[-1]
    scrapes = {
        (e["subject"], e["check"]): e["ok"] for e in report["expectations"] if e["subject"].startswith("scrape job")
    }
    # dcgm-exporter's job scrapes the run's simulated dcgm-exporter, and keeps its own job.
    gpus = next(s["change"] for s in report["substitutions"] if s["change"].startswith("job dcgm")).split()[-1]
    assert scrapes == {
        **{
            (
                f"scrape job emotivoice-{job}",
                f"{mechanism} target {listener}: scraped at http://{listener}/metrics, up, with job and service labels",
            ): True
            for job, mechanism in [("static", "static"), ("file-sd", "file_sd"), ("kubernetes", "kubernetes")]
        },
        (
            "scrape job dcgm-exporter",
            f"static target {gpus}: scraped at http://{gpus}/metrics, up, with job label",
        ): True,
    }
    exposure = sorted(e["check"] for e in report["expectations"] if e["phase"] == "exposure" and e["ok"])
    assert exposure == [
        "a client at 127.0.0.2 gets 403 for /metrics",
        "does not answer on 127.0.0.2 (bound to loopback only)",
    ]
    # Every substitution is listed, and nothing else was changed (the list is the whole story).
    changed = [(s["artifact"], s["change"].split(" -> ")[0]) for s in report["substitutions"]]
    assert changed == [
        ("instrumentation/emotivoice_metrics.py", "METRICS_PORT 8001"),
        ("nginx/emotivoice-metrics.conf", "listen 8080"),
        ("nginx/emotivoice-metrics.conf", "upstream 127.0.0.1:8001"),
        ("nginx/emotivoice-metrics.conf", "allow 127.0.0.1/32 added"),
        ("prometheus/prometheus.yml", "evaluation_interval 30s"),
        ("prometheus/rules/*.yml", "every range and `for` divided by 60 (5m"),
        ("prometheus/prometheus.yml", "alertmanagers 127.0.0.1:9093"),
        ("prometheus/prometheus.yml", "job emotivoice-static: static targets 192.168.1.10:8080, 192.168.1.11:8080"),
        ("prometheus/prometheus.yml", "job emotivoice-file-sd: files `targets/emotivoice-*.json`"),
        ("prometheus/prometheus.yml", "job emotivoice-kubernetes: kubernetes_sd_configs (role pod, namespaces tts)"),
        ("prometheus/prometheus.yml", "job dcgm-exporter: static targets 192.168.1.10:9400, 192.168.1.11:9400"),
        ("deployment", "Prometheus --rules.alert.resend-delay 1m"),
        ("alertmanager/alertmanager.yml", "group_interval 5m"),
        ("alertmanager/alertmanager.yml", "the endpoints of every receiver (oncall-dingtalk, oncall-wecom, sre-email)"),
    ]
    _check_the_html_report(html_page, report, tmp_path)


def _check_the_html_report(page: Path, report: dict, tmp_path: Path) -> None:
    """`--html`: a plot per dashboard panel and an alert timeline per phase, rendered in Chromium;
    the P95 panel shows the latency fault, and the P95 alert's timeline shows it firing and delivered."""
    from tests.support.verify_page import expected_boxes, page_data, plot_boxes, screenshot

    spec = load_spec("specs/emotivoice.yaml")
    write_tree(tmp_path / "generated", render(spec))
    (service,) = page_data(page.read_text())["services"]
    assert [p["title"] for p in service["panels"]] == [p.title for p in dashboard_panels(spec, tmp_path / "generated")]
    phases = [p["name"] for p in service["phases"]]
    run_order = dict.fromkeys(e["phase"] for e in report["expectations"])  # the JSON's own dicts are sorted
    assert phases == [p for p in run_order if p not in ("exposure", "all phases")]
    latency = next(p for p in service["panels"] if p["title"] == "Latency P50/P95/P99")
    p95 = next(t for t in latency["targets"] if t["ref"] == "B")["series"]  # one per endpoint
    assert p95 and all(s["phases"]["slow"]["max"] > 2 * s["phases"]["healthy"]["max"] for s in p95), p95
    slow = service["alerts"]["slow"]["EmotivoiceP95LatencyHigh"]
    assert "firing" in {state for state, _, _ in slow["spans"]}, slow
    assert slow["delivered"] == ["oncall-dingtalk", "oncall-wecom"], slow
    image = screenshot(page, tmp_path / "report.png", 36000)
    assert image[-300:].min() > 0.95, "the page is taller than the screenshot: give it more height"
    assert plot_boxes(image) == expected_boxes({"services": [service]})


@e2e
def test_verify_passes_on_a_second_spec() -> None:
    """Not tuned to EmotiVoice: another service's SLOs, labels and thresholds, end to end."""
    for tool in ("prometheus", "prometheus-alertmanager"):
        need(tool)
    report = run_verify(load_spec("specs/multi-slo.yaml"))
    assert report.passed, report.to_text()[-4000:]
    states = report.alert_states["AsrGatewayErrorRatioHigh"]
    assert {p: s for p, s in states.items() if "burn" not in p} == {
        "healthy": "inactive",
        "slow": "inactive",
        "transcribe-errors": "firing",
        "target-down": "inactive",
    }
    # The SLO phases drive each SLO's page (fast burn) and ticket (slow burn).
    assert {p for p in states if "burn" in p} == {
        f"{slo}-{speed}-burn" for slo in ("availability", "availability_weekly", "latency") for speed in ("fast", "slow")
    }
    assert {a: report.fired_in[a] for a in _spec_alerts("specs/multi-slo.yaml")} == {
        "AsrGatewayP99LatencyHigh": "slow",
        "AsrGatewayErrorRatioHigh": "transcribe-errors",
        "AsrGatewayDown": "target-down",
    }


@e2e
def test_verify_passes_on_the_llm_showcase() -> None:
    """Every escape hatch of the showcase end to end: the expr alert over the service's GPU memory
    gauge, the frame-buffer alert through the simulated dcgm-exporter (on one GPU only), the
    recording rule of its own and the GPU row's queries return data, the Slack receiver gets tickets."""
    for tool in ("prometheus", "prometheus-alertmanager", "nginx"):
        need(tool)
    report = run_verify(load_spec("specs/llm.yaml"))
    assert report.passed, report.to_text()[-4000:]
    assert {a: report.fired_in[a] for a in _spec_alerts("specs/llm.yaml")} == {
        "LlmModelErrorRatioHigh": "mistralaiMistral7BInstructv02-errors",
        "LlmTtftP95High": "slow",
        "LlmQueueDepthHigh": "queue_depth_requests-high",
        "LlmGpuMemoryNearLimit": "gpu_memory_usage_bytes-high",
        "LlmGpuFrameBufferFull": "gpu1-frame-buffer-full",
        "LlmTargetDown": "target-down",
        # The dcgm and vllm presets' alert packs (tests/presets/test_exporter_presets.py).
        "LlmTextgenDcgmCriticalXid": "dcgm-exporter-critical-xid",
        "LlmTextgenDcgmRowRemapping": "dcgm-exporter-remapped-rows",
        "LlmTextgenDcgmGpuTemperatureHigh": "dcgm-exporter-temperature",
        "LlmTextgenDcgmExporterDown": "dcgm-exporter-exporter-down",
        "LlmTextgenVllmRequestsWaitingHigh": "vllm-requests-waiting",
        "LlmTextgenVllmKvCacheNearlyFull": "vllm-kv-cache-usage",
        "LlmTextgenVllmTimeToFirstTokenP95High": "vllm-ttft-p95",
        "LlmTextgenVllmAbortedShareHigh": "vllm-error-share",
    }
    assert report.not_driven == {}
    checks = {(e.phase, e.subject, e.check): e for e in report.expectations}
    assert checks[("gpu1-frame-buffer-full", "LlmGpuFrameBufferFull", "fires for {'gpu': '1'} only")].ok
    delivered = checks[
        ("gpu1-frame-buffer-full", "LlmGpuFrameBufferFull", "reaches team-slack, tickets via the ticket route")
    ]
    assert delivered.ok and delivered.detail == "team-slack, tickets"
    assert report.series_counts["rule job:llm_generated_tokens_per_request:ratio_rate5m"] == 1
    assert report.series_counts["panel 'GPU frame buffer used' A"] == 2  # one line per GPU
    dcgm = next(s for s in report.substitutions if s.change.startswith("job dcgm-exporter: static targets"))
    assert dcgm.change.startswith("job dcgm-exporter: static targets gpu-node-1:9400 -> 127.0.0.1:")


@e2e
def test_verify_names_a_broken_rule(tmp_path: Path) -> None:
    def sabotage(root: Path) -> None:
        # The brief's own bug: filter on a label the counter does not have.
        path = root / "prometheus/rules/emotivoice-recording.yml"
        doc = yaml.safe_load(path.read_text())
        rule = next(
            r for r in doc["groups"][0]["rules"] if r.get("record") == "endpoint:emoti_voice_tts_requests:rate5m"
        )
        rule["expr"] = rule["expr"].replace(
            "emoti_voice_tts_requests_total[5m]", 'emoti_voice_tts_requests_total{model_version="v2"}[5m]'
        )
        path.write_text(yaml.safe_dump(doc, sort_keys=False))

    report = run_verify(load_spec("specs/emotivoice.yaml"), workdir=tmp_path, mutate=sabotage, fault_phases=False)
    failed = [e for e in report.expectations if not e.ok]
    assert not report.passed
    # The rule comes up empty, and so does the dashboard panel that reads it; nothing else.
    assert [e.subject for e in failed] == ["rule endpoint:emoti_voice_tts_requests:rate5m", "panel 'QPS by endpoint' A"]
    assert "no series for endpoint:emoti_voice_tts_requests:rate5m" in failed[0].detail


@e2e
def test_verify_names_the_job_whose_relabeling_drops_its_targets(tmp_path: Path) -> None:
    """#13: static, file_sd and Kubernetes discovery in one job with the pod-annotation `keep`
    rule, as mongen generated before: the static and file_sd targets are dropped."""

    def one_job_for_everything(root: Path) -> None:
        path = root / "prometheus/prometheus.yml"
        config = yaml.safe_load(path.read_text())
        static, file_sd, kubernetes, *exporters = config["scrape_configs"]  # exporters' jobs stay as they are
        config["scrape_configs"] = [
            {
                **{k: v for k, v in static.items() if k != "relabel_configs"},
                "job_name": "emotivoice",
                "file_sd_configs": file_sd["file_sd_configs"],
                "kubernetes_sd_configs": kubernetes["kubernetes_sd_configs"],
                "relabel_configs": kubernetes["relabel_configs"],
            },
            *exporters,
        ]
        path.write_text(yaml.safe_dump(config, sort_keys=False))

    spec = load_spec("specs/emotivoice.yaml")
    report = run_verify(spec, workdir=tmp_path, mutate=one_job_for_everything, fault_phases=False)
    failed = [(e.subject, e.check.split(" ")[0], e.detail) for e in report.expectations if not e.ok]
    assert failed == [
        ("scrape job emotivoice", "static", "dropped by the job's relabeling"),
        ("scrape job emotivoice", "file_sd", "dropped by the job's relabeling"),
    ]
    kept = [e for e in report.expectations if e.subject == "scrape job emotivoice" and e.ok]
    assert [e.check.split(" ")[0] for e in kept] == ["kubernetes"]  # the pod that opts in still passes


@e2e
def test_verify_names_a_histogram_without_observations(tmp_path: Path) -> None:
    """A service that never observes the inference histogram: its quantiles and mean are NaN,
    and verify says which metric had nothing, instead of counting NaN series as data."""

    def forget_inference(root: Path) -> None:
        # The histogram stays registered (exposed, never observed); the service cannot reach it.
        module = root / "instrumentation/emotivoice_metrics.py"
        module.write_text(module.read_text() + "\n\nEMOTI_VOICE_MODEL_INFERENCE_DURATION_SECONDS = None\n")

    report = run_verify(
        load_spec("specs/emotivoice.yaml"), workdir=tmp_path, mutate=forget_inference, fault_phases=False
    )
    failed = [e for e in report.expectations if not e.ok]
    assert failed, report.to_text()
    assert {e.subject for e in failed} >= {
        "rule job:emoti_voice_model_inference_duration_seconds:p95_rate5m",
        "rule job:emoti_voice_model_inference_duration_seconds:mean_rate5m",
    }, [e.subject for e in failed]
    for e in failed:
        assert e.check == "returns a finite value", e
        assert "none finite (NaN): no observations of emoti_voice_model_inference_duration_seconds" in e.detail, e


@e2e
def test_interrupted_verify_stops_every_server(tmp_path: Path) -> None:
    import signal
    import time

    proc = subprocess.Popen(
        [sys.executable, "-m", "mongen", "verify"],
        cwd=ROOT,
        env=_own_tmpdir(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not _servers(tmp_path):
            time.sleep(0.2)
        assert _servers(tmp_path), "verify did not start its servers"
        time.sleep(2)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr.read()
    assert _servers(tmp_path) == []


def _spec_alerts(path: str) -> list[str]:
    return [a.name for a in load_spec(path).alerts]


def _own_tmpdir(tmp_path: Path) -> dict[str, str]:
    """The environment of a verify run whose temp dir lies under tmp_path, so its servers can be
    told from those of other runs on the same machine."""
    import os

    return {**os.environ, "TMPDIR": str(tmp_path)}


def _servers(tmp_path: Path) -> list[str]:
    """PIDs of the Prometheus/Alertmanager processes of the verify run under tmp_path (their
    arguments name its temp dir)."""
    pattern = f"{tmp_path}/mongen-verify-"
    out = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True, check=False).stdout
    return out.split()


@e2e
def test_missing_prometheus_names_the_package(tmp_path: Path) -> None:
    import os

    proc = subprocess.run(
        [sys.executable, "-m", "mongen", "verify"],
        cwd=ROOT,
        env={**os.environ, "PATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "apt-get install prometheus" in proc.stderr
