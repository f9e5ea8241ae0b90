"""Alerting rules and the promtool unit tests that prove each one fires and stays quiet.

Every alert is built with its own proof: synthetic input series that make it fire with the
exact labels and annotations, and series just on the quiet side of its threshold. Inputs
straddle thresholds tightly (x1.05 / x0.95) so a changed threshold breaks a test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from mongen.model import Alert, BurnSeverity, Matcher, Metric, Slo, SloWindow, Spec
from mongen.promql import by_clause, le_value, matcher_text, quote, selector
from mongen.rules.naming import (
    error_ratio_name,
    quantile_name,
    sli_error_name,
    slo_alert_name,
    slo_labels,
    slo_selector,
)
from mongen.units import format_duration, format_number

# Test inputs are sampled every minute; rate windows in the rules are >= 4 scrape intervals.
TEST_INTERVAL = 60


# --- annotation templates, rendered to Go template text and to the expected test output ---


@dataclass(frozen=True)
class Lbl:
    name: str


@dataclass(frozen=True)
class Val:
    fmt: str  # percent | seconds | humanize


Part = str | Lbl | Val


def go_template(parts: tuple[Part, ...]) -> str:
    out = []
    for part in parts:
        if isinstance(part, Lbl):
            out.append("{{ $labels.%s }}" % part.name)
        elif isinstance(part, Val):
            out.append(
                {
                    "percent": "{{ $value | humanizePercentage }}",
                    "seconds": '{{ printf "%.3g" $value }}s',
                    "humanize": "{{ $value | humanize }}",
                }[part.fmt]
            )
        else:
            out.append(part)
    return "".join(out)


def _go_g4(value: float) -> str:
    """Go's %.4g, which Python's %g matches for finite values."""
    return "%.4g" % value


def humanize(value: float) -> str:
    """Prometheus' `humanize` template function (SI prefixes, %.4g)."""
    if value == 0 or math.isnan(value) or math.isinf(value):
        return _go_g4(value)
    if abs(value) >= 1:
        prefix = ""
        for p in ("k", "M", "G", "T", "P", "E", "Z", "Y"):
            if abs(value) < 1000:
                break
            prefix = p
            value /= 1000
        return _go_g4(value) + prefix
    prefix = ""
    for p in ("m", "u", "n", "p", "f", "a", "z", "y"):
        if abs(value) >= 1:
            break
        prefix = p
        value *= 1000
    return _go_g4(value) + prefix


def render(parts: tuple[Part, ...], labels: dict[str, str], value: float) -> str:
    out = []
    for part in parts:
        if isinstance(part, Lbl):
            out.append(labels.get(part.name, ""))
        elif isinstance(part, Val):
            if part.fmt == "percent":
                out.append(_go_g4(value * 100) + "%")
            elif part.fmt == "seconds":
                out.append("%.3g" % value + "s")
            else:
                out.append(humanize(value))
        else:
            out.append(part)
    return "".join(out)


@dataclass(frozen=True)
class AlertRule:
    name: str
    expr: str
    for_seconds: int
    labels: tuple[tuple[str, str], ...]
    summary: tuple[Part, ...]
    description: tuple[Part, ...]
    runbook_url: str | None
    output_labels: tuple[str, ...]  # labels of the expression's result
    threshold: float | None  # the number a mutation test changes

    def annotations(self) -> dict[str, str]:
        out = {"summary": go_template(self.summary), "description": go_template(self.description)}
        if self.runbook_url:
            out["runbook_url"] = self.runbook_url
        return out

    def expected_annotations(self, labels: dict[str, str], value: float) -> dict[str, str]:
        out = {"summary": render(self.summary, labels, value), "description": render(self.description, labels, value)}
        if self.runbook_url:
            out["runbook_url"] = self.runbook_url
        return out


