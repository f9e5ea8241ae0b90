"""Verify's SLO phases: each SLO's budget burnt fast (its page must fire and reach the page's
receivers; its ticket is held back by that page) and then slowly (its ticket must fire and reach
the ticket's receivers while the page stays quiet).

Burn rates, against the SRE workbook's factors (mongen.model.SLO_WINDOW_SPECS):
- fast: half of the SLO's requests fail (or are slow): far above 14.4x for any objective mongen
  accepts, so both page window pairs fire within seconds of compressed time;
- slow: a quarter of the lowest page factor (1.5x the budget for 30d: 6x / 4), above the lowest
  ticket factor (1x over 3d/6h), so the page's short windows clear while the ticket fires.
  The ticket's long windows (1d and 3d: 24 and 72 minutes compressed) outlast a run, so they hold
  the budget the whole run burnt; what the phase proves is that a slow burn keeps the page quiet
  while the ticket reaches its receivers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mongen.faults import Fault, ServerErrors, SlowRequests, TargetGone
from mongen.model import COUNTER, Slo, Spec
from mongen.rules.naming import slo_alert_name
from mongen.verify.profile import accepted_values, error_values

FAST_SHARE = 0.5  # of the SLO's requests failing (or slow) in the fast phase
# The slow phase burns at this share of the lowest page factor: the slow page pair's 30m window
# (30 s compressed, ~1200 requests) then needs four times the expected errors to page.
SLOW_SHARE_OF_PAGE = 0.25

SloFault = ServerErrors | SlowRequests


@dataclass(frozen=True)
class SloBurn:
    """The two faults that burn one SLO's budget, or why verify cannot."""

    slo: Slo
    fast: SloFault | None
    slow: SloFault | None
    why_not: str = ""


def slow_burn(slo: Slo) -> float:
    """The slow phase's burn rate, in budgets: under every page factor, over the lowest ticket one."""
    page = min(w.burn_factor for w in slo.windows if w.severity == "page")
    ticket = min(w.burn_factor for w in slo.windows if w.severity == "ticket")
    burn = page * SLOW_SHARE_OF_PAGE
    return burn if burn > ticket else math.sqrt(page * ticket)


def slo_burn(spec: Spec, slo: Slo) -> SloBurn:
    if not slo.drivable:
        return SloBurn(slo, None, None, "the spec marks it not drivable (`verify: false`)")
    metric = spec.metric_by_name.get(slo.metric)
    if metric is None:
        return SloBurn(slo, None, None, f"`{slo.metric}` is not a metric the simulated service feeds")
    if slo.kind == "latency":
        assert slo.threshold is not None
        share = round(slow_burn(slo) * slo.error_budget, 12)
        return SloBurn(
            slo, SlowRequests(metric.name, slo.threshold, FAST_SHARE), SlowRequests(metric.name, slo.threshold, share)
        )
    assert metric.type == COUNTER
    bad = dict(error_values(spec))
    for matcher in slo.errors:
        recorded = bad.get(matcher.label, ())
        if not recorded or any(v not in accepted_values(spec, matcher) for v in recorded):
            return SloBurn(
                slo,
                None,
                None,
                f"its errors selector on `{matcher.label}` does not count every value a failed simulated request "
                f"records ({', '.join(recorded) or 'none'})",
            )
    match = []
    for matcher in slo.total:
        values = accepted_values(spec, matcher)
        if matcher.label in bad or not values:
            return SloBurn(slo, None, None, f"its total selector on `{matcher.label}` selects no simulated request")
        match.append((matcher.label, values[0]))
    scope = tuple(match)
    return SloBurn(
        slo,
        ServerErrors(metric.name, scope, FAST_SHARE),
        ServerErrors(metric.name, scope, round(slow_burn(slo) * slo.error_budget, 12)),
    )


def concerns(slo: Slo, fault: Fault) -> bool:
    """Whether a fault burns `slo`'s budget (its alerts may fire with it): server errors burn a
    ratio SLO, slow requests on its histogram a latency SLO. An outage concerns every SLO: as
    the replica's series go stale, each window's ratio is read off its last few samples (one slow
    request among them is a burst), while the long windows still hold an earlier phase's burn."""
    if isinstance(fault, TargetGone):
        return True
    if slo.kind == "ratio":
        return isinstance(fault, ServerErrors)
    return isinstance(fault, SlowRequests) and fault.metric == slo.metric


def slo_alert_names(spec: Spec, slo: Slo) -> list[str]:
    return [slo_alert_name(spec, slo, t.tier) for t in slo.enabled_tiers]
