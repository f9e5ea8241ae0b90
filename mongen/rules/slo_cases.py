"""promtool inputs for SLOs: request counters whose error ratio follows a schedule, and the cases
that prove each window pair of a burn-rate alert fires just above its burn factor and stays quiet
just below, with the exact value and description of every rule of the alert that fires.

The cases are sized to the window pair under test: inputs are sampled a quarter of the short window
apart (1m for 5m, 1h for 6h) for half the long window, so the 3d/6h pair needs 36 samples, not the
4,320 of a minute-by-minute 3 days; the test file is evaluated every EVALUATION_INTERVAL (burn-rate
alerts have no `for`, so nothing happens between evaluations that a test could miss).

Every case starts burning at the first sample, so every counter starts at 0 and Prometheus' rate()
scales the increase of every series of a window by the same factor: a window's error ratio is
exactly the ratio of the increases between its first and last sample, which the expected values
are computed from. A value a test compares comes from a window that starts before the first
sample or inside a constant phase, where Prometheus 2 and 3 (which differ on a sample lying on the
window's start) agree.
"""

from __future__ import annotations

from fractions import Fraction

from mongen.annotations import ValueRef, expected_text
from mongen.model import Slo, SloWindow, Spec
from mongen.promql import le_value
from mongen.rule_types import AlertRule
from mongen.rules.naming import slo_labels
from mongen.synth.cases import AlertCase, AlsoFiring, InputSeries
from mongen.synth.series import TEST_INSTANCE, base_labels, compress, error_label_sets, series, spread
from mongen.synth.slo_events import events_shape
from mongen.units import format_duration

# At least this many failed requests a minute at the lowest burn rate tested, so rounding the
# synthesized error ratio to whole requests moves it by under 1% of the gap the tests straddle.
_MIN_ERRORS_PER_MINUTE = 100
# The SLO test files are evaluated every 30 minutes: every case's evaluation time is a multiple.
EVALUATION_INTERVAL = 1800
# Sample spacings a case may use: the largest that divides its short window at least four times.
_SAMPLE_STEPS = (60, 300, 900, 1800, 3600)
# The firing case burns at ABOVE x the factor over the short window, after FIRST x the factor
# before it (so the long window's ratio differs from the short one's and the description must
# name the right one); the quiet case burns at BELOW x the factor throughout. Consecutive window
# pairs' factors differ by 2x or more, so no other pair sits near its own threshold.
ABOVE, FIRST, BELOW = 1.05, 1.4, 0.95


def requests_per_minute(slo: Slo) -> int:
    """Requests a minute in the synthesized inputs: 100,000, or more for very small budgets."""
    smallest = min(w.burn_factor for w in slo.windows) * slo.error_budget
    total = 100_000
    while smallest * total < _MIN_ERRORS_PER_MINUTE:
        total *= 10
    return total


def _cumulative(schedule: list[tuple[int, float]], per_sample: int) -> tuple[list[int], list[int]]:
    errors, oks = [0], [0]
    for samples, ratio in schedule:
        failed = round(ratio * per_sample)
        for _ in range(samples):
            errors.append(errors[-1] + failed)
            oks.append(oks[-1] + per_sample - failed)
    return errors, oks


def slo_input(spec: Spec, slo: Slo, schedule: list[tuple[int, float]], per_sample: int = 100_000) -> InputSeries:
    """Input series for an SLO whose error ratio follows `schedule`: (samples, error ratio) phases.
    A ratio SLI's failures are spread over every value its error selector accepts (500, 503, 5xx)."""
    if slo.kind == "events":
        return events_input(spec, slo, schedule, per_sample)
    metric = spec.metric_by_name[slo.metric]
    chosen = spec.values_matching(slo.total)
    if slo.kind == "ratio":
        failing = [base_labels(spec, metric, {**errors, **chosen}) for errors in error_label_sets(spec, slo.errors)]
        ok_labels = base_labels(spec, metric, {**spec.values_matching(slo.errors, matching=False), **chosen})
        inputs = []
        for i, labels in enumerate(failing):
            shares = [(samples, spread(round(ratio * per_sample), len(failing))[i]) for samples, ratio in schedule]
            inputs.append((series(metric.exposed_name, labels), compress(_counts(shares))))
        _, oks = _cumulative(schedule, per_sample)
        inputs.append((series(metric.exposed_name, ok_labels), compress(oks)))
        return inputs
    assert slo.threshold is not None
    errors, oks = _cumulative(schedule, per_sample)
    labels = base_labels(spec, metric, chosen)
    inputs = []
    for bound in metric.buckets:
        counts = oks if bound >= slo.threshold else [0] * len(oks)
        inputs.append((series(metric.name + "_bucket", {**labels, "le": le_value(bound)}), compress(counts)))
    totals = [e + o for e, o in zip(errors, oks, strict=True)]
    inputs.append((series(metric.name + "_bucket", {**labels, "le": "+Inf"}), compress(totals)))
    inputs.append((series(metric.name + "_count", labels), compress(totals)))
    return inputs


def events_input(spec: Spec, slo: Slo, schedule: list[tuple[int, float]], per_sample: int) -> InputSeries:
    """An events SLI's two series (mongen.spec.slo_events): the failing one counts the errors, the
    passing one the rest."""
    assert slo.error_query is not None and slo.total_query is not None
    shape = events_shape(slo.error_query, slo.total_query)
    assert not isinstance(shape, str), "the spec check rejects an events SLI mongen cannot feed"
    target = {"job": spec.scrape.job, "instance": TEST_INSTANCE}
    errors, oks = _cumulative(schedule, per_sample)
    return [
        (series(shape.series, {**target, **shape.failing}), compress(errors)),
        (series(shape.series, {**target, **shape.passing}), compress(oks)),
    ]


