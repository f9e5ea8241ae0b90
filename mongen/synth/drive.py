"""Driving a raw PromQL comparison (`kind: expr` alerts): the input series that push
`<vector> <op> <number>` past its number, and those that keep it on the healthy side.

mongen drives the shape it can solve exactly: the vector side reads one metric, fed as one
series at one level (a gauge's value, a counter's increase per second), through operations whose
result is an affine function of that level (sums, averages, min/max over the one series, `rate`,
`*_over_time`, arithmetic with numbers). The level is solved for from three evaluations of that
function, so nothing is guessed. Anything else gets a reason instead of a test that cannot fire.
The expression is parsed by promql-parser; it was already checked against the spec.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta

import promql_parser as pp

from mongen.model import COUNTER, GAUGE, HISTOGRAM, Spec
from mongen.synth.series import TEST_INSTANCE, TEST_INTERVAL
from mongen.units import format_number

Labels = dict[str, str]

_COMPARISONS = {">": ">", ">=": ">=", "<": "<", "<=": "<="}
_MIRRORED = {">": "<", ">=": "<=", "<": ">", "<=": ">="}
_IDENTITY_AGGREGATES = ("sum", "max", "min", "avg")
_RATES = ("rate", "irate")
_OVER_TIME = ("avg_over_time", "max_over_time", "min_over_time", "last_over_time")
# Placeholder value for a label of an external metric, which declares names but no values.
EXTERNAL_LABEL_VALUE = "0"


@dataclass(frozen=True)
class Drive:
    """One input series (`name`, `labels`) at a level that fires and one that stays quiet.
    `counter`: the level is an increase per second, else the series' value."""

    name: str
    labels: Labels
    counter: bool
    firing_level: float
    quiet_level: float
    firing_value: float  # what the expression evaluates to at firing_level
    result_labels: Labels  # labels of the expression's result series
    longest_range: int  # seconds: the widest range selector the expression reads

    def values(self, level: float, samples: int) -> str:
        """promtool `values` for `samples` samples at TEST_INTERVAL."""
        if self.counter:
            return f"0+{format_number(level * TEST_INTERVAL)}x{samples}"
        return f"{format_number(level)}x{samples}"


class NotDrivable(Exception):
    """Why mongen cannot drive the expression (the message is shown to the user)."""


# Input values a promtool test series holds with room to spare for rate() arithmetic.
_LARGEST = 1e15
_SMALLEST = 1e-9


def plan(spec: Spec, expr: str) -> Drive:
    """The inputs that make `expr` fire and stay quiet. Raises NotDrivable."""
    root = _unparen(pp.parse(expr))
    if not isinstance(root, pp.BinaryExpr) or str(root.op) not in _COMPARISONS:
        raise NotDrivable("it is not a comparison `<vector> <op> <number>`")
    if root.modifier is not None and root.modifier.return_bool:
        raise NotDrivable("it compares with `bool`, which returns 0 or 1 instead of filtering")
    op, vector, number = str(root.op), _unparen(root.lhs), _unparen(root.rhs)
    if isinstance(vector, pp.NumberLiteral):
        op, vector, number = _MIRRORED[op], number, vector
    if not isinstance(number, pp.NumberLiteral):
        raise NotDrivable("neither side of the comparison is a plain number")
    threshold = float(number.val)
    if not math.isfinite(threshold) or abs(threshold) > _LARGEST:
        raise NotDrivable(f"its number {number.val} is beyond the values a test series can hold exactly")
    leaf = _one_metric(spec, vector)
    at = [_value(vector, leaf, x) for x in (1.0, 2.0, 3.0)]
    slope, offset = at[1] - at[0], at[0] - (at[1] - at[0])
    if slope == 0 or abs((at[2] - at[1]) - slope) > 1e-9 * max(1.0, abs(slope)):
        raise NotDrivable(f"its value does not follow the level of `{leaf.name}` in a straight line")
    step = abs(threshold) * 0.1 or 1.0
    above = op in (">", ">=")
    fire, quiet = (threshold + step, threshold - step) if above else (threshold - step, threshold + step)
    firing_level, quiet_level = (fire - offset) / slope, (quiet - offset) / slope
    if leaf.counter and min(firing_level, quiet_level) < 0:
        raise NotDrivable(f"`{leaf.name}` is a counter and would have to fall to cross {format_number(threshold)}")
    for level in (firing_level, quiet_level):
        per_sample = abs(level) * (TEST_INTERVAL if leaf.counter else 1)
        if not math.isfinite(per_sample) or per_sample > _LARGEST or 0 < per_sample < _SMALLEST:
            raise NotDrivable(
                f"the input levels that cross {format_number(threshold)} are too large or too small for a test "
                "series to hold exactly"
            )
    return Drive(
        leaf.name,
        leaf.labels,
        leaf.counter,
        firing_level,
        quiet_level,
        fire,
        _result_labels(vector, leaf.labels),
        leaf.longest_range,
    )


