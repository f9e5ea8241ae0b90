"""alertmanager.yml: a route per severity, scoped inhibition (an SLO's page silences its own
ticket; an alert's `inhibits` the alerts it names), receivers, and
the routing test cases `mongen validate` replays with `amtool config routes test`.

The root route catches every alert no severity route matches (a typo'd severity, an alert from a
hand-written rule without one): its receiver is the spec's `default_receiver`, which may not page,
or else NULL_RECEIVER, which has no integrations and so sends nothing."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mongen import layout
from mongen.model import Receiver, Spec, TimeInterval
from mongen.rules import naming
from mongen.rules.ruleset import rule_set
from mongen.serialize import sources_header, to_yaml

# Receiver names in a spec are lower case (schema), so this one cannot collide with them.
NULL_RECEIVER = "Unrouted"
# Severities the routing test sends besides the routed ones: one no route knows, and none at all.
_UNKNOWN_SEVERITIES = ("warning", "info", "unrouted-severity")


def root_receiver(spec: Spec) -> str:
    return spec.routing.default_receiver or NULL_RECEIVER


def receiver_entry(receiver: Receiver) -> dict[str, Any]:
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


def _time_interval_entry(entry: TimeInterval) -> dict[str, Any]:
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


def smtp_settings(spec: Spec) -> dict[str, Any]:
    """`global:`'s SMTP settings, {} when the spec sends no email."""
    routing = spec.routing
    if not routing.smarthost:
        return {}
    out: dict[str, Any] = {
        "smtp_from": routing.email_from,
        "smtp_smarthost": routing.smarthost,
        "smtp_require_tls": True,
    }
    if routing.auth_username:
        out["smtp_auth_username"] = routing.auth_username
    if routing.auth_password_file:
        out["smtp_auth_password_file"] = routing.auth_password_file
    return out


def severity_routes(spec: Spec) -> list[dict[str, Any]]:
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
    return routes


def grouping(spec: Spec) -> dict[str, Any]:
    """How the service's alerts are grouped and repeated: its root route's settings."""
    return {
        "group_by": list(spec.routing.group_by),
        "group_wait": "30s",
        "group_interval": "5m",
        "repeat_interval": "4h",
    }


def inhibit_entries(spec: Spec) -> list[dict[str, Any]]:
    return [
        {"source_matchers": list(r.source), "target_matchers": list(r.target), "equal": list(r.equal)}
        for r in inhibit_rules(spec)
    ]


def time_interval_entries(spec: Spec) -> list[dict[str, Any]]:
    return [
        {"name": name, "time_intervals": [_time_interval_entry(e) for e in entries]}
        for name, entries in spec.routing.time_intervals
    ]


def receiver_entries(spec: Spec) -> list[dict[str, Any]]:
    """The spec's receivers by name; Unrouted after them when the spec names no default receiver."""
    configs = [receiver_entry(r) for r in sorted(spec.routing.receivers, key=lambda r: r.name)]
    if spec.routing.default_receiver is None:
        configs.append({"name": NULL_RECEIVER})
    return configs


def config(specs: Sequence[Spec]) -> dict[str, Any]:
    """alertmanager.yml of a project. One service's routing is the root route. Several services get
    a sub-route each, matching `service="<name>"`, with that spec's root receiver (for unknown or
    missing severities), the grouping it differs in and its severity routes, so every alert of a
    service routes exactly as its spec alone says; the root route takes alerts of no known service:
    the default receiver every spec names, else Unrouted, which sends nothing. Receivers and time
    intervals are shared by name, SMTP settings and equal inhibit rules once: the project's checks
    (mongen.project.checks) refuse services that define them differently."""
    if len(specs) == 1:
        return _service_config(specs[0])
    doc: dict[str, Any] = {}
    smtp = {k: v for spec in reversed(specs) for k, v in smtp_settings(spec).items()}
    if smtp:
        doc["global"] = {k: smtp[k] for spec in specs for k in smtp_settings(spec)}
    groupings = [grouping(spec) for spec in specs]
    shared = {k: v for k, v in groupings[0].items() if all(g[k] == v for g in groupings)}
    top = _project_root_receiver(specs)
    doc["route"] = {"receiver": top, **shared, "routes": [_service_route(spec, shared) for spec in specs]}
    inhibitions = [entry for spec in specs for entry in inhibit_entries(spec)]
    if inhibitions:
        doc["inhibit_rules"] = [e for i, e in enumerate(inhibitions) if e not in inhibitions[:i]]
    intervals = {e["name"]: e for spec in reversed(specs) for e in time_interval_entries(spec)}
    if intervals:
        doc["time_intervals"] = [intervals[name] for name in sorted(intervals)]
    receivers = {e["name"]: e for spec in reversed(specs) for e in receiver_entries(spec)}
    if top == NULL_RECEIVER:
        receivers[NULL_RECEIVER] = {"name": NULL_RECEIVER}
    doc["receivers"] = [receivers[name] for name in sorted(receivers)]
    return doc


def _service_config(spec: Spec) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    smtp = smtp_settings(spec)
    if smtp:
        doc["global"] = smtp
    doc["route"] = {"receiver": root_receiver(spec), **grouping(spec), "routes": severity_routes(spec)}
    inhibitions = inhibit_entries(spec)
    if inhibitions:
        doc["inhibit_rules"] = inhibitions
    intervals = time_interval_entries(spec)
    if intervals:
        doc["time_intervals"] = intervals
    doc["receivers"] = receiver_entries(spec)
    return doc


def _project_root_receiver(specs: Sequence[Spec]) -> str:
    defaults = {root_receiver(spec) for spec in specs}
    return defaults.pop() if len(defaults) == 1 else NULL_RECEIVER


def _service_route(spec: Spec, shared: dict[str, Any]) -> dict[str, Any]:
    # Service names are `[a-z][a-z0-9-]*` (schema): nothing to escape in the matcher.
    own = {k: v for k, v in grouping(spec).items() if k not in shared}
    return {
        "receiver": root_receiver(spec),
        "matchers": [f'service="{spec.service}"'],
        **own,
        "routes": severity_routes(spec),
    }


def _service_route_cases(spec: Spec) -> list[dict[str, Any]]:
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


def route_cases(specs: Sequence[Spec]) -> list[dict[str, Any]]:
    """Each service's own cases; with several, also an alert of no known service and one with no
    service label, which reach the project's root receiver."""
    cases = [case for spec in specs for case in _service_route_cases(spec)]
    if len(specs) == 1:
        return cases
    top = _project_root_receiver(specs)
    names = {spec.service for spec in specs}
    stranger = next(
        n for n in itertools.chain(["unknown-service"], (f"unknown-{i}" for i in itertools.count())) if n not in names
    )
    labels = {"alertname": "MongenRouteTest", "severity": "page"}
    cases.append({"labels": {**labels, "service": stranger}, "receivers": [top]})
    cases.append({"labels": labels, "receivers": [top]})
    return cases


def generate(specs: Sequence[Spec]) -> dict[str, str]:
    """One alertmanager.yml and its routing test for every service of the project."""
    head = sources_header([spec.source for spec in specs])
    return {
        layout.ALERTMANAGER_CONFIG: head + to_yaml(config(specs)),
        layout.ROUTES_TEST: head + to_yaml({"cases": route_cases(specs)}),
    }
