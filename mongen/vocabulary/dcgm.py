"""dcgm-exporter's series that mongen knows (the frame buffer in MiB, utilisation in percent) and
the labels it writes on each: the GPU's identity and host, and, when it runs on Kubernetes with
the pod-resources mapping on, the pod using the GPU (absent otherwise, never misspelt)."""

from __future__ import annotations

DCGM_FB_USED, DCGM_FB_FREE, DCGM_GPU_UTIL = "DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_FB_FREE", "DCGM_FI_DEV_GPU_UTIL"
DCGM_SERIES = (DCGM_FB_USED, DCGM_FB_FREE, DCGM_GPU_UTIL)
DCGM_LABELS = (
    "gpu",
    "UUID",
    "pci_bus_id",
    "device",
    "modelName",
    "Hostname",
    "namespace",
    "pod",
    "container",
    "job",
    "instance",
)
