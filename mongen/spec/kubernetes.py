"""The `kubernetes` section: whether and where the Prometheus Operator manifests go."""

from __future__ import annotations

from typing import Any

from mongen.model import Kubernetes

DEFAULT_NAMESPACE = "monitoring"


def read_kubernetes(raw: dict[str, Any]) -> Kubernetes:
    """The schema holds names and labels to Kubernetes syntax; nothing else can be wrong here."""
    return Kubernetes(
        bool(raw.get("enabled", False)),
        raw.get("namespace", DEFAULT_NAMESPACE),
        tuple(sorted(raw.get("labels", {}).items())),
    )