@dataclass
class _Leaf:
    name: str
    labels: Labels
    counter: bool
    longest_range: int = 0
    chosen: set[str] = field(default_factory=set)  # labels a selector's `=` matcher set


def _unparen(node: object) -> object:
    while isinstance(node, pp.ParenExpr):
        node = node.expr
    return node


def _selectors(node: object) -> list[pp.VectorSelector]:
    if isinstance(node, pp.VectorSelector):
        return [node]
    if isinstance(node, pp.MatrixSelector):
        return [node.vector_selector]
    children: list[object] = []
    if isinstance(node, pp.BinaryExpr):
        children = [node.lhs, node.rhs]
    elif isinstance(node, pp.Call):
        children = list(node.args)
    elif isinstance(node, (pp.AggregateExpr, pp.ParenExpr, pp.UnaryExpr, pp.SubqueryExpr)):
        children = [node.expr]
    return [s for child in children for s in _selectors(child)]


def _one_metric(spec: Spec, vector: object) -> _Leaf:
    """The one series the vector side reads, with labels that satisfy every selector of it."""
    selectors = _selectors(vector)
    names = sorted({s.name or "" for s in selectors})
    if len(names) != 1 or not names[0]:
        raise NotDrivable(f"it reads {len(names)} metrics ({', '.join(names)}); mongen drives a comparison over one")
    name = names[0]
    leaf = _Leaf(name, *_series_labels(spec, name))
    for selector in selectors:
        if selector.offset is not None or selector.at is not None:
            raise NotDrivable(f"it reads `{name}` with `offset` or `@`, away from the time the test evaluates")
        for m in selector.matchers.matchers:
            if m.name == "__name__":
                continue
            if str(m.op) != "MatchOp.Equal":
                raise NotDrivable(f"it selects `{m.name}` with a regex or negative matcher; mongen drives `=` matchers")
            if m.name in leaf.chosen and leaf.labels[m.name] != m.value:
                raise NotDrivable(f"its selectors ask for different values of `{m.name}`")
            leaf.labels[m.name] = m.value
            leaf.chosen.add(m.name)
    return leaf


def _first_value(spec: Spec, label: str) -> str:
    declared = spec.label_by_name.get(label)
    return declared.values[0] if declared is not None else "0"


def _series_labels(spec: Spec, name: str) -> tuple[Labels, bool]:
    """A concrete label set for series `name`, and whether it is a counter."""
    base: Labels = {"job": spec.scrape.job, "instance": TEST_INSTANCE}
    for metric in spec.metrics:
        labels = metric.exposed_series.get(name)
        if labels is None:
            continue
        if name.endswith("_bucket"):
            raise NotDrivable(f"`{name}` is a histogram's buckets; compare a quantile with a latency_quantile alert")
        # A label the spec does not declare is one mongen adds itself: NVML's `gpu` (an index).
        base.update({label: _first_value(spec, label) for label in labels})
        return base, metric.type in (COUNTER, HISTOGRAM)
    for ext in spec.external_metrics:
        if name in ext.series:
            kind, ext_labels = ext.series[name]
            if kind not in (COUNTER, GAUGE):
                raise NotDrivable(f"`{name}` is declared of type {kind}; mongen drives counters and gauges")
            base.update({label: EXTERNAL_LABEL_VALUE for label in ext_labels or () if label not in base})
            return base, kind == COUNTER
    raise NotDrivable(f"`{name}` is a recorded series or undeclared; mongen drives the series the spec declares")


