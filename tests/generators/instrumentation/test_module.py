"""The generated instrumentation module: exact exposition, bounded labels, nothing leaked."""

from __future__ import annotations

import dataclasses
import importlib.util
import inspect
import math
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mongen import layout
from mongen.generators import instrumentation
from mongen.loading import load_spec
from mongen.model import Spec
from tests.support import ROOT
from tests.support.generated_module import check_with_ruff_and_mypy, load_generated, write_module

DRIVE = r"""
import importlib.util, sys
spec = importlib.util.spec_from_file_location("emotivoice_metrics", sys.argv[1])
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
m.record_request(method="post", endpoint="/synthesize?voice=1", status=200, emotion=" Joyful ", duration_seconds=1.5, text_length=140)
with m.track_request(method="POST", endpoint="/clone", emotion="furious", text_length=10) as r:
    r.status = 429
try:
    with m.track_request(method="GET", endpoint="/nope", emotion="bored"):
        raise RuntimeError("boom")
except RuntimeError:
    pass
m.observe_inference(0.3)
m.set_gpu_memory(1.5e9)
from prometheus_client import generate_latest
sys.stdout.write(generate_latest(m.REGISTRY).decode())
"""


@pytest.fixture(scope="module")
def exposition(default_files: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> str:
    path = write_module(tmp_path_factory.mktemp("mod"), default_files)
    proc = subprocess.run(
        [sys.executable, "-c", DRIVE, str(path)], capture_output=True, text=True, timeout=60, check=True
    )
    return proc.stdout


def test_every_spec_metric_is_exposed_with_exact_names_and_labels(exposition: str, default_spec) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    samples = {}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            samples.setdefault(sample.name, set()).add(tuple(sorted(sample.labels)))
    assert set(samples) == set(default_spec.exposed_series)
    for name, labels in default_spec.exposed_series.items():
        assert samples[name] == {tuple(sorted(labels))}, name


def test_no_debug_collectors_by_default(exposition: str) -> None:
    for prefix in ("process_", "python_gc_", "python_info"):
        assert f"\n{prefix}" not in "\n" + exposition


def test_normalized_values_and_error_status(exposition: str) -> None:
    assert (
        'emoti_voice_tts_requests_total{emotion="happy",endpoint="/synthesize",method="POST",status="200"} 1.0'
        in exposition
    )
    assert (
        'emoti_voice_tts_requests_total{emotion="angry",endpoint="/clone",method="POST",status="429"} 1.0' in exposition
    )
    assert (
        'emoti_voice_tts_requests_total{emotion="neutral",endpoint="other",method="GET",status="500"} 1.0' in exposition
    )
    assert 'emoti_voice_tts_requests_by_emotion_total{emotion="happy"} 1.0' in exposition
    assert "emoti_voice_gpu_memory_usage_bytes 1.5e+09" in exposition


def test_series_are_preinitialised(exposition: str, default_spec) -> None:
    lines = [line for line in exposition.splitlines() if line and not line.startswith("#")]
    assert len(lines) == default_spec.total_series


def test_debug_collectors_switch(default_files: dict[str, str], tmp_path: Path) -> None:
    import os

    path = write_module(tmp_path, default_files)
    code = (
        DRIVE.split("m.record_request")[0]
        + "from prometheus_client import generate_latest\nprint(generate_latest(m.REGISTRY).decode())"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "MONGEN_DEBUG_COLLECTORS": "1"},
    )
    assert "python_info" in proc.stdout


SPECS = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "specs").glob("*.yaml"))


def generated_module(spec_path: str) -> tuple[Spec, str]:
    spec = load_spec(spec_path)
    return spec, instrumentation.generate(spec)[layout.instrumentation_module(spec.service)]


@pytest.mark.parametrize("spec_path", SPECS)
def test_module_is_clean_under_ruff_and_mypy_strict(spec_path: str, tmp_path: Path) -> None:
    spec, text = generated_module(spec_path)
    path = tmp_path / f"{layout.python_module_name(spec.service)}.py"
    path.write_text(text)
    check_with_ruff_and_mypy(path)


def docstring_example(module: ModuleType) -> str:
    lines = (module.__doc__ or "").splitlines()
    indented = [i for i, line in enumerate(lines) if line.startswith("    ")]
    return textwrap.dedent("\n".join(lines[indented[0] : indented[-1] + 1]))


