"""The `external_metrics` section: series the rules may read that the service does not expose."""

from __future__ import annotations

from typing import Any

from mongen.model import ExternalMetric


def read_external_metrics(raw: list[dict[str, Any]]) -> tuple[ExternalMetric, ...]:
    """The schema already holds each entry to one `name` or one `prefix`; nothing else can be wrong."""
    out = []
    for body in raw:
        labels = body.get("labels")
        out.append(ExternalMetric(body.get("name"), body.get("prefix"), tuple(labels) if labels is not None else None))
    return tuple(out)