@dataclass
class AlertCase:
    """One promtool test: inputs, when to look, and what must (not) be firing then."""

    name: str
    alert: AlertRule
    series: list[tuple[str, str]]
    eval_time: int
    firing: bool
    result_labels: dict[str, str] = field(default_factory=dict)
    value: float = 0.0

    def to_test(self) -> dict[str, Any]:
        exp: list[dict[str, Any]] = []
        if self.firing:
            labels = {**dict(self.alert.labels), **self.result_labels}
            exp.append({"exp_labels": labels, "exp_annotations": self.alert.expected_annotations(labels, self.value)})
        return {
            "name": self.name,
            "interval": format_duration(TEST_INTERVAL),
            "input_series": [{"series": s, "values": v} for s, v in self.series],
            "alert_rule_test": [
                {"eval_time": format_duration(self.eval_time), "alertname": self.alert.name, "exp_alerts": exp}
            ],
        }


def _counter_values(per_minute: float, minutes: int) -> str:
    return f"0+{format_number(per_minute)}x{minutes}"


def _label_str(labels: dict[str, str]) -> str:
    return ",".join(f"{k}={quote(v)}" for k, v in labels.items())


def _series(name: str, labels: dict[str, str]) -> str:
    return f"{name}{{{_label_str(labels)}}}"


def _base_labels(spec: Spec, metric: Metric, chosen: dict[str, str]) -> dict[str, str]:
    """A concrete label set for one input series: chosen values, else the first declared value."""
    labels = {"job": spec.scrape.job, "instance": "replica-1:8001"}
    for name in metric.labels:
        labels[name] = chosen.get(name, spec.label_by_name[name].values[0])
    return labels


def matching_values(spec: Spec, matchers: tuple[Matcher, ...], matching: bool = True) -> dict[str, str]:
    """For each matcher, the first declared value of its label it accepts (or, with matching=False, rejects)."""
    return {
        m.label: next(v for v in spec.label_by_name[m.label].values if ((v in m.values) != m.negate) == matching)
        for m in matchers
    }


def _case(
    rule: AlertRule,
    firing: bool,
    what: str,
    series: list[tuple[str, str]],
    eval_time: int,
    result: dict[str, str],
    value: float,
) -> AlertCase:
    return AlertCase(
        f"{rule.name} {'fires' if firing else 'stays quiet'} at {what}", rule, series, eval_time, firing, result, value
    )


def _common(spec: Spec, alert: Alert) -> tuple[tuple[str, str], ...]:
    return (("service", spec.service), ("severity", alert.severity))


def _runbook(spec: Spec, name: str) -> str | None:
    return f"{spec.runbook_base}/{name}" if spec.runbook_base else None


def _where_filter(alert: Alert) -> str:
    return "{" + ",".join(matcher_text(m) for m in alert.where) + "}" if alert.where else ""


# --- one builder per alert kind ------------------------------------------------------


def latency_quantile(spec: Spec, alert: Alert) -> tuple[AlertRule, list[AlertCase]]:
    metric = spec.metric_by_name[alert.metric or ""]
    assert alert.quantile is not None and alert.threshold is not None
    q, threshold = alert.quantile, alert.threshold
    pct = format_number(round(q * 100, 6))
    record = quantile_name(metric, alert.by, q, spec.rate_window)
    where_parts: tuple[Part, ...] = ()
    for label in alert.by:
        where_parts += (f" ({label} ", Lbl(label), ")")
    rule = AlertRule(
        name=alert.name,
        expr=f"{record}{_where_filter(alert)} > {format_number(threshold)}",
        for_seconds=alert.for_seconds,
        labels=_common(spec, alert),
        summary=(f"{spec.service} P{pct} latency above {format_number(threshold)}s", *where_parts),
        description=(
            f"P{pct} latency of {spec.service}",
            *where_parts,
            " is ",
            Val("seconds"),
            f" over the last {format_duration(spec.rate_window)} (threshold {format_number(threshold)}s, job ",
            Lbl("job"),
            ").",
            *((" " + alert.description,) if alert.description else ()),
        ),
        runbook_url=_runbook(spec, alert.name),
        output_labels=("job", *alert.by),
        threshold=threshold,
    )
    minutes = (alert.for_seconds + spec.rate_window) // 60 + 5
    chosen = matching_values(spec, alert.where)
    labels = _base_labels(spec, metric, chosen)
    cases = []
    # Inside the buckets: just above the threshold fires, just below stays quiet.
    targets = ((True, min(threshold * 1.05, (threshold + metric.buckets[-1]) / 2)), (False, threshold * 0.95))
    for firing, target in targets:
        counts, value = _histogram_for_quantile(metric, q, target)
        if (value > threshold) != firing:
            raise ValueError(f"{alert.name}: the buckets are too coarse to test P{pct} around {threshold:g}")
        series = [
            (_series(metric.name + "_bucket", {**labels, "le": le}), _counter_values(c, minutes)) for le, c in counts
        ]
        total = counts[-1][1]
        series.append((_series(metric.name + "_count", labels), _counter_values(total, minutes)))
        series.append((_series(metric.name + "_sum", labels), _counter_values(round(total * target), minutes)))
        result = {"job": labels["job"], **{b: labels[b] for b in alert.by}}
        cases.append(_case(rule, firing, f"P{pct} {value:g}s", series, minutes * 60, result, value))
    return rule, cases


