"""Every name mongen gives a series, label or alert, in one place (Sloth keeps its in `conventions`).

Recorded series follow the Prometheus convention `level:metric:operations`: `level` lists the
labels the result keeps besides `job` (which every rule keeps), `metric` drops a counter's
`_total`, `operations` says what was done (`rate5m`, `p95_rate5m`, `error_ratio_rate1h`).
"""

from __future__ import annotations

from mongen.model import BurnSeverity, Metric, Slo, Spec
from mongen.promql import quote
from mongen.units import format_duration, format_number

DASHBOARD_UID_LENGTH = 40  # Grafana rejects longer dashboard uids

# SLO metadata series, one sample per SLO (labels `service`, `slo`).
SLO_OBJECTIVE = "slo:objective:ratio"
SLO_ERROR_BUDGET = "slo:error_budget:ratio"
SLO_PERIOD_DAYS = "slo:time_period:days"
SLO_CURRENT_BURN_RATE = "slo:current_burn_rate:ratio"
SLO_PERIOD_BURN_RATE = "slo:period_burn_rate:ratio"
SLO_BUDGET_REMAINING = "slo:period_error_budget_remaining:ratio"
# One series per SLO, value 1, whose labels say what the SLO is (as Sloth's `sloth_slo_info`):
# `{slo:metadata:info}` lists every SLO of every service for dashboards and tooling.
SLO_INFO = "slo:metadata:info"
SLO_INFO_OBJECTIVE_LABEL = "objective"  # percent, as in the spec: "99.9"
SLO_INFO_PERIOD_LABEL = "period"  # Prometheus duration: "30d"
SLO_INFO_KIND_LABEL = "sli"  # ratio | latency
# Labels every SLO series carries.
SLO_SERVICE_LABEL = "service"
SLO_NAME_LABEL = "slo"
# A burn-rate alert has one rule per window pair; these labels tell its alerts apart.
LONG_WINDOW_LABEL = "long_window"
SHORT_WINDOW_LABEL = "short_window"
# The tier (page or ticket) of a burn-rate alert, whatever severity the spec routes it by: the
# generated inhibition pairs an SLO's page with its own ticket through it.
SLO_TIER_LABEL = "slo_tier"
# SLI error ratios are recorded as `slo:sli_error:ratio_rate<window>` (Sloth's names).
SLI_ERROR_PREFIX = "slo:sli_error:ratio_rate"


def level(group: tuple[str, ...]) -> str:
    return "_".join(group) if group else "job"


def quantile_op(quantile: float) -> str:
    return "p" + format_number(round(quantile * 100, 6)).replace(".", "_")


def rate_name(metric: Metric, group: tuple[str, ...], window: int, series: str = "") -> str:
    """Per-second rate of the metric (or of its `_bucket`/`_sum`/`_count` series)."""
    return f"{level(group)}:{metric.base}{series}:rate{format_duration(window)}"


def error_ratio_name(metric: Metric, group: tuple[str, ...], window: int) -> str:
    return f"{level(group)}:{metric.base}:error_ratio_rate{format_duration(window)}"


def share_name(metric: Metric, group: tuple[str, ...], window: int) -> str:
    return f"{level(group)}:{metric.base}:share_rate{format_duration(window)}"


def quantile_name(metric: Metric, group: tuple[str, ...], quantile: float, window: int) -> str:
    return f"{level(group)}:{metric.name}:{quantile_op(quantile)}_rate{format_duration(window)}"


def mean_name(metric: Metric, group: tuple[str, ...], window: int) -> str:
    return f"{level(group)}:{metric.name}:mean_rate{format_duration(window)}"


def gauge_name(metric: Metric, group: tuple[str, ...], op: str) -> str:
    """`max` or `avg` of a gauge across the group's instances."""
    return f"{level(group)}:{metric.name}:{op}"


def sli_error_name(window: int) -> str:
    return f"{SLI_ERROR_PREFIX}{format_duration(window)}"


def slo_labels(spec: Spec, slo: Slo) -> tuple[tuple[str, str], ...]:
    return ((SLO_SERVICE_LABEL, spec.service), (SLO_NAME_LABEL, slo.name))


def slo_selector(spec: Spec, slo: Slo) -> str:
    """`{service="...",slo="..."}`: selects one SLO's series."""
    return "{" + ",".join(f"{k}={quote(v)}" for k, v in slo_labels(spec, slo)) + "}"


def slo_alert_name(spec: Spec, slo: Slo, severity: BurnSeverity) -> str:
    words = f"{spec.service}-{slo.name}".replace("_", "-").split("-")
    kind = "Page" if severity == "page" else "Ticket"
    return "".join(w.capitalize() for w in words if w) + "ErrorBudgetBurn" + kind


def dashboard_uid(spec: Spec) -> str:
    """The dashboard's uid, which its URL (`<grafana>/d/<uid>`) and the alerts' links share."""
    return f"mongen-{spec.service}"[:DASHBOARD_UID_LENGTH]


def recording_group_name(spec: Spec) -> str:
    return f"{spec.service}-recording"


def slo_group_name(spec: Spec, slo: Slo) -> str:
    return f"{spec.service}-slo-{slo.name}"


def alert_group_name(spec: Spec) -> str:
    return f"{spec.service}-alerts"


def slo_alert_group_name(spec: Spec) -> str:
    return f"{spec.service}-slo-alerts"
