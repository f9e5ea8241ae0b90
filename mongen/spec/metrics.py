"""The `metrics` section: names, types, labels, buckets, error selectors, aggregations, roles."""

from __future__ import annotations

from typing import Any, Literal

from mongen.errors import YamlPath
from mongen.model import (
    COUNTER,
    DEFAULT_MAX_GPUS,
    HISTOGRAM,
    NVML_GPU_LABEL,
    ROLE_TYPES,
    LabelDef,
    Matcher,
    Metric,
    NvmlSource,
    Role,
    dropped_measurements_metric,
)
from mongen.spec.issues import Definitions, SpecIssues
from mongen.spec.matchers import read_matchers

# Suffixes that say "this is a counter/histogram"; a gauge or base name must not carry them.
_RESERVED_SUFFIXES = ("_bucket", "_sum", "_count", "_created", "_info")
# Roles recorded by record_request()/track_request(), which are built around the request counter.
_PER_REQUEST_ROLES: tuple[Role, ...] = ("request_duration", "emotion_usage")


def read_metrics(
    issues: SpecIssues, raw: list[dict[str, Any]], namespace: str, labels: Definitions[LabelDef]
) -> Definitions[Metric]:
    metrics: Definitions[Metric] = Definitions()
    exposed_by: dict[str, int] = {}
    roles: dict[str, str] = {}
    own = dropped_measurements_metric(namespace)
    for i, body in enumerate(raw):
        path: YamlPath = ("metrics", i)
        metric = _metric(issues, body, path, namespace, labels)
        clash = next((s for s in metric.exposed_series if s in own.exposed_series), None) if metric else None
        if clash is not None:
            issues.fail(
                (*path, "name"),
                f"metric `{body['name']}` exposes `{clash}`, which the generated instrumentation module already "
                f"exposes (`{own.name}`, its count of dropped measurements); rename the metric",
            )
            metrics.reject(body["name"])
        elif metric is not None and _exposes_new_series(issues, metric, path, exposed_by, i):
            metrics.add(metric.name, metric)
            _check_role(issues, metric, path, roles)
        else:
            metrics.reject(body["name"])
    has_requests = any(body.get("role") == "requests" for body in raw)
    for i, body in enumerate(raw):
        if body.get("role") in _PER_REQUEST_ROLES and not has_requests:
            issues.fail(
                ("metrics", i, "role"),
                f"role `{body['role']}` needs a metric with `role: requests`: record_request() and "
                "track_request() count every request in it; mark the request counter `role: requests` or drop this role",
            )
    return metrics


def _metric(
    issues: SpecIssues, body: dict[str, Any], path: YamlPath, namespace: str, labels: Definitions[LabelDef]
) -> Metric | None:
    """The metric, or None when it cannot be used: a label that is not (validly) declared, a
    histogram without usable buckets, an error selector that was rejected."""
    name, kind = body["name"], body["type"]
    _check_name(issues, body, path, namespace)
    metric_labels = tuple(body.get("labels", []))
    usable = True
    for j, label in enumerate(metric_labels):
        if not labels.declares(label):
            issues.fail(
                (*path, "labels", j),
                f"label `{label}` on metric `{name}` is not declared; declared labels: {labels.declared()}",
            )
        usable = labels.get(label) is not None and usable
    # An undeclared label in the list (reported above) is most likely a typo of the label that
    # `errors` or `record_by` then names: the list is not known for sure, so they are not checked
    # against it.
    labels_known = all(labels.declares(label) for label in metric_labels)
    buckets = _buckets(issues, body, path)
    errors: tuple[Matcher, ...] | None = ()
    if "errors" in body:
        if kind != COUNTER:
            issues.fail((*path, "errors"), "only counters can declare an `errors` selector")
        errors = read_matchers(
            issues,
            body["errors"],
            (*path, "errors"),
            metric_labels,
            labels,
            selects_errors=True,
            labels_known=labels_known,
        )
    record_by = tuple(tuple(group) for group in body.get("record_by", [[]]))
    for j, group in enumerate(record_by):
        for label in group:
            if label not in metric_labels and labels_known:
                issues.fail(
                    (*path, "record_by", j),
                    f"label `{label}` is not on metric `{name}`; its labels: {', '.join(metric_labels) or 'none'}",
                )
    nvml = _nvml_source(issues, body, path)
    if not usable or buckets is None or errors is None or nvml is False:
        return None
    return Metric(
        name, kind, body["help"], metric_labels, body.get("unit"), buckets, errors, record_by, body.get("role"), nvml
    )


