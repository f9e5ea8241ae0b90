"""SLO rules: the SLI error ratio over every burn-rate window, the SLO's metadata series, and the
multi-window multi-burn-rate alerts (Google SRE workbook, "Alerting on SLOs"; Sloth's layout)."""

from __future__ import annotations

from mongen.annotations import ValueRef, go_g4
from mongen.model import BurnSeverity, Slo, SloWindow, Spec
from mongen.promql import le_value, quote, selector
from mongen.rule_types import AlertRule, RecordingGroup, RecordingRule
from mongen.rules import naming
from mongen.rules.alert_kinds.base import dashboard_url, runbook_url
from mongen.rules.naming import sli_error_name, slo_alert_name, slo_labels, slo_selector
from mongen.synth.slo_events import with_window
from mongen.units import format_duration, format_number

SLO_OUTPUT_LABELS = (naming.SLO_SERVICE_LABEL, naming.SLO_NAME_LABEL)
BURN_SEVERITIES: tuple[BurnSeverity, ...] = ("page", "ticket")


def slo_interval(spec: Spec) -> int:
    """SLO windows are 5m to 30d; evaluating them more often than once a minute buys nothing."""
    return max(spec.scrape.evaluation_interval, 60)


def sli_error_expr(spec: Spec, slo: Slo, window: int) -> str:
    w = format_duration(window)
    if slo.kind == "events":  # Sloth's events SLI: the error query over the total query, per window
        assert slo.error_query is not None and slo.total_query is not None
        return f"({with_window(slo.error_query, w)})\n/\n({with_window(slo.total_query, w)})"
    metric = spec.metric_by_name[slo.metric]
    if slo.kind == "ratio":
        errors = f"sum(rate({selector(metric.exposed_name, slo.errors + slo.total)}[{w}]))"
        total = f"sum(rate({selector(metric.exposed_name, slo.total)}[{w}]))"
        return f"{errors}\n/\n{total}"
    assert slo.threshold is not None
    count = f"sum(rate({selector(metric.name + '_count', slo.total)}[{w}]))"
    le = f"le={quote(le_value(slo.threshold))}"
    fast = f"sum(rate({selector(metric.name + '_bucket', slo.total, (le,))}[{w}]))"
    return f"(\n  {count}\n  -\n  {fast}\n)\n/\n{count}"


def _period_error_ratio(spec: Spec, slo: Slo) -> RecordingRule:
    """The period's error ratio as the mean of the short-window ratio (a 30d rate() would read
    30 days of raw samples at every evaluation)."""
    labels = slo_labels(spec, slo)
    short = selector(sli_error_name(spec.rate_window), extra=(f"{k}={quote(v)}" for k, v in labels))
    period = format_duration(slo.period)
    expr = f"sum_over_time({short}[{period}])\n/ ignoring ()\ncount_over_time({short}[{period}])"
    return RecordingRule(sli_error_name(slo.period), expr, SLO_OUTPUT_LABELS, labels)


def _metadata_rules(spec: Spec, slo: Slo) -> list[RecordingRule]:
    labels = slo_labels(spec, slo)
    budget = format_number(slo.error_budget)
    this = slo_selector(spec, slo)

    def rule(record: str, expr: str, extra: tuple[tuple[str, str], ...] = ()) -> RecordingRule:
        return RecordingRule(record, expr, (*SLO_OUTPUT_LABELS, *(k for k, _ in extra)), (*labels, *extra))

    info = (
        (naming.SLO_INFO_OBJECTIVE_LABEL, format_number(slo.objective)),
        (naming.SLO_INFO_PERIOD_LABEL, format_duration(slo.period)),
        (naming.SLO_INFO_KIND_LABEL, slo.kind),
    )
    return [
        rule(naming.SLO_INFO, "vector(1)", info),
        rule(naming.SLO_OBJECTIVE, f"vector({format_number(slo.objective / 100)})"),
        rule(naming.SLO_ERROR_BUDGET, f"vector({budget})"),
        rule(naming.SLO_PERIOD_DAYS, f"vector({format_number(slo.period / 86400)})"),
        rule(naming.SLO_CURRENT_BURN_RATE, f"{sli_error_name(spec.rate_window)}{this}\n/ {budget}"),
        rule(naming.SLO_PERIOD_BURN_RATE, f"{sli_error_name(slo.period)}{this}\n/ {budget}"),
        rule(naming.SLO_BUDGET_REMAINING, f"1 - {naming.SLO_PERIOD_BURN_RATE}{this}"),
    ]


