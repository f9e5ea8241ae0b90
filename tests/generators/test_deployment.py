"""Scrape configuration and exposure as deployed, and what verify substitutes in them."""

from __future__ import annotations

import difflib
import json
import socket
from pathlib import Path
from typing import Any

import pytest
import yaml

from mongen.loading import build_spec, load_spec
from mongen.model import Spec
from mongen.pipeline import render
from mongen.spec.loader import load_yaml
from mongen.verify.checks import dashboard_queries, source_metrics
from mongen.verify.discovery import ExpectedTarget, substitute_discovery
from mongen.verify.exposure import foreign_address, plan_exposure, port_answers
from mongen.verify.report import VerifyReport
from mongen.writer import write_tree
from tests.support import ROOT

SPECS = ["specs/emotivoice.yaml", "specs/multi-slo.yaml"]
IDENTITY = {
    "specs/emotivoice.yaml": [
        {"target_label": "job", "replacement": "emotivoice"},
        {"target_label": "service", "replacement": "emotivoice"},
    ],
    "specs/multi-slo.yaml": [
        {"target_label": "job", "replacement": "asr-gateway"},
        {"target_label": "service", "replacement": "asr-gateway"},
    ],
}


def _service_jobs(spec: Spec, config: dict[str, Any]) -> list[dict[str, Any]]:
    """The scrape jobs of the service itself (not those of `scrape.exporters`)."""
    exporters = {e.job for e in spec.scrape.exporters}
    return [j for j in config["scrape_configs"] if j["job_name"] not in exporters]


def _spec(text: str, tmp_path: Path) -> Spec:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return build_spec(load_yaml(text, str(path)))


def _edited(edits: list[tuple[str, str]]) -> str:
    text = (ROOT / "specs/emotivoice.yaml").read_text()
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


@pytest.mark.parametrize("spec_path", SPECS)
def test_every_job_gives_its_series_the_same_job_and_service(spec_path: str) -> None:
    spec = load_spec(spec_path)
    jobs = _service_jobs(spec, yaml.safe_load(render(spec)["prometheus/prometheus.yml"]))
    for job in jobs:
        assert job["relabel_configs"][-2:] == IDENTITY[spec_path], job["job_name"]
    # The rules select exactly that job.
    alerts = render(spec)[f"prometheus/rules/{spec.service}-alerts.yml"]
    assert f'up{{job="{spec.scrape.job}"}}' in alerts


def test_kubernetes_relabeling_stays_in_the_kubernetes_job(default_spec: Spec) -> None:
    jobs = _service_jobs(default_spec, yaml.safe_load(render(default_spec)["prometheus/prometheus.yml"]))
    assert [j["job_name"] for j in jobs] == ["emotivoice-static", "emotivoice-file-sd", "emotivoice-kubernetes"]
    keeps = {j["job_name"]: [r for r in j["relabel_configs"] if r.get("action") == "keep"] for j in jobs}
    assert keeps["emotivoice-static"] == keeps["emotivoice-file-sd"] == []
    assert len(keeps["emotivoice-kubernetes"]) == 2
    assert [sorted(k for k in j if k.endswith("_configs") and k != "relabel_configs") for j in jobs] == [
        ["static_configs"],
        ["file_sd_configs"],
        ["kubernetes_sd_configs"],
    ]


def test_without_nginx_the_bind_address_is_the_only_guard(tmp_path: Path) -> None:
    spec = _spec(
        _edited(
            [
                ("  bind_address: 127.0.0.1\n", ""),
                ("  allowed_cidrs: [10.20.0.0/16, 192.168.100.0/24]\n", ""),
                ("  nginx:\n    listen: 8080\n    server_name: emotivoice.internal\n", ""),
                ('["192.168.1.10:8080", "192.168.1.11:8080"]', '["192.168.1.10:8001"]'),  # the raw port is fine
            ]
        ),
        tmp_path,
    )
    files = render(spec)
    assert spec.exposure.nginx is None and spec.exposure.scrape_port == 8001
    assert not [path for path in files if path.startswith("nginx/")]
    module = files["instrumentation/emotivoice_metrics.py"]
    assert 'METRICS_ADDR = _addr_from_environment("0.0.0.0")' in module
    assert "so the bind\naddress is the only guard" in module
    assert "the bind address is the only guard" in module.split("def start_metrics_server")[1]


def test_with_nginx_the_module_binds_loopback_and_says_so(default_files: dict[str, str]) -> None:
    module = default_files["instrumentation/emotivoice_metrics.py"]
    assert 'METRICS_ADDR = _addr_from_environment("127.0.0.1")' in module
    assert "the generated nginx snippet is the only way\nin" in module
    assert "only guard" not in module


def test_nginx_proxies_to_the_bind_address(tmp_path: Path) -> None:
    spec = _spec(_edited([("  bind_address: 127.0.0.1\n", '  bind_address: "::1"\n')]), tmp_path)
    snippet = render(spec)["nginx/emotivoice-metrics.conf"]
    assert "    server [::1]:8001;\n" in snippet


