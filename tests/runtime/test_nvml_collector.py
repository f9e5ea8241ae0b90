"""The generated module's NVML collector (`gpu_memory` with `source: {from: nvml}`), run for real
against a fake pynvml put in sys.modules (tests/support/fake_pynvml.py): no GPU is needed here. The same
code on a real GPU is tests/runtime/test_nvml_gpu.py (marker `gpu`)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import get_args

import pytest
from prometheus_client import generate_latest

from mongen.generators import instrumentation
from mongen.model import GPU_MEMORY_MODES, GpuMemoryMode
from mongen.spec.schema import spec_schema
from tests.support import ROOT
from tests.support.fake_pynvml import FakeGpu, FakeNvml
from tests.support.generated_module import check_with_ruff_and_mypy
from tests.support.nvml import (
    GPU_METRIC,
    GiB,
    check_gpu_alert_on_exposed_values,
    generated,
    gpu_series,
    module_text,
    nvml_spec,
    scrape,
)


def install(monkeypatch: pytest.MonkeyPatch, nvml: FakeNvml) -> FakeNvml:
    monkeypatch.setitem(sys.modules, "pynvml", nvml.module())
    return nvml


@pytest.fixture(autouse=True)
def _no_cuda_visible_devices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)


@pytest.fixture
def child_pid() -> Iterator[int]:
    """A real child process of this one (a data loader, a worker the service started)."""
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        yield child.pid
    finally:
        child.kill()
        child.wait(timeout=30)


def test_spec_model_exposes_one_series_per_gpu_up_to_max_gpus(tmp_path: Path) -> None:
    spec = nvml_spec(tmp_path, "process", 3)
    metric = spec.metric_by_name[GPU_METRIC]
    assert metric.exposed_series == {GPU_METRIC: ("gpu",)}  # lint knows the `gpu` label
    assert spec.series_count(metric) == 3
    default = nvml_spec(tmp_path, "device")
    assert default.series_count(default.metric_by_name[GPU_METRIC]) == 8  # the default bound


def test_device_mode_exposes_each_gpus_used_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nvml = install(monkeypatch, FakeNvml([FakeGpu("GPU-a", 11 * GiB), FakeGpu("GPU-b", 512 * 2**20)]))
    module = generated(tmp_path)
    assert not hasattr(module, "set_gpu_memory")  # NVML sets it; the service does not
    assert scrape(module) == {"0": 11 * GiB, "1": 512 * 2**20}
    nvml.gpus[0].used = 2 * GiB  # read at every scrape, not cached
    assert scrape(module) == {"0": 2 * GiB, "1": 512 * 2**20}
    assert nvml.calls.count("nvmlInit") == 1


def test_process_mode_sums_this_process_and_its_children_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, child_pid: int
) -> None:
    me, parent = os.getpid(), os.getppid()
    install(
        monkeypatch,
        FakeNvml(
            [
                FakeGpu("GPU-a", 40 * GiB, [(me, 3 * GiB), (child_pid, GiB), (parent, 5 * GiB), (me + 10**6, 7 * GiB)]),
                FakeGpu("GPU-b", 20 * GiB, [(parent, 20 * GiB)]),
                FakeGpu("GPU-c", GiB, [(me, None)]),  # NVML cannot tell: not counted
            ]
        ),
    )
    assert scrape(generated(tmp_path, "process")) == {"0": 4 * GiB, "1": 0.0, "2": 0.0}


def test_max_gpus_bounds_the_series(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch, FakeNvml([FakeGpu(f"GPU-{i}", i * GiB) for i in range(5)]))
    assert scrape(generated(tmp_path, "device", 2)) == {"0": 0.0, "1": GiB}
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "4,3,GPU-1")
    assert scrape(generated(tmp_path, "device", 2)) == {"4": 4 * GiB, "3": 3 * GiB}


@pytest.mark.parametrize(
    ("visible", "expected"),
    [
        ("2,GPU-0", {"2": 2 * GiB, "0": 0.0}),  # indices and UUIDs, labelled by NVML index
        ("1,-1,0", {"1": GiB}),  # CUDA stops at the first entry it cannot use
        ("1,7,0", {"1": GiB}),  # an index NVML does not know ends the list too
        ("", {}),  # hides every GPU
    ],
)
def test_cuda_visible_devices(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, visible: str, expected: dict[str, float]
) -> None:
    install(monkeypatch, FakeNvml([FakeGpu(f"GPU-{i}", i * GiB) for i in range(3)]))
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", visible)
    assert scrape(generated(tmp_path)) == expected


def _logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith("nvml_metrics_")]


def test_without_pynvml_no_series_and_one_log_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)  # `import pynvml` raises ImportError
    caplog.set_level(logging.WARNING)
    module = generated(tmp_path)
    exposition = generate_latest(module.REGISTRY).decode()
    for _ in range(3):
        exposition = generate_latest(module.REGISTRY).decode()
    assert GPU_METRIC not in exposition
    assert "emoti_voice_tts_requests_total" in exposition  # the rest is served as before
    assert _logged(caplog) == [
        f"{GPU_METRIC} is not exposed: pynvml is not installed (pip install nvidia-ml-py) (logged once)"
    ]


def test_nvml_init_failure_no_series_and_one_log_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    nvml = install(monkeypatch, FakeNvml([FakeGpu("GPU-a", GiB)], init_error=True))
    caplog.set_level(logging.WARNING)
    module = generated(tmp_path)
    assert [scrape(module) for _ in range(3)] == [{}, {}, {}]
    assert nvml.calls == ["nvmlInit"]  # not retried: a missing driver does not come back
    assert len(_logged(caplog)) == 1
    assert "nvmlInit failed (NVMLError('NVML Shared Library Not Found'))" in _logged(caplog)[0]


@pytest.mark.parametrize("mode", ["device", "process"])
def test_nvml_error_mid_scrape_drops_the_series_until_it_recovers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, mode: str
) -> None:
    nvml = install(monkeypatch, FakeNvml([FakeGpu("GPU-a", GiB, [(os.getpid(), GiB)])]))
    caplog.set_level(logging.WARNING)
    module = generated(tmp_path, mode)
    assert scrape(module) == {"0": GiB}
    nvml.failing = True
    assert scrape(module) == {}
    assert scrape(module) == {}
    nvml.failing = False
    assert scrape(module) == {"0": GiB}
    assert len(_logged(caplog)) == 1
    assert "reading NVML failed (NVMLError('GPU is lost'))" in _logged(caplog)[0]


def test_no_gpu_no_series_and_one_log_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    install(monkeypatch, FakeNvml([]))
    caplog.set_level(logging.WARNING)
    module = generated(tmp_path)
    assert [scrape(module) for _ in range(2)] == [{}, {}]
    assert _logged(caplog) == [f"{GPU_METRIC} is not exposed: NVML shows no visible GPU (logged once)"]


# prometheus_client picks its multiprocess value store when it is imported, so a multiprocess
# service is a fresh interpreter: a worker that records a request and exits, then the process that
# serves the scrape through metrics_wsgi_app(), with the fake NVML in its sys.modules.
_WORKER = """
import sys
sys.path.insert(0, sys.argv[1])
import multiproc_metrics as m
m.record_request(method="POST", endpoint="/synthesize", status=200, emotion="happy", duration_seconds=1.0)
print(__import__("os").getpid())
"""
_SERVER = """
import json, os, sys, wsgiref.util
sys.path[:0] = [sys.argv[1], sys.argv[2]]
from tests.support.fake_pynvml import FakeGpu, FakeNvml
GiB, worker = 2**30, int(sys.argv[3])
processes = [(os.getpid(), 2 * GiB), (worker, 6 * GiB), (os.getppid(), GiB)]
sys.modules["pynvml"] = FakeNvml([FakeGpu("GPU-a", 30 * GiB, processes)]).module()
import multiproc_metrics as m
m.record_request(method="POST", endpoint="/synthesize", status=200, emotion="happy", duration_seconds=1.0)
environ = {"PATH_INFO": m.METRICS_PATH}
wsgiref.util.setup_testing_defaults(environ)
sys.stdout.write(b"".join(m.metrics_wsgi_app()(environ, lambda status, headers: None)).decode())
"""


@pytest.mark.parametrize("mode", ["device", "process"])
def test_multiprocess_mode_reads_nvml_where_the_scrape_is_served(tmp_path: Path, mode: str) -> None:
    multiproc = tmp_path / "multiproc"
    multiproc.mkdir()
    (tmp_path / "multiproc_metrics.py").write_text(module_text(mode, None, str(tmp_path.parent)), "utf-8")
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(multiproc)}
    env.pop("CUDA_VISIBLE_DEVICES", None)

    def run(code: str, *args: str) -> str:
        proc = subprocess.run(
            [sys.executable, "-c", code, str(tmp_path), *args], env=env, capture_output=True, text=True, timeout=60
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    worker = run(_WORKER).strip()
    assert list(multiproc.glob(f"*_{worker}.db"))  # the worker wrote its metrics there
    body = run(_SERVER, str(ROOT), worker)
    # Read once by the serving process, never summed over workers; process mode counts the
    # serving process and the worker (2 + 6 GiB), not the parent (another service).
    assert gpu_series(body) == {"0": 30 * GiB if mode == "device" else 8 * GiB}
    requests = 'emoti_voice_tts_requests_total{emotion="happy",endpoint="/synthesize",method="POST",status="200"}'
    assert f"{requests} 2.0" in body  # both processes' requests, aggregated as before


def test_module_imports_and_serves_without_nvidia_ml_py(tmp_path: Path) -> None:
    """A fresh interpreter without pynvml installed: import and scrape are quiet and clean."""
    path = tmp_path / "standalone_metrics.py"
    path.write_text(module_text("device", None, str(tmp_path.parent)), "utf-8")
    code = (
        "import importlib.util, sys\n"
        "assert importlib.util.find_spec('pynvml') is None, 'this test needs pynvml absent'\n"
        "import standalone_metrics as m\n"
        "from prometheus_client import generate_latest\n"
        "for _ in range(3): text = generate_latest(m.REGISTRY).decode()\n"
        f"assert {GPU_METRIC!r} not in text and 'emoti_voice_tts_requests_total' in text\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("is not exposed") == 1, proc.stderr  # logging's last resort: one line


@pytest.mark.parametrize("mode", ["device", "process"])
def test_nvml_module_is_clean_under_ruff_and_mypy_strict(tmp_path: Path, mode: str) -> None:
    path = tmp_path / f"nvml_{mode}_metrics.py"
    path.write_text(module_text(mode, 4, str(tmp_path.parent)), "utf-8")
    check_with_ruff_and_mypy(path)


def test_gpu_alert_fires_on_exposed_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The promtool half of tests/runtime/test_nvml_gpu.py, on values the fake NVML made the module expose."""
    nvml = install(monkeypatch, FakeNvml([FakeGpu("GPU-a", 0), FakeGpu("GPU-b", 512 * 2**20)]))
    module = generated(tmp_path)
    exposed = []
    for used in (int(1.29e9), int(11.79e9), int(1.29e9)):
        nvml.gpus[1].used = used
        exposed.append(scrape(module)["1"])
    check_gpu_alert_on_exposed_values(tmp_path, "1", *exposed)


def test_schema_modes_are_the_models() -> None:
    source = spec_schema()["properties"]["metrics"]["items"]["properties"]["source"]["properties"]
    assert source["mode"]["enum"] == list(GPU_MEMORY_MODES) == list(get_args(GpuMemoryMode))


def test_only_modules_that_opt_in_carry_the_nvml_part(tmp_path: Path) -> None:
    manual, nvml = instrumentation.runtime_source(nvml=False), instrumentation.runtime_source(nvml=True)
    for text in (manual, nvml):
        assert "# nvml" not in text and "nvml {" not in text and "} nvml" not in text  # markers dropped
    # logging is the whole runtime's now (failures to record are logged once), importlib NVML's only.
    assert "pynvml" not in manual and "import importlib" not in manual and "_NVML_COLLECTORS" not in manual
    assert "_NVML_COLLECTORS" in nvml and "import importlib" in nvml
    assert "_nvml_gauge(" in module_text("device", None, str(tmp_path.parent))
