"""The typed, validated model of a spec. Built once, frozen, shared by every generator.

Derived facts (exposed series names, cardinality, SLO windows and burn factors) live
here so that no generator re-derives them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from typing import Final, Literal

from mongen.errors import SourceMap, SpecIssue

MetricType = Literal["counter", "gauge", "histogram"]
COUNTER: Final = "counter"
GAUGE: Final = "gauge"
HISTOGRAM: Final = "histogram"
METRIC_TYPES: tuple[MetricType, ...] = (COUNTER, GAUGE, HISTOGRAM)

# What a metric measures; drives the one-call helpers and the role-specific dashboard panels.
Role = Literal[
    "requests", "request_duration", "emotion_usage", "input_length", "inference_duration", "gpu_memory", "in_flight"
]
ROLE_TYPES: dict[Role, MetricType] = {
    "requests": COUNTER,
    "emotion_usage": COUNTER,
    "request_duration": HISTOGRAM,
    "input_length": HISTOGRAM,
    "inference_duration": HISTOGRAM,
    "gpu_memory": GAUGE,
    "in_flight": GAUGE,
}

# Roles whose metrics one request updates (record_request, track_request, the HTTP middleware),
# in the order of the helpers' parameters.
REQUEST_ROLES: tuple[Role, ...] = ("requests", "request_duration", "emotion_usage", "input_length", "in_flight")

# How a `gpu_memory` metric with `source: {from: nvml}` reads NVML at scrape time: the device's
# used memory, or the memory of this service's own processes on it.
GpuMemoryMode = Literal["device", "process"]
GPU_MEMORY_MODES: tuple[GpuMemoryMode, ...] = ("device", "process")
# The label the NVML collector sets: the GPU's NVML index, as dcgm-exporter's `gpu` label.
NVML_GPU_LABEL: Final = "gpu"
DEFAULT_MAX_GPUS: Final = 8

SloKind = Literal["ratio", "latency", "events"]
BurnSeverity = Literal["page", "ticket"]
BurnSpeed = Literal["quick", "slow"]


@dataclass(frozen=True)
class EnumDef:
    name: str
    values: tuple[str, ...]
    fallback: str
    aliases: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class LabelDef:
    """A label with a bounded value set; `enum` names the enum backing it, if any.

    `classes` are status-class values (`5xx`): each is a declared value that catches every
    three-digit code of its class that is not declared itself (502 -> `5xx`), so a bounded
    status label still tells every server error apart from a success."""

    name: str
    values: tuple[str, ...]
    fallback: str
    enum: str | None = None
    aliases: tuple[tuple[str, str], ...] = ()
    classes: tuple[str, ...] = ()

    def class_members(self, status_class: str) -> tuple[str, ...]:
        """The declared values a class selects: its own codes (`500`, `503`) and the class value."""
        digit = status_class[0]
        return tuple(v for v in self.values if v == status_class or (len(v) == 3 and v.isdigit() and v[0] == digit))


@dataclass(frozen=True)
class Matcher:
    """A label matcher from the spec: `values` are declared label values, never regexes."""

    label: str
    values: tuple[str, ...]
    negate: bool = False


@dataclass(frozen=True)
class NvmlSource:
    """A `gpu_memory` gauge the generated module reads from NVML at scrape time, one series per
    visible GPU (at most `max_gpus`), instead of a value the service sets."""

    mode: GpuMemoryMode
    max_gpus: int = DEFAULT_MAX_GPUS


@dataclass(frozen=True)
class Metric:
    name: str  # as written in the spec
    type: MetricType
    help: str
    labels: tuple[str, ...]
    unit: str | None = None
    buckets: tuple[float, ...] = ()
    errors: tuple[Matcher, ...] = ()
    record_by: tuple[tuple[str, ...], ...] = ((),)
    role: Role | None = None
    nvml: NvmlSource | None = None

    @property
    def exposed_labels(self) -> tuple[str, ...]:
        """The labels on its series: the declared ones, or NVML's GPU index for an NVML gauge."""
        return (NVML_GPU_LABEL,) if self.nvml else self.labels

    @property
    def base(self) -> str:
        """Name without the type suffix the client adds (`_total` for counters)."""
        if self.type == COUNTER and self.name.endswith("_total"):
            return self.name[: -len("_total")]
        return self.name

    @property
    def exposed_name(self) -> str:
        """The series name a selector uses for the metric's value."""
        return self.base + "_total" if self.type == COUNTER else self.name

    @property
    def exposed_series(self) -> dict[str, tuple[str, ...]]:
        """Every series name the client exposes, with its label names."""
        if self.type == COUNTER:
            return {self.base + "_total": self.labels}
        if self.nvml:
            return {self.name: self.exposed_labels}
        if self.type == HISTOGRAM:
            return {
                self.name + "_bucket": (*self.labels, "le"),
                self.name + "_sum": self.labels,
                self.name + "_count": self.labels,
            }
        return {self.name: self.labels}