def _nvml_source(issues: SpecIssues, body: dict[str, Any], path: YamlPath) -> NvmlSource | Literal[False] | None:
    """The metric's NVML source; None for `from: manual` (the service sets the value), False when
    `source` was rejected."""
    source = body.get("source")
    if source is None:
        return None
    name, at = body["name"], (*path, "source")
    if body.get("role") != "gpu_memory":
        issues.fail(
            at,
            f"`source` is for the `gpu_memory` metric only; `{name}` has "
            + (f"role `{body['role']}`" if body.get("role") else "no role")
            + ": drop `source`, or set `role: gpu_memory`",
        )
        return False
    if source["from"] == "manual":
        extra = [key for key in ("mode", "max_gpus") if key in source]
        if extra:
            issues.fail(
                (*at, extra[0]),
                f"`{extra[0]}` applies to `from: nvml` only; with `from: manual` the service sets the value "
                "with set_gpu_memory(): drop it, or read NVML with `from: nvml`",
            )
            return False
        return None
    ok = True
    if "mode" not in source:
        issues.fail(
            at,
            "`from: nvml` needs a `mode`: `device` (the GPU's used memory, every process on it) or "
            "`process` (the memory of this service's own processes)",
        )
        ok = False
    if body.get("labels"):
        issues.fail(
            (*path, "labels"),
            f"`{name}` reads NVML: its one label is `{NVML_GPU_LABEL}` (the GPU's index), set at scrape time; "
            "drop `labels`",
        )
        ok = False
    return NvmlSource(source["mode"], source.get("max_gpus", DEFAULT_MAX_GPUS)) if ok else False


def _check_name(issues: SpecIssues, body: dict[str, Any], path: YamlPath, namespace: str) -> None:
    name, kind, unit = body["name"], body["type"], body.get("unit")
    if not name.startswith(namespace + "_"):
        issues.fail((*path, "name"), f"metric `{name}` must start with the namespace `{namespace}_`")
    if unit and not name.removesuffix("_total").endswith("_" + unit):
        issues.fail((*path, "unit"), f"metric `{name}` has unit `{unit}` but its name does not end in `_{unit}`")
    if name.removesuffix("_total").endswith(_RESERVED_SUFFIXES) or (kind != COUNTER and name.endswith("_total")):
        issues.fail((*path, "name"), f"metric `{name}` ends in a suffix Prometheus reserves for other series types")


def _buckets(issues: SpecIssues, body: dict[str, Any], path: YamlPath) -> tuple[float, ...] | None:
    """Bucket upper bounds (the +Inf bucket is implicit), or None when a histogram has none usable."""
    name, kind = body["name"], body["type"]
    buckets = tuple(float(b) for b in body.get("buckets", []))
    if kind != HISTOGRAM:
        if buckets:
            issues.fail((*path, "buckets"), f"only histograms have buckets; `{name}` is a {kind}")
        return ()
    if not buckets:
        issues.fail((*path, "type"), f"histogram `{name}` needs `buckets`")
        return None
    if list(buckets) != sorted(set(buckets)):
        issues.fail((*path, "buckets"), "buckets must be strictly increasing")
        return None
    return buckets


def _exposes_new_series(
    issues: SpecIssues, metric: Metric, path: YamlPath, exposed_by: dict[str, int], index: int
) -> bool:
    """False (after reporting it) when a series name of `metric` is already exposed by another metric."""
    for exposed in metric.exposed_series:
        if exposed in exposed_by:
            issues.fail(
                (*path, "name"),
                f"metric `{metric.name}` exposes `{exposed}`, already exposed by metrics[{exposed_by[exposed]}]",
            )
            return False
    exposed_by.update(dict.fromkeys(metric.exposed_series, index))
    return True


def _check_role(issues: SpecIssues, metric: Metric, path: YamlPath, roles: dict[str, str]) -> None:
    role = metric.role
    if role is None:
        return
    if role in roles:
        issues.fail((*path, "role"), f"role `{role}` is already taken by {roles[role]}; each role names one metric")
        return
    roles[role] = metric.name
    if metric.type != ROLE_TYPES[role]:
        issues.fail(
            (*path, "role"), f"the `{role}` metric must be a {ROLE_TYPES[role]}; `{metric.name}` is a {metric.type}"
        )


def resolve_metric(
    issues: SpecIssues, metrics: Definitions[Metric], name: str, path: YamlPath, types: tuple[str, ...]
) -> Metric | None:
    """The metric an SLO or alert reads, if it is defined, usable and of one of `types`."""
    if not metrics.declares(name):
        issues.fail(path, f"metric `{name}` is not defined in `metrics`; defined: {metrics.declared()}")
    metric = metrics.get(name)
    if metric is not None and metric.type not in types:
        issues.fail(path, f"metric `{name}` is a {metric.type}; expected a {' or '.join(types)}")
        return None
    return metric
