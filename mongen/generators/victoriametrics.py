"""VictoriaMetrics as the engine: vmagent scrapes and remote-writes to victoria-metrics, vmalert
evaluates the same rule files against it and notifies the same Alertmanagers.

Everything is derived from prometheus.yml's data (one spec's, or an ops tree's merged one), so the
scrape jobs are the same jobs and the rules the same files:

- vmagent.yml: prometheus.yml less what vmagent's strict parser refuses (`evaluation_interval`,
  `rule_files`, `alerting`, file_sd's `refresh_interval`). The refresh interval becomes vmagent's
  `-promscrape.fileSDCheckInterval` (without it vmagent re-reads file_sd lists every 5 minutes), and
  relative file_sd paths are rewritten to stay the files prometheus.yml names.
- One flags file per binary (mongen.generators.flags), every value with its reason.
- With `kubernetes.enabled`: the VictoriaMetrics operator's VMRule and VMPodScrape, the same groups
  and pods as the Prometheus Operator's PrometheusRule and PodMonitor.
"""

from __future__ import annotations

import copy
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mongen import layout
from mongen.generators import kubernetes, prometheus_config
from mongen.generators.flags import Flag, flags_text
from mongen.model import Spec
from mongen.serialize import sources_header, to_yaml
from mongen.units import duration_seconds, format_duration

ENGINE = "victoriametrics"
VMAGENT, VMALERT, STORAGE = "vmagent", "vmalert", "victoria-metrics"
BINARIES = (STORAGE, VMAGENT, VMALERT)
# prometheus.yml's keys vmagent's strict parser refuses: vmalert does rules and alerting.
_PROMETHEUS_ONLY_GLOBAL = ("evaluation_interval",)
_PROMETHEUS_ONLY = ("rule_files", "alerting")
# vmalert's default (-remoteWrite.flushInterval): recorded series reach storage at most this late.
VMALERT_FLUSH_SECONDS = 5
# victoria-metrics' default -search.latencyOffset, the most the generated offset is.
DEFAULT_LATENCY_OFFSET_SECONDS = 30

_EXPLANATION = """\
# prometheus.yml's scrape jobs as vmagent reads them: the same jobs, targets and relabeling, without
# what vmagent's strict parser refuses (rule evaluation and alerting are vmalert's, see
# vmalert.flags; file_sd's refresh interval is vmagent's -promscrape.fileSDCheckInterval).
"""


@dataclass(frozen=True)
class Addresses:
    """Where the three servers listen and how the others reach them. Generated files use the
    conventional service names; `mongen verify` passes its own (and reports them)."""

    storage_url: str = "http://victoria-metrics:8428"
    storage_listen: str = ":8428"
    vmagent_listen: str = ":8429"
    vmalert_listen: str = ":8880"
    vmalert_url: str = "http://vmalert:8880"


def vmagent_config(prometheus: dict[str, Any]) -> dict[str, Any]:
    """prometheus.yml's data as vmagent's strict parser accepts it, scraping the same targets."""
    config = {k: copy.deepcopy(v) for k, v in prometheus.items() if k not in _PROMETHEUS_ONLY}
    config["global"] = {k: v for k, v in config.get("global", {}).items() if k not in _PROMETHEUS_ONLY_GLOBAL}
    for job in config.get("scrape_configs", []):
        for sd in job.get("file_sd_configs", []):
            sd.pop("refresh_interval", None)
            sd["files"] = [_from_vmagent(path) for path in sd["files"]]
    return config


def _from_vmagent(path: str) -> str:
    """A file_sd path as vmagent.yml must write it: relative paths resolve against the config's
    directory in both, and vmagent.yml is not in prometheus.yml's."""
    if posixpath.isabs(path):
        return path
    return layout.relative(posixpath.join(layout.PROMETHEUS_DIR, path), layout.VMAGENT_CONFIG)


def file_sd_refresh(prometheus: dict[str, Any]) -> str | None:
    """The shortest file_sd refresh interval of prometheus.yml, or None without file_sd."""
    found = [
        sd["refresh_interval"]
        for job in prometheus.get("scrape_configs", [])
        for sd in job.get("file_sd_configs", [])
        if "refresh_interval" in sd
    ]
    return min(found, key=lambda text: duration_seconds(text) or 0.0) if found else None


