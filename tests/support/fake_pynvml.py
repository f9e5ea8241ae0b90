"""A stand-in for `pynvml` (package nvidia-ml-py) at the library boundary.

Tests put `FakeNvml(...).module()` into sys.modules["pynvml"], so the generated module's real
NVML collector imports it and calls it as it would call NVML: only the functions and the
exception the collector uses, with the shapes nvidia-ml-py gives them (memory info with `.used`,
processes with `.pid` and `.usedGpuMemory`, which is None where NVML cannot tell).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType, SimpleNamespace


class NVMLError(Exception):
    """pynvml.NVMLError: every NVML failure is one of its subclasses."""


@dataclass
class FakeGpu:
    uuid: str
    used: int
    processes: list[tuple[int, int | None]] = field(default_factory=list)  # (pid, usedGpuMemory)


@dataclass
class FakeNvml:
    gpus: list[FakeGpu]
    init_error: bool = False
    failing: bool = False  # every memory read raises, as a GPU fallen off the bus
    calls: list[str] = field(default_factory=list)

    def module(self) -> ModuleType:
        module = ModuleType("pynvml")
        module.NVMLError = NVMLError  # type: ignore[attr-defined]
        for name in (
            "nvmlInit",
            "nvmlDeviceGetCount",
            "nvmlDeviceGetHandleByIndex",
            "nvmlDeviceGetHandleByUUID",
            "nvmlDeviceGetIndex",
            "nvmlDeviceGetMemoryInfo",
            "nvmlDeviceGetComputeRunningProcesses",
        ):
            setattr(module, name, getattr(self, name))
        return module

    def nvmlInit(self) -> None:
        self.calls.append("nvmlInit")
        if self.init_error:
            raise NVMLError("NVML Shared Library Not Found")

    def nvmlDeviceGetCount(self) -> int:
        return len(self.gpus)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> int:
        if not 0 <= index < len(self.gpus):
            raise NVMLError("Invalid Argument")
        return index

    def nvmlDeviceGetHandleByUUID(self, uuid: str | bytes) -> int:
        # nvidia-ml-py passes the UUID to NVML as a C string: bytes, or str it encodes itself
        uuid = uuid.decode() if isinstance(uuid, bytes) else uuid
        for index, gpu in enumerate(self.gpus):
            if gpu.uuid == uuid:
                return index
        raise NVMLError("Not Found")

    def nvmlDeviceGetIndex(self, handle: int) -> int:
        return handle

    def nvmlDeviceGetMemoryInfo(self, handle: int) -> SimpleNamespace:
        self.calls.append("nvmlDeviceGetMemoryInfo")
        if self.failing:
            raise NVMLError("GPU is lost")
        gpu = self.gpus[handle]
        return SimpleNamespace(total=80 * 2**30, used=gpu.used, free=80 * 2**30 - gpu.used)

    def nvmlDeviceGetComputeRunningProcesses(self, handle: int) -> list[SimpleNamespace]:
        self.calls.append("nvmlDeviceGetComputeRunningProcesses")
        if self.failing:
            raise NVMLError("GPU is lost")
        return [SimpleNamespace(pid=pid, usedGpuMemory=used) for pid, used in self.gpus[handle].processes]
