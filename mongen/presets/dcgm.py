"""NVIDIA dcgm-exporter, checked against dcgm-exporter 3.3's etc/default-counters.csv: every
series is a DCGM field in its own upper-case spelling, labelled with the GPU's identity and host
(and, on Kubernetes with the pod-resources mapping, the pod using it). Besides the frame buffer
(mongen.spec.exporters), the default counters include the last XID error (a gauge holding the XID
number), temperature, power, and row remapping; NVIDIA's XID catalogue rates XID 48 (double-bit
ECC error) and 79 (the GPU has fallen off the bus) as critical.

dcgm-exporter ships a dashboard and no alert rules; this pack is mongen's.
"""

from __future__ import annotations

from mongen.presets.base import (
    Preset,
    PresetAlert,
    PresetPanel,
    PresetSeries,
    Reading,
    by,
    sel,
)

FB_USED, FB_FREE, GPU_UTIL = "DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_FB_FREE", "DCGM_FI_DEV_GPU_UTIL"
XID, TEMP, POWER = "DCGM_FI_DEV_XID_ERRORS", "DCGM_FI_DEV_GPU_TEMP", "DCGM_FI_DEV_POWER_USAGE"
CORRECTABLE_ROWS = "DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS"
UNCORRECTABLE_ROWS = "DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS"
REMAP_FAILURE = "DCGM_FI_DEV_ROW_REMAP_FAILURE"
# The labels dcgm-exporter writes on every series; the simulated exporter fills in all but `gpu`.
LABELS = ("gpu", "UUID", "pci_bus_id", "device", "modelName", "Hostname", "namespace", "pod", "container")
PER_GPU = ("job", "instance", "Hostname", "gpu")
CRITICAL_XIDS = (48, 79)
GPUS = ("0", "1")
# The GPU the faults act on: not the first, so an alert's `gpu` label is checked.
FAULTED = (("gpu", GPUS[1]),)

SERIES = (
    PresetSeries(FB_USED, "gauge", "Framebuffer memory used (in MiB).", LABELS),
    PresetSeries(FB_FREE, "gauge", "Framebuffer memory free (in MiB).", LABELS),
    PresetSeries(GPU_UTIL, "gauge", "GPU utilization (in %).", LABELS),
    PresetSeries(XID, "gauge", "Value of the last XID error encountered.", LABELS),
    PresetSeries(TEMP, "gauge", "GPU temperature (in C).", LABELS),
    PresetSeries(POWER, "gauge", "Power draw (in W).", LABELS),
    PresetSeries(CORRECTABLE_ROWS, "counter", "Number of remapped rows for correctable errors.", LABELS),
    PresetSeries(UNCORRECTABLE_ROWS, "counter", "Number of remapped rows for uncorrectable errors.", LABELS),
    PresetSeries(REMAP_FAILURE, "gauge", "Whether remapping of rows has failed.", LABELS),
)

HEALTHY = tuple(
    reading
    for gpu in GPUS
    for reading in (
        Reading(XID, (("gpu", gpu),), 0),
        Reading(TEMP, (("gpu", gpu),), 62),
        Reading(POWER, (("gpu", gpu),), 350),
        Reading(CORRECTABLE_ROWS, (("gpu", gpu),), 0),
        Reading(UNCORRECTABLE_ROWS, (("gpu", gpu),), 0),
        Reading(REMAP_FAILURE, (("gpu", gpu),), 0),
    )
)


def _critical_xid(job: str, threshold: float) -> str:
    last = sel(XID, job)
    either = " or ".join(f"{last} == {xid}" for xid in CRITICAL_XIDS)
    return f"max {by(*PER_GPU)} ({either})"


def _rows(job: str, threshold: float) -> str:
    # A row remapped for an uncorrectable error within the last day, or a remap that failed.
    rows = f"increase({sel(UNCORRECTABLE_ROWS, job)}[1d])"
    return f"max {by(*PER_GPU)} ({rows} > 0 or {sel(REMAP_FAILURE, job)} > 0)"


ALERTS = (
    PresetAlert(
        "critical_xid",
        "DcgmCriticalXid",
        _critical_xid,
        "GPU {{ $labels.gpu }} on {{ $labels.Hostname }} reported a critical XID",
        "The last XID of the GPU is 48 (double-bit ECC error) or 79 (fell off the bus): drain the node "
        "and reset or replace the GPU.",
        PER_GPU,
        "page",
        60,
        lambda t: (Reading(XID, FAULTED, 79),),
    ),
    PresetAlert(
        "remapped_rows",
        "DcgmRowRemapping",
        _rows,
        "GPU {{ $labels.gpu }} on {{ $labels.Hostname }} remapped rows for uncorrectable errors",
        "The GPU remapped rows for uncorrectable memory errors in the last day, or a row remap failed: "
        "reset it at the next drain; a remap failure means replace it.",
        PER_GPU,
        "ticket",
        60,
        lambda t: (Reading(REMAP_FAILURE, FAULTED, 1),),
    ),
    PresetAlert(
        "temperature",
        "DcgmGpuTemperatureHigh",
        lambda job, t: f"max {by(*PER_GPU)} ({sel(TEMP, job)}) > {t:g}",
        "GPU {{ $labels.gpu }} on {{ $labels.Hostname }} runs hot",
        "The GPU is above {threshold} C: it throttles its clocks; check cooling and airflow.",
        PER_GPU,
        "ticket",
        300,
        lambda t: (Reading(TEMP, FAULTED, t + 10),),
        threshold=85,
        threshold_range=(40, 120),
    ),
    PresetAlert(
        "exporter_down",
        "DcgmExporterDown",
        lambda job, t: f"{sel('up', job)} == 0",
        "dcgm-exporter on {{ $labels.instance }} does not answer",
        "Prometheus cannot scrape dcgm-exporter: the GPU alerts of that host are blind.",
        ("job", "instance"),
        "ticket",
        120,
        None,
    ),
)

PANELS = (
    PresetPanel("GPU temperature", lambda job: f"max {by('Hostname', 'gpu')} ({sel(TEMP, job)})", "celsius"),
    PresetPanel("GPU power draw", lambda job: f"max {by('Hostname', 'gpu')} ({sel(POWER, job)})", "watt"),
    PresetPanel("GPU last XID", lambda job: f"max {by('Hostname', 'gpu')} ({sel(XID, job)})", "none"),
)

PRESET = Preset(
    "dcgm",
    "GPU health",
    "dcgm-exporter 3.3 (etc/default-counters.csv)",
    SERIES,
    HEALTHY,
    ALERTS,
    (),
    PANELS,
    served_elsewhere=(FB_USED, FB_FREE, GPU_UTIL),
)