def latency_offset(evaluation_interval: int) -> int:
    """victoria-metrics hides the newest `-search.latencyOffset` of data (it may be incomplete): by
    default 30s, so with a 30s evaluation interval vmalert sees a fault one evaluation late. Half
    the interval, but never under vmalert's remote-write flush (a recorded series must be complete
    before the alerts that read it do) nor over the default."""
    return min(DEFAULT_LATENCY_OFFSET_SECONDS, max(VMALERT_FLUSH_SECONDS, evaluation_interval // 2))


def flags(prometheus: dict[str, Any], addresses: Addresses = Addresses()) -> dict[str, list[Flag]]:
    """Each binary's flags, from prometheus.yml's data; paths relative to the output directory."""
    evaluation = int(duration_seconds(prometheus["global"]["evaluation_interval"]) or 60)
    offset = latency_offset(evaluation)
    storage = [
        Flag(
            "httpListenAddr",
            addresses.storage_listen,
            "vmagent, vmalert and Grafana (as a Prometheus datasource) read and write here.",
        ),
        Flag(
            "search.latencyOffset",
            format_duration(offset),
            f"Data younger than this is hidden from queries (default 30s). Half the {format_duration(evaluation)}\n"
            f"evaluation interval, at least vmalert's {VMALERT_FLUSH_SECONDS}s remote-write flush, so alerts see\n"
            "a fault one evaluation sooner and recorded series are complete when read.",
        ),
    ]
    agent = [
        Flag("httpListenAddr", addresses.vmagent_listen, "Its targets page (/targets) and /metrics."),
        Flag(
            "promscrape.config",
            layout.VMAGENT_CONFIG,
            "The scrape jobs of prometheus.yml (strict parsing, the default).",
        ),
    ]
    refresh = file_sd_refresh(prometheus)
    if refresh:
        agent.append(
            Flag(
                "promscrape.fileSDCheckInterval",
                refresh,
                "prometheus.yml's file_sd refresh_interval (vmagent's default is 5m).",
            )
        )
    agent.append(
        Flag(
            "remoteWrite.url", f"{addresses.storage_url}/api/v1/write", "Every scraped sample goes to victoria-metrics."
        )
    )
    rules = [posixpath.join(layout.PROMETHEUS_DIR, path) for path in prometheus.get("rule_files", [])]
    alertmanagers = [
        target
        for am in prometheus.get("alerting", {}).get("alertmanagers", [])
        for sc in am.get("static_configs", [])
        for target in sc.get("targets", [])
    ]
    alert = [
        Flag("httpListenAddr", addresses.vmalert_listen, "Its alerts API (/api/v1/alerts) and UI."),
        *(Flag("rule", path, "The rule file Prometheus loads, unchanged.") for path in rules),
        Flag("datasource.url", addresses.storage_url, "Rules are evaluated against victoria-metrics (MetricsQL)."),
        Flag(
            "remoteWrite.url",
            addresses.storage_url,
            "Recording rules write their series back; alerts and dashboards read them from there.",
        ),
        Flag(
            "remoteWrite.flushInterval",
            f"{VMALERT_FLUSH_SECONDS}s",
            "How late a recorded series reaches storage at most (the latency offset covers it).",
        ),
        Flag("remoteRead.url", addresses.storage_url, "Alert states (for: pending time) survive a vmalert restart."),
        *(Flag("notifier.url", f"http://{target}", "prometheus.yml's Alertmanager.") for target in alertmanagers),
        Flag(
            "evaluationInterval",
            format_duration(evaluation),
            "prometheus.yml's evaluation_interval; a rule group's own `interval` wins, as in Prometheus.",
        ),
        Flag("external.url", addresses.vmalert_url, "Where alerts' source links point (vmalert's UI)."),
        Flag(
            "disableAlertgroupLabel",
            None,
            "No `alertgroup` label: alerts carry the labels they carry on Prometheus, so the\n"
            "Alertmanager routes, inhibit rules and silences match them the same.",
        ),
    ]
    return {STORAGE: storage, VMAGENT: agent, VMALERT: alert}


_WHAT = {
    STORAGE: "stores the samples vmagent and vmalert write, answers queries (MetricsQL).",
    VMAGENT: "scrapes prometheus.yml's jobs and remote-writes the samples.",
    VMALERT: "evaluates the rule files and notifies Alertmanager.",
}


def shared_files(prometheus: dict[str, Any], head: str) -> dict[str, str]:
    """vmagent.yml and the flags files: one set per output directory (an ops tree shares them)."""
    files = {layout.VMAGENT_CONFIG: head + _EXPLANATION + to_yaml(vmagent_config(prometheus))}
    for binary, binary_flags in flags(prometheus).items():
        path = layout.engine_flags(layout.VICTORIAMETRICS_DIR, binary)
        files[path] = flags_text(head, binary, _WHAT[binary], path, binary_flags)
    return files


def _operator_manifests(spec: Spec) -> dict[str, str]:
    """The VictoriaMetrics operator's VMRule and VMPodScrape: the PrometheusRule's groups and the
    PodMonitor's pods and relabeling, under the operator's kinds and field names."""
    rule = {
        "apiVersion": "operator.victoriametrics.com/v1beta1",
        "kind": "VMRule",
        "metadata": kubernetes.metadata(spec, f"{spec.service}-rules"),
        "spec": {"groups": kubernetes.rule_groups_flat(spec)},
    }
    monitor = kubernetes.pod_monitor(spec)
    endpoints = [
        {("relabelConfigs" if k == "relabelings" else k): v for k, v in endpoint.items()}
        for endpoint in monitor["spec"]["podMetricsEndpoints"]
    ]
    scrape = {
        "apiVersion": "operator.victoriametrics.com/v1beta1",
        "kind": "VMPodScrape",
        "metadata": monitor["metadata"],
        "spec": {**monitor["spec"], "podMetricsEndpoints": endpoints},
    }
    return {
        layout.vm_rule(spec.service): to_yaml(rule, spec.source),
        layout.vm_pod_scrape(spec.service): to_yaml(scrape, spec.source),
    }


def generate(spec: Spec) -> dict[str, str]:
    """The service's own files: the operator's manifests (with `kubernetes.enabled`)."""
    if ENGINE not in spec.engines or not spec.kubernetes.enabled:
        return {}
    return _operator_manifests(spec)


def generate_shared(specs: Sequence[Spec]) -> dict[str, str]:
    """vmagent.yml and the flags files, from the project's prometheus.yml (its specs agree on
    `engines`: mongen.project.checks)."""
    if ENGINE not in specs[0].engines:
        return {}
    return shared_files(prometheus_config.config(specs), sources_header([spec.source for spec in specs]))