@pytest.mark.parametrize("spec_path", SPECS)
def test_docstring_example_runs_against_its_own_module(spec_path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    spec, text = generated_module(spec_path)
    name = layout.python_module_name(spec.service)
    monkeypatch.delitem(sys.modules, name, raising=False)
    module = load_generated(text, name)
    monkeypatch.setattr(module, "start_metrics_server", lambda: None)  # the example would bind a port
    example = docstring_example(module)
    assert f"from {name} import" in example and "record_request(" in example
    exec(compile(example, "<docstring>", "exec"), {})
    requests = spec.by_role["requests"]
    total = sum(
        sample.value
        for family in module.REGISTRY.collect()
        for sample in family.samples
        if sample.name == requests.exposed_name
    )
    assert total == 2.0, "the example's `with` block and its record_request() are one request each"


def test_docstring_example_is_generic(default_files: dict[str, str]) -> None:
    text = default_files["instrumentation/emotivoice_metrics.py"]
    docstring = text.split('"""')[1]
    assert "synthesize(" not in docstring and "audio" not in docstring
    assert "0.0.0.0" not in docstring and "8001" not in docstring, "spec values stay out of docstrings"


def signature(spec: Spec, function: str) -> dict[str, inspect.Parameter]:
    text = instrumentation.generate(spec)[layout.instrumentation_module(spec.service)]
    module = load_generated(text, "signature_under_test")
    return dict(inspect.signature(getattr(module, function)).parameters)


def without_roles(spec: Spec, *roles: str) -> Spec:
    return dataclasses.replace(spec, metrics=tuple(m for m in spec.metrics if m.role not in roles))


def test_record_request_takes_the_measurements_the_spec_has(default_spec: Spec) -> None:
    params = signature(default_spec, "record_request")
    assert list(params) == ["method", "endpoint", "status", "emotion", "duration_seconds", "text_length"]
    assert params["duration_seconds"].default is inspect.Parameter.empty, "a duration metric needs the duration"
    assert params["text_length"].default is None
    assert list(signature(default_spec, "track_request")) == ["method", "endpoint", "emotion", "text_length"]


def test_record_request_without_a_duration_metric_takes_no_duration(default_spec: Spec) -> None:
    spec = without_roles(default_spec, "request_duration")
    assert list(signature(spec, "record_request")) == ["method", "endpoint", "status", "emotion", "text_length"]


def test_record_request_without_a_length_metric_takes_no_text_length(default_spec: Spec) -> None:
    spec = without_roles(default_spec, "input_length")
    assert list(signature(spec, "record_request")) == ["method", "endpoint", "status", "emotion", "duration_seconds"]
    assert list(signature(spec, "track_request")) == ["method", "endpoint", "emotion"]


def test_the_status_label_is_the_error_selectors_label() -> None:
    spec = load_spec("specs/multi-slo.yaml")
    assert list(signature(spec, "record_request")) == ["route", "code", "duration_seconds"]
    assert list(signature(spec, "track_request")) == ["route"], "`code` is the outcome, set as .status"


@pytest.fixture(scope="module")
def module(default_files: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    path = write_module(tmp_path_factory.mktemp("inproc"), default_files)
    spec = importlib.util.spec_from_file_location("emotivoice_metrics_under_test", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


raw_values = st.one_of(st.text(), st.integers(), st.none(), st.floats(allow_nan=True), st.binary(), st.lists(st.text()))


@settings(max_examples=300, deadline=None)
@given(raw=raw_values)
def test_normalizers_never_raise_and_stay_in_the_enum(module: ModuleType, default_spec, raw: object) -> None:
    for label in default_spec.labels:
        value = getattr(module, f"normalize_{label.name}")(raw)
        assert str(getattr(value, "value", value)) in label.values


@settings(max_examples=200, deadline=None)
@given(
    method=raw_values,
    endpoint=raw_values,
    status=raw_values,
    emotion=raw_values,
    duration=st.floats(min_value=0, max_value=1e6),
    length=st.one_of(st.none(), st.integers(min_value=-5, max_value=10**6)),
)
def test_record_request_keeps_series_within_budget(
    module: ModuleType, default_spec, method, endpoint, status, emotion, duration, length
) -> None:
    module.record_request(
        method=method, endpoint=endpoint, status=status, emotion=emotion, duration_seconds=duration, text_length=length
    )
    count = sum(1 for family in module.REGISTRY.collect() for _ in family.samples)
    assert count == default_spec.total_series <= default_spec.max_series


def test_module_path(default_spec) -> None:
    assert layout.instrumentation_module(default_spec.service) == "instrumentation/emotivoice_metrics.py"


def test_multiprocess_mode_aggregates_workers(default_files: dict[str, str], tmp_path: Path) -> None:
    import os

    module = write_module(tmp_path, default_files)
    mp_dir = tmp_path / "mp"
    mp_dir.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(mp_dir)}
    load = DRIVE.split("m.record_request")[0]
    worker = (
        load
        + "m.record_request(method='POST', endpoint='/synthesize', status=200, emotion='sad', duration_seconds=1.0)\n"
    )
    for _ in range(2):  # two workers, two processes
        subprocess.run([sys.executable, "-c", worker, str(module)], env=env, check=True, timeout=60)
    scrape = (
        load
        + "app = m.metrics_wsgi_app()\n"
        + "environ = {'REQUEST_METHOD': 'GET', 'PATH_INFO': '/metrics', 'QUERY_STRING': ''}\n"
        + "sys.stdout.write(b''.join(app(environ, lambda status, headers: None)).decode())\n"
    )
    text = subprocess.run(
        [sys.executable, "-c", scrape, str(module)], env=env, check=True, timeout=60, capture_output=True, text=True
    ).stdout
    assert 'emoti_voice_tts_requests_by_emotion_total{emotion="sad"} 2.0' in text


def test_generated_module_drops_non_finite_and_negative_measurements(default_files: dict[str, str]) -> None:
    """On the module as generated for the showcase spec: NaN, -5 and +Inf never reach a histogram's
    `_sum`; each is counted as dropped instead (the runtime's own tests: tests/runtime/)."""
    from prometheus_client import generate_latest

    module = load_generated(default_files[layout.instrumentation_module("emotivoice")], "non_finite_metrics")
    try:
        labels = {"method": "POST", "endpoint": "/synthesize", "status": "200", "emotion": "happy"}
        for duration, length in ((float("nan"), 10), (-5.0, 10), (1.5, math.inf), (1.5, -1)):
            module.record_request(**labels, duration_seconds=duration, text_length=length)
        text = generate_latest(module.REGISTRY).decode()
    finally:
        del sys.modules["non_finite_metrics"]
    sums = {
        line.split(" ")[0]: float(line.split(" ")[1])
        for line in text.splitlines()
        if line.startswith("emoti_voice_tts_") and "_sum{" in line
    }
    assert sums and all(math.isfinite(value) and value >= 0 for value in sums.values()), sums
    assert "emoti_voice_instrumentation_dropped_total 4.0" in text
    assert (
        'emoti_voice_tts_requests_total{emotion="happy",endpoint="/synthesize",method="POST",status="200"} 4.0' in text
    )
