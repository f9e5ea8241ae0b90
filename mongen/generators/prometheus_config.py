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

from collections.abc import Sequence
from typing import Any, Literal

from mongen import layout
from mongen.generators import thanos
from mongen.model import ExporterJob, Spec
from mongen.serialize import sources_header, to_yaml
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


def service_jobs(spec: Spec) -> list[dict[str, Any]]:
    """The jobs that scrape the service itself, one per discovery mechanism."""
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
    return jobs


def job_names(spec: Spec) -> list[str]:
    """The job names and the `job` label the service's own jobs take in prometheus.yml."""
    jobs = service_jobs(spec)
    return [*(job["job_name"] for job in jobs), *([spec.scrape.job] if jobs else [])]


def scrape_jobs(specs: Sequence[Spec]) -> list[dict[str, Any]]:
    """Every service's jobs, in service order. An exporter job (`scrape.exporters`) several services
    name is scraped once, where the first of them names it: the project (mongen.project) has given
    them one setup and the union of their targets; its timeout is the smallest the services give."""
    jobs: list[dict[str, Any]] = []
    declared: dict[str, list[Spec]] = {}
    for spec in specs:
        for exporter in spec.scrape.exporters:
            declared.setdefault(exporter.job, []).append(spec)
    for spec in specs:
        jobs += service_jobs(spec)
        for exporter in spec.scrape.exporters:
            users = declared[exporter.job]
            if users[0] is spec:
                jobs.append(_exporter_job(exporter, min(s.scrape.timeout for s in users)))
    return jobs


def _exporter_job(exporter: ExporterJob, timeout: int) -> dict[str, Any]:
    """Another exporter's job: its series keep their own `job` (e.g. dcgm-exporter's)."""
    job: dict[str, Any] = {"job_name": exporter.job, "metrics_path": exporter.metrics_path}
    if exporter.interval:
        job["scrape_interval"] = format_duration(exporter.interval)
        # Prometheus refuses a timeout longer than the interval; the global one may be.
        job["scrape_timeout"] = format_duration(min(exporter.interval, timeout))
    if exporter.static_targets:
        job["static_configs"] = [{"targets": list(exporter.static_targets)}]
    if exporter.file_sd:
        job["file_sd_configs"] = [{"files": [exporter.file_sd], "refresh_interval": "1m"}]
    return job


def global_settings(spec: Spec) -> dict[str, Any]:
    """`global:` apart from the intervals: what every service of one prometheus.yml must agree on."""
    return dict(thanos.external_labels(spec))


def alerting(spec: Spec) -> dict[str, Any]:
    """Where alerts go; one prometheus.yml sends every service's alerts to the same Alertmanagers."""
    return {"alertmanagers": [{"static_configs": [{"targets": list(spec.scrape.alertmanagers)}]}]}


def config(specs: Sequence[Spec]) -> dict[str, Any]:
    """prometheus.yml of a project (one spec or several, in service order). Each job and rule group
    carries its own interval, so the global ones are the smallest any service gives (they are only
    the defaults of jobs added by hand); the other settings are the first service's, which the
    project's checks (mongen.project.checks) make every service's."""
    first = specs[0]
    return {
        "global": {
            "scrape_interval": format_duration(min(s.scrape.interval for s in specs)),
            "scrape_timeout": format_duration(min(s.scrape.timeout for s in specs)),
            "evaluation_interval": format_duration(min(s.scrape.evaluation_interval for s in specs)),
            **global_settings(first),
        },
        "rule_files": [
            layout.relative(p, layout.PROMETHEUS_CONFIG) for s in specs for p in layout.rule_files(s.service).values()
        ],
        "alerting": alerting(first),
        "scrape_configs": scrape_jobs(specs),
    }


def text(data: dict[str, Any], head: str) -> str:
    """prometheus.yml's text: `head` (the header) and the explanation, then the config."""
    return head + _EXPLANATION + to_yaml(data)


def generate(specs: Sequence[Spec]) -> dict[str, str]:
    """One prometheus.yml for every service of the project."""
    return {layout.PROMETHEUS_CONFIG: text(config(specs), sources_header([s.source for s in specs]))}
