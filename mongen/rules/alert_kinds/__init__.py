"""The alert kinds, one module each, and the registry. Adding a kind: a new module with an
AlertKind subclass and its parameter class, then its class in KINDS and its name in AlertKindName
below. The schema's `kind` enum and the alert fields are read from KINDS (mongen.spec.schema);
mypy holds each class's name to the Literal.
"""

from __future__ import annotations

from typing import Any, Literal

from mongen.rules.alert_kinds.absent import Absent
from mongen.rules.alert_kinds.base import COMMON_FIELDS, AlertKind
from mongen.rules.alert_kinds.dcgm_frame_buffer import DcgmFrameBuffer
from mongen.rules.alert_kinds.error_ratio import ErrorRatio
from mongen.rules.alert_kinds.expr import ExprAlert
from mongen.rules.alert_kinds.gauge_threshold import GaugeThreshold
from mongen.rules.alert_kinds.latency_quantile import LatencyQuantile
from mongen.rules.alert_kinds.preset import PresetPack
from mongen.rules.alert_kinds.target_down import TargetDown

AlertKindName = Literal[
    "latency_quantile",
    "error_ratio",
    "target_down",
    "absent",
    "gauge_threshold",
    "expr",
    "dcgm_frame_buffer",
    "preset",
]
KINDS: tuple[AlertKind[Any], ...] = (
    LatencyQuantile(),
    ErrorRatio(),
    TargetDown(),
    Absent(),
    GaugeThreshold(),
    ExprAlert(),
    DcgmFrameBuffer(),
    PresetPack(),
)
BY_NAME: dict[str, AlertKind[Any]] = {kind.name: kind for kind in KINDS}


__all__ = ["BY_NAME", "COMMON_FIELDS", "KINDS", "AlertKind", "AlertKindName"]
