"""The `external_metrics` section: series the rules may read that the service does not expose
(`up` of other jobs, dcgm-exporter's `DCGM_FI_DEV_*`, node-exporter's `node_*`). Only `mongen lint`
reads them: unknown-metric accepts them, and their type and labels feed the other checks."""

from __future__ import annotations

from typing import Any

from mongen.errors import YamlPath
from mongen.model import ExternalMetric, Metric
from mongen.spec.issues import Definitions, SpecIssues

# Series a histogram or summary adds to its name; its entry declares the name without them.
_DERIVED_SUFFIXES = ("_bucket", "_sum", "_count")
# Labels Prometheus' client libraries add to a histogram's buckets and a summary's quantiles.
_ADDED_LABEL = {"histogram": "le", "summary": "quantile"}


def read_external_metrics(
    issues: SpecIssues, raw: list[dict[str, Any]], metrics: Definitions[Metric]
) -> tuple[ExternalMetric, ...]:
    """The schema already holds each entry to one `name` or one `prefix`, a known `type` and
    unique label names; this checks what it cannot say."""
    exposed = {series: metric.name for metric in metrics.valid() for series in metric.exposed_series}
    declared: dict[str, int] = {}
    out = []
    for i, body in enumerate(raw):
        path: YamlPath = ("external_metrics", i)
        entry = ExternalMetric(
            body.get("name"),
            body.get("prefix"),
            tuple(body["labels"]) if "labels" in body else None,
            body.get("type"),
        )
        if _usable(issues, entry, path, exposed, declared, i):
            out.append(entry)
    return tuple(out)


def _usable(
    issues: SpecIssues,
    entry: ExternalMetric,
    path: YamlPath,
    exposed: dict[str, str],
    declared: dict[str, int],
    index: int,
) -> bool:
    kind = entry.type or "untyped"
    if entry.prefix is not None:
        if kind in _ADDED_LABEL:
            issues.fail(
                (*path, "type"),
                f"a `prefix` covers many metrics, so it cannot say where a {kind}'s series are; "
                f"declare each {kind} by its `name`",
            )
            return False
        return True
    assert entry.name is not None, "the schema requires a name or a prefix"
    usable = True
    if kind in _ADDED_LABEL and entry.name.endswith(_DERIVED_SUFFIXES):
        base = entry.name.rsplit("_", 1)[0]
        issues.fail(
            (*path, "name"),
            f"declare the {kind} by its base name `{base}`; its `_bucket`, `_sum` and `_count` series follow from it",
        )
        usable = False
    added = _ADDED_LABEL.get(kind)
    if added is not None and entry.labels is not None and added in entry.labels:
        issues.fail(
            (*path, "labels", entry.labels.index(added)),
            f"`{added}` is added by the {kind} itself; list only the labels of the {kind}",
        )
        usable = False
    for series in entry.series:
        if series in exposed:
            issues.fail(
                (*path, "name"),
                f"`{series}` is exposed by the service (metric `{exposed[series]}`); "
                "external_metrics are for series it does not expose",
            )
            return False
        if series in declared:
            issues.fail(
                (*path, "name"),
                f"`{series}` is already declared by external_metrics[{declared[series]}]; declare each series once",
            )
            return False
    for series in entry.series:
        declared[series] = index
    return usable