def _bucket_span(metric: Metric, value: float) -> tuple[float, float]:
    """The (lower, upper] bucket holding `value`; the first bucket starts at 0 as in Prometheus."""
    lower = 0.0
    for bound in metric.buckets:
        if value <= bound:
            return lower, bound
        lower = bound
    raise ValueError(f"{value} is above the last bucket of {metric.name}")


def _stable_g3(value: float) -> bool:
    return "%.3g" % (value * (1 - 1e-9)) == "%.3g" % (value * (1 + 1e-9))


def _histogram_for_quantile(metric: Metric, q: float, target: float) -> tuple[list[tuple[str, float]], float]:
    """Per-minute cumulative bucket increments whose q-quantile interpolates to about `target`.

    10000 observations a minute: `below` at or under the start of the target's bucket,
    `inside` in it, the rest above the last bucket, so histogram_quantile lands inside
    the bucket at a fraction we choose in steps of 1/inside. Returns the exact quantile.
    """
    total = 10000
    rank = round(q * total)
    inside = round((1 - q) * total) if q >= 0.5 else rank
    lower, upper = _bucket_span(metric, target)
    ideal = max(1, min(inside - 1, round((target - lower) / (upper - lower) * inside)))
    # Prefer a step whose quantile is not on a %.3g rounding edge: Prometheus computes it
    # from rates, one ulp off, and the expected annotation must not depend on that ulp.
    candidates = sorted(range(1, inside), key=lambda k: abs(k - ideal))[:50] or [ideal]
    steps = next((k for k in candidates if _stable_g3(lower + (upper - lower) * k / inside)), ideal)
    below = rank - steps
    value = lower + (upper - lower) * (rank - below) / inside
    counts = [(le_value(bound), float(below if bound < upper else below + inside)) for bound in metric.buckets]
    counts.append(("+Inf", float(total)))
    return counts, value


