"""What lint knows: the spec's series and labels, recorded series from the rule files, and label inference."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

import promql_parser as pp

from mongen.model import HISTOGRAM, Spec

Labels = frozenset[str] | None  # None: not known (external metric without declared labels)
# Series Prometheus itself writes for every target.
SYNTHETIC_SERIES = (
    "up",
    "scrape_duration_seconds",
    "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling",
    "scrape_series_added",
)
# Functions whose result keeps the labels of their (first vector) argument.
_KEEP_LABELS = {
    "rate",
    "irate",
    "increase",
    "delta",
    "idelta",
    "deriv",
    "resets",
    "changes",
    "abs",
    "ceil",
    "floor",
    "round",
    "exp",
    "ln",
    "log2",
    "log10",
    "sqrt",
    "clamp",
    "clamp_max",
    "clamp_min",
    "sort",
    "sort_desc",
    "avg_over_time",
    "min_over_time",
    "max_over_time",
    "sum_over_time",
    "count_over_time",
    "last_over_time",
    "quantile_over_time",
    "stddev_over_time",
    "stdvar_over_time",
    "present_over_time",
    "predict_linear",
    "holt_winters",
    "timestamp",
    "sgn",
}


@dataclass(frozen=True)
class SeriesInfo:
    name: str
    labels: Labels
    kind: str  # counter | gauge | histogram_bucket | histogram_sum | histogram_count | recorded | external
    metric: str = ""  # spec metric it comes from


@dataclass
class LintContext:
    spec: Spec
    recorded: dict[str, set[frozenset[str]]] = field(default_factory=dict)  # name -> label sets seen

    def __post_init__(self) -> None:
        self._results: dict[int, Labels] = {}
        self.exposed: dict[str, SeriesInfo] = {}
        for metric in self.spec.metrics:
            for exposed, labels in metric.exposed_series.items():
                kind = "histogram_" + exposed.rsplit("_", 1)[1] if metric.type == HISTOGRAM else metric.type
                self.exposed[exposed] = SeriesInfo(
                    exposed, frozenset((*labels, *self.spec.target_labels)), kind, metric.name
                )

    def series(self, name: str) -> SeriesInfo | None:
        if name in self.exposed:
            return self.exposed[name]
        if name in self.recorded:
            sets = self.recorded[name]
            # Labels every recording of the name keeps; unknown until its expression is resolved.
            return SeriesInfo(name, frozenset.intersection(*sets) if sets else None, "recorded")
        if name in SYNTHETIC_SERIES:
            return SeriesInfo(name, frozenset(self.spec.target_labels), "gauge")
        for ext in self.spec.external_metrics:
            if ext.name == name or (ext.prefix and name.startswith(ext.prefix)):
                return SeriesInfo(name, frozenset(ext.labels) if ext.labels is not None else None, "external")
        return None

    def known_names(self) -> list[str]:
        names = list(self.spec.exposed_series) + list(self.recorded) + list(SYNTHETIC_SERIES)
        names += [e.name for e in self.spec.external_metrics if e.name]
        return names

    def suggest(self, name: str) -> str:
        close = difflib.get_close_matches(name, self.known_names(), n=1, cutoff=0.75)
        return f"; did you mean `{close[0]}`?" if close else ""

    def result_labels(self, rule: Any) -> Labels:
        """output_labels of a whole rule expression, computed once per rule after registration."""
        key = id(rule)
        if key not in self._results:
            self._results[key] = output_labels(self, rule.expr) if rule.expr is not None else None
        return self._results[key]

    def metric_type(self, name: str | None) -> str | None:
        info = self.series(name) if name else None
        return info.kind if info else None


def selector_labels(ctx: LintContext, node: pp.VectorSelector) -> Labels:
    info = ctx.series(node.name) if node.name else None
    return info.labels if info else None


def output_labels(ctx: LintContext, node: Any) -> Labels:
    """Labels every series of the expression's result carries (None when it cannot be known)."""
    if isinstance(node, pp.VectorSelector):
        return selector_labels(ctx, node)
    if isinstance(node, pp.MatrixSelector):
        return output_labels(ctx, node.vector_selector)
    if isinstance(node, (pp.ParenExpr, pp.SubqueryExpr)):
        return output_labels(ctx, node.expr)
    if isinstance(node, pp.UnaryExpr):
        return output_labels(ctx, node.expr)
    if isinstance(node, (pp.NumberLiteral, pp.StringLiteral)):
        return frozenset()
    if isinstance(node, pp.AggregateExpr):
        inner = output_labels(ctx, node.expr)
        modifier = node.modifier
        if modifier is None:
            base: Labels = frozenset()
        elif str(modifier.type).endswith("By"):
            base = frozenset(modifier.labels)
        else:
            base = None if inner is None else inner - frozenset(modifier.labels)
        if str(node.op) in ("topk", "bottomk", "limitk"):
            return inner
        if str(node.op) == "count_values" and base is not None and isinstance(node.param, pp.StringLiteral):
            return base | {node.param.val}
        return base
    if isinstance(node, pp.Call):
        name = node.func.name
        args = list(node.args)
        if name in ("vector", "time", "scalar", "pi") or not args:
            return frozenset()
        if name == "histogram_quantile":
            inner = output_labels(ctx, args[1])
            return None if inner is None else inner - {"le"}
        if name in ("absent", "absent_over_time"):
            target = args[0].vector_selector if isinstance(args[0], pp.MatrixSelector) else args[0]
            if isinstance(target, pp.VectorSelector):
                return frozenset(
                    m.name
                    for m in target.matchers.matchers
                    if str(m.op).endswith("Equal") and not str(m.op).endswith("NotEqual")
                )
            return frozenset()
        if name == "label_replace":
            inner = output_labels(ctx, args[0])
            return None if inner is None else inner | {args[1].val}
        if name == "label_join":
            inner = output_labels(ctx, args[0])
            return None if inner is None else inner | {args[1].val}
        vectors = [a for a in args if not isinstance(a, (pp.NumberLiteral, pp.StringLiteral))]
        return output_labels(ctx, vectors[0]) if vectors else frozenset()
    if isinstance(node, pp.BinaryExpr):
        lhs, rhs = output_labels(ctx, node.lhs), output_labels(ctx, node.rhs)
        op = str(node.op)
        if op == "or":
            return None if lhs is None or rhs is None else lhs & rhs
        if is_scalar(node.lhs):
            return rhs
        if is_scalar(node.rhs) or op in ("and", "unless"):
            return lhs
        binmod = node.modifier
        if binmod is None:
            return lhs
        card = str(binmod.card)
        if card.endswith("OneToMany"):
            return None if rhs is None else rhs | frozenset(binmod.group_labels or ())
        if card.endswith("ManyToOne"):
            return None if lhs is None else lhs | frozenset(binmod.group_labels or ())
        if binmod.matching is not None and lhs is not None:
            keep = frozenset(binmod.matching.labels)
            return lhs & keep if str(binmod.matching.type).endswith("Include") else lhs - keep
        return lhs
    return None


