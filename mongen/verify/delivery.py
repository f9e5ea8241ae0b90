"""Who must get which alert, computed from the spec (never read back from the generated
alertmanager.yml, which is what is under test): each generated alert's severity, the receivers
its severity's route sends to (or the default receiver, or no one), and which alerts firing
together silence which (an SLO's page its own ticket; an alert's `inhibits`).

Engine-neutral: it knows the spec and the alert names, not which engine evaluates the rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mongen.model import Spec
from mongen.rules import naming
from mongen.rules.ruleset import rule_set


@dataclass(frozen=True)
class Routed:
    """A generated alert as the spec routes it."""

    name: str
    severity: str
    receivers: tuple[str, ...]  # empty: routed to no one (the null receiver)
    via: str  # `the page route`, `the default receiver`, `no route`
    slo: str | None = None
    tier: str | None = None  # page or ticket, for an SLO's burn-rate alert


def routing_of(spec: Spec) -> dict[str, Routed]:
    """Every generated alert by name, with the receivers the spec's routing sends it to."""
    routes = dict(spec.routing.routes)
    out: dict[str, Routed] = {}
    for rule in rule_set(spec).all_alerts:
        labels = dict(rule.labels)
        severity = labels.get("severity", "")
        if severity in routes:
            receivers, via = tuple(sorted(routes[severity])), f"the {severity} route"
        elif spec.routing.default_receiver:
            receivers, via = (spec.routing.default_receiver,), "the default receiver"
        else:
            receivers, via = (), "no route"
        out.setdefault(
            rule.name,
            Routed(
                rule.name,
                severity,
                receivers,
                via,
                labels.get(naming.SLO_NAME_LABEL),
                labels.get(naming.SLO_TIER_LABEL),
            ),
        )
    return out


def inhibitor(spec: Spec, routed: dict[str, Routed], name: str, firing: Iterable[str]) -> str | None:
    """The alert among `firing` that the spec says silences `name`, or None: its own SLO's page
    for an SLO's ticket, or an alert whose `inhibits` names it. (Declared inhibition compares the
    labels both carry; verify's phases fire one label set per alert, so names decide.)"""
    this = routed.get(name)
    others = [f for f in firing if f != name]
    if this is not None and this.tier == "ticket":
        for other in others:
            source = routed.get(other)
            if source is not None and source.tier == "page" and source.slo == this.slo:
                return other
    declared = {a.name: a.inhibits for a in spec.alerts}
    return next((other for other in others if name in declared.get(other, ())), None)
