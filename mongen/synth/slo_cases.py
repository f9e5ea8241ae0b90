"""promtool inputs for SLOs: request counters whose error ratio follows a schedule, and the cases
that prove each burn-rate alert fires just above its burn factor and stays quiet just below."""

from __future__ import annotations

from mongen.model import Slo, Spec
from mongen.promql import le_value
from mongen.rules.naming import slo_labels
from mongen.rules.types import AlertRule
from mongen.synth.cases import AlertCase, InputSeries
from mongen.synth.series import base_labels, compress, series

# At least this many failed requests a minute at the lowest burn rate tested, so rounding the
# synthesized error ratio to whole requests moves it by under 1% of the gap the tests straddle.
_MIN_ERRORS_PER_MINUTE = 100


def requests_per_minute(slo: Slo) -> int:
    """Requests a minute in the synthesized inputs: 100,000, or more for very small budgets."""
    smallest = min(w.burn_factor for w in slo.windows) * slo.error_budget
    total = 100_000
    while smallest * total < _MIN_ERRORS_PER_MINUTE:
        total *= 10
    return total


def _cumulative(schedule: list[tuple[int, float]], per_minute: int) -> tuple[list[int], list[int]]:
    errors, oks = [0], [0]
    for minutes, ratio in schedule:
        failed = round(ratio * per_minute)
        for _ in range(minutes):
            errors.append(errors[-1] + failed)
            oks.append(oks[-1] + per_minute - failed)
    return errors, oks


def slo_input(spec: Spec, slo: Slo, schedule: list[tuple[int, float]], per_minute: int = 100_000) -> InputSeries:
    """Input series for an SLO whose error ratio follows `schedule`: (minutes, error ratio) phases."""
    metric = spec.metric_by_name[slo.metric]
    errors, oks = _cumulative(schedule, per_minute)
    chosen = spec.values_matching(slo.total)
    if slo.kind == "ratio":
        err_labels = base_labels(spec, metric, {**spec.values_matching(slo.errors), **chosen})
        ok_labels = base_labels(spec, metric, {**spec.values_matching(slo.errors, matching=False), **chosen})
        return [
            (series(metric.exposed_name, err_labels), compress(errors)),
            (series(metric.exposed_name, ok_labels), compress(oks)),
        ]
    assert slo.threshold is not None
    labels = base_labels(spec, metric, chosen)
    inputs = []
    for bound in metric.buckets:
        counts = oks if bound >= slo.threshold else [0] * len(oks)
        inputs.append((series(metric.name + "_bucket", {**labels, "le": le_value(bound)}), compress(counts)))
    totals = [e + o for e, o in zip(errors, oks, strict=True)]
    inputs.append((series(metric.name + "_bucket", {**labels, "le": "+Inf"}), compress(totals)))
    inputs.append((series(metric.name + "_count", labels), compress(totals)))
    return inputs


def slo_cases(spec: Spec, slo: Slo, page: AlertRule, ticket: AlertRule) -> list[AlertCase]:
    b = slo.error_budget
    per_minute = requests_per_minute(slo)
    quick = next(w for w in slo.windows if w.severity == "page" and w.speed == "quick")
    slow_ticket = next(w for w in slo.windows if w.severity == "ticket" and w.speed == "slow")
    healthy = slow_ticket.short // 60 + 60  # longer than the slow page window, so only the quick path can fire
    burn_minutes = quick.long // 60 + page.for_seconds // 60 + 5
    labels = dict(slo_labels(spec, slo))
    cases = []
    for firing, burn in ((True, quick.burn_factor * 1.05), (False, quick.burn_factor * 0.95)):
        ratio = round(burn * b * per_minute) / per_minute
        schedule = [(healthy, 0.0), (burn_minutes, ratio)]
        cases.append(
            AlertCase(
                f"{page.name} {'pages' if firing else 'stays quiet'} at burn rate {ratio / b:g} for {burn_minutes}m",
                page,
                slo_input(spec, slo, schedule, per_minute),
                (healthy + burn_minutes) * 60,
                firing,
                labels,
                ratio,
            )
        )
    ticket_minutes = slow_ticket.short // 60 + ticket.for_seconds // 60 + 10
    for firing, burn in ((True, slow_ticket.burn_factor * 1.05), (False, slow_ticket.burn_factor * 0.95)):
        ratio = round(burn * b * per_minute) / per_minute
        cases.append(
            AlertCase(
                f"{ticket.name} {'opens a ticket' if firing else 'stays quiet'} at burn rate {ratio / b:g}",
                ticket,
                slo_input(spec, slo, [(ticket_minutes, ratio)], per_minute),
                ticket_minutes * 60,
                firing,
                labels,
                ratio,
            )
        )
    return cases
