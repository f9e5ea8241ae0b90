"""The showcase spec with its GPU memory gauge read from NVML (`source: {from: nvml}`): its
generated module, imported fresh, scraped, and the spec's GPU memory alert run in promtool on the
values a scrape exposed. The NVML beneath is the caller's: the fake in fake_pynvml.py, or a real GPU."""

from __future__ import annotations

import importlib.util
import subprocess
from functools import cache
from pathlib import Path
from types import ModuleType

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from mongen import layout
from mongen.annotations import humanize
from mongen.generators import instrumentation
from mongen.loading import load_spec
from mongen.model import Spec
from mongen.pipeline import render
from mongen.rules.alert_kinds.gauge_threshold import GaugeThreshold
from mongen.serialize import to_yaml
from mongen.synth.cases import threshold_case
from mongen.synth.series import TEST_INSTANCE, series
from mongen.units import format_duration
from tests.support import ROOT, need

GPU_METRIC = "emoti_voice_gpu_memory_usage_bytes"
GiB = 2**30
_HELP_LINE = "    help: GPU memory used by the TTS model.\n"
_THRESHOLD_LINE = "    threshold: 22000000000\n"
GPU_ALERT = "EmotivoiceGpuMemoryHigh"


def nvml_spec(tmp_path: Path, mode: str, max_gpus: int | None = None, threshold: int | None = None) -> Spec:
    """specs/emotivoice.yaml with its gpu_memory metric read from NVML (and the GPU memory alert's
    threshold at `threshold` bytes)."""
    text = (ROOT / "specs/emotivoice.yaml").read_text("utf-8")
    assert text.count(_HELP_LINE) == 1 and text.count(_THRESHOLD_LINE) == 1
    bound = f", max_gpus: {max_gpus}" if max_gpus is not None else ""
    text = text.replace(_HELP_LINE, _HELP_LINE + f"    source: {{from: nvml, mode: {mode}{bound}}}\n")
    if threshold is not None:
        text = text.replace(_THRESHOLD_LINE, f"    threshold: {threshold}\n")
    path = tmp_path / f"nvml-{mode}-{max_gpus}-{threshold}.yaml"
    path.write_text(text, "utf-8")
    return load_spec(str(path))


@cache
def module_text(mode: str, max_gpus: int | None, tmp: str) -> str:
    spec = nvml_spec(Path(tmp), mode, max_gpus)
    return instrumentation.generate(spec)[layout.instrumentation_module(spec.service)]


_count = iter(range(10**6))


def generated(tmp_path: Path, mode: str = "device", max_gpus: int | None = None) -> ModuleType:
    """A fresh import of the generated module (its own REGISTRY), under a unique name."""
    name = f"nvml_metrics_{next(_count)}"
    path = tmp_path / f"{name}.py"
    path.write_text(module_text(mode, max_gpus, str(tmp_path.parent)), "utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def gpu_series(exposition: bytes | str) -> dict[str, float]:
    """The gpu_memory samples of an exposition, by their `gpu` label."""
    text = exposition.decode() if isinstance(exposition, bytes) else exposition
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == GPU_METRIC:
                assert set(sample.labels) == {"gpu"}
                out[sample.labels["gpu"]] = sample.value
    return out


def scrape(module: ModuleType) -> dict[str, float]:
    return gpu_series(generate_latest(module.REGISTRY))


def check_gpu_alert_on_exposed_values(
    tmp_path: Path, gpu: str, baseline: float, peak: float, released: float, mode: str = "device"
) -> None:
    """promtool runs the spec's GPU memory alert, as generated, on the values a scrape exposed: a
    threshold halfway between `baseline` and `peak`; the alert stays quiet at the baseline, fires
    once the peak has lasted its `for`, and is quiet again after the release."""
    threshold = int((baseline + peak) / 2)
    spec = nvml_spec(tmp_path, mode, threshold=threshold)
    for path, text in render(spec).items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text, "utf-8")
    alert = next(a for a in spec.alerts if a.name == GPU_ALERT)
    rule = GaugeThreshold().rule(spec, alert)
    minutes = alert.for_seconds // 60
    values = [baseline] * 5 + [peak] * (minutes + 5) + [released] * 5
    labels = {"job": spec.scrape.job, "instance": TEST_INSTANCE, "gpu": gpu}
    inputs = [(series(GPU_METRIC, labels), " ".join(f"{v:.17g}" for v in values))]
    result = {"job": spec.scrape.job, "instance": TEST_INSTANCE}
    cases = [
        threshold_case(rule, False, humanize(baseline), inputs, 4 * 60, result, baseline),
        threshold_case(rule, True, humanize(peak), inputs, (5 + minutes + 2) * 60, result, peak),
        threshold_case(rule, False, humanize(released), inputs, (5 + minutes + 5 + 3) * 60, result, released),
    ]
    test_path = layout.rule_test_file(spec.service, "gpu-exposed")
    rule_files = layout.rule_files(spec.service)
    doc = {
        "rule_files": [layout.relative(rule_files[kind], test_path) for kind in ("recording", "alerts")],
        "evaluation_interval": format_duration(spec.scrape.evaluation_interval),
        "tests": [case.to_test() for case in cases],
    }
    (tmp_path / test_path).write_text(to_yaml(doc), "utf-8")
    proc = subprocess.run(
        [need("promtool"), "test", "rules", test_path], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
