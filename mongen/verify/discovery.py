"""Targets reach the run's Prometheus through the generated discovery, with its relabeling untouched.

Only what cannot exist here is substituted, and every substitution is reported:

- static targets name hosts of the deployment: each becomes the run's one replica (its nginx
  listener, or its metrics port without nginx);
- file_sd files are the deployment's, not generated: verify writes the file the generated pattern
  reads, listing the replica;
- Kubernetes discovery needs a cluster (and Debian's Prometheus is built without it): the job
  reads instead a file listing the replica as a pod, with the `__meta_kubernetes_*` labels
  Kubernetes discovery gives a pod that opts in, so the generated relabeling decides as it would.

Every mechanism reaches the same replica, so file-based targets carry an `instance` label of
their own: otherwise two jobs would write the same series.

Exporter jobs (`scrape.exporters`): a preset job's targets (`exporter: dcgm`, `vllm`, ...) become
the run's simulated exporter of that preset (mongen.verify.preset_exporter); any other exporter is
not run, so its job is left out of the run's config (reported), and alerts on its series are
reported as not driven.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mongen import layout
from mongen.model import Spec
from mongen.verify.report import VerifyReport

CONFIG = layout.PROMETHEUS_CONFIG


@dataclass(frozen=True)
class ExpectedTarget:
    """A target verify gave to a scrape job; it must be scraped (active and up)."""

    job_name: str  # the scrape pool
    mechanism: str  # static, file_sd, kubernetes
    address: str
    source_file: str | None  # the file a file-based target was listed in (its __meta_filepath)
    scrape_url: str = ""  # where Prometheus must scrape it
    labels: tuple[tuple[str, str], ...] = ()  # target labels it must carry after relabeling

    def matches(self, scrape_pool: str, discovered: dict[str, str]) -> bool:
        """Whether a target Prometheus lists (by scrape pool and discovered labels) is this one."""
        if scrape_pool != self.job_name or discovered.get("__address__") != self.address:
            return False
        path = discovered.get("__meta_filepath")
        return path is None if self.source_file is None else Path(path or "").name == self.source_file


def substitute_discovery(
    spec: Spec,
    config: dict[str, Any],
    config_dir: Path,
    address: str,
    report: VerifyReport,
    exporter_addresses: dict[str, str] | None = None,
    config_file: str = CONFIG,
) -> list[ExpectedTarget]:
    """Point every discovery mechanism of `config` (changed in place) at `address`, a preset
    exporter job's at its simulated exporter (`exporter_addresses`, by job); leave other
    exporters' jobs out. `config_file`: the generated file `config` is (prometheus.yml, or vmagent.yml)."""
    simulated = exporter_addresses or {}
    exporters = {e.job: e for e in spec.scrape.exporters}
    expected: list[ExpectedTarget] = []
    kept = []
    for job in config.get("scrape_configs", []):
        name = job["job_name"]
        exporter = exporters.get(name)
        if exporter is not None and name not in simulated:
            report.substitute(
                config_file,
                f"job {name}: scrape job -> left out of the run",
                "verify runs no such exporter (it simulates the presets' exporters only); "
                "alerts on its series are listed as not driven",
            )
            continue
        kept.append(job)
        if exporter is not None:
            at = simulated[name]
            url = f"http://{at}{exporter.metrics_path}"
            labels: tuple[tuple[str, str], ...] = (("job", name),)
        else:
            at, url = address, f"http://{address}{spec.exposure.metrics_path}"
            labels = (("job", spec.scrape.job), ("service", spec.service))
        found: list[ExpectedTarget] = []
        if "static_configs" in job:
            found.append(_static(job, name, at, report, exporter.exporter if exporter else None, config_file))
        for sd in job.get("file_sd_configs", []):
            found += [_file_sd(name, config_dir, pattern, at, report, config_file) for pattern in sd.get("files", [])]
        if "kubernetes_sd_configs" in job:
            found.append(_kubernetes(spec, job, name, config_dir.parent / "verify", at, report, config_file))
        expected += [dataclasses.replace(t, scrape_url=url, labels=labels) for t in found]
    config["scrape_configs"] = kept
    return expected