def _value(node: object, leaf: _Leaf, level: float) -> float:
    """What `node` evaluates to when the one series is fed at `level`."""
    node = _unparen(node)
    if isinstance(node, pp.NumberLiteral):
        return float(node.val)
    if isinstance(node, pp.VectorSelector):
        if leaf.counter:
            raise NotDrivable(f"it reads the counter `{leaf.name}` without `rate`, `irate` or `increase`")
        return level
    if isinstance(node, pp.UnaryExpr):
        return -_value(node.expr, leaf, level)
    if isinstance(node, pp.AggregateExpr):
        if str(node.op) not in _IDENTITY_AGGREGATES:
            raise NotDrivable(f"`{node.op}` over one series is not a level mongen can set")
        return _value(node.expr, leaf, level)
    if isinstance(node, pp.Call):
        return _call(node, leaf, level)
    if isinstance(node, pp.BinaryExpr):
        if str(node.op) not in ("+", "-", "*", "/") or node.modifier is not None:
            raise NotDrivable(f"`{node.op}` inside the compared side is not arithmetic mongen can solve")
        lhs, rhs = _value(node.lhs, leaf, level), _value(node.rhs, leaf, level)
        op = str(node.op)
        if op == "/" and rhs == 0:
            raise NotDrivable("it divides by zero at the levels mongen tries")
        return lhs + rhs if op == "+" else lhs - rhs if op == "-" else lhs * rhs if op == "*" else lhs / rhs
    raise NotDrivable(f"`{type(node).__name__}` is not an expression mongen can drive")


def _call(node: pp.Call, leaf: _Leaf, level: float) -> float:
    func = node.func.name
    args = list(node.args)
    if len(args) != 1 or not isinstance(args[0], pp.MatrixSelector):
        raise NotDrivable(f"`{func}(...)` is not a function mongen can drive")
    seconds = int(args[0].range / timedelta(seconds=1))
    if seconds < 2 * TEST_INTERVAL:
        # rate() needs two samples in its range, and the tests sample every TEST_INTERVAL.
        raise NotDrivable(f"its range [{seconds}s] holds fewer than two of the test's samples ({TEST_INTERVAL}s apart)")
    leaf.longest_range = max(leaf.longest_range, seconds)
    if func in _RATES or func == "increase":
        if not leaf.counter:
            raise NotDrivable(f"`{func}` of the gauge `{leaf.name}`")
        return level * seconds if func == "increase" else level
    if func in _OVER_TIME and not leaf.counter:
        return level
    raise NotDrivable(f"`{func}(...)` is not a function mongen can drive")


def _result_labels(node: object, labels: Labels) -> Labels:
    """The labels of the result series when the one input series carries `labels`."""
    node = _unparen(node)
    if isinstance(node, pp.AggregateExpr):
        inner = _result_labels(node.expr, labels)
        mod = node.modifier
        if mod is None:
            return {}
        names = set(mod.labels)
        if str(mod.type).endswith("By"):
            return {k: v for k, v in inner.items() if k in names}
        return {k: v for k, v in inner.items() if k not in names}
    if isinstance(node, pp.BinaryExpr):
        lhs, rhs = _unparen(node.lhs), _unparen(node.rhs)
        return _result_labels(rhs if isinstance(lhs, pp.NumberLiteral) else lhs, labels)
    if isinstance(node, pp.Call):
        return _result_labels(node.args[0], labels)
    if isinstance(node, pp.UnaryExpr):
        return _result_labels(node.expr, labels)
    return dict(labels)
