"""The `slos` section: objectives, periods and the SLI (a request ratio or a latency threshold)."""

from __future__ import annotations

import math
from typing import Any

from mongen.errors import YamlPath
from mongen.model import COUNTER, HISTOGRAM, LabelDef, Metric, Slo
from mongen.spec.durations import read_duration
from mongen.spec.issues import Definitions, SpecIssues
from mongen.spec.matchers import read_matchers
from mongen.spec.metrics import resolve_metric
from mongen.units import format_duration

DEFAULT_PERIOD = "30d"
MIN_PERIOD = 7 * 86400  # the slowest ticket alert looks at 3d; a shorter period leaves it no budget
# Six nines leave 2.6 s of errors in 30 days. Budgets and burn rates are computed to 12 decimals,
# and the promtool tests need whole requests at a burn rate of a fraction of that budget.
MAX_OBJECTIVE = 99.9999
# The generated promtool test makes the fastest burn-rate alert fire 5% above its burn factor
# (mongen.synth.slo_cases); that error ratio must stay at or below 100%.
_TEST_HEADROOM = 1.05


def read_slos(
    issues: SpecIssues, raw: list[dict[str, Any]], metrics: Definitions[Metric], labels: Definitions[LabelDef]
) -> tuple[Slo, ...]:
    out = []
    names: set[str] = set()
    for i, body in enumerate(raw):
        path: YamlPath = ("slos", i)
        if body["name"] in names:
            issues.fail((*path, "name"), f"duplicate SLO name `{body['name']}`")
        names.add(body["name"])
        slo = _slo(issues, body, path, metrics, labels)
        if slo is not None:
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
