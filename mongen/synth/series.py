"""Input series in promtool's notation: names with labels, and expanding value sequences."""

from __future__ import annotations

from mongen.model import Matcher, Metric, Spec
from mongen.promql import quote
from mongen.units import format_number

# Test inputs are sampled every minute; rate windows in the rules are >= 4 scrape intervals.
TEST_INTERVAL = 60
TEST_INSTANCE = "replica-1:8001"

Labels = dict[str, str]


def series(name: str, labels: Labels) -> str:
    """`name{a="x",b="y"}` with every value quoted for PromQL."""
    return f"{name}{{{','.join(f'{k}={quote(v)}' for k, v in labels.items())}}}"


def spaced_series(name: str, labels: Labels) -> str:
    """As `series`, with `, ` between labels (the recording tests' established form)."""
    return f"{name}{{{', '.join(f'{k}={quote(v)}' for k, v in labels.items())}}}"


def counter_values(per_minute: float, minutes: int) -> str:
    """A counter growing by `per_minute` each sample for `minutes` samples: `0+60x15`."""
    return f"0+{format_number(per_minute)}x{minutes}"


def base_labels(spec: Spec, metric: Metric, chosen: Labels) -> Labels:
    """A concrete label set for one input series: chosen values, else the first declared value."""
    labels = {"job": spec.scrape.job, "instance": TEST_INSTANCE}
    for name in metric.labels:
        labels[name] = chosen.get(name, spec.label_by_name[name].values[0])
    return labels


def error_label_sets(spec: Spec, matchers: tuple[Matcher, ...]) -> list[Labels]:
    """One label choice per value an error selector accepts (`status` 500, 503 and 5xx), the other
    matchers at their first accepted value: inputs that fail with each of them prove every one
    counts."""
    first = spec.values_matching(matchers)
    out: list[Labels] = []
    for m in matchers:
        for value in spec.label_by_name[m.label].values:
            choice = {**first, m.label: value}
            if ((value in m.values) != m.negate) and choice not in out:
                out.append(choice)
    return out or [first]


def spread(total: int, parts: int) -> list[int]:
    """`total` in `parts` whole shares that differ by at most one, the larger ones first."""
    share, extra = divmod(total, parts)
    return [share + (1 if i < extra else 0) for i in range(parts)]


def compress(values: list[int]) -> str:
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
