"""SLO rules: the SLI error ratio over every burn-rate window, the SLO's metadata series, and the
multi-window multi-burn-rate alerts (Google SRE workbook, "Alerting on SLOs"; Sloth's layout)."""

from __future__ import annotations

from mongen.model import BurnSeverity, Slo, SloWindow, Spec
from mongen.promql import le_value, quote, selector
from mongen.rules import naming
from mongen.rules.alert_kinds.base import runbook_url
from mongen.rules.annotations import ValueRef
from mongen.rules.naming import sli_error_name, slo_alert_name, slo_labels, slo_selector
from mongen.rules.types import AlertRule, RecordingGroup, RecordingRule
from mongen.units import format_duration, format_number

SLO_OUTPUT_LABELS = (naming.SLO_SERVICE_LABEL, naming.SLO_NAME_LABEL)
BURN_SEVERITIES: tuple[BurnSeverity, ...] = ("page", "ticket")


def slo_interval(spec: Spec) -> int:
    """SLO windows are 5m to 30d; evaluating them more often than once a minute buys nothing."""
    return max(spec.scrape.evaluation_interval, 60)


def sli_error_expr(spec: Spec, slo: Slo, window: int) -> str:
    metric = spec.metric_by_name[slo.metric]
    w = format_duration(window)
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

    def rule(record: str, expr: str) -> RecordingRule:
        return RecordingRule(record, expr, SLO_OUTPUT_LABELS, labels)

    return [
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


def _condition(slo: Slo, window: SloWindow, this: str) -> str:
    factor = format_number(window.burn_factor)
    budget = format_number(slo.error_budget)
    long = f"{sli_error_name(window.long)}{this} > ({factor} * {budget})"
    short = f"{sli_error_name(window.short)}{this} > ({factor} * {budget})"
    return f"(\n  {long}\n  and\n  {short}\n)"


def burn_rate_alert(spec: Spec, slo: Slo, severity: BurnSeverity) -> AlertRule:
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
            ValueRef("percent"),
            f", burning the budget faster than {speeds} allows.",
        ),
        runbook_url=runbook_url(spec, name),
        output_labels=SLO_OUTPUT_LABELS,
        threshold=None,
    )
