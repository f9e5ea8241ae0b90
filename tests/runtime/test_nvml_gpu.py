"""The NVML collector on a real GPU (marker `gpu`): run `pip install nvidia-ml-py torch` and
`pytest -m gpu` on a machine with an NVIDIA GPU. Elsewhere every test here is skipped, and the
skip says what is missing; the same collector code runs against a fake NVML in
tests/runtime/test_nvml_collector.py on every machine.

The generated module is imported into this process, which then allocates and frees several GiB
with torch; through the allocation and the release the exposed gauge must follow what NVML itself
says within 1%, and the spec's GPU memory alert must fire, in promtool, on the values exposed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.support.nvml import check_gpu_alert_on_exposed_values, generated, scrape

pytestmark = pytest.mark.gpu

ALLOCATION = 4 * 2**30  # "several GiB": fits any datacenter GPU next to a CUDA context
TOLERANCE = 0.01


@pytest.fixture(scope="module")
def torch() -> ModuleType:
    torch = pytest.importorskip("torch", reason="the gpu tests allocate GPU memory with torch: pip install torch")
    if not torch.cuda.is_available():
        pytest.skip("the gpu tests need a CUDA GPU: torch.cuda.is_available() is False on this machine")
    return torch


@pytest.fixture(scope="module")
def pynvml(torch: ModuleType) -> Iterator[ModuleType]:
    nvml = pytest.importorskip("pynvml", reason="the gpu tests read NVML: pip install nvidia-ml-py")
    nvml.nvmlInit()
    yield nvml
    nvml.nvmlShutdown()


@pytest.fixture(scope="module")
def gpu(torch: ModuleType, pynvml: ModuleType) -> tuple[str, Any]:
    """torch's device 0 as NVML knows it: its NVML index (the `gpu` label) and handle, found by UUID
    so that CUDA_VISIBLE_DEVICES and CUDA's device order do not matter."""
    torch.zeros(1, device="cuda:0")  # the CUDA context, which holds memory of its own
    uuid = str(torch.cuda.get_device_properties(0).uuid)
    handle = pynvml.nvmlDeviceGetHandleByUUID(uuid if uuid.startswith("GPU-") else f"GPU-{uuid}")
    return str(pynvml.nvmlDeviceGetIndex(handle)), handle


def _own_usage(pynvml: ModuleType, handle: Any) -> float:
    pids = {os.getpid()}
    return float(
        sum(
            p.usedGpuMemory or 0
            for p in pynvml.nvmlDeviceGetComputeRunningProcesses(handle)
            if p.pid in pids  # this test starts no child on the GPU
        )
    )


def _follow(
    module: ModuleType, index: str, read_nvml: Callable[[], float], torch: ModuleType, tmp_path: Path, mode: str
) -> None:
    """Baseline, allocation, release: each time the exposed value is within 1% of NVML's, read
    just before and just after the scrape (another process may change a device's usage between)."""

    def phase() -> float:
        torch.cuda.synchronize()
        before = read_nvml()
        exposed = scrape(module)[index]
        after = read_nvml()
        assert any(abs(exposed - nvml) <= TOLERANCE * nvml for nvml in (before, after)), (exposed, before, after)
        return exposed

    baseline = phase()
    block = torch.empty(ALLOCATION, dtype=torch.uint8, device="cuda:0")
    block.fill_(1)  # touched, so the memory is really committed
    peak = phase()
    del block
    torch.cuda.empty_cache()
    released = phase()
    assert peak - baseline >= 0.95 * ALLOCATION, (baseline, peak)
    assert peak - released >= 0.95 * ALLOCATION, (peak, released)
    check_gpu_alert_on_exposed_values(tmp_path, index, baseline, peak, released, mode)


def test_device_mode_follows_nvml_through_an_allocation(
    torch: ModuleType, pynvml: ModuleType, gpu: tuple[str, Any], tmp_path: Path
) -> None:
    index, handle = gpu
    module = generated(tmp_path, "device")
    _follow(module, index, lambda: float(pynvml.nvmlDeviceGetMemoryInfo(handle).used), torch, tmp_path, "device")


def test_process_mode_follows_nvml_through_an_allocation(
    torch: ModuleType, pynvml: ModuleType, gpu: tuple[str, Any], tmp_path: Path
) -> None:
    index, handle = gpu
    if not _own_usage(pynvml, handle):
        pytest.skip(
            "NVML does not list this process's PID with its memory (a PID namespace the driver does not "
            "see, or no permission): process mode exposes 0 here; device mode is still checked"
        )
    module = generated(tmp_path, "process")
    _follow(module, index, lambda: _own_usage(pynvml, handle), torch, tmp_path, "process")
