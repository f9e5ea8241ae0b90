"""What an alert kind is: one class that owns its parameters (their class, schema fragment, reading
and checks), its rule, its promtool cases, how `mongen verify` makes it fire, the recorded series
it reads and the threshold lines it draws on the dashboard. Each kind lives in its own module and
is registered in __init__.py.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, Protocol, TypeVar

from mongen import layout
from mongen.annotations import LabelRef, Part
from mongen.errors import YamlPath
from mongen.faults import CannotDrive, Fault
from mongen.model import Alert, AlertParams, Matcher, Metric, MetricType, Spec
from mongen.promql import matcher_text
from mongen.rule_types import AlertRule
from mongen.rules import naming
from mongen.synth.cases import AlertCase

if TYPE_CHECKING:
    from mongen.rules.alert_kinds import AlertKindName

# Fields every alert has (their schema is in mongen/schema/spec.schema.json); a kind declares the
# others it reads in `fields`, and the spec is rejected when it sets one the kind would ignore (a
# `window` on a gauge alert changes nothing).
COMMON_FIELDS = frozenset({"name", "kind", "severity", "for", "description", "inhibits"})

# JSON-schema fragments of fields several kinds read (each kind lists the ones it reads).
SchemaFragment = dict[str, Any]
METRIC_FIELD: SchemaFragment = {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}
BY_FIELD: SchemaFragment = {
    "type": "array",
    "items": {"type": "string", "pattern": "^[a-zA-Z_][a-zA-Z0-9_]*$"},
    "uniqueItems": True,
}
WHERE_FIELD: SchemaFragment = {"$ref": "#/$defs/matchers"}
THRESHOLD_FIELD: SchemaFragment = {"type": "number"}


class IssueSink(Protocol):
    """Where a kind reports what is wrong with an alert in the spec (the spec builder)."""

    def fail(self, path: YamlPath, message: str) -> None: ...


class FieldReader(IssueSink, Protocol):
    """What the spec builder offers a kind reading its fields: problems reported at their
    FILE:LINE:COL, and the spec's definitions a field refers to (each look-up reports its own
    problem and answers None)."""

    def metric(self, name: str, path: YamlPath, types: tuple[MetricType, ...]) -> Metric | None:
        """The spec's metric `name`, defined and of one of `types`."""
        ...

    def matchers(self, raw: dict[str, Any], path: YamlPath, metric: Metric) -> tuple[Matcher, ...] | None:
        """The selector `raw` on `metric`'s labels (declared labels and values only)."""
        ...

    def rate_window(self, raw: str, path: YamlPath) -> int | None:
        """Seconds of a rate window, long enough for the spec's scrape interval."""
        ...


# --- what a kind offers besides its rule ------------------------------------------------------


@dataclass(frozen=True)
class RecordedSeries:
    """A recorded series an alert reads, from mongen.rules.recording: `metric` aggregated by
    `by`; with `quantile`, that quantile of a histogram; with `error_window`, the error ratio
    over that window (recorded for every group of the metric); with `rate_window`, the request
    rate of the group over that window."""

    metric: str
    by: tuple[str, ...]
    quantile: float | None = None
    error_window: int | None = None
    rate_window: int | None = None


# The dashboard panels an alert can draw its threshold on: a metric's error-ratio, latency
# quantile or gauge panel, and the GPU row's frame-buffer share (no metric of the spec).
ThresholdPanel = Literal["errors", "quantiles", "gauge", "gpu_frame_buffer"]


@dataclass(frozen=True)
class ThresholdLine:
    """A horizontal line at `value` on `panel` of `metric` (None: the panel shows no metric of
    the spec), on the panel of the recorded group `by` where the panel has one per group."""

    panel: ThresholdPanel
    value: float
    metric: str | None = None
    by: tuple[str, ...] = ()


@dataclass(frozen=True)
class LintedExpr:
    """PromQL of an alert that lint checks against the spec when it is loaded (mongen.loading),
    with the summary it carries, findings reported at the alert's field `field`."""

    expr: str
    summary: str
    field: str


P = TypeVar("P", bound=AlertParams)


