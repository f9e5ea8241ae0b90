"""What lint knows: the specs' series and labels (when there are specs), the series mongen's own
rules record for them, recorded series from the rule files, and label inference.

Lint runs against no spec, one, or every spec of a project: each series belongs to the spec that
declares it (its labels, types, values and scrape interval are that spec's), so a rule may read
the series of several services."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

from mongen.check_config import CheckConfig
from mongen.model import HISTOGRAM, Metric, Spec
from mongen.promql_tree import (
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

Labels = frozenset[str] | None  # None: not known (open: an external metric without declared labels)
# Series Prometheus itself writes for every target; they carry that target's labels.
SYNTHETIC_SERIES = (
    "up",
    "scrape_duration_seconds",
    "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling",
    "scrape_series_added",
)
# What a series holds: a running total (counters and a histogram's `_sum`, `_count`), a histogram's
# buckets (running totals with `le`), a current value, a value of unknown type, or a recorded series.
COUNTER, BUCKET, GAUGE, UNTYPED, RECORDED = "counter", "bucket", "gauge", "untyped", "recorded"
# Recorded name -> the label sets its rules produce.
Recorded = dict[str, set[frozenset[str]]]
T = TypeVar("T")


@dataclass(frozen=True)
class SeriesInfo:
    name: str
    labels: Labels
    kind: str  # COUNTER, BUCKET, GAUGE, UNTYPED or RECORDED


@dataclass(frozen=True)
class LintOptions:
    """Settings of checks that a team may want stricter than the default."""

    min_for_seconds: float = 0.0  # alert-without-for: also report a `for` shorter than this
    checks: CheckConfig = field(default_factory=CheckConfig)  # the project config's `checks` table
    all_checks: bool = False  # also the checks that are off by default (the documented examples)

    def runs(self, check_id: str, enabled_by_default: bool) -> bool:
        return self.all_checks or self.checks.runs(check_id, enabled_by_default)


def spec_tuple(specs: Spec | Sequence[Spec] | None) -> tuple[Spec, ...]:
    """No spec, one, or several, as a tuple."""
    if specs is None:
        return ()
    return (specs,) if isinstance(specs, Spec) else tuple(specs)


@dataclass(frozen=True)
class KnownRecorded:
    """Series mongen's own rules record for the specs, known whether or not the generated rule
    files are linted in the same run: name -> label sets, the names recorded as sums (-> where),
    and the spec each name belongs to (None: recorded for several, like the `slo:*` series)."""

    recorded: Recorded = field(default_factory=dict)
    sums: dict[str, str] = field(default_factory=dict)
    owner: dict[str, Spec | None] = field(default_factory=dict)


@dataclass
class LintContext:
    """`specs` is empty in spec-less mode: then only recorded series are known, every other series
    has open labels and no type, and the checks that need a spec do not run."""

    specs: tuple[Spec, ...]
    options: LintOptions = field(default_factory=LintOptions)
    known: KnownRecorded = field(default_factory=KnownRecorded)
    recorded: Recorded = field(default_factory=dict)
    recorded_sums: dict[str, str] = field(default_factory=dict)  # recorded as a sum -> `file:line` of the rule

    def __post_init__(self) -> None:
        self.exposed: dict[str, SeriesInfo] = {}
        self.external: dict[str, SeriesInfo] = {}
        self.owner: dict[str, Spec] = {}  # exposed or external series -> the spec declaring it
        for spec in self.specs:
            target = spec.target_labels
            for metric in spec.metrics:
                for exposed, labels in metric.exposed_series.items():
                    kind = (
                        (BUCKET if exposed.endswith("_bucket") else COUNTER)
                        if metric.type == HISTOGRAM
                        else metric.type
                    )
                    self.exposed.setdefault(exposed, SeriesInfo(exposed, frozenset((*labels, *target)), kind))
                    self.owner.setdefault(exposed, spec)
            for ext in spec.external_metrics:
                for name, (kind, ext_labels) in ext.series.items():
                    info = SeriesInfo(name, None if ext_labels is None else frozenset(ext_labels), kind)
                    self.external.setdefault(name, info)
                    self.owner.setdefault(name, spec)
        self.label_cache: dict[Node, Labels] = {}  # output_labels per node
        # Answers that depend on a selector alone (its Selector.key) and on what is recorded:
        # (what, key) -> answer; see per_selector.
        self._per_selector: dict[tuple[str, tuple[str, ...]], object] = {}
        self.reads_recorded: set[Node] = set()  # cached nodes whose labels depend on `recorded`
        self.read_recorded = False  # set when a lookup hit a recorded series (see workers.first_pass)
        self._series: dict[tuple[str, int], SeriesInfo | None] = {}
        self.set_recorded(self.recorded, self.recorded_sums)

    @property
    def spec(self) -> Spec | None:
        """The spec when lint runs against exactly one (None without a spec or with several)."""
        return self.specs[0] if len(self.specs) == 1 else None

    @property
    def model(self) -> Spec:
        """The spec, for checks that only run with one (Check.needs_spec); with several, the first
        (checks that look at one series ask `spec_of` instead)."""
        assert self.specs, "a check that needs the spec ran without one"
        return self.specs[0]

    def spec_of(self, name: str) -> Spec | None:
        """The spec a series belongs to: the one declaring it, or whose generated rules record it;
        with a single spec, that spec; else None (a series of the rule files, or of several specs)."""
        owner = self.owner.get(name) or self.known.owner.get(name)
        if owner is None and len(self.specs) == 1:
            return self.specs[0]
        return owner

    def metric_named(self, name: str) -> Metric | None:
        """The spec metric called `name` (or `name` + `_total`), in whichever spec declares it."""
        for spec in self.specs:
            metric = spec.metric_by_name.get(name) or spec.metric_by_name.get(name + "_total")
            if metric is not None:
                return metric
        return None

    @property
    def routed_severities(self) -> tuple[str, ...]:
        """Severities some spec's routing sends somewhere (the generated Alertmanager config routes
        every spec's severities)."""
        return tuple(dict.fromkeys(s for spec in self.specs for s in spec.routing.severities))

    def scrape_interval(self, name: str) -> int:
        """The scrape interval of the series' spec; of an unattributed series, the shortest."""
        spec = self.spec_of(name)
        return spec.scrape.interval if spec is not None else min(s.scrape.interval for s in self.specs)

    def set_recorded(self, recorded: Recorded, sums: dict[str, str] | None = None) -> None:
        """Replace what the rule files record (over what mongen's own rules record); lookups and
        label sets that depended on it are redone."""
        self.recorded = {**self.known.recorded, **recorded}
        if sums is not None:
            self.recorded_sums = {**self.known.sums, **sums}
        for node in self.reads_recorded:
            del self.label_cache[node]
        self.reads_recorded.clear()
        self._series.clear()
        self._per_selector.clear()

    def per_selector(self, what: str, node: Selector, answer: Callable[[Selector], T]) -> T:
        """`answer(node)`, worked out once per distinct selector (Selector.key) until set_recorded:
        rules repeat their selectors many times over, and checks that look at a selector alone
        (its series, labels, values) give the same answer for each copy."""
        if not node.key:  # a selector not built by promql_tree._selector
            return answer(node)
        key = (what, node.key)
        try:
            return self._per_selector[key]  # type: ignore[return-value]
        except KeyError:
            found = self._per_selector[key] = answer(node)
            return found

    def series(self, name: str, job_of: int = -1) -> SeriesInfo | None:
        """The series called `name` (`job_of`: selected in the scrape job of self.specs[job_of])."""
        key = (name, job_of)
        if key in self._series:
            info = self._series[key]
        else:
            info = self._series[key] = self._lookup(name, self.specs[job_of] if job_of >= 0 else None)
        if info is not None and info.kind == RECORDED:
            self.read_recorded = True
        return info

    def selected(self, node: Selector) -> SeriesInfo | None:
        """The series a selector reads. Target-level series (`up`) carry the target labels a spec's
        scrape config sets only when the selector asks for that spec's job."""
        name = node.name
        if name in SYNTHETIC_SERIES and self.specs:
            jobs = {m.value for m in node.matchers if m.name == "job" and m.op == "="}
            own = next((i for i, spec in enumerate(self.specs) if spec.scrape.job in jobs), -1)
            return self.series(name, own)
        return self.series(name) if name else None

    def _lookup(self, name: str, own_job: Spec | None) -> SeriesInfo | None:
        if name in self.exposed:
            return self.exposed[name]
        if name in self.recorded:
            sets = self.recorded[name]
            # Labels every recording of the name keeps; unknown until its expression is resolved.
            return SeriesInfo(name, frozenset.intersection(*sets) if sets else None, RECORDED)
        if name in self.external:  # declared names win, also over `up`
            return self.external[name]
        if name in SYNTHETIC_SERIES:
            # Other jobs' targets carry whatever their scrape configs set.
            labels = frozenset(own_job.target_labels) if own_job is not None else None
            return SeriesInfo(name, labels, GAUGE)
        for ext in (ext for spec in self.specs for ext in spec.external_metrics):
            if ext.prefix and name.startswith(ext.prefix):
                labels = frozenset(ext.labels) if ext.labels is not None else None
                return SeriesInfo(name, labels, ext.type if ext.type in (COUNTER, GAUGE) else UNTYPED)
        return None

    def known_names(self) -> list[str]:
        names = list(self.exposed) + list(self.recorded) + list(self.external) + list(SYNTHETIC_SERIES)
        return names

    def suggest(self, name: str) -> str:
        close = difflib.get_close_matches(name, self.known_names(), n=1, cutoff=0.75)
        return f"; did you mean `{close[0]}`?" if close else ""

    def metric_type(self, name: str) -> str | None:
        info = self.series(name) if name else None
        return info.kind if info else None


