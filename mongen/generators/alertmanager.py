"""alertmanager.yml: a route per severity, scoped inhibition (an SLO's page silences its own
ticket; an alert's `inhibits` the alerts it names), receivers, and
the routing test cases `mongen validate` replays with `amtool config routes test`.

The root route catches every alert no severity route matches (a typo'd severity, an alert from a
hand-written rule without one): its receiver is the spec's `default_receiver`, which may not page,
or else NULL_RECEIVER, which has no integrations and so sends nothing."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from mongen import layout
from mongen.model import Receiver, Spec, TimeInterval
from mongen.rules import naming
from mongen.rules.ruleset import rule_set
from mongen.serialize import to_yaml

# Receiver names in a spec are lower case (schema), so this one cannot collide with them.
NULL_RECEIVER = "Unrouted"
# Severities the routing test sends besides the routed ones: one no route knows, and none at all.
_UNKNOWN_SEVERITIES = ("warning", "info", "unrouted-severity")


def root_receiver(spec: Spec) -> str:
    return spec.routing.default_receiver or NULL_RECEIVER


def _receiver(receiver: Receiver) -> dict[str, Any]:
    if receiver.type == "email":
        return {"name": receiver.name, "email_configs": [{"to": receiver.to, "send_resolved": True}]}
    if receiver.type == "webhook":
        hook: dict[str, Any] = {"url": receiver.url, "send_resolved": True}
        # DingTalk and WeCom expect their own payloads; an adapter receives Alertmanager's.
        return {"name": receiver.name, "webhook_configs": [hook]}
    # Slack, PagerDuty, OpsGenie: the secret only as the path of the file Alertmanager reads it from.
    assert receiver.secret_file is not None, "spec/receivers.py requires the secret's file"
    field, path = receiver.secret_file
    integration: dict[str, Any] = {field: path, "send_resolved": True}
    if receiver.channel:
        integration["channel"] = receiver.channel
    return {"name": receiver.name, f"{receiver.type}_configs": [integration]}


def _time_interval(entry: TimeInterval) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if entry.times:
        out["times"] = [{"start_time": start, "end_time": end} for start, end in entry.times]
    for key, values in (
        ("weekdays", entry.weekdays),
        ("days_of_month", entry.days_of_month),
        ("months", entry.months),
        ("years", entry.years),
    ):
        if values:
            out[key] = list(values)
    if entry.location:
        out["location"] = entry.location
    return out


@dataclass(frozen=True)
class Inhibition:
    """One inhibit rule: while an alert matching `source` fires, alerts matching `target` with the
    same values of `equal` are not sent. Both sides require every `equal` label (`=~".+"`):
    Alertmanager counts a label missing on both sides as equal, so an unscoped rule lets any
    source silence any target that lacks the label."""

    source: tuple[str, ...]
    target: tuple[str, ...]
    equal: tuple[str, ...]


def _present(labels: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f'{label}=~".+"' for label in labels)


def inhibit_rules(spec: Spec) -> tuple[Inhibition, ...]:
    """An SLO's page silences the same SLO's ticket of the same service (selected by the tier
    label, whatever severities the spec routes them by); an alert's `inhibits` silences the named
    alerts, compared on every label both carry. Nothing else inhibits anything."""
    out = []
    if any(len(slo.enabled_tiers) == 2 for slo in spec.slos):
        slo_equal = (naming.SLO_SERVICE_LABEL, naming.SLO_NAME_LABEL)
        out.append(
            Inhibition(
                (f'{naming.SLO_TIER_LABEL}="page"', *_present(slo_equal)),
                (f'{naming.SLO_TIER_LABEL}="ticket"', *_present(slo_equal)),
                slo_equal,
            )
        )
    carried = {rule.name: rule.carried_labels for rule in rule_set(spec).all_alerts}
    for alert in spec.alerts:
        for target in alert.inhibits:
            equal = tuple(sorted(carried[alert.name] & carried[target]))
            out.append(
                Inhibition(
                    (f'alertname="{alert.name}"', *_present(equal)),
                    (f'alertname="{target}"', *_present(equal)),
                    equal,
                )
            )
    return tuple(out)


def config(spec: Spec) -> dict[str, Any]:
    routing = spec.routing
    times = {t.severity: t for t in routing.route_times}
    routes = []
    for severity, receivers in routing.routes:
        for i, name in enumerate(receivers):
            route: dict[str, Any] = {"receiver": name, "matchers": [f'severity="{severity}"']}
            if i < len(receivers) - 1:
                route["continue"] = True
            if severity == "page":
                route["repeat_interval"] = "1h"
            if severity in times and times[severity].mute:
                route["mute_time_intervals"] = list(times[severity].mute)
            if severity in times and times[severity].active:
                route["active_time_intervals"] = list(times[severity].active)
            routes.append(route)
    doc: dict[str, Any] = {}
    if routing.smarthost:
        glob: dict[str, Any] = {
            "smtp_from": routing.email_from,
            "smtp_smarthost": routing.smarthost,
            "smtp_require_tls": True,
        }
        if routing.auth_username:
            glob["smtp_auth_username"] = routing.auth_username
        if routing.auth_password_file:
            glob["smtp_auth_password_file"] = routing.auth_password_file
        doc["global"] = glob
    doc["route"] = {
        "receiver": root_receiver(spec),
        "group_by": list(routing.group_by),
        "group_wait": "30s",
        "group_interval": "5m",
        "repeat_interval": "4h",
        "routes": routes,
    }
    inhibitions = inhibit_rules(spec)
    if inhibitions:
        doc["inhibit_rules"] = [
            {"source_matchers": list(r.source), "target_matchers": list(r.target), "equal": list(r.equal)}
            for r in inhibitions
        ]
    if routing.time_intervals:
        doc["time_intervals"] = [
            {"name": name, "time_intervals": [_time_interval(e) for e in entries]}
            for name, entries in routing.time_intervals
        ]
    configs = [_receiver(r) for r in sorted(routing.receivers, key=lambda r: r.name)]
    if routing.default_receiver is None:
        configs.append({"name": NULL_RECEIVER})
    doc["receivers"] = configs
    return doc


def route_cases(spec: Spec) -> list[dict[str, Any]]:
    """Each severity must reach exactly its receivers; an unknown severity and a missing one must
    reach only the root receiver, which never pages."""
    labels = {"alertname": "MongenRouteTest", "service": spec.service}
    cases = [
        {"labels": {**labels, "severity": severity}, "receivers": list(receivers)}
        for severity, receivers in spec.routing.routes
    ]
    candidates = itertools.chain(_UNKNOWN_SEVERITIES, (f"unrouted-{i}" for i in itertools.count()))
    unknown = next(s for s in candidates if s not in spec.routing.severities)
    cases.append({"labels": {**labels, "severity": unknown}, "receivers": [root_receiver(spec)]})
    cases.append({"labels": labels, "receivers": [root_receiver(spec)]})
    return cases


def generate(spec: Spec) -> dict[str, str]:
    return {
        layout.ALERTMANAGER_CONFIG: to_yaml(config(spec), spec.source),
        layout.ROUTES_TEST: to_yaml({"cases": route_cases(spec)}, spec.source),
    }