class AlertKind(ABC, Generic[P]):
    name: ClassVar[AlertKindName]
    # The kind's parameter class (an Alert's `params`), and its fields besides COMMON_FIELDS with
    # their JSON-schema fragments (the spec schema's alert properties are assembled from them,
    # mongen.spec.schema); `required` of them must be present.
    params_type: type[P]
    fields: ClassVar[dict[str, SchemaFragment]] = {}
    required: ClassVar[tuple[str, ...]] = ()
    # Whether verify checks that this alert stays quiet while another alert's fault is injected.
    guarded: ClassVar[bool] = True
    # The rule reads series the spec may not declare (external ones): lint checks the rule against
    # the spec when it is built, and `lint_hint` tells the author what to add.
    reads_external: ClassVar[bool] = False
    lint_hint: ClassVar[str] = ""
    # Whether a spec may name the kind in `alerts` (a preset's alerts come from its exporter job).
    spec_kind: ClassVar[bool] = True

    def params(self, alert: Alert) -> P:
        """The alert's parameters, of this kind's class."""
        params = alert.params
        assert isinstance(params, self.params_type), f"alert `{alert.name}` is not of kind `{self.name}`"
        return params

    @abstractmethod
    def read(self, reader: FieldReader, body: dict[str, Any], path: YamlPath) -> P | None:
        """The kind's parameters from the alert's spec entry `body` (at `path`), after the common
        checks passed (no field the kind ignores, none it requires missing; types checked by the
        schema); None after reporting through `reader` why they cannot be used."""

    def recorded(self, alert: Alert) -> tuple[RecordedSeries, ...]:
        """The recorded series the alert's rule reads (mongen.rules.recording records them)."""
        return ()

    def threshold_lines(self, alert: Alert) -> tuple[ThresholdLine, ...]:
        """The lines the alert draws on the dashboard at its threshold."""
        return ()

    def linted_expr(self, spec: Spec, alert: Alert) -> LintedExpr | None:
        """The PromQL lint checks against the spec when it is loaded: the rule of a kind that reads
        series the spec may not declare (`reads_external`); None for rules on the spec's own series."""
        if not self.reads_external:
            return None
        return LintedExpr(self.rule(spec, alert).expr, "", "kind")

    @abstractmethod
    def rule(self, spec: Spec, alert: Alert) -> AlertRule: ...

    @abstractmethod
    def cases(self, spec: Spec, alert: Alert, rule: AlertRule) -> list[AlertCase]:
        """promtool cases: at least one that makes the alert fire with exact labels and
        annotations, and one that keeps it quiet."""

    def first_checks(self, spec: Spec, alert: Alert) -> tuple[str, ...]:
        """What the on-call engineer looks at first when the alert fires (its runbook's list)."""
        return ()

    def fault(self, spec: Spec, alert: Alert) -> Fault | CannotDrive:
        """What verify injects into the simulated service to make this alert fire, or why it
        cannot (reported per alert, never skipped)."""
        return CannotDrive(f"alert kind `{self.name}` declares no fault verify can inject")

    def cannot_drive(self, spec: Spec, alert: Alert) -> str | None:
        """Why neither the promtool cases nor verify can make this alert fire; None when they can."""
        return None


# --- helpers the kinds share -------------------------------------------------------------------


def common_labels(spec: Spec, alert: Alert) -> tuple[tuple[str, str], ...]:
    return (("service", spec.service), ("severity", alert.severity))


def runbook_url(spec: Spec, name: str) -> str:
    """`<runbook_base>/<Alert>` where the team keeps its own runbooks; else the page `mongen
    generate` writes, at `runbooks_url` (the spec's or the project config's) where the spec or
    the project says where it is served, else as a path relative to the output directory."""
    if spec.runbook_base:
        return f"{spec.runbook_base}/{name}"
    page = layout.runbook(name)
    return f"{spec.runbooks_url}/{page.removeprefix(layout.RUNBOOKS_DIR + '/')}" if spec.runbooks_url else page


def dashboard_url(spec: Spec) -> str | None:
    return f"{spec.grafana_url}/d/{naming.dashboard_uid(spec)}" if spec.grafana_url else None


def where_filter(where: tuple[Matcher, ...]) -> str:
    """`{label="v",...}` for an alert's `where`, or "" (a selector suffix on a recorded series)."""
    return "{" + ",".join(matcher_text(m) for m in where) + "}" if where else ""


def by_parts(by: tuple[str, ...]) -> tuple[Part, ...]:
    """` (endpoint <value>)` for each label an alert groups by."""
    parts: tuple[Part, ...] = ()
    for label in by:
        parts += (f" ({label} ", LabelRef(label), ")")
    return parts


def extra_description(alert: Alert) -> tuple[Part, ...]:
    return (" " + alert.description,) if alert.description else ()


def read_grouping(
    reader: FieldReader, body: dict[str, Any], path: YamlPath, metric: Metric
) -> tuple[tuple[str, ...], tuple[Matcher, ...]] | None:
    """The alert's `by` labels and `where` matchers on `metric` (None after reporting a label the
    metric lacks or a rejected matcher)."""
    by = tuple(body.get("by", []))
    for j, label in enumerate(by):
        if label not in metric.labels:
            reader.fail(
                (*path, "by", j),
                f"label `{label}` is not on metric `{metric.name}`; its labels: {', '.join(metric.labels) or 'none'}",
            )
    where = reader.matchers(body.get("where", {}), (*path, "where"), metric)
    return None if where is None else (by, where)


def check_where_in_by(spec_issues: IssueSink, path: YamlPath, where: tuple[Matcher, ...], by: tuple[str, ...]) -> None:
    """Alerts that read a recording rule which keeps only `job` and `by` cannot filter on other labels."""
    for m in where:
        if m.label not in by:
            spec_issues.fail(
                (*path, "where", m.label),
                f"`where` filters on `{m.label}`, which is not in `by` ({', '.join(by) or 'none'}); "
                "the recorded series this alert reads has no such label, so it could never fire",
            )
