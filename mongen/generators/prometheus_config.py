"""prometheus.yml: intervals, the service's scrape job (static, Kubernetes, file SD), rules, alerting."""

from __future__ import annotations

from typing import Any

from mongen import layout
from mongen.model import Spec
from mongen.serialize import to_yaml
from mongen.units import format_duration


def kubernetes_relabeling(spec: Spec) -> list[dict[str, Any]]:
    """Keep only pods that opt in with prometheus.io/scrape=true, only their metrics port."""
    return [
        {"source_labels": ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"], "regex": "true", "action": "keep"},
        {
            "source_labels": ["__meta_kubernetes_pod_container_port_name"],
            "regex": spec.scrape.k8s_port_name,
            "action": "keep",
        },
        {
            "source_labels": ["__meta_kubernetes_pod_phase"],
            "regex": "Pending|Succeeded|Failed|Completed",
            "action": "drop",
        },
        {"source_labels": ["__meta_kubernetes_namespace"], "target_label": "namespace"},
        {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"},
        {"source_labels": ["__meta_kubernetes_pod_container_name"], "target_label": "container"},
    ]


def scrape_job(spec: Spec) -> dict[str, Any]:
    scrape = spec.scrape
    job: dict[str, Any] = {
        "job_name": scrape.job,
        "metrics_path": spec.exposure.metrics_path,
        "scrape_interval": format_duration(scrape.interval),
        "scrape_timeout": format_duration(scrape.timeout),
    }
    if scrape.static_targets:
        job["static_configs"] = [{"targets": list(scrape.static_targets), "labels": {"service": spec.service}}]
    if scrape.file_sd:
        job["file_sd_configs"] = [{"files": [scrape.file_sd], "refresh_interval": "1m"}]
    if scrape.k8s_namespaces is not None:
        sd: dict[str, Any] = {"role": "pod"}
        if scrape.k8s_namespaces:
            sd["namespaces"] = {"names": list(scrape.k8s_namespaces)}
        job["kubernetes_sd_configs"] = [sd]
        job["relabel_configs"] = [
            *kubernetes_relabeling(spec),
            {"target_label": "service", "replacement": spec.service},
        ]
    return job


def config(spec: Spec) -> dict[str, Any]:
    scrape = spec.scrape
    return {
        "global": {
            "scrape_interval": format_duration(scrape.interval),
            "scrape_timeout": format_duration(scrape.timeout),
            "evaluation_interval": format_duration(scrape.evaluation_interval),
        },
        "rule_files": [layout.relative(p, layout.PROMETHEUS_CONFIG) for p in layout.rule_files(spec.service).values()],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": list(scrape.alertmanagers)}]}]},
        "scrape_configs": [scrape_job(spec)],
    }


def generate(spec: Spec) -> dict[str, str]:
    return {layout.PROMETHEUS_CONFIG: to_yaml(config(spec), spec.source)}
