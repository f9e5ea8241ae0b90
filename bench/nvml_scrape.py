"""The NVML collector's cost per scrape (`gpu_memory` with `source: {from: nvml}`), for bench/run.py.

The generated module's collector is timed on its own (`collect()`, what a scrape adds), against
the fake NVML of the tests (tests/support/fake_pynvml.py: the collector's own Python, no driver), and
against the real NVML when pynvml is importable and finds a GPU.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
GPU_METRIC = "emoti_voice_gpu_memory_usage_bytes"
_HELP_LINE = "    help: GPU memory used by the TTS model.\n"


def _module(tmp_path: Path, mode: str) -> ModuleType:
    from mongen import layout
    from mongen.generators import instrumentation
    from mongen.loading import load_spec

    text = (ROOT / "specs/emotivoice.yaml").read_text("utf-8")
    spec_path = tmp_path / f"nvml-{mode}.yaml"
    spec_path.write_text(text.replace(_HELP_LINE, _HELP_LINE + f"    source: {{from: nvml, mode: {mode}}}\n"))
    spec = load_spec(str(spec_path))
    module_path = tmp_path / f"bench_nvml_{mode}.py"
    module_path.write_text(instrumentation.generate(spec)[layout.instrumentation_module(spec.service)])
    loader = importlib.util.spec_from_file_location(module_path.stem, module_path)
    assert loader and loader.loader
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    return module


def _per_scrape_us(collector: object, n: int = 2000) -> tuple[float, int]:
    """Best of 3 runs of `n` scrapes, in µs per scrape, and the series one scrape gives."""
    families = collector.collect()  # type: ignore[attr-defined]
    series = sum(len(family.samples) for family in families)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(n):
            collector.collect()  # type: ignore[attr-defined]
        best = min(best, (time.perf_counter() - start) / n * 1e6)
    return best, series


def nvml_rows(tmp_path: Path) -> list[tuple[str, str]]:
    sys.path.insert(0, str(ROOT))
    from tests.support.fake_pynvml import FakeGpu, FakeNvml

    real = sys.modules.pop("pynvml", None)
    me = os.getpid()
    # Each GPU lists this process and two others, as a shared inference host would.
    others = (os.getppid(), 1)
    fake = FakeNvml([FakeGpu(f"GPU-{i}", 2**30, [(me, 2**30), *((pid, 2**29) for pid in others)]) for i in range(8)])
    rows = []
    for mode in ("device", "process"):
        sys.modules["pynvml"] = fake.module()
        module = _module(tmp_path, mode)
        cost, series = _per_scrape_us(getattr(module, GPU_METRIC.upper()))
        rows.append((f"NVML collector per scrape, {mode} mode, fake NVML, 8 GPUs", f"{cost:.1f} µs ({series} series)"))
    sys.modules.pop("pynvml", None)
    if real is not None:
        sys.modules["pynvml"] = real
    if importlib.util.find_spec("pynvml") is None:
        rows.append(("NVML collector per scrape, real NVML", "not measured: pynvml (nvidia-ml-py) not installed"))
        return rows
    for mode in ("device", "process"):
        collector = getattr(_module(tmp_path, mode), GPU_METRIC.upper())
        cost, series = _per_scrape_us(collector)
        value = f"{cost:.1f} µs ({series} series)" if series else "not measured: NVML finds no GPU here"
        rows.append((f"NVML collector per scrape, {mode} mode, real NVML", value))
    return rows