def slo_group(spec: Spec, slo: Slo) -> RecordingGroup:
    labels = slo_labels(spec, slo)
    rules = [
        RecordingRule(sli_error_name(w), sli_error_expr(spec, slo, w), SLO_OUTPUT_LABELS, labels)
        for w in slo.window_seconds[:-1]
    ]
    rules.append(_period_error_ratio(spec, slo))
    rules += _metadata_rules(spec, slo)
    return RecordingGroup(naming.slo_group_name(spec, slo), slo_interval(spec), tuple(rules))


def window_labels(window: SloWindow) -> tuple[tuple[str, str], ...]:
    return (
        (naming.LONG_WINDOW_LABEL, format_duration(window.long)),
        (naming.SHORT_WINDOW_LABEL, format_duration(window.short)),
    )


def burn_threshold(slo: Slo, window: SloWindow) -> str:
    """`(14.4 * 0.001)`: the error ratio a window pair alerts above, written as Sloth writes it."""
    return f"({format_number(window.burn_factor)} * {format_number(slo.error_budget)})"


def burn_rate_alert(spec: Spec, slo: Slo, window: SloWindow) -> AlertRule:
    """One window pair of the multi-window multi-burn-rate alert of `window.severity`: the long
    window above the burn factor, confirmed by the short one. No `for`: the short window is the
    confirmation (SRE workbook; Sloth), and a `for` would only delay the page and drop short burns.
    The alert's value is the long window's error ratio, which the description names."""
    this = slo_selector(spec, slo)
    long, short = format_duration(window.long), format_duration(window.short)
    threshold = burn_threshold(slo, window)
    expr = f"{sli_error_name(window.long)}{this} > {threshold}\nand\n{sli_error_name(window.short)}{this} > {threshold}"
    name = slo_alert_name(spec, slo, window.severity)
    tier = slo.tier(window.severity)
    factor = go_g4(window.burn_factor)  # text for people: 0.9333x, not 0.9333333333333333x
    period = format_duration(slo.period)
    above = go_g4(window.burn_factor * slo.error_budget * 100) + "%"
    budget = go_g4(slo.error_budget * 100) + "%"
    return AlertRule(
        name=name,
        expr=expr,
        for_seconds=0,
        labels=(
            ("service", spec.service),
            ("severity", tier.severity),
            ("slo", slo.name),
            (naming.SLO_TIER_LABEL, window.severity),
            *window_labels(window),
            *tier.labels,
        ),
        summary=(f"{spec.service} SLO {slo.name} is burning its error budget {factor}x too fast ({long}/{short})",),
        description=(
            f"SLO {slo.name} ({format_number(slo.objective)}% over {period}): the error ratio over {long} is ",
            ValueRef("percent"),
            f" and over {short} also above {above}, {factor}x the error budget of {budget}; at this rate "
            f"{window.budget_percent}% of the {period} budget is gone in {long}.",
        ),
        runbook_url=runbook_url(spec, name),
        dashboard_url=dashboard_url(spec),
        first_checks=first_checks(spec, slo),
        output_labels=SLO_OUTPUT_LABELS,
        threshold=window.burn_factor,
        extra_annotations=tier.annotations,
    )


def burn_rate_alerts(spec: Spec, slo: Slo) -> tuple[AlertRule, ...]:
    """The page and the ticket alert of an SLO, one rule per window pair (page first); none for a
    tier the spec turns off."""
    return tuple(
        burn_rate_alert(spec, slo, w)
        for severity in BURN_SEVERITIES
        if slo.tier(severity).enabled
        for w in slo.windows
        if w.severity == severity
    )


def first_checks(spec: Spec, slo: Slo) -> tuple[str, ...]:
    return (
        "How fast and for how long: the dashboard's SLO row shows the burn rate over every window and the "
        "budget left; the alert's `long_window`/`short_window` labels say which pair fired.",
        "Whether it is still burning: once the short window falls back under the burn factor the alert clears "
        "by itself; a page that cleared within minutes was a burst.",
        f"Which requests count against it: {_sli_text(spec, slo)} (the Errors and Latency rows break them down).",
        "With little budget left, hold risky deploys until it recovers.",
    )


def _sli_text(spec: Spec, slo: Slo) -> str:
    """What the SLI counts as an error, in words."""
    if slo.kind == "events":
        what = f"the events of `{slo.error_query}` out of `{slo.total_query}`"
        return f"{slo.description} ({what})" if slo.description else what
    metric = spec.metric_by_name[slo.metric]
    name = metric.exposed_name if slo.kind == "ratio" else metric.name
    scope = f" out of `{selector(name, slo.total)}`" if slo.total else ""
    if slo.kind == "ratio":
        what = f"the requests of `{selector(name, slo.errors)}`{scope}"
    else:
        what = f"the requests slower than {format_number(slo.threshold or 0)}s in `{name}`{scope}"
    return f"{slo.description} ({what})" if slo.description else what
