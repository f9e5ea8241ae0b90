"""time_inference(), gpu_memory_from() and the METRICS_PORT / METRICS_ADDR overrides of the
generated module."""

from __future__ import annotations

import asyncio
import itertools
import math
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import ModuleType

import pytest
from prometheus_client import generate_latest

from mongen import layout
from tests.support.generated_module import load_generated, write_module

_names = itertools.count()
INFERENCE = "emoti_voice_model_inference_duration_seconds"
GPU = "emoti_voice_gpu_memory_usage_bytes"


@pytest.fixture
def m(default_spec, default_files: dict[str, str]) -> ModuleType:
    return load_generated(default_files[layout.instrumentation_module(default_spec.service)], f"helpers_{next(_names)}")


def inference(m: ModuleType) -> tuple[float, float]:
    get = m.REGISTRY.get_sample_value
    return get(f"{INFERENCE}_count") or 0.0, get(f"{INFERENCE}_sum") or 0.0


def test_time_inference_as_a_context_manager(m: ModuleType) -> None:
    with m.time_inference():
        time.sleep(0.05)
    count, total = inference(m)
    assert count == 1.0 and 0.05 <= total < 1.0


def test_time_inference_as_a_decorator_on_def_and_async_def(m: ModuleType) -> None:
    timer = m.time_inference()

    @timer
    def infer(text: str) -> str:
        time.sleep(0.02)
        return text

    @timer
    async def infer_async(text: str) -> str:
        await asyncio.sleep(0.02)
        return text

    assert infer("a") == "a" and infer("b") == "b"
    assert asyncio.run(infer_async("c")) == "c"
    count, total = inference(m)
    assert count == 3.0 and 0.06 <= total < 2.0


def test_time_inference_records_an_inference_that_raises(m: ModuleType) -> None:
    with pytest.raises(RuntimeError), m.time_inference():
        raise RuntimeError("CUDA out of memory")
    assert inference(m)[0] == 1.0


def test_a_shared_timer_times_each_thread_on_its_own(m: ModuleType) -> None:
    timer = m.time_inference()

    def work() -> None:
        for _ in range(20):
            with timer:
                time.sleep(0.001)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    count, total = inference(m)
    assert count == 80.0
    assert total < 80 * 0.5, "each entry is timed from its own start"


def test_gpu_memory_from_reads_the_callable_at_each_scrape(m: ModuleType) -> None:
    used = [3e9]
    m.gpu_memory_from(lambda: used[0])
    assert m.REGISTRY.get_sample_value(GPU) == 3e9
    used[0] = 5e9
    assert m.REGISTRY.get_sample_value(GPU) == 5e9


@pytest.mark.parametrize("read", [lambda: 1 / 0, lambda: -1.0, lambda: "lots"], ids=["raises", "negative", "text"])
def test_a_bad_gpu_memory_callable_shows_nan_and_never_fails_the_scrape(m: ModuleType, read: object) -> None:
    m.gpu_memory_from(read)
    assert f"{GPU} NaN" in generate_latest(m.REGISTRY).decode()
    value = m.REGISTRY.get_sample_value(GPU)
    assert value is not None and math.isnan(value)


def module_constants(module: Path, **env: str) -> subprocess.CompletedProcess[str]:
    script = (
        "import importlib.util, sys\n"
        "spec = importlib.util.spec_from_file_location('emotivoice_metrics', sys.argv[1])\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "print(m.METRICS_ADDR, m.METRICS_PORT)\n"
    )
    clean = {k: v for k, v in os.environ.items() if k not in ("METRICS_PORT", "METRICS_ADDR")}
    return subprocess.run(
        [sys.executable, "-c", script, str(module)], env={**clean, **env}, capture_output=True, text=True, timeout=60
    )


def test_metrics_port_and_addr_come_from_the_environment(default_files: dict[str, str], tmp_path: Path) -> None:
    module = write_module(tmp_path, default_files)
    assert module_constants(module).stdout.split() == ["127.0.0.1", "8001"]
    result = module_constants(module, METRICS_PORT="9123", METRICS_ADDR="127.0.0.2")
    assert (result.stdout.split(), result.stderr) == (["127.0.0.2", "9123"], "")


@pytest.mark.parametrize("port", ["http", "0", "70000", "-1"])
def test_a_bad_metrics_port_keeps_the_specs_port_with_one_log_line(
    default_files: dict[str, str], tmp_path: Path, port: str
) -> None:
    module = write_module(tmp_path, default_files)
    result = module_constants(module, METRICS_PORT=port)
    assert result.returncode == 0 and result.stdout.split() == ["127.0.0.1", "8001"]
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "is no port" in lines[0], lines
