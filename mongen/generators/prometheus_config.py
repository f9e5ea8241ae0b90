"""prometheus.yml: intervals, one scrape job per discovery mechanism, rules, alerting.

Relabeling applies to every target of a job: the Kubernetes `keep` rules (pod annotation, port
name) would drop every static and file_sd target sharing their job. So each mechanism the spec
names gets a scrape job of its own (`<job>-static`, `<job>-file-sd`, `<job>-kubernetes`), and
each job ends with the same two rules setting `job` to the spec's job and `service` to the
service: the series look the same whichever mechanism found the target, so rules, alerts
(`up{job=...}`), dashboards and lint select them all. A target belongs in one mechanism only: two
jobs scraping it would write the same series twice.
"""

from __future__ import annotations

from typing import Any, Literal

from mongen import layout
from mongen.generators import thanos
from mongen.model import ExporterJob, Spec
from mongen.serialize import header, to_yaml
from mongen.units import format_duration

Discovery = Literal["static", "file-sd", "kubernetes"]

# Read by people opening the file; the why is in this module's docstring.
_EXPLANATION = """\
# One scrape job per discovery mechanism: relabeling applies to every target of a job, so the
# Kubernetes keep rules stay away from static and file_sd targets. Every job sets the same `job`
# and `service` labels, which the rules, alerts and dashboards select.
"""


def scrape_job_name(spec: Spec, discovery: Discovery) -> str:
    """The scrape pool of one discovery mechanism (Prometheus's /targets page groups by it)."""
    return f"{spec.scrape.job}-{discovery}"


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


def identity_relabeling(spec: Spec) -> list[dict[str, Any]]:
    """The labels every series of the service carries, whichever job scraped it."""
    return [
        {"target_label": "job", "replacement": spec.scrape.job},
        {"target_label": "service", "replacement": spec.service},
    ]


def _job(spec: Spec, discovery: Discovery, sd: dict[str, Any], relabeling: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "job_name": scrape_job_name(spec, discovery),
        "metrics_path": spec.exposure.metrics_path,
        "scrape_interval": format_duration(spec.scrape.interval),
        "scrape_timeout": format_duration(spec.scrape.timeout),
        **sd,
        "relabel_configs": [*relabeling, *identity_relabeling(spec)],
    }


def scrape_jobs(spec: Spec) -> list[dict[str, Any]]:
    scrape = spec.scrape
    jobs = []
    if scrape.static_targets:
        jobs.append(_job(spec, "static", {"static_configs": [{"targets": list(scrape.static_targets)}]}, []))
    if scrape.file_sd:
        jobs.append(
            _job(spec, "file-sd", {"file_sd_configs": [{"files": [scrape.file_sd], "refresh_interval": "1m"}]}, [])
        )
    if scrape.k8s_namespaces is not None:
        sd: dict[str, Any] = {"role": "pod"}
        if scrape.k8s_namespaces:
            sd["namespaces"] = {"names": list(scrape.k8s_namespaces)}
        jobs.append(_job(spec, "kubernetes", {"kubernetes_sd_configs": [sd]}, kubernetes_relabeling(spec)))
    return jobs + [_exporter_job(spec, exporter) for exporter in scrape.exporters]


def _exporter_job(spec: Spec, exporter: ExporterJob) -> dict[str, Any]:
    """Another exporter's job: its series keep their own `job` (e.g. dcgm-exporter's)."""
    job: dict[str, Any] = {"job_name": exporter.job, "metrics_path": exporter.metrics_path}
    if exporter.interval:
        job["scrape_interval"] = format_duration(exporter.interval)
        # Prometheus refuses a timeout longer than the interval; the global one may be.
        job["scrape_timeout"] = format_duration(min(exporter.interval, spec.scrape.timeout))
    if exporter.static_targets:
        job["static_configs"] = [{"targets": list(exporter.static_targets)}]
    if exporter.file_sd:
        job["file_sd_configs"] = [{"files": [exporter.file_sd], "refresh_interval": "1m"}]
    return job


def config(spec: Spec) -> dict[str, Any]:
    scrape = spec.scrape
    return {
        "global": {
            "scrape_interval": format_duration(scrape.interval),
            "scrape_timeout": format_duration(scrape.timeout),
            "evaluation_interval": format_duration(scrape.evaluation_interval),
            **thanos.external_labels(spec),
        },
        "rule_files": [layout.relative(p, layout.PROMETHEUS_CONFIG) for p in layout.rule_files(spec.service).values()],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": list(scrape.alertmanagers)}]}]},
        "scrape_configs": scrape_jobs(spec),
    }


def text(data: dict[str, Any], head: str) -> str:
    """prometheus.yml's text: `head` (the header) and the explanation, then the config."""
    return head + _EXPLANATION + to_yaml(data)


def generate(spec: Spec) -> dict[str, str]:
    return {layout.PROMETHEUS_CONFIG: text(config(spec), header(spec.source))}
