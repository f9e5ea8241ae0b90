"""Every alert's fault, decided once per run: what its kind says makes it fire
(`AlertKind.fault`, in the vocabulary of mongen.faults), or why verify cannot drive it. The
healthy profile (profile.py), the simulated dcgm-exporter's healthy level and the phase plan
(phases.py) all read this one mapping.
"""

from __future__ import annotations

from collections.abc import Mapping

from mongen.faults import CannotDrive, Fault
from mongen.model import Spec
from mongen.rules.alert_kinds import BY_NAME

AlertFaults = Mapping[str, Fault | CannotDrive]  # alert name -> its fault, in the spec's alert order


def alert_faults(spec: Spec) -> dict[str, Fault | CannotDrive]:
    return {alert.name: _on_a_served_metric(spec, BY_NAME[alert.kind].fault(spec, alert)) for alert in spec.alerts}


def driven(faults: AlertFaults) -> dict[str, Fault]:
    """The alerts verify can drive, with their faults."""
    return {name: fault for name, fault in faults.items() if not isinstance(fault, CannotDrive)}


def _on_a_served_metric(spec: Spec, fault: Fault | CannotDrive) -> Fault | CannotDrive:
    """The fault, unless it acts on a metric the simulated service does not serve (an external
    metric such as dcgm-exporter's): verify moves only the service's own metrics (and the
    simulated dcgm-exporter's frame buffer, through `FrameBufferFull`)."""
    metric = getattr(fault, "metric", None)
    if not metric or metric in spec.metric_by_name:
        return fault
    return CannotDrive(
        f"`{metric}` is an external metric: verify moves only the service's own metrics "
        "(and dcgm-exporter's frame buffer, for `dcgm_frame_buffer` alerts)"
    )