def test_verify_changes_only_the_reported_lines_of_the_snippet(default_spec: Spec, tmp_path: Path) -> None:
    write_tree(tmp_path, render(default_spec))
    report = VerifyReport()
    exposure = plan_exposure(default_spec, tmp_path, 41001, 41002, report)
    assert exposure.scrape_address == "127.0.0.1:41002" and exposure.metrics_addr is None
    assert exposure.nginx_snippet is not None
    original = (tmp_path / "nginx/emotivoice-metrics.conf").read_text().splitlines()
    changed = [
        line
        for line in difflib.unified_diff(original, exposure.nginx_snippet.read_text().splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]
    assert changed == [
        "-    server 127.0.0.1:8001;",
        "+    server 127.0.0.1:41001;",
        "-    listen 8080;",
        "+    listen 127.0.0.1:41002;",
        "+        allow 127.0.0.1/32;",
    ]
    assert [(s.artifact, s.change) for s in report.substitutions] == [
        ("instrumentation/emotivoice_metrics.py", "METRICS_PORT 8001 -> 41001"),
        ("nginx/emotivoice-metrics.conf", "listen 8080 -> 127.0.0.1:41002"),
        ("nginx/emotivoice-metrics.conf", "upstream 127.0.0.1:8001 -> 127.0.0.1:41001"),
        ("nginx/emotivoice-metrics.conf", "allow 127.0.0.1/32 added"),
    ]


def test_verify_keeps_the_generated_relabeling(default_spec: Spec, tmp_path: Path) -> None:
    write_tree(tmp_path, render(default_spec))
    generated = yaml.safe_load((tmp_path / "prometheus/prometheus.yml").read_text())
    config = yaml.safe_load((tmp_path / "prometheus/prometheus.yml").read_text())
    (tmp_path / "verify").mkdir()
    targets = substitute_discovery(default_spec, config, tmp_path / "prometheus", "127.0.0.1:41002", VerifyReport())
    assert [j["relabel_configs"] for j in _service_jobs(default_spec, config)] == [
        j["relabel_configs"] for j in _service_jobs(default_spec, generated)
    ]
    service = ("http://127.0.0.1:41002/metrics", (("job", "emotivoice"), ("service", "emotivoice")))
    assert targets[:3] == [
        ExpectedTarget("emotivoice-static", "static", "127.0.0.1:41002", None, *service),
        ExpectedTarget("emotivoice-file-sd", "file_sd", "127.0.0.1:41002", "emotivoice-verify.json", *service),
        ExpectedTarget(
            "emotivoice-kubernetes",
            "kubernetes",
            "127.0.0.1:41002",
            "kubernetes-pods-emotivoice-kubernetes.json",
            *service,
        ),
    ]
    static, file_sd, kubernetes = config["scrape_configs"][:3]
    assert static["static_configs"] == [{"targets": ["127.0.0.1:41002"]}]
    assert file_sd["file_sd_configs"] == generated["scrape_configs"][1]["file_sd_configs"]  # read as generated
    written = json.loads((tmp_path / "prometheus/targets/emotivoice-verify.json").read_text())
    assert written == [{"targets": ["127.0.0.1:41002"], "labels": {"instance": "file_sd/127.0.0.1:41002"}}]
    assert "kubernetes_sd_configs" not in kubernetes
    (pod,) = json.loads(Path(kubernetes["file_sd_configs"][0]["files"][0]).read_text())
    assert pod["labels"]["__meta_kubernetes_namespace"] == "tts"
    assert pod["labels"]["__meta_kubernetes_pod_container_port_name"] == "metrics"


def test_a_nan_query_names_the_histogram_behind_it(default_spec: Spec, tmp_path: Path) -> None:
    assert source_metrics(default_spec, "job:emoti_voice_model_inference_duration_seconds:p95_rate5m") == [
        "emoti_voice_model_inference_duration_seconds"
    ]
    write_tree(tmp_path, render(default_spec))
    panels = dict(dashboard_queries(default_spec, tmp_path))
    inference = [expr for subject, expr in panels.items() if "nference" in subject]
    assert inference and all(
        "emoti_voice_model_inference_duration_seconds" in source_metrics(default_spec, expr) for expr in inference
    )


def test_the_foreign_client_is_outside_the_allowlist(tmp_path: Path) -> None:
    spec = _spec(_edited([("allowed_cidrs: [10.20.0.0/16,", "allowed_cidrs: [127.0.0.2/31, 10.20.0.0/16,")]), tmp_path)
    assert foreign_address(spec) == "127.0.0.4"


def test_a_listener_beyond_127_0_0_1_answers_the_foreign_address() -> None:
    """The raw-port check can fail: a listener on 127.0.0.2 (standing in for one bound beyond
    loopback) answers there; one bound to 127.0.0.1 does not."""
    for bound, answers in (("127.0.0.2", True), ("127.0.0.1", False)):
        with socket.socket() as listener:
            listener.bind((bound, 0))
            listener.listen()
            assert port_answers("127.0.0.2", listener.getsockname()[1]) is answers, bound
