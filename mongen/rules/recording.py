"""The per-metric recording rules a spec implies, shared by alerts, tests and dashboards.

Names follow the Prometheus convention `level:metric:operations`: `level` lists the labels
the result keeps (besides `job`, which every rule keeps), `metric` drops a counter's
`_total`, `operations` says what was done (`rate5m`, `p95_rate5m`, `error_ratio_rate1h`).
"""

from __future__ import annotations

from mongen.model import COUNTER, GAUGE, HISTOGRAM, Metric, Spec
from mongen.promql import by_clause, selector
from mongen.rule_types import RecordingGroup, RecordingRule
from mongen.rules import naming
from mongen.rules.alert_kinds import BY_NAME
from mongen.rules.alert_kinds.base import RecordedSeries
from mongen.rules.naming import (
    error_ratio_name,
    quantile_name,
    rate_name,
    share_name,
)
from mongen.units import format_duration, format_number

DEFAULT_QUANTILES = (0.5, 0.95, 0.99)


def alert_needs(spec: Spec, metric: Metric) -> tuple[RecordedSeries, ...]:
    """The recorded series of `metric` the spec's alerts read, as each alert's kind declares them."""
    return tuple(
        need for alert in spec.alerts for need in BY_NAME[alert.kind].recorded(alert) if need.metric == metric.name
    )


def metric_groups(spec: Spec, metric: Metric) -> tuple[tuple[str, ...], ...]:
    """Label sets aggregated for `metric`: the spec's `record_by` plus the groups alerts read."""
    groups = list(metric.record_by)
    for need in alert_needs(spec, metric):
        if need.by not in groups:
            groups.append(need.by)
    return tuple(groups)


def error_windows(spec: Spec, metric: Metric) -> tuple[int, ...]:
    """Error ratios are recorded for 5m (alerts), 1h (the brief's success ratio), alert windows."""
    windows = {spec.rate_window, 3600}
    windows |= {need.error_window for need in alert_needs(spec, metric) if need.error_window}
    return tuple(sorted(windows))


def rate_windows(spec: Spec, metric: Metric, group: tuple[str, ...]) -> tuple[int, ...]:
    """Request rates are recorded for 5m (dashboards) and for every window an alert reads the
    group's request rate over (an error-ratio alert that counts its requests first)."""
    windows = {spec.rate_window}
    windows |= {need.rate_window for need in alert_needs(spec, metric) if need.by == group and need.rate_window}
    return tuple(sorted(windows))


def quantiles(spec: Spec, metric: Metric, group: tuple[str, ...]) -> tuple[float, ...]:
    qs = set(DEFAULT_QUANTILES)
    qs |= {need.quantile for need in alert_needs(spec, metric) if need.by == group and need.quantile}
    return tuple(sorted(qs))


def _sum_by(group: tuple[str, ...], inner: str, extra: tuple[str, ...] = ()) -> str:
    return f"sum {by_clause(('job', *group, *extra))} ({inner})"


def _counter_rules(spec: Spec, metric: Metric) -> list[RecordingRule]:
    rules = []
    window = format_duration(spec.rate_window)
    series = metric.exposed_name
    for group in metric_groups(spec, metric):
        out = ("job", *group)
        for w in rate_windows(spec, metric, group):
            rate = _sum_by(group, f"rate({series}[{format_duration(w)}])")
            rules.append(RecordingRule(rate_name(metric, group, w), rate, out))
        if metric.errors:
            for w in error_windows(spec, metric):
                wt = format_duration(w)
                errors = _sum_by(group, f"rate({selector(series, metric.errors)}[{wt}])")
                total = _sum_by(group, f"rate({series}[{wt}])")
                # `or total * 0`: a group that has never failed has no error series; its
                # ratio is 0, not absent, so dashboards and `absent()` checks see it.
                expr = f"(\n  {errors}\n  or\n  {total} * 0\n)\n/\n{total}"
                rules.append(RecordingRule(error_ratio_name(metric, group, w), expr, out))
        if len(group) == 1 and spec.label_by_name[group[0]].enum:
            part = _sum_by(group, f"rate({series}[{window}])")
            whole = _sum_by((), f"rate({series}[{window}])")
            expr = f"{part}\n/ ignoring ({group[0]}) group_left\n{whole}"
            rules.append(RecordingRule(share_name(metric, group, spec.rate_window), expr, out))
    return rules


def _histogram_rules(spec: Spec, metric: Metric) -> list[RecordingRule]:
    rules = []
    window = format_duration(spec.rate_window)
    for group in metric_groups(spec, metric):
        out = ("job", *group)
        bucket_rule = rate_name(metric, group, spec.rate_window, "_bucket")
        rules.append(
            RecordingRule(bucket_rule, _sum_by(group, f"rate({metric.name}_bucket[{window}])", ("le",)), (*out, "le"))
        )
        for part in ("_count", "_sum"):
            rules.append(
                RecordingRule(
                    rate_name(metric, group, spec.rate_window, part),
                    _sum_by(group, f"rate({metric.name}{part}[{window}])"),
                    out,
                )
            )
        for q in quantiles(spec, metric, group):
            rules.append(
                RecordingRule(
                    quantile_name(metric, group, q, spec.rate_window),
                    f"histogram_quantile({format_number(q)}, {bucket_rule})",
                    out,
                )
            )
        mean = f"{rate_name(metric, group, spec.rate_window, '_sum')}\n/\n{rate_name(metric, group, spec.rate_window, '_count')}"
        rules.append(RecordingRule(naming.mean_name(metric, group, spec.rate_window), mean, out))
    return rules


def _gauge_rules(spec: Spec, metric: Metric) -> list[RecordingRule]:
    rules = []
    for group in metric_groups(spec, metric):
        out = ("job", *group)
        for op in ("max", "avg"):
            rules.append(
                RecordingRule(naming.gauge_name(metric, group, op), f"{op} {by_clause(out)} ({metric.name})", out)
            )
    return rules


def recording_group(spec: Spec) -> RecordingGroup:
    """The per-metric recording rules, then the spec's own `recording_rules`. What the spec's own
    keep is left unknown here (lint works it out from their expressions)."""
    own = tuple(RecordingRule(r.record, r.expr, (), r.labels) for r in spec.recording_rules)
    return RecordingGroup(
        naming.recording_group_name(spec), spec.scrape.evaluation_interval, (*metric_rules(spec), *own)
    )


def metric_rules(spec: Spec) -> tuple[RecordingRule, ...]:
    """The per-metric recording rules (rates, error ratios, shares, quantiles, gauge max/avg)."""
    rules: list[RecordingRule] = []
    for metric in spec.metrics:
        if metric.type == COUNTER:
            rules += _counter_rules(spec, metric)
        elif metric.type == HISTOGRAM:
            rules += _histogram_rules(spec, metric)
        elif metric.type == GAUGE:
            rules += _gauge_rules(spec, metric)
    return tuple(rules)
