"""The `recording_rules` section: the spec author's own recording rules. What each reads is
checked with the alerts' expressions (mongen.spec.expressions), once the model is built."""

from __future__ import annotations

from typing import Any

from mongen.errors import YamlPath
from mongen.model import SpecRecordingRule
from mongen.spec.issues import SpecIssues


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
        labels = body.get("labels", {})
        reserved = sorted(name for name in labels if name.startswith("__"))
        for name in reserved:
            issues.fail(
                (*path, "labels", name),
                f"label names starting with `__` are reserved for Prometheus' own use; rename `{name}`",
            )
        if not reserved:
            out.append(SpecRecordingRule(record, body["expr"], tuple(sorted(labels.items()))))
    return tuple(out)
