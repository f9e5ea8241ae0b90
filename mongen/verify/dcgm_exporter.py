"""A simulated dcgm-exporter for the spec's `exporter: dcgm` scrape jobs: two GPUs with the series
mongen reads (frame buffer used and free in MiB, utilization in percent) and dcgm-exporter's
labels, served over HTTP on 127.0.0.1 from a thread of verify's own process.

Healthy, every GPU's frame buffer is used well under the lowest `dcgm_frame_buffer` threshold;
the frame-buffer phase fills one GPU past it (mongen.faults.FrameBufferFull), so the alert must
fire for that GPU only.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from mongen.faults import FrameBufferFull
from mongen.model import Spec
from mongen.promql import quote
from mongen.verify.alert_faults import AlertFaults
from mongen.verify.testbed import ExpositionServer
from mongen.vocabulary.dcgm import DCGM_FB_FREE, DCGM_FB_USED, DCGM_GPU_UTIL

GPUS = ("0", "1")
MODEL_NAME = "NVIDIA H100 80GB HBM3"
FRAME_BUFFER_MIB = 81559  # what dcgm-exporter reports as used + free on that GPU
UTILIZATION_PERCENT = 63
# Healthy: this share of the lowest frame-buffer threshold (or of the whole, with no alert).
HEALTHY_SHARE_OF_THRESHOLD = 0.5
HEALTHY_SHARE = 0.4
_HELP = {
    DCGM_FB_USED: "Framebuffer memory used (in MiB).",
    DCGM_FB_FREE: "Framebuffer memory free (in MiB).",
    DCGM_GPU_UTIL: "GPU utilization (in %).",
}


def frame_buffer_thresholds(faults: AlertFaults) -> list[float]:
    return [f.threshold for f in faults.values() if isinstance(f, FrameBufferFull)]


def healthy_share(faults: AlertFaults) -> float:
    thresholds = frame_buffer_thresholds(faults)
    return HEALTHY_SHARE_OF_THRESHOLD * min(thresholds) if thresholds else HEALTHY_SHARE


def full_share(threshold: float) -> float:
    """Halfway between the threshold and a full frame buffer: past it, and a share dcgm can report."""
    return (threshold + 1) / 2


def exposition(hostname: str, shares: dict[str, float]) -> str:
    """The text dcgm-exporter serves for `shares` (GPU -> frame buffer used share)."""
    lines: list[str] = []
    for series in (DCGM_FB_USED, DCGM_FB_FREE, DCGM_GPU_UTIL):
        lines += [f"# HELP {series} {_HELP[series]}", f"# TYPE {series} gauge"]
        for gpu, share in shares.items():
            used = round(share * FRAME_BUFFER_MIB)
            value = {DCGM_FB_USED: used, DCGM_FB_FREE: FRAME_BUFFER_MIB - used}.get(series, UTILIZATION_PERCENT)
            lines.append(f"{series}{{{_labels(hostname, gpu)}}} {value}")
    return "\n".join(lines) + "\n"


def _labels(hostname: str, gpu: str) -> str:
    return ",".join(f"{k}={quote(v)}" for k, v in gpu_labels(hostname, gpu))


def gpu_labels(hostname: str, gpu: str) -> tuple[tuple[str, str], ...]:
    """The labels dcgm-exporter writes on every series of GPU `gpu` of host `hostname`."""
    labels = {
        "gpu": gpu,
        "UUID": f"GPU-{int(gpu):08d}-0000-0000-0000-000000000000",
        "pci_bus_id": f"00000000:{0x18 + int(gpu):02X}:00.0",
        "device": f"nvidia{gpu}",
        "modelName": MODEL_NAME,
        "Hostname": hostname,
    }
    return tuple(labels.items())


class SimulatedDcgmExporter(ExpositionServer):
    """Serves `exposition` on HOST at any path (each job's `metrics_path`); `inject` fills the
    fault's GPU past its threshold, `heal` returns every GPU to the healthy share."""

    def __init__(self, hostname: str, healthy: float, gpus: Iterable[str] = GPUS) -> None:
        self.hostname, self.healthy = hostname, healthy
        self.shares = dict.fromkeys(gpus, healthy)
        self.lock = threading.Lock()
        super().__init__()

    def inject(self, fault: FrameBufferFull) -> None:
        if fault.gpu not in self.shares:
            raise ValueError(f"GPU {fault.gpu!r} is not one of the simulated GPUs ({', '.join(self.shares)})")
        with self.lock:
            self.shares[fault.gpu] = full_share(fault.threshold)

    def heal(self) -> None:
        with self.lock:
            self.shares = dict.fromkeys(self.shares, self.healthy)

    def text(self) -> str:
        with self.lock:
            return exposition(self.hostname, dict(self.shares))


def dcgm_hostname(spec: Spec) -> str:
    """The host of the first dcgm-exporter target the spec names (its `Hostname` label on a real
    GPU host), or a stand-in when its targets come from files."""
    targets = [t for e in spec.scrape.exporters if e.exporter == "dcgm" for t in e.static_targets]
    return targets[0].rpartition(":")[0].strip("[]") if targets else "gpu-node"