def _counts(increments: list[tuple[int, int]]) -> list[int]:
    out = [0]
    for samples, step in increments:
        out += [out[-1] + step * (i + 1) for i in range(samples)]
    return out


def _first_samples(end: int, window: int, step: int) -> tuple[int, int]:
    """The first sample inside the window ending at `end`: as Prometheus 2 selects it (a sample on
    the window's start counts) and as Prometheus 3 does (it does not)."""
    return max(0, -(-(end - window) // step)), max(0, (end - window) // step + 1)


def sample_step(window: SloWindow) -> int:
    return max(s for s in _SAMPLE_STEPS if s * 4 <= window.short and window.short % s == 0)


def _stable_percent(value: float) -> bool:
    """Whether the `%.4g` percentage Prometheus prints stays the same a few ulps either side."""
    part = (ValueRef("percent"),)
    return expected_text(part, {}, value * (1 - 1e-12)) == expected_text(part, {}, value * (1 + 1e-12))


class _Scenario:
    """One case's traffic: (samples, burn rate) phases from the first sample, sampled every `step`."""

    def __init__(self, slo: Slo, phases: list[tuple[int, float]], step: int) -> None:
        self.slo, self.step = slo, step
        self.per_sample = requests_per_minute(slo) * step // 60
        budget = slo.error_budget
        self.schedule = [
            (samples, min(1.0, round(burn * budget * self.per_sample) / self.per_sample)) for samples, burn in phases
        ]
        self.errors, oks = _cumulative(self.schedule, self.per_sample)
        self.totals = [e + o for e, o in zip(self.errors, oks, strict=True)]
        self.end = sum(samples for samples, _ in phases) * step

    def _ratio(self, first: int) -> Fraction | None:
        last = self.end // self.step
        if last - first < 1:  # rate() needs two samples
            return None
        return Fraction(self.errors[last] - self.errors[first], self.totals[last] - self.totals[first])

    def ratio(self, window: int) -> Fraction | None:
        """The window's error ratio as Prometheus 3 computes it (within a rounding of either)."""
        return self._ratio(_first_samples(self.end, window, self.step)[1])

    def exact(self, window: int) -> bool:
        """Whether every Prometheus computes the same ratio for the window: it starts in a constant
        phase, or before the first sample."""
        return len({self._ratio(first) for first in _first_samples(self.end, window, self.step)}) == 1

    def fires(self, window: SloWindow) -> float | None:
        """The long window's error ratio when the pair fires at the end, else None."""
        threshold = Fraction(window.burn_factor) * Fraction(self.slo.error_budget)
        long, short = self.ratio(window.long), self.ratio(window.short)
        if long is None or short is None or long <= threshold or short <= threshold:
            return None
        return float(long)


def _case(spec: Spec, slo: Slo, pairs: list[tuple[SloWindow, AlertRule]], tested: int, firing: bool) -> AlertCase:
    """Half a long window of traffic: the firing case burns at FIRST x, then at ABOVE x for the short
    window, so the long window (all the data) and the short one tell different ratios."""
    window, rule = pairs[tested]
    step = sample_step(window)
    samples = window.long // 2 // step
    if firing:
        ceiling = (1 + ABOVE * window.burn_factor * slo.error_budget) / 2 / slo.error_budget  # a ratio under 1
        tail = (window.short + step) // step
        phases = [(samples - tail, min(FIRST * window.burn_factor, ceiling)), (tail, ABOVE * window.burn_factor)]
    else:
        phases = [(samples, BELOW * window.burn_factor)]
    scenario = _Scenario(slo, phases, step)
    # Move the phase boundary until every expected value prints the same whatever its last ulp.
    for _ in range(10):
        if not firing or all(_stable_percent(v) for w, _ in pairs if (v := scenario.fires(w)) is not None):
            break
        phases = [(phases[0][0] - 1, phases[0][1]), (phases[1][0] + 1, phases[1][1])]
        scenario = _Scenario(slo, phases, step)
    labels = dict(slo_labels(spec, slo))
    fired = [(w, r, v) for w, r in pairs if (v := scenario.fires(w)) is not None]
    mine = next((v for w, _, v in fired if w == window), None)
    assert (mine is not None) == firing, f"the {_pair(window)} case of {rule.name} tests nothing"
    assert all(scenario.exact(w.long) and _stable_percent(v) for w, _, v in fired), f"{rule.name}: inexact values"
    burn = scenario.ratio(window.short)
    assert burn is not None
    verb = ("pages" if window.severity == "page" else "opens a ticket") if firing else "stays quiet"
    return AlertCase(
        f"{rule.name} {verb} at burn rate {float(burn) / slo.error_budget:g} over {_pair(window)}",
        rule,
        slo_input(spec, slo, scenario.schedule, scenario.per_sample),
        scenario.end,
        firing,
        labels,
        mine or 0.0,
        tuple(AlsoFiring(r, labels, v) for w, r, v in fired if w != window),
        step,
    )


def _pair(window: SloWindow) -> str:
    return f"{format_duration(window.long)}/{format_duration(window.short)}"


def slo_cases(spec: Spec, slo: Slo, rules: tuple[AlertRule, ...]) -> list[AlertCase]:
    """Per window pair (`rules` in `slo.windows` order, without a tier the spec turns off): fires
    just above its factor, quiet just below."""
    cases = []
    windows = [w for w in slo.windows if slo.tier(w.severity).enabled]
    for severity in ("page", "ticket"):
        pairs = [(w, r) for w, r in zip(windows, rules, strict=True) if w.severity == severity]
        for tested in range(len(pairs)):
            cases += [_case(spec, slo, pairs, tested, firing) for firing in (True, False)]
    return cases