def error_ratio(spec: Spec, alert: Alert) -> tuple[AlertRule, list[AlertCase]]:
    metric = spec.metric_by_name[alert.metric or ""]
    assert alert.threshold is not None
    threshold = alert.threshold
    record = error_ratio_name(metric, alert.by, alert.window)
    where_parts: tuple[Part, ...] = ()
    for label in alert.by:
        where_parts += (f" ({label} ", Lbl(label), ")")
    window = format_duration(alert.window)
    rule = AlertRule(
        name=alert.name,
        expr=f"{record}{_where_filter(alert)} > {format_number(threshold)}",
        for_seconds=alert.for_seconds,
        labels=_common(spec, alert),
        summary=(f"{spec.service} error ratio above {format_number(threshold * 100)}%", *where_parts),
        description=(
            f"{spec.service} requests",
            *where_parts,
            " fail at ",
            Val("percent"),
            f" over the last {window} (threshold {format_number(threshold * 100)}%, job ",
            Lbl("job"),
            ").",
            *((" " + alert.description,) if alert.description else ()),
        ),
        runbook_url=_runbook(spec, alert.name),
        output_labels=("job", *alert.by),
        threshold=threshold,
    )
    minutes = (alert.for_seconds + alert.window) // 60 + 5
    chosen = matching_values(spec, alert.where)
    err_values = matching_values(spec, metric.errors)
    ok_values = matching_values(spec, metric.errors, matching=False)
    cases = []
    for firing, ratio in ((True, threshold * 1.05), (False, threshold * 0.95)):
        errors = round(ratio * 1000)
        labels_err = _base_labels(spec, metric, {**err_values, **chosen})
        labels_ok = _base_labels(spec, metric, {**ok_values, **chosen})
        series = [
            (_series(metric.exposed_name, labels_err), _counter_values(errors, minutes)),
            (_series(metric.exposed_name, labels_ok), _counter_values(1000 - errors, minutes)),
        ]
        result = {"job": labels_err["job"], **{b: labels_err[b] for b in alert.by}}
        cases.append(_case(rule, firing, f"error ratio {errors / 1000:g}", series, minutes * 60, result, errors / 1000))
    return rule, cases


def target_down(spec: Spec, alert: Alert) -> tuple[AlertRule, list[AlertCase]]:
    job = spec.scrape.job
    rule = AlertRule(
        name=alert.name,
        expr=f"up{{job={quote(job)}}} == 0",
        for_seconds=alert.for_seconds,
        labels=_common(spec, alert),
        summary=(f"{spec.service} target ", Lbl("instance"), " is down"),
        description=(
            "Prometheus cannot scrape ",
            Lbl("instance"),
            " of job ",
            Lbl("job"),
            f" for {format_duration(alert.for_seconds)}: the replica is down or /metrics is blocked.",
            *((" " + alert.description,) if alert.description else ()),
        ),
        runbook_url=_runbook(spec, alert.name),
        output_labels=("job", "instance"),
        threshold=None,
    )
    minutes = alert.for_seconds // 60 + 5
    labels = {"job": job, "instance": "replica-1:8001"}
    cases = [
        AlertCase(
            f"{alert.name} fires when up is 0",
            rule,
            [(_series("up", labels), f"0x{minutes}")],
            minutes * 60,
            True,
            labels,
            0,
        ),
        AlertCase(
            f"{alert.name} stays quiet when up is 1",
            rule,
            [(_series("up", labels), f"1x{minutes}")],
            minutes * 60,
            False,
        ),
    ]
    return rule, cases


def absent(spec: Spec, alert: Alert) -> tuple[AlertRule, list[AlertCase]]:
    metric = spec.metric_by_name[alert.metric or ""]
    name = next(iter(metric.exposed_series))
    job = spec.scrape.job
    rule = AlertRule(
        name=alert.name,
        expr=f"absent({name}{{job={quote(job)}}})",
        for_seconds=alert.for_seconds,
        labels=_common(spec, alert),
        summary=(f"{spec.service} exposes no {name}",),
        description=(
            f"No series of {name} for job ",
            Lbl("job"),
            f" for {format_duration(alert.for_seconds)}: "
            "the instrumentation or the scrape config is broken, so the other alerts on it cannot fire.",
            *((" " + alert.description,) if alert.description else ()),
        ),
        runbook_url=_runbook(spec, alert.name),
        output_labels=("job",),
        threshold=None,
    )
    minutes = alert.for_seconds // 60 + 5
    up = {"job": job, "instance": "replica-1:8001"}
    present = _base_labels(spec, metric, {})
    cases = [
        AlertCase(
            f"{alert.name} fires when only up is there",
            rule,
            [(_series("up", up), f"1x{minutes}")],
            minutes * 60,
            True,
            {"job": job},
            1,
        ),
        AlertCase(
            f"{alert.name} stays quiet when the metric is exposed",
            rule,
            [(_series(name, present), f"0x{minutes}")],
            minutes * 60,
            False,
        ),
    ]
    return rule, cases


