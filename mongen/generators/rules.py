"""Prometheus rule files: recording rules, SLO rules, alerting rules."""

from __future__ import annotations

from typing import Any

from mongen import layout
from mongen.alerting import AlertRule, alert_rules
from mongen.layout import RuleFileKind
from mongen.model import Spec
from mongen.recording import RecordingGroup, recording_groups, slo_interval
from mongen.serialize import to_yaml
from mongen.units import format_duration


def recording_group(group: RecordingGroup) -> dict[str, Any]:
    rules = []
    for rule in group.rules:
        entry: dict[str, Any] = {"record": rule.record, "expr": rule.expr}
        if rule.labels:
            entry["labels"] = dict(rule.labels)
        rules.append(entry)
    return {"name": group.name, "interval": format_duration(group.interval), "rules": rules}


def alert_entry(rule: AlertRule) -> dict[str, Any]:
    return {
        "alert": rule.name,
        "expr": rule.expr,
        "for": format_duration(rule.for_seconds),
        "labels": dict(rule.labels),
        "annotations": rule.annotations(),
    }


def rule_groups(spec: Spec) -> dict[RuleFileKind, list[dict[str, Any]]]:
    """Rule file kind -> its groups, as data (shared with the Kubernetes PrometheusRule)."""
    groups = recording_groups(spec)
    alerts, _, slo_alerts, _ = alert_rules(spec)
    interval = format_duration(spec.scrape.evaluation_interval)
    out: dict[RuleFileKind, list[dict[str, Any]]] = {"recording": [recording_group(groups[0])]}
    out["slos"] = [recording_group(g) for g in groups[1:]]
    alert_groups = []
    if alerts:
        alert_groups.append(
            {"name": f"{spec.service}-alerts", "interval": interval, "rules": [alert_entry(a) for a in alerts]}
        )
    if slo_alerts:
        alert_groups.append(
            {
                "name": f"{spec.service}-slo-alerts",
                "interval": format_duration(slo_interval(spec)),
                "rules": [alert_entry(a) for a in slo_alerts],
            }
        )
    out["alerts"] = alert_groups
    return out


def generate(spec: Spec) -> dict[str, str]:
    paths = layout.rule_files(spec.service)
    return {paths[kind]: to_yaml({"groups": groups}, spec.source) for kind, groups in rule_groups(spec).items()}
