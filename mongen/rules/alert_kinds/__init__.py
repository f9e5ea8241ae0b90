"""The alert kinds, one module each. Adding a kind: a new module with an AlertKind subclass, one
line in KINDS, and its name in model.AlertKindName (a test holds the schema's enum, the Literal
and this registry equal)."""

from __future__ import annotations

from mongen.model import AlertKindName
from mongen.rules.alert_kinds.absent import Absent
from mongen.rules.alert_kinds.base import COMMON_FIELDS, AlertKind
from mongen.rules.alert_kinds.error_ratio import ErrorRatio
from mongen.rules.alert_kinds.gauge_threshold import GaugeThreshold
from mongen.rules.alert_kinds.latency_quantile import LatencyQuantile
from mongen.rules.alert_kinds.target_down import TargetDown

KINDS: tuple[AlertKind, ...] = (LatencyQuantile(), ErrorRatio(), TargetDown(), Absent(), GaugeThreshold())
BY_NAME: dict[AlertKindName, AlertKind] = {kind.name: kind for kind in KINDS}

__all__ = ["BY_NAME", "COMMON_FIELDS", "KINDS", "AlertKind"]