@dataclass(frozen=True)
class SloTier:
    """An SLO's page or ticket alert as the spec shapes it (`slos[].alerts.page`): the severity it
    is routed by (the tier's name unless set), extra labels and annotations, or turned off."""

    tier: BurnSeverity
    severity: str
    labels: tuple[tuple[str, str], ...] = ()
    annotations: tuple[tuple[str, str], ...] = ()
    enabled: bool = True


@dataclass(frozen=True)
class SloWindow:
    """One multi-window multi-burn-rate alert condition (SRE workbook, ch. 5)."""

    severity: BurnSeverity
    speed: BurnSpeed
    long: int  # seconds
    short: int  # seconds
    budget_percent: int  # share of the period's budget consumed over `long`
    burn_factor: float


# Google SRE workbook "Alerting on SLOs", table 5-8, the windows Sloth ships for 30d and 28d
# (google-30d.yaml, google-28d.yaml): fixed windows, each allowed a share of the period's budget.
# The burn factor is that share spent within the long window:
#   factor = budget_percent / 100 * period / long_window
# computed exactly (a fraction) and then taken as the nearest float: 28d gives 13.44, 5.6, 2.8 and
# 0.9333333333333333. For other periods mongen keeps the same windows and shares (README, "SLO
# windows"); Sloth defines no windows for them.
SLO_WINDOW_SPECS: tuple[tuple[BurnSeverity, BurnSpeed, int, int, int], ...] = (
    ("page", "quick", 3600, 300, 2),
    ("page", "slow", 6 * 3600, 1800, 5),
    ("ticket", "quick", 86400, 7200, 10),
    ("ticket", "slow", 3 * 86400, 6 * 3600, 10),
)


def burn_factor(budget_percent: int, period: int, long_window: int) -> float:
    """The burn rate at which `budget_percent` of a `period`'s budget is spent in `long_window`."""
    return float(Fraction(budget_percent, 100) * period / long_window)


@dataclass(frozen=True)
class Slo:
    name: str
    description: str
    objective: float  # percent
    period: int  # seconds
    kind: SloKind
    metric: str
    errors: tuple[Matcher, ...] = ()
    total: tuple[Matcher, ...] = ()
    threshold: float | None = None
    tiers: tuple[SloTier, ...] = ()  # as the spec sets them; `tier()` gives the default for the others
    drivable: bool = True  # False: the spec says verify cannot burn this SLO's budget (`verify: false`)

    def tier(self, name: BurnSeverity) -> SloTier:
        return next((t for t in self.tiers if t.tier == name), SloTier(name, name))

    @property
    def enabled_tiers(self) -> tuple[SloTier, ...]:
        return tuple(t for t in (self.tier("page"), self.tier("ticket")) if t.enabled)

    # events: raw PromQL with WINDOW_PLACEHOLDER where each window goes (mongen.spec.slo_events)
    error_query: str | None = None
    total_query: str | None = None

    @property
    def error_budget(self) -> float:
        return round(1 - self.objective / 100, 12)

    @property
    def windows(self) -> tuple[SloWindow, ...]:
        return tuple(
            SloWindow(sev, speed, long, short, pct, burn_factor(pct, self.period, long))
            for sev, speed, long, short, pct in SLO_WINDOW_SPECS
        )

    @property
    def window_seconds(self) -> tuple[int, ...]:
        """Every window an SLI ratio is recorded for, plus the period itself."""
        seen = {w.long for w in self.windows} | {w.short for w in self.windows}
        return (*sorted(seen), self.period)


@dataclass(frozen=True)
class AlertParams:
    """What an alert's kind reads from its spec entry besides the fields every alert has: each
    kind's own frozen subclass, defined, read and checked in the kind's module
    (mongen.rules.alert_kinds)."""


