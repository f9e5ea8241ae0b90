"""Prometheus rule files: recording rules, SLO rules, alerting rules."""

from __future__ import annotations

from typing import Any

from mongen import layout
from mongen.layout import RuleFileKind
from mongen.model import Spec
from mongen.rule_types import AlertRule, RecordingGroup
from mongen.rules import naming
from mongen.rules.ruleset import rule_set
from mongen.rules.slo import slo_interval
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
    entry: dict[str, Any] = {"alert": rule.name, "expr": rule.expr}
    if rule.for_seconds:  # burn-rate alerts have none: their short window confirms them
        entry["for"] = format_duration(rule.for_seconds)
    return {**entry, "labels": dict(rule.labels), "annotations": rule.annotations()}


def _alert_group(name: str, interval: int, rules: tuple[AlertRule, ...]) -> dict[str, Any]:
    return {"name": name, "interval": format_duration(interval), "rules": [alert_entry(a) for a in rules]}


def rule_groups(spec: Spec) -> dict[RuleFileKind, list[dict[str, Any]]]:
    """Rule file kind -> its groups, as data (shared with the Kubernetes PrometheusRule)."""
    rules = rule_set(spec)
    alert_groups = []
    if rules.alerts:
        alert_groups.append(_alert_group(naming.alert_group_name(spec), spec.scrape.evaluation_interval, rules.alerts))
    if rules.slo_alerts:
        alert_groups.append(_alert_group(naming.slo_alert_group_name(spec), slo_interval(spec), rules.slo_alerts))
    return {
        "recording": [recording_group(rules.recording)],
        "slos": [recording_group(g) for g in rules.slo_groups],
        "alerts": alert_groups,
    }


def generate(spec: Spec) -> dict[str, str]:
    paths = layout.rule_files(spec.service)
    return {paths[kind]: to_yaml({"groups": groups}, spec.source) for kind, groups in rule_groups(spec).items()}
