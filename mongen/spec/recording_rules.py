"""The `recording_rules` section: the spec author's own recording rules. What each reads is
checked with the alerts' expressions (mongen.loading), once the model is built."""

from __future__ import annotations

from typing import Any

from mongen.errors import YamlPath
from mongen.model import SpecRecordingRule
from mongen.spec.issues import SpecIssues

_IDENTITY_LABELS = frozenset({"job", "service", "instance"})


def read_recording_rules(issues: SpecIssues, raw: list[dict[str, Any]]) -> tuple[SpecRecordingRule, ...]:
    out = []
    seen: set[str] = set()
    for i, body in enumerate(raw):
        path: YamlPath = ("recording_rules", i)
        record = body["record"]
        if record in seen:
            issues.fail((*path, "record"), f"`{record}` is already recorded by an earlier entry; record each name once")
            continue
        seen.add(record)
        if ":" not in record:
            issues.fail(
                (*path, "record"),
                f"`{record}` has no colon: recorded names take the `level:metric:operations` form, which scraped "
                "series never use, so a recording rule cannot shadow one (`up`, `ALERTS`, a metric of the service)",
            )
            continue
        labels = body.get("labels", {})
        for name in sorted(set(labels) & _IDENTITY_LABELS):
            issues.fail(
                (*path, "labels", name),
                f"`{name}` says which service and job a series belongs to, and every rule and dashboard selects "
                "on it; a recording rule may not overwrite it",
            )
        reserved = sorted(name for name in labels if name.startswith("__"))
        for name in reserved:
            issues.fail(
                (*path, "labels", name),
                f"label names starting with `__` are reserved for Prometheus' own use; rename `{name}`",
            )
        if not reserved and not set(labels) & _IDENTITY_LABELS:
            out.append(SpecRecordingRule(record, body["expr"], tuple(sorted(labels.items()))))
    return tuple(out)