def matchers_off_series(
    ctx: LintContext, selectors: Sequence[Selector], recorded: bool
) -> Iterator[tuple[Selector, SeriesInfo, str]]:
    """Matchers on a label the selected series does not carry (`recorded`: recorded series only, else the rest)."""
    for node in selectors:
        info, labels = ctx.per_selector("off-series", node, partial(_off_series, ctx))
        if labels and (info is not None and info.kind == RECORDED) == recorded:
            for label in labels:
                yield node, info, label  # type: ignore[misc]  # labels only where info is known


def _off_series(ctx: LintContext, node: Selector) -> tuple[SeriesInfo | None, tuple[str, ...]]:
    info = ctx.selected(node)
    if info is None or info.labels is None:
        return info, ()
    return info, tuple(
        m.name for m in node.matchers if m.name != "__name__" and m.name not in info.labels and m.value != ""
    )


def gauges_inside(
    ctx: LintContext, selectors: Sequence[Selector], functions: tuple[str, ...]
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
        info = ctx.selected(node)
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
        if node.op == "or":  # two shapes of series in one result: nothing is known about all of them
            return lhs if lhs == rhs else None
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


# Labels every scraped series carries: Prometheus adds them at scrape time.
TARGET_LABELS = frozenset(("job", "instance"))


def labels_at_least(ctx: LintContext, node: Node) -> frozenset[str]:
    """Labels every series of the expression's result surely carries, also where output_labels
    cannot say all of them: a scraped series always has `job` and `instance` (a recorded one,
    named with a colon, only what it keeps), and every series has the labels its selector fixes
    with `=` to a value."""
    exact = output_labels(ctx, node)
    if exact is not None:
        return exact
    if isinstance(node, Selector):
        fixed = frozenset(m.name for m in node.matchers if m.op == "=" and m.value and m.name != "__name__")
        info = ctx.selected(node)
        scraped = node.name and ":" not in node.name and (info is None or info.kind != RECORDED)
        return fixed | TARGET_LABELS if scraped else fixed
    if isinstance(node, Matrix):
        return labels_at_least(ctx, node.selector)
    if isinstance(node, Wrapper):
        return labels_at_least(ctx, node.expr)
    if isinstance(node, Aggregate):
        inner = labels_at_least(ctx, node.expr)
        if node.op in ("topk", "bottomk", "limitk", "limit_ratio"):
            return inner
        if node.grouping == "by":
            return inner & frozenset(node.labels)
        return inner - frozenset(node.labels) if node.grouping == "without" else frozenset()
    if isinstance(node, Call):
        if node.func in ("label_replace", "label_join") and len(node.args) > 1:
            target = node.args[1]
            inner = labels_at_least(ctx, node.args[0])
            return inner - {target.value} if isinstance(target, String) else frozenset()
        if node.func in ("histogram_quantile",) and len(node.args) > 1:
            return labels_at_least(ctx, node.args[1]) - {"le"}
        vectors = [a for a in node.args if not isinstance(a, (Number, String))]
        return labels_at_least(ctx, vectors[0]) if vectors else frozenset()
    if isinstance(node, Binary):
        if node.op == "or":
            return labels_at_least(ctx, node.lhs) & labels_at_least(ctx, node.rhs)
        if is_scalar(node.lhs):
            return labels_at_least(ctx, node.rhs)
        if node.card == "one-to-many":
            return labels_at_least(ctx, node.rhs)
        lhs = labels_at_least(ctx, node.lhs)
        if node.op in ("and", "unless") or is_scalar(node.rhs) or not node.matching:
            return lhs
        keep = frozenset(node.matching_labels)
        return lhs & keep if node.matching == "on" else lhs - keep
    return frozenset()