@dataclass(frozen=True)
class Alert:
    name: str
    # The name of a kind in the alert-kind registry (mongen.rules.alert_kinds); the schema's enum,
    # read from that registry, admits no other. The model sits below the rules, so it names no kind.
    kind: str
    severity: str
    for_seconds: int
    params: AlertParams  # the kind's own parameters, of the kind's class
    description: str = ""
    inhibits: tuple[str, ...] = ()  # alerts (by name) this one silences while it fires


@dataclass(frozen=True)
class SpecRecordingRule:
    """A `recording_rules` entry: the spec author's own recording rule, checked against the spec."""

    record: str
    expr: str
    labels: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Receiver:
    name: str
    type: str
    to: str | None = None
    url: str | None = None
    channel: str | None = None  # slack
    # Alertmanager's `*_file` field that holds the receiver's secret, and the file's path; a
    # secret never appears in alertmanager.yml itself.
    secret_file: tuple[str, str] | None = None


@dataclass(frozen=True)
class TimeInterval:
    """One entry of an Alertmanager time interval; every field left empty matches any time."""

    times: tuple[tuple[str, str], ...] = ()  # (start_time, end_time), "HH:MM"
    weekdays: tuple[str, ...] = ()
    days_of_month: tuple[str, ...] = ()
    months: tuple[str, ...] = ()
    years: tuple[str, ...] = ()
    location: str | None = None


@dataclass(frozen=True)
class RouteTimes:
    """When the route of `severity` is muted, or the only times it is active (interval names)."""

    severity: str
    mute: tuple[str, ...] = ()
    active: tuple[str, ...] = ()


# The severity that pages: its receivers wake someone up, so none of them may catch the alerts
# that no route matches (an unknown or missing severity).
PAGE_SEVERITY: Final = "page"


@dataclass(frozen=True)
class Routing:
    group_by: tuple[str, ...]
    routes: tuple[tuple[str, tuple[str, ...]], ...]
    receivers: tuple[Receiver, ...]
    email_from: str | None = None
    smarthost: str | None = None
    auth_username: str | None = None
    auth_password_file: str | None = None
    default_receiver: str | None = None  # the root route's receiver; None: a receiver that sends nothing
    time_intervals: tuple[tuple[str, tuple[TimeInterval, ...]], ...] = ()
    route_times: tuple[RouteTimes, ...] = ()

    @property
    def severities(self) -> tuple[str, ...]:
        return tuple(sev for sev, _ in self.routes)

    @property
    def paging_receivers(self) -> tuple[str, ...]:
        return dict(self.routes).get(PAGE_SEVERITY, ())


@dataclass(frozen=True)
class Scrape:
    job: str
    interval: int
    timeout: int
    evaluation_interval: int
    static_targets: tuple[str, ...]
    k8s_namespaces: tuple[str, ...] | None
    k8s_port_name: str
    file_sd: str | None
    alertmanagers: tuple[str, ...]
    exporters: tuple[ExporterJob, ...] = ()


@dataclass(frozen=True)
class ExporterJob:
    """A scrape job for another exporter (node-exporter, dcgm-exporter, an inference server); its
    series keep the job's own `job` label. `exporter` names a preset (mongen.presets)."""

    job: str
    static_targets: tuple[str, ...]
    file_sd: str | None
    metrics_path: str = "/metrics"
    interval: int | None = None  # None: the global scrape interval
    exporter: str | None = None


@dataclass(frozen=True)
class NginxFront:
    """nginx in front of /metrics (the spec has `exposure.nginx`): it listens on `listen`,
    allows `allowed_cidrs`, denies everyone else, and proxies to the service's loopback port."""

    listen: int | str  # a port, `IPv4:port` or `[IPv6]:port`
    server_name: str
    allowed_cidrs: tuple[str, ...]

    @property
    def listen_port(self) -> int:
        return self.listen if isinstance(self.listen, int) else int(self.listen.rpartition(":")[2])