def _static(
    job: dict[str, Any], name: str, address: str, report: VerifyReport, preset: str | None, config_file: str
) -> ExpectedTarget:
    original = [t for group in job["static_configs"] for t in group.get("targets", [])]
    for group in job["static_configs"]:
        group["targets"] = [address]
    report.substitute(
        config_file,
        f"job {name}: static targets {', '.join(original)} -> {address}",
        "those hosts are not here; the run's simulated dcgm-exporter (2 GPUs) stands in for them"
        if preset == "dcgm"
        else f"those hosts are not here; the run's simulated {preset} exporter stands in for them"
        if preset
        else "those hosts are not here; every target is the run's one replica",
    )
    return ExpectedTarget(name, "static", address, None)


def _file_sd(
    name: str, config_dir: Path, pattern: str, address: str, report: VerifyReport, config_file: str
) -> ExpectedTarget:
    """Write the file `pattern` (relative to prometheus.yml, as Prometheus reads it) matches."""
    path = config_dir / pattern.replace("*", "verify")
    group = {"targets": [address], "labels": {"instance": f"file_sd/{address}"}}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([group]) if path.suffix == ".json" else yaml.safe_dump([group]))
    report.substitute(
        config_file,
        f"job {name}: files `{pattern}` -> wrote {path.name} listing {address} (instance file_sd/{address})",
        "the deployment's target files are not generated; the instance label keeps its series apart",
    )
    return ExpectedTarget(name, "file_sd", address, path.name)


def _kubernetes(
    spec: Spec, job: dict[str, Any], name: str, workdir: Path, address: str, report: VerifyReport, config_file: str
) -> ExpectedTarget:
    sd_configs = job.pop("kubernetes_sd_configs")
    namespaces = [n for sd in sd_configs for n in sd.get("namespaces", {}).get("names", [])]
    namespace = namespaces[0] if namespaces else "default"
    pod = f"{spec.service}-0"
    port = address.rpartition(":")[2]
    # What Kubernetes pod discovery says of a running pod of the service that opts in to scraping.
    meta = {
        "__meta_kubernetes_namespace": namespace,
        "__meta_kubernetes_pod_name": pod,
        "__meta_kubernetes_pod_phase": "Running",
        "__meta_kubernetes_pod_ready": "true",
        "__meta_kubernetes_pod_annotation_prometheus_io_scrape": "true",
        "__meta_kubernetes_pod_annotationpresent_prometheus_io_scrape": "true",
        "__meta_kubernetes_pod_label_app_kubernetes_io_name": spec.service,
        "__meta_kubernetes_pod_container_name": spec.service,
        "__meta_kubernetes_pod_container_port_name": spec.scrape.k8s_port_name,
        "__meta_kubernetes_pod_container_port_number": port,
        "__meta_kubernetes_pod_container_port_protocol": "TCP",
        "instance": f"kubernetes/{address}",
    }
    path = workdir / f"kubernetes-pods-{name}.json"
    path.write_text(json.dumps([{"targets": [address], "labels": meta}], indent=1))
    job.setdefault("file_sd_configs", []).append({"files": [str(path)]})
    roles = ", ".join(sorted({str(sd.get("role")) for sd in sd_configs}))
    report.substitute(
        config_file,
        f"job {name}: kubernetes_sd_configs (role {roles}, namespaces {', '.join(namespaces) or 'all'}) -> "
        f"a file listing pod {namespace}/{pod} at {address} with the labels pod discovery gives "
        f"(annotation prometheus.io/scrape=true, container port `{spec.scrape.k8s_port_name}`, phase Running)",
        "no cluster here, and Debian's Prometheus has no Kubernetes discovery; the job's relabeling runs as generated",
    )
    return ExpectedTarget(name, "kubernetes", address, path.name)