def gauge_threshold(spec: Spec, alert: Alert) -> tuple[AlertRule, list[AlertCase]]:
    metric = spec.metric_by_name[alert.metric or ""]
    assert alert.threshold is not None
    threshold = alert.threshold
    keep = ("job", "instance", *alert.by)
    rule = AlertRule(
        name=alert.name,
        expr=f"max {by_clause(keep)} ({selector(metric.name, alert.where)}) > {format_number(threshold)}",
        for_seconds=alert.for_seconds,
        labels=_common(spec, alert),
        summary=(f"{metric.name} above {humanize(threshold)} on ", Lbl("instance")),
        description=(
            f"{metric.name} is ",
            Val("humanize"),
            " on ",
            Lbl("instance"),
            f" (threshold {humanize(threshold)}).",
            *((" " + alert.description,) if alert.description else ()),
        ),
        runbook_url=_runbook(spec, alert.name),
        output_labels=keep,
        threshold=threshold,
    )
    minutes = alert.for_seconds // 60 + 5
    labels = _base_labels(spec, metric, matching_values(spec, alert.where))
    cases = []
    for firing, value in ((True, threshold * 1.05), (False, threshold * 0.95)):
        series = [(_series(metric.name, labels), f"{format_number(value)}x{minutes}")]
        result = {k: labels[k] for k in keep}
        cases.append(_case(rule, firing, humanize(value), series, minutes * 60, result, value))
    return rule, cases


BUILDERS = {
    "latency_quantile": latency_quantile,
    "error_ratio": error_ratio,
    "target_down": target_down,
    "absent": absent,
    "gauge_threshold": gauge_threshold,
}


# --- SLO burn-rate alerts --------------------------------------------------------------


def _condition(slo: Slo, window: SloWindow, this: str) -> str:
    factor = format_number(window.burn_factor)
    budget = format_number(slo.error_budget)
    long = f"{sli_error_name(window.long)}{this} > ({factor} * {budget})"
    short = f"{sli_error_name(window.short)}{this} > ({factor} * {budget})"
    return f"(\n  {long}\n  and\n  {short}\n)"


def slo_alert(spec: Spec, slo: Slo, severity: BurnSeverity) -> AlertRule:
    this = slo_selector(spec, slo)
    windows = [w for w in slo.windows if w.severity == severity]
    expr = "\nor\n".join(_condition(slo, w, this) for w in windows)
    first = windows[0]
    name = slo_alert_name(spec, slo, severity)
    speeds = ", ".join(
        f"{format_number(w.burn_factor)}x over {format_duration(w.long)}/{format_duration(w.short)}" for w in windows
    )
    return AlertRule(
        name=name,
        expr=expr,
        for_seconds=120 if severity == "page" else 900,
        labels=(("service", spec.service), ("severity", severity), ("slo", slo.name)),
        summary=(f"{spec.service} SLO {slo.name} is burning its error budget too fast",),
        description=(
            f"SLO {slo.name} ({format_number(slo.objective)}% over {format_duration(slo.period)}): the error ratio over "
            f"{format_duration(first.long)} is ",
            Val("percent"),
            f", burning the budget faster than {speeds} allows.",
        ),
        runbook_url=_runbook(spec, name),
        output_labels=("service", "slo"),
        threshold=None,
    )


