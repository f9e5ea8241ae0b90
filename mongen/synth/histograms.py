"""Histogram inputs whose quantile lands where a test needs it, and Prometheus' own quantile math."""

from __future__ import annotations

from mongen.model import Metric
from mongen.promql import le_value

# Observations per minute in a synthesized histogram: a quantile can be placed inside a bucket in
# steps of 1/(observations in that bucket), so P99.9 gets 10 steps and P95 gets 500.
OBSERVATIONS_PER_MINUTE = 10000

BucketCounts = list[tuple[str, float]]  # (le label value, cumulative count per minute)


def bucket_span(metric: Metric, value: float) -> tuple[float, float] | None:
    """The (lower, upper] bucket holding `value` (the first starts at 0, as in Prometheus)."""
    lower = 0.0
    for bound in metric.buckets:
        if value <= bound:
            return lower, bound
        lower = bound
    return None


def _stable_g3(value: float) -> bool:
    return "%.3g" % (value * (1 - 1e-9)) == "%.3g" % (value * (1 + 1e-9))


def histogram_for_quantile(metric: Metric, q: float, target: float) -> tuple[BucketCounts, float] | None:
    """Per-minute cumulative bucket increments whose q-quantile interpolates to about `target`,
    and that exact quantile; None when `target` is beyond the last bucket.

    OBSERVATIONS_PER_MINUTE observations: `below` at or under the start of the target's bucket,
    `inside` in it, the rest above the last bucket, so histogram_quantile lands inside the bucket
    at a fraction we choose in steps of 1/inside.
    """
    span = bucket_span(metric, target)
    total = OBSERVATIONS_PER_MINUTE
    rank = round(q * total)
    inside = round((1 - q) * total) if q >= 0.5 else rank
    if span is None or inside < 2:
        return None
    lower, upper = span
    ideal = max(1, min(inside - 1, round((target - lower) / (upper - lower) * inside)))
    # Prefer a step whose quantile is not on a %.3g rounding edge: Prometheus computes it
    # from rates, one ulp off, and the expected annotation must not depend on that ulp.
    candidates = sorted(range(1, inside), key=lambda k: abs(k - ideal))[:50]
    steps = next((k for k in candidates if _stable_g3(lower + (upper - lower) * k / inside)), ideal)
    below = rank - steps
    value = lower + (upper - lower) * (rank - below) / inside
    counts = [(le_value(bound), float(below if bound < upper else below + inside)) for bound in metric.buckets]
    counts.append(("+Inf", float(total)))
    return counts, value


def straddle_targets(metric: Metric, threshold: float) -> tuple[float, float]:
    """Quantile values just above (inside the buckets) and just below a threshold."""
    return min(threshold * 1.05, (threshold + metric.buckets[-1]) / 2), threshold * 0.95


def quantile_untestable(metric: Metric, q: float, threshold: float) -> str | None:
    """Why the quantile cannot be placed on both sides of the threshold with these buckets, or None."""
    above, below = straddle_targets(metric, threshold)
    for target, firing in ((above, True), (below, False)):
        made = histogram_for_quantile(metric, q, target)
        if made is None or (made[1] > threshold) != firing:
            span = bucket_span(metric, target) or (metric.buckets[-1], float("inf"))
            return (
                f"the generated promtool tests cannot place the quantile just {'above' if firing else 'below'} "
                f"{threshold:g} with these buckets: the bucket ({span[0]:g}, {span[1]:g}] is too wide for it; "
                f"add a bucket boundary near {threshold:g}"
            )
    return None


def histogram_quantile(q: float, buckets: list[tuple[float, float]]) -> float:
    """Prometheus' classic histogram_quantile, the same float operations in the same order."""
    total = buckets[-1][1]
    rank = q * total
    b = next(i for i, (_, c) in enumerate(buckets) if c >= rank)
    if b == len(buckets) - 1:
        return buckets[-2][0]
    start, end, count = 0.0, buckets[b][0], buckets[b][1]
    if b > 0:
        start = buckets[b - 1][0]
        count -= buckets[b - 1][1]
        rank -= buckets[b - 1][1]
    return start + (end - start) * (rank / count)
