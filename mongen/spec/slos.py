"""The `slos` section: objectives, periods and the SLI (a request ratio or a latency threshold)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from mongen.errors import YamlPath
from mongen.model import COUNTER, HISTOGRAM, BurnSeverity, LabelDef, Metric, Routing, Slo, SloTier
from mongen.spec.durations import read_duration
from mongen.spec.issues import Definitions, SpecIssues
from mongen.spec.matchers import read_matchers
from mongen.spec.metrics import resolve_metric
from mongen.spec.slo_events import read_events_slo
from mongen.units import format_duration

DEFAULT_PERIOD = "30d"
MIN_PERIOD = 7 * 86400  # the slowest ticket alert looks at 3d; a shorter period leaves it no budget
# Six nines leave 2.6 s of errors in 30 days. Budgets and burn rates are computed to 12 decimals,
# and the promtool tests need whole requests at a burn rate of a fraction of that budget.
MAX_OBJECTIVE = 99.9999
# The generated promtool test makes the fastest burn-rate alert fire 5% above its burn factor
# (mongen.rules.slo_cases); that error ratio must stay at or below 100%.
_TEST_HEADROOM = 1.05
# Labels the burn-rate rule sets itself (mongen.rules.slo): routing, inhibition and the dashboard
# select the alerts by them.
RESERVED_TIER_LABELS = frozenset({"alertname", "service", "severity", "slo", "slo_tier", "long_window", "short_window"})
# Annotations the burn-rate rule writes itself.
RESERVED_TIER_ANNOTATIONS = frozenset({"summary", "description", "runbook_url", "dashboard_url"})
TIERS: tuple[BurnSeverity, ...] = ("page", "ticket")


def read_slos(
    issues: SpecIssues,
    raw: list[dict[str, Any]],
    metrics: Definitions[Metric],
    labels: Definitions[LabelDef],
    routing: Routing,
) -> tuple[Slo, ...]:
    out = []
    names: set[str] = set()
    for i, body in enumerate(raw):
        path: YamlPath = ("slos", i)
        if body["name"] in names:
            issues.fail((*path, "name"), f"duplicate SLO name `{body['name']}`")
        names.add(body["name"])
        slo = _slo(issues, body, path, metrics, labels)
        tiers = _tiers(issues, body.get("alerts", {}), path, routing)
        if slo is not None and tiers is not None:
            slo = dataclasses.replace(slo, tiers=tiers, drivable=body.get("verify", True))
            out.append(slo)
    return tuple(out)


def _slo(
    issues: SpecIssues,
    body: dict[str, Any],
    path: YamlPath,
    metrics: Definitions[Metric],
    labels: Definitions[LabelDef],
) -> Slo | None:
    objective = _objective(issues, body["objective"], (*path, "objective"))
    period = read_duration(issues, body.get("period", DEFAULT_PERIOD), (*path, "period"))
    if period is not None and period < MIN_PERIOD:
        issues.fail((*path, "period"), "period must be at least 7d: the slowest ticket alert looks at 3d")
        period = None
    if objective is not None and period is not None and not _burn_rates_reachable(issues, objective, period, path):
        objective = None
    if "events" in body["sli"]:  # raw PromQL (mongen.spec.slo_events)
        return read_events_slo(issues, body, path, objective, period)
    sli_path: YamlPath = (*path, "sli", "ratio" if "ratio" in body["sli"] else "latency")
    sli = body["sli"]["ratio"] if "ratio" in body["sli"] else body["sli"]["latency"]
    metric = resolve_metric(
        issues, metrics, sli["metric"], (*sli_path, "metric"), (COUNTER,) if "ratio" in body["sli"] else (HISTOGRAM,)
    )
    if metric is None or objective is None or period is None:
        return None
    description = body.get("description", "")
    if "ratio" in body["sli"]:
        errors = read_matchers(issues, sli["errors"], (*sli_path, "errors"), metric.labels, labels, selects_errors=True)
        total = read_matchers(issues, sli.get("total", {}), (*sli_path, "total"), metric.labels, labels)
        if errors is None or total is None:
            return None
        return Slo(body["name"], description, objective, period, "ratio", metric.name, errors, total)
    threshold = float(sli["threshold"])
    if threshold not in metric.buckets:
        bounds = ", ".join(f"{b:g}" for b in metric.buckets)
        issues.fail(
            (*sli_path, "threshold"),
            f"latency threshold {threshold:g} is not a bucket boundary of `{metric.name}`; buckets: {bounds}",
        )
    where = read_matchers(issues, sli.get("where", {}), (*sli_path, "where"), metric.labels, labels)
    if where is None:
        return None
    return Slo(body["name"], description, objective, period, "latency", metric.name, (), where, threshold)


def _objective(issues: SpecIssues, value: float, path: YamlPath) -> float | None:
    """The objective in percent."""
    if 0 < value < 1:
        issues.fail(path, f"objective is a percent: {round(value * 100, 10):g}? ({value} would mean {value}% succeed)")
        return None
    if not 0 < value < 100:
        issues.fail(path, f"objective must be a percentage strictly between 0 and 100, got {value}")
        return None
    if value > MAX_OBJECTIVE:
        issues.fail(
            path,
            f"objective {value} is above {MAX_OBJECTIVE}: six nines already allow only 2.6 seconds of "
            f"errors in 30 days, and mongen computes budgets to 12 decimals; use at most {MAX_OBJECTIVE}",
        )
        return None
    return float(value)


def _burn_rates_reachable(issues: SpecIssues, objective: float, period: int, path: YamlPath) -> bool:
    """False (after reporting it) when the fastest burn-rate alert needs more than every request to fail."""
    probe = Slo("", "", objective, period, "ratio", "")
    fastest = max(probe.windows, key=lambda w: w.burn_factor)
    ratio = fastest.burn_factor * probe.error_budget
    if ratio * _TEST_HEADROOM <= 1:
        return True
    lowest = math.ceil((1 - 1 / (fastest.burn_factor * _TEST_HEADROOM)) * 10000) / 100
    issues.fail(
        (*path, "objective"),
        f"with objective {objective:g} over {format_duration(period)} the {fastest.severity} alert fires at a "
        f"{fastest.burn_factor:g}x burn rate, an error ratio of {ratio:.0%}: more requests would have to fail "
        f"than there are (its promtool test needs 5% above that); use an objective of at least {lowest:g}",
    )
    return False


def _tiers(issues: SpecIssues, raw: dict[str, Any], path: YamlPath, routing: Routing) -> tuple[SloTier, ...] | None:
    """The page and ticket alerts as the spec shapes them (None after reporting a problem). A
    tier's severity needs a route, as a hand-written alert's does: else Alertmanager sends the
    SLO's page to the default receiver, or to no one."""
    out = []
    usable = True
    for tier in TIERS:
        body = raw.get(tier, {})
        # Where a default severity without a route is reported: the tier, else the SLO itself.
        here: YamlPath = (*path, "alerts", tier) if tier in raw else path
        if body.get("disable"):
            out.append(SloTier(tier, tier, enabled=False))
            continue
        severity = body.get("severity", tier)
        if severity not in routing.severities:
            where = (*here, "severity") if "severity" in body else here
            default = "" if "severity" in body else f" (the `{tier}` tier's default)"
            issues.fail(
                where,
                f"severity `{severity}`{default} has no route, so Alertmanager would send this SLO's {tier} "
                f"alert to the default receiver or to no one; routed severities: {', '.join(routing.severities)}; "
                f"set `alerts.{tier}.severity` to one of them, or `alerts.{tier}.disable: true`",
            )
            usable = False
        for key, reserved in (("labels", RESERVED_TIER_LABELS), ("annotations", RESERVED_TIER_ANNOTATIONS)):
            for name in sorted(set(body.get(key, {})) & reserved):
                issues.fail(
                    (*here, key, name),
                    f"`{name}` is set by mongen on every burn-rate alert; reserved: {', '.join(sorted(reserved))}",
                )
                usable = False
        for name, value in sorted(body.get("labels", {}).items()):
            # Prometheus expands templates in alert labels too: a `{{` would run on every evaluation
            # and change the alert's identity (annotations are escaped to render literally).
            if "{{" in str(value) or "}}" in str(value):
                issues.fail(
                    (*here, "labels", name),
                    f"label `{name}` holds `{{{{` or `}}}}`, which Prometheus expands as a template in alert labels "
                    "(the alert's identity would change with each evaluation); write the value without them",
                )
                usable = False
        if tier not in raw:
            continue
        out.append(
            SloTier(
                tier,
                severity,
                tuple(sorted(body.get("labels", {}).items())),
                tuple(sorted(body.get("annotations", {}).items())),
            )
        )
    return tuple(out) if usable else None