@dataclass(frozen=True)
class Middleware:
    """Where the generated HTTP middleware takes each request label from (the spec's `middleware`).

    `routes` maps an HTTP path to a value of `route_label`; None: each declared value that is a
    path is its own route. `body_labels` maps a label to a top-level field of the JSON request
    body, read as the app reads it and at most `max_body_bytes`. `skip`: paths never counted."""

    method_label: str = "method"
    route_label: str = "endpoint"
    routes: tuple[tuple[str, str], ...] | None = None
    skip: tuple[str, ...] = ()
    body_labels: tuple[tuple[str, str], ...] = ()
    text_length_field: str | None = None
    # A TTS request is a few kilobytes of text; past this the body is not parsed for labels.
    max_body_bytes: int = 65536


@dataclass(frozen=True)
class Exposure:
    """Where the service serves its metrics. With `nginx`, the bind address is loopback and
    Prometheus scrapes the nginx listener; without, the bind address is the only guard."""

    port: int
    bind_address: str
    metrics_path: str
    nginx: NginxFront | None

    @property
    def scrape_port(self) -> int:
        """The port Prometheus scrapes on every target: nginx's when nginx is in front."""
        return self.nginx.listen_port if self.nginx else self.port

    @property
    def metrics_address(self) -> str:
        """`address:port` the metrics listener binds, as nginx's upstream names it."""
        host = f"[{self.bind_address}]" if ":" in self.bind_address else self.bind_address
        return f"{host}:{self.port}"


# What an external metric is, as its exporter declares it in `# TYPE` (untyped: not declared).
ExternalType = Literal["counter", "gauge", "histogram", "summary", "untyped"]
EXTERNAL_TYPES: tuple[ExternalType, ...] = ("counter", "gauge", "histogram", "summary", "untyped")
# What one series of an external metric holds: a counter's running total (also a histogram's or
# summary's `_sum`, `_count` and `_bucket`), a gauge's current value (also a summary's quantiles),
# or a value of unknown type.
SeriesType = Literal["counter", "gauge", "bucket", "untyped"]


@dataclass(frozen=True)
class ExternalMetric:
    """A metric the rules may read that the service does not expose: by exact `name` (in the
    exporter's own spelling and case: counters keep whatever suffix they have), or every name
    under a `prefix`."""

    name: str | None
    prefix: str | None
    labels: tuple[str, ...] | None  # the labels every series carries; None: any label (open)
    type: ExternalType | None = None  # None: not declared

    @cached_property
    def series(self) -> dict[str, tuple[SeriesType, tuple[str, ...] | None]]:
        """Series name -> (what it holds, its labels) for a `name` entry, as the exporter exposes
        them: a histogram's `_bucket` (with `le`), `_sum` and `_count`; a summary's quantiles (with
        `quantile`), `_sum` and `_count`."""
        if self.name is None:
            return {}
        labels, name = self.labels, self.name
        if self.type == "histogram":
            return {
                f"{name}_bucket": ("bucket", None if labels is None else (*labels, "le")),
                f"{name}_sum": ("counter", labels),
                f"{name}_count": ("counter", labels),
            }
        if self.type == "summary":
            return {
                name: ("gauge", None if labels is None else (*labels, "quantile")),
                f"{name}_sum": ("counter", labels),
                f"{name}_count": ("counter", labels),
            }
        if self.type == "counter" or self.type == "gauge":
            return {name: (self.type, labels)}
        return {name: ("untyped", labels)}


# The engines that run the rules (README, "Scaling out"). Prometheus's files are always generated:
# the rule files under prometheus/rules are every engine's rules, and verify's reference run.
Engine = Literal["prometheus", "victoriametrics", "thanos", "mimir"]
ENGINES: tuple[Engine, ...] = ("prometheus", "victoriametrics", "thanos", "mimir")
DEFAULT_ENGINES: tuple[Engine, ...] = ("prometheus",)


@dataclass(frozen=True)
class Kubernetes:
    enabled: bool
    namespace: str
    labels: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Grafana:
    """Where Grafana finds Prometheus and the dashboard (its file provisioning). `folder` None: the
    service's name; `dashboards_path` None: DASHBOARDS_ROOT/<service>, one directory per service."""

    datasource_url: str = "http://127.0.0.1:9090"
    datasource_name: str = "Prometheus"
    datasource_uid: str = "mongen-prometheus"
    folder: str | None = None
    dashboards_path: str | None = None


