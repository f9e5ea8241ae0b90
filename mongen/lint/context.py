"""What lint knows: the spec's series and labels, recorded series from the rule files, and label inference."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass, field

from mongen.lint.promql_tree import (
    Aggregate,
    Binary,
    Call,
    Matrix,
    Node,
    Number,
    Selector,
    String,
    Wrapper,
    ancestors,
    is_scalar,
)
from mongen.model import GAUGE, HISTOGRAM, Spec

Labels = frozenset[str] | None  # None: not known (external metric without declared labels)
# Series Prometheus itself writes for every target.
SYNTHETIC_SERIES = (
    "up",
    "scrape_duration_seconds",
    "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling",
    "scrape_series_added",
)


@dataclass(frozen=True)
class SeriesInfo:
    name: str
    labels: Labels
    kind: str  # counter | gauge | histogram_bucket | histogram_sum | histogram_count | recorded | external


@dataclass
class LintContext:
    spec: Spec
    recorded: dict[str, set[frozenset[str]]] = field(default_factory=dict)  # name -> label sets seen

    def __post_init__(self) -> None:
        self.exposed: dict[str, SeriesInfo] = {}
        for metric in self.spec.metrics:
            for exposed, labels in metric.exposed_series.items():
                kind = "histogram_" + exposed.rsplit("_", 1)[1] if metric.type == HISTOGRAM else metric.type
                self.exposed[exposed] = SeriesInfo(exposed, frozenset((*labels, *self.spec.target_labels)), kind)
        self.label_cache: dict[Node, Labels] = {}  # output_labels per node
        self.reads_recorded: set[Node] = set()  # cached nodes whose labels depend on `recorded`
        self.read_recorded = False  # set when a lookup hit a recorded series (see workers.first_pass)
        self._series: dict[str, SeriesInfo | None] = {}

    def set_recorded(self, recorded: dict[str, set[frozenset[str]]]) -> None:
        """Replace what the rule files record; lookups and label sets that depended on it are redone."""
        self.recorded = recorded
        for node in self.reads_recorded:
            del self.label_cache[node]
        self.reads_recorded.clear()
        self._series.clear()

    def series(self, name: str) -> SeriesInfo | None:
        if name in self._series:
            info = self._series[name]
        else:
            info = self._series[name] = self._lookup(name)
        if info is not None and info.kind == "recorded":
            self.read_recorded = True
        return info

    def _lookup(self, name: str) -> SeriesInfo | None:
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

    def metric_type(self, name: str) -> str | None:
        info = self.series(name) if name else None
        return info.kind if info else None


def matchers_off_series(
    ctx: LintContext, selectors: list[Selector], recorded: bool
) -> Iterator[tuple[Selector, SeriesInfo, str]]:
    """Matchers on a label the selected series does not carry (`recorded`: recorded series only, else the rest)."""
    for node in selectors:
        info = ctx.series(node.name) if node.name else None
        if info is None or info.labels is None or (info.kind == "recorded") != recorded:
            continue
        for m in node.matchers:
            if m.name != "__name__" and m.name not in info.labels and m.value != "":
                yield node, info, m.name


def gauges_inside(
    ctx: LintContext, selectors: list[Selector], functions: tuple[str, ...]
) -> Iterator[tuple[Selector, Call]]:
    """Gauge selectors anywhere inside a call to one of `functions`, with that call."""
    for node in selectors:
        if ctx.metric_type(node.name) == GAUGE:
            for parent in ancestors(node):
                if isinstance(parent, Call) and parent.func in functions:
                    yield node, parent


def output_labels(ctx: LintContext, node: Node) -> Labels:
    """Labels every series of the expression's result carries (None when it cannot be known).
    Memoized per node; set_recorded() drops the nodes whose answer read a recorded series."""
    if node in ctx.label_cache:
        if node in ctx.reads_recorded:
            ctx.read_recorded = True
        return ctx.label_cache[node]
    outer, ctx.read_recorded = ctx.read_recorded, False
    labels = ctx.label_cache[node] = _output_labels(ctx, node)
    if ctx.read_recorded:
        ctx.reads_recorded.add(node)
    ctx.read_recorded |= outer
    return labels


def _output_labels(ctx: LintContext, node: Node) -> Labels:
    if isinstance(node, Selector):
        info = ctx.series(node.name) if node.name else None
        return info.labels if info else None
    if isinstance(node, Matrix):
        return output_labels(ctx, node.selector)
    if isinstance(node, Wrapper):
        return output_labels(ctx, node.expr)
    if isinstance(node, (Number, String)):
        return frozenset()
    if isinstance(node, Aggregate):
        inner = output_labels(ctx, node.expr)
        if node.op in ("topk", "bottomk", "limitk"):
            return inner
        if node.grouping == "by":
            base: Labels = frozenset(node.labels)
        elif node.grouping == "without":
            base = None if inner is None else inner - frozenset(node.labels)
        else:
            base = frozenset()
        if node.op == "count_values" and base is not None and isinstance(node.param, String):
            return base | {node.param.value}
        return base
    if isinstance(node, Call):
        name, args = node.func, node.args
        if name in ("vector", "time", "scalar", "pi") or not args:
            return frozenset()
        if name == "histogram_quantile":
            inner = output_labels(ctx, args[1])
            return None if inner is None else inner - {"le"}
        if name in ("absent", "absent_over_time"):
            target = args[0].selector if isinstance(args[0], Matrix) else args[0]
            if isinstance(target, Selector):
                return frozenset(m.name for m in target.matchers if m.op == "=")
            return frozenset()
        if name in ("label_replace", "label_join") and isinstance(args[1], String):
            inner = output_labels(ctx, args[0])
            return None if inner is None else inner | {args[1].value}
        vectors = [a for a in args if not isinstance(a, (Number, String))]
        return output_labels(ctx, vectors[0]) if vectors else frozenset()
    if isinstance(node, Binary):
        lhs, rhs = output_labels(ctx, node.lhs), output_labels(ctx, node.rhs)
        if node.op == "or":
            return None if lhs is None or rhs is None else lhs & rhs
        if is_scalar(node.lhs):
            return rhs
        if is_scalar(node.rhs) or node.op in ("and", "unless"):
            return lhs
        if node.card == "one-to-many":
            return None if rhs is None else rhs | frozenset(node.group_labels)
        if node.card == "many-to-one":
            return None if lhs is None else lhs | frozenset(node.group_labels)
        if node.matching and lhs is not None:
            keep = frozenset(node.matching_labels)
            return lhs & keep if node.matching == "on" else lhs - keep
        return lhs
    return None
