"""Prometheus Operator manifests: a PrometheusRule with every rule group and a PodMonitor."""

from __future__ import annotations

from typing import Any

from mongen import layout
from mongen.generators.prometheus_config import identity_relabeling
from mongen.generators.rules import rule_groups
from mongen.model import Spec
from mongen.serialize import to_yaml
from mongen.units import format_duration


def metadata(spec: Spec, name: str) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": spec.kubernetes.namespace,
        "labels": {"app.kubernetes.io/managed-by": "mongen", **dict(spec.kubernetes.labels)},
    }


def rule_groups_flat(spec: Spec) -> list[dict[str, Any]]:
    """Every rule group of every rule file, in file order (one PrometheusRule or VMRule holds them all)."""
    return [group for kind_groups in rule_groups(spec).values() for group in kind_groups]


def prometheus_rule(spec: Spec) -> dict[str, Any]:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": metadata(spec, f"{spec.service}-rules"),
        "spec": {"groups": rule_groups_flat(spec)},
    }


def pod_monitor(spec: Spec) -> dict[str, Any]:
    selector: dict[str, Any] = {"matchLabels": {"app.kubernetes.io/name": spec.service}}
    endpoint = {
        "port": spec.scrape.k8s_port_name,
        "path": spec.exposure.metrics_path,
        "interval": format_duration(spec.scrape.interval),
        "scrapeTimeout": format_duration(spec.scrape.timeout),
        # The Operator names the job after the PodMonitor; the rules select the spec's job and
        # service, as every job of prometheus.yml sets them (the Operator applies these last).
        "relabelings": [
            {"targetLabel": rule["target_label"], "replacement": rule["replacement"]}
            for rule in identity_relabeling(spec)
        ],
    }
    monitor: dict[str, Any] = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PodMonitor",
        "metadata": metadata(spec, spec.service),
        "spec": {"selector": selector, "podMetricsEndpoints": [endpoint]},
    }
    # The same pods as prometheus.yml's pod discovery: the spec's namespaces, or without them every
    # namespace (a PodMonitor without a selector would see only its own).
    namespaces = spec.scrape.k8s_namespaces
    monitor["spec"]["namespaceSelector"] = {"matchNames": list(namespaces)} if namespaces else {"any": True}
    return monitor


def generate(spec: Spec) -> dict[str, str]:
    if not spec.kubernetes.enabled:
        return {}
    return {
        layout.prometheus_rule(spec.service): to_yaml(prometheus_rule(spec), spec.source),
        layout.pod_monitor(spec.service): to_yaml(pod_monitor(spec), spec.source),
    }