@dataclass(frozen=True)
class Spec:
    source: str  # spec path as given, for headers
    service: str
    namespace: str
    runbook_base: str | None
    max_series: int
    enums: tuple[EnumDef, ...]
    labels: tuple[LabelDef, ...]
    metrics: tuple[Metric, ...]
    external_metrics: tuple[ExternalMetric, ...]
    slos: tuple[Slo, ...]
    alerts: tuple[Alert, ...]
    scrape: Scrape
    exposure: Exposure
    routing: Routing
    kubernetes: Kubernetes
    rate_window: int = 300
    grafana_url: str | None = None  # base URL of the Grafana that serves the dashboard
    grafana: Grafana = Grafana()  # its datasource and provisioning
    runbooks_url: str | None = None  # web URL of the generated runbooks/ (spec or project config)
    recording_rules: tuple[SpecRecordingRule, ...] = ()  # the spec's own, after the generated ones
    engines: tuple[Engine, ...] = DEFAULT_ENGINES
    middleware: Middleware = Middleware()
    # Spec problems that do not stop generation, printed by `mongen generate` as warnings.
    warnings: tuple[SpecIssue, ...] = field(default=(), compare=False)
    # Where each value of the spec file came from (None for a model built in code): findings about
    # the spec (lint's spec checks) are placed with it, without reading the file again.
    source_map: SourceMap | None = field(default=None, compare=False, repr=False)

    @cached_property
    def label_by_name(self) -> dict[str, LabelDef]:
        return {label.name: label for label in self.labels}

    @cached_property
    def metric_by_name(self) -> dict[str, Metric]:
        return {metric.name: metric for metric in self.metrics}

    @property
    def target_labels(self) -> tuple[str, ...]:
        """Labels the generated scrape config puts on every series of the service (and on `up`)."""
        k8s = ("namespace", "pod", "container") if self.scrape.k8s_namespaces is not None else ()
        return ("job", "instance", "service", *k8s)

    @cached_property
    def by_role(self) -> dict[Role, Metric]:
        return {metric.role: metric for metric in self.metrics if metric.role}

    @cached_property
    def dropped_measurements(self) -> Metric:
        """The counter the instrumentation module adds to the spec's metrics: measurements it
        refused to record (NaN, infinite or negative durations, lengths, bytes)."""
        return dropped_measurements_metric(self.namespace)

    @cached_property
    def exposed_metrics(self) -> tuple[Metric, ...]:
        """Every metric the instrumentation module exposes: the spec's, then mongen's own."""
        return (*self.metrics, self.dropped_measurements)

    @cached_property
    def exposed_series(self) -> dict[str, tuple[str, ...]]:
        """Every series name the service exposes -> its label names."""
        out: dict[str, tuple[str, ...]] = {}
        for metric in self.exposed_metrics:
            out.update(metric.exposed_series)
        return out

    def values_matching(self, matchers: tuple[Matcher, ...], matching: bool = True) -> dict[str, str]:
        """For each matcher, the first declared value of its label it accepts (matching=False: rejects).
        The spec checks guarantee every matcher accepts some declared value and rejects another."""
        return {
            m.label: next(v for v in self.label_by_name[m.label].values if ((v in m.values) != m.negate) == matching)
            for m in matchers
        }

    def series_count(self, metric: Metric) -> int:
        """Exact series one instance exposes for `metric` once every combination is seen (an NVML
        gauge: its bound, one series per visible GPU up to `max_gpus`)."""
        if metric.nvml:
            return metric.nvml.max_gpus
        combos = math.prod(len(self.label_by_name[name].values) for name in metric.labels)
        if metric.type == HISTOGRAM:
            return combos * (len(metric.buckets) + 1 + 2)  # +Inf bucket, _sum, _count
        return combos

    def largest_metrics(self, count: int = 3) -> str:
        """`name=series, ...` for the metrics that contribute most to the series count."""
        top = sorted(self.exposed_metrics, key=self.series_count, reverse=True)[:count]
        return ", ".join(f"{m.exposed_name}={self.series_count(m)}" for m in top)

    @cached_property
    def total_series(self) -> int:
        return sum(self.series_count(m) for m in self.exposed_metrics)


def dropped_measurements_metric(namespace: str) -> Metric:
    """mongen's own counter in the instrumentation module (Spec.dropped_measurements); a spec
    metric cannot expose any of its series."""
    return Metric(
        f"{namespace}_instrumentation_dropped_total",
        COUNTER,
        "Measurements the instrumentation helpers dropped instead of recording: NaN, infinite or negative.",
        (),
    )