def slo_input(spec: Spec, slo: Slo, schedule: list[tuple[int, float]]) -> list[tuple[str, str]]:
    """Input series for an SLO whose error ratio follows `schedule`: (minutes, error ratio) phases."""
    metric = spec.metric_by_name[slo.metric]
    total_per_min = 100000
    errs, oks = [], []
    err_count = ok_count = 0
    for minutes, ratio in schedule:
        e = round(ratio * total_per_min)
        for _ in range(minutes):
            errs.append(err_count)
            oks.append(ok_count)
            err_count += e
            ok_count += total_per_min - e
    errs.append(err_count)
    oks.append(ok_count)
    if slo.kind == "ratio":
        chosen = matching_values(spec, slo.total)
        err_labels = matching_values(spec, slo.errors)
        ok_labels = matching_values(spec, slo.errors, matching=False)
        return [
            (_series(metric.exposed_name, _base_labels(spec, metric, {**err_labels, **chosen})), _compress(errs)),
            (_series(metric.exposed_name, _base_labels(spec, metric, {**ok_labels, **chosen})), _compress(oks)),
        ]
    assert slo.threshold is not None
    chosen = matching_values(spec, slo.total)
    labels = _base_labels(spec, metric, chosen)
    series = []
    for bound in metric.buckets:
        counts = oks if bound >= slo.threshold else [0] * len(oks)
        series.append((_series(metric.name + "_bucket", {**labels, "le": le_value(bound)}), _compress(counts)))
    totals = [e + o for e, o in zip(errs, oks, strict=True)]
    series.append((_series(metric.name + "_bucket", {**labels, "le": "+Inf"}), _compress(totals)))
    series.append((_series(metric.name + "_count", labels), _compress(totals)))
    return series


def _compress(values: list[int]) -> str:
    """promtool expanding notation for a piecewise-linear integer series."""
    parts = []
    i = 0
    while i < len(values):
        start = values[i]
        step = values[i + 1] - start if i + 1 < len(values) else 0
        j = i
        while j + 1 < len(values) and values[j + 1] - values[j] == step:
            j += 1
        parts.append(f"{start}+{step}x{j - i}")
        i = j + 1
    return " ".join(parts)


def slo_cases(spec: Spec, slo: Slo) -> tuple[list[AlertRule], list[AlertCase]]:
    page = slo_alert(spec, slo, "page")
    ticket = slo_alert(spec, slo, "ticket")
    b = slo.error_budget
    quick = next(w for w in slo.windows if w.severity == "page" and w.speed == "quick")
    slow_ticket = next(w for w in slo.windows if w.severity == "ticket" and w.speed == "slow")
    healthy = slow_ticket.short // 60 + 60  # longer than the slow page window, so only the quick path can fire
    burn_minutes = quick.long // 60 + page.for_seconds // 60 + 5
    labels = dict(slo_labels(spec, slo))
    cases = []
    for firing, burn in ((True, quick.burn_factor * 1.05), (False, quick.burn_factor * 0.95)):
        ratio = round(burn * b * 100000) / 100000
        schedule = [(healthy, 0.0), (burn_minutes, ratio)]
        cases.append(
            AlertCase(
                f"{page.name} {'pages' if firing else 'stays quiet'} at burn rate {ratio / b:g} for {burn_minutes}m",
                page,
                slo_input(spec, slo, schedule),
                (healthy + burn_minutes) * 60,
                firing,
                labels,
                ratio,
            )
        )
    ticket_minutes = slow_ticket.short // 60 + ticket.for_seconds // 60 + 10
    for firing, burn in ((True, slow_ticket.burn_factor * 1.05), (False, slow_ticket.burn_factor * 0.95)):
        ratio = round(burn * b * 100000) / 100000
        cases.append(
            AlertCase(
                f"{ticket.name} {'opens a ticket' if firing else 'stays quiet'} at burn rate {ratio / b:g}",
                ticket,
                slo_input(spec, slo, [(ticket_minutes, ratio)]),
                ticket_minutes * 60,
                firing,
                labels,
                ratio,
            )
        )
    return [page, ticket], cases


def alert_rules(spec: Spec) -> tuple[list[AlertRule], list[AlertCase], list[AlertRule], list[AlertCase]]:
    """(threshold alerts, their cases, SLO alerts, their cases) in spec order."""
    rules, cases = [], []
    for alert in spec.alerts:
        rule, alert_cases = BUILDERS[alert.kind](spec, alert)
        rules.append(rule)
        cases += alert_cases
    slo_rules, slo_tests = [], []
    for slo in spec.slos:
        r, c = slo_cases(spec, slo)
        slo_rules += r
        slo_tests += c
    return rules, cases, slo_rules, slo_tests