def is_scalar(node: Any) -> bool:
    if isinstance(node, pp.NumberLiteral):
        return True
    if isinstance(node, pp.ParenExpr):
        return is_scalar(node.expr)
    if isinstance(node, pp.UnaryExpr):
        return is_scalar(node.expr)
    if isinstance(node, pp.Call):
        return node.func.name in ("scalar", "time", "pi")
    if isinstance(node, pp.BinaryExpr):
        return is_scalar(node.lhs) and is_scalar(node.rhs)
    return False


def walk(node: Any, parents: tuple[Any, ...] = ()) -> list[tuple[Any, tuple[Any, ...]]]:
    """Every node with its ancestors (nearest last), depth first."""
    out = [(node, parents)]
    here = (*parents, node)
    children: list[Any] = []
    if isinstance(node, pp.BinaryExpr):
        children = [node.lhs, node.rhs]
    elif isinstance(node, (pp.AggregateExpr,)):
        children = [node.expr] + ([node.param] if node.param is not None else [])
    elif isinstance(node, (pp.ParenExpr, pp.UnaryExpr, pp.SubqueryExpr)):
        children = [node.expr]
    elif isinstance(node, pp.Call):
        children = list(node.args)
    elif isinstance(node, pp.MatrixSelector):
        children = [node.vector_selector]
    for child in children:
        out += walk(child, here)
    return out
