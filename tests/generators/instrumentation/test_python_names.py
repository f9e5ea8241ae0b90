"""Spec names and values in generated Python: collision-free identifiers, literals only, no injection.

The models here are built directly (the spec loader would reject some of these names today); the
generator must be safe on its own. Fixed hostile modules go through ruff and mypy --strict; a
hypothesis test compiles and imports modules generated from random hostile names and values.
"""

from __future__ import annotations

import dataclasses
import enum
import keyword
import math
import string
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import prometheus_client
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mongen import layout
from mongen.generators import instrumentation
from mongen.generators.python_names import Namespace, class_name, constant_name, parameter_name
from mongen.model import EnumDef, LabelDef, Matcher, Metric, Spec
from mongen.templating import python_literal
from tests.support.generated_module import check_with_ruff_and_mypy, load_generated

LLAMA_IDS = ("meta-llama/Meta-Llama-3-8B-Instruct", "llama-3-8b", "llama_3_8b", "Llama-3-8B", "llama.3.8b", "other")
HOSTILE_TEXT = ('say """hi"""', "back\\slash", "{{ x }}", "line\nbreak", "\u2028sep", "\u202eltr", "é", "")


def label(name: str, values: tuple[str, ...], enum_name: str | None = None) -> LabelDef:
    return LabelDef(name, values, values[-1], enum_name)


def hostile_spec(default: Spec, labels: tuple[LabelDef, ...], metrics: tuple[Metric, ...], **fields: object) -> Spec:
    enums = tuple(
        EnumDef(lbl.enum, lbl.values, lbl.fallback, ())
        for lbl in {lbl.enum: lbl for lbl in labels if lbl.enum}.values()
        if lbl.enum
    )
    return dataclasses.replace(default, enums=enums, labels=labels, metrics=metrics, **fields)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def collisions(default_spec: Spec) -> Spec:
    """Every collision the issue tracker saw, and the ones next to them."""
    labels = (
        label("emotion", ("happy", "sad"), "emotion"),
        label("feeling", ("calm", "tense"), "emotion_"),  # `emotion_` must not become a second `Emotion`
        label("store", ("a", "b"), "collector_registry"),  # must not hide prometheus_client's class
        label("kind", ("x", "y"), "exception"),  # must not hide the builtin the runtime catches
        label("flavour", ("p", "q"), "none"),  # `None` is a keyword
        label("model", LLAMA_IDS, "model"),  # values that only punctuation tells apart
        label("status", ("200", "500", "other")),
        label("class", ("c", "d")),  # a keyword as a label name
        label("_REQUESTS", ("r", "s")),  # the name of the object record_request's body calls
        label("REGISTRY", ("t", "u")),
        label("seconds", ("v", "w")),  # observe_inference's value parameter
    )
    metrics = (
        Metric(
            "ns_requests_total",
            "counter",
            'Requests """ with\nhostile help',
            ("model", "status", "class"),
            errors=(Matcher("status", ("500",)),),
            role="requests",
        ),
        Metric("ns_usage_total", "counter", "usage", ("emotion", "feeling"), role="emotion_usage"),
        Metric("ns_seconds", "histogram", "d", ("store", "kind"), buckets=(1.0, math.inf), role="request_duration"),
        Metric("ns_in_flight", "gauge", "f", ("_REQUESTS",), role="in_flight"),
        Metric("ns_model_seconds", "histogram", "m", ("seconds",), buckets=(1.0,), role="inference_duration"),
        Metric("ns_gpu_bytes", "gauge", "g", ("REGISTRY", "flavour"), role="gpu_memory"),
        Metric("ns_a_b_total", "counter", "python spells this NS_A_B", ()),
        Metric("ns:a:b", "gauge", "and this one too", ()),
        Metric("registry_total", "counter", "and this one REGISTRY", ()),
    )
    exposure = dataclasses.replace(default_spec.exposure, bind_address='fe80::1%"""+"', metrics_path="/m\"'")
    return hostile_spec(
        default_spec,
        labels,
        metrics,
        namespace="ns",
        exposure=exposure,
        source='specs/x.yaml\nimport os; os.system("echo injected")\n"""',
    )


@pytest.fixture(scope="module")
def minimal(default_spec: Spec) -> Spec:
    """A requests counter without labels or error selector, and nothing else."""
    return hostile_spec(default_spec, (), (Metric("ns_requests_total", "counter", "r", (), role="requests"),))


@pytest.fixture(scope="module")
def no_requests(default_spec: Spec) -> Spec:
    """No request roles at all: no record_request, no track_request."""
    labels = (label("gpu", ("0", "1")),)
    return hostile_spec(default_spec, labels, (Metric("ns_gpu_bytes", "gauge", "g", ("gpu",), role="gpu_memory"),))


def source(spec: Spec) -> str:
    return instrumentation.generate(spec)[layout.instrumentation_module(spec.service)]


Load = Callable[..., ModuleType]


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> Load:
    """Import a spec's generated module in-process, as a fresh module each time."""

    def load(spec: Spec, name: str = "hostile_metrics") -> ModuleType:
        monkeypatch.delitem(sys.modules, name, raising=False)
        module = load_generated(source(spec), name)
        monkeypatch.delitem(sys.modules, name)
        return module

    return load


def enum_classes(module: ModuleType) -> dict[str, type[enum.Enum]]:
    return {
        name: value
        for name, value in vars(module).items()
        if isinstance(value, type) and issubclass(value, enum.Enum) and value.__module__ == module.__name__
    }


def test_hostile_modules_are_clean_under_ruff_and_mypy_strict(
    collisions: Spec, minimal: Spec, no_requests: Spec, tmp_path: Path
) -> None:
    paths = []
    for name, spec in (("collisions", collisions), ("minimal", minimal), ("no_requests", no_requests)):
        path = tmp_path / f"{name}_metrics.py"
        path.write_text(source(spec))
        paths.append(path)
    check_with_ruff_and_mypy(*paths)


def test_enum_classes_never_collide_or_shadow(collisions: Spec, fresh: Load) -> None:
    module = fresh(collisions)
    classes = enum_classes(module)
    assert sorted(classes) == ["CollectorRegistry_2", "Emotion", "Emotion_2", "Exception_2", "Model", "None_"]
    assert module.CollectorRegistry is prometheus_client.CollectorRegistry
    assert "Exception" not in vars(module)  # the builtin the runtime's `except Exception` needs
    assert module.normalize_emotion("HAPPY") is module.Emotion.HAPPY
    assert module.normalize_feeling(" Tense ") is module.Emotion_2.TENSE
    assert module.normalize_store("b") is module.CollectorRegistry_2.B
    assert module.normalize_flavour("nope") is module.None_.Q


def test_label_values_get_distinct_member_names(collisions: Spec, fresh: Load) -> None:
    model = fresh(collisions).Model
    assert [member.value for member in model] == list(LLAMA_IDS)
    assert [member.name for member in model] == [
        "META_LLAMA_META_LLAMA_3_8B_INSTRUCT",
        "LLAMA_3_8B",
        "LLAMA_3_8B_2",
        "LLAMA_3_8B_3",
        "LLAMA_3_8B_4",
        "OTHER",
    ]


def test_spec_values_arrive_as_literals(collisions: Spec, fresh: Load) -> None:
    text = source(collisions)
    module = fresh(collisions)
    assert module.METRICS_ADDR == 'fe80::1%"""+"' and module.METRICS_PATH == "/m\"'"
    header, docstring_start = text.splitlines()[:2]
    assert (
        header
        == '# Generated by mongen from "specs/x.yaml\\nimport os; os.system(\\"echo injected\\")\\n\\"\\"\\"". Do not edit: change the spec and regenerate.'
    )
    assert docstring_start.startswith('"""Prometheus instrumentation')
    assert "echo injected" not in (module.__doc__ or "")
    assert module.REGISTRY.get_sample_value("registry_total") == 0.0
    assert isinstance(module.REGISTRY, prometheus_client.CollectorRegistry)


def test_helpers_work_whatever_their_labels_are_called(collisions: Spec, fresh: Load) -> None:
    module = fresh(collisions)
    module.record_request(
        model="Meta-Llama/Meta-Llama-3-8B-Instruct",
        status=500,
        class_="c",
        emotion="sad",
        feeling="calm",
        store="a",
        kind="x",
        _REQUESTS="r",
        duration_seconds=float("nan"),
    )
    with module.track_request(
        model="llama-3-8b", class_="d", emotion=1, feeling=2, store=3, kind=4, _REQUESTS="s"
    ) as request:
        request.status = "200"
    module.observe_inference(0.5, seconds="w")
    module.set_gpu_memory(-1, REGISTRY="t", flavour="p")
    sample = module.REGISTRY.get_sample_value
    labels = {"model": "meta-llama/Meta-Llama-3-8B-Instruct", "status": "500", "class": "c"}
    assert sample("ns_requests_total", labels) == 1.0
    assert sample("ns_requests_total", {"model": "llama-3-8b", "status": "200", "class": "d"}) == 1.0
    assert sample("ns_model_seconds_count", {"seconds": "w"}) == 1.0
    assert sample("ns_instrumentation_dropped_total") == 2.0  # the NaN duration and the negative bytes


def test_wsgi_app_works_in_multiprocess_mode(
    collisions: Spec, fresh: Load, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    module = fresh(collisions)
    assert module.MULTIPROCESS
    app = module.metrics_wsgi_app()
    statuses: list[str] = []
    app(
        {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "QUERY_STRING": ""}, lambda status, headers: statuses.append(status)
    )
    assert statuses == ["200 OK"]


def test_minimal_and_request_free_specs(minimal: Spec, no_requests: Spec, fresh: Load) -> None:
    module = fresh(minimal)
    module.record_request()
    with module.track_request():
        pass
    assert module.REGISTRY.get_sample_value("ns_requests_total") == 2.0
    module = fresh(no_requests)
    assert not hasattr(module, "record_request") and not hasattr(module, "track_request")
    module.set_gpu_memory(3.0, gpu=1)
    assert module.REGISTRY.get_sample_value("ns_gpu_bytes", {"gpu": "1"}) == 3.0
    assert "record_request" not in (module.__doc__ or "")


@pytest.mark.parametrize("text", HOSTILE_TEXT + LLAMA_IDS + ("\x00", "\x85", "\ud800", "\U0001f600"))
def test_python_literal_round_trips_any_text(text: str) -> None:
    literal = python_literal(text)
    assert "\n" not in literal and "\r" not in literal and "\u2028" not in literal
    assert eval(literal) == text


def test_namespace_claims_are_unique_and_valid() -> None:
    scope = Namespace(["Emotion"])
    assert [scope.claim(n) for n in ("Emotion", "Emotion", "class", "class_", "x")] == [
        "Emotion_2",
        "Emotion_3",
        "class_",
        "class__2",
        "x",
    ]
    with pytest.raises(ValueError, match="identifier"):
        scope.claim("not-an-identifier")


@pytest.mark.parametrize(
    ("text", "constant", "cls", "param"),
    [
        (
            "meta-llama/Meta-Llama-3-8B-Instruct",
            "META_LLAMA_META_LLAMA_3_8B_INSTRUCT",
            "MetaLlamaMetaLlama38bInstruct",
            "meta_llama_meta_llama_3_8b_instruct",
        ),
        ("200", "V_200", "V200", "label_200"),
        ("", "VALUE", "V", "label_"),
        ("情绪", "VALUE", "V", "label_"),
        ("emotion_", "EMOTION", "Emotion", "emotion_"),
    ],
)
def test_spellings(text: str, constant: str, cls: str, param: str) -> None:
    assert (constant_name(text), class_name(text), parameter_name(text)) == (constant, cls, param)


# --- random hostile names and values: the module compiles, imports and works -----------
_PROMETHEUS_LABEL = st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,8}", fullmatch=True).filter(
    lambda n: not n.startswith("__") and n != "le"
)
_PYTHON_NAMES = sorted(
    {*keyword.kwlist, "object", "float", "int", "str", "raw", "self", "seconds", "port", "enum", "time", "os"}
    | {"REGISTRY", "MULTIPROCESS", "_LABELS", "_REQUESTS", "_LabelTable", "TrackedRequest", "record_request"}
    | {"duration_seconds", "text_length"}
)
_LABEL_NAMES = st.one_of(st.sampled_from([n for n in _PYTHON_NAMES if not n.startswith("__")]), _PROMETHEUS_LABEL)
_ENUM_NAMES = st.text(string.ascii_letters + string.digits + "_-./ \"'\\{}%\n\u0435\ufb01", min_size=1, max_size=12)
_VALUES = st.lists(st.text(min_size=1, max_size=10), min_size=1, max_size=4, unique=True)


@st.composite
def hostile_labels(draw: st.DrawFn) -> tuple[LabelDef, ...]:
    names = draw(st.lists(_LABEL_NAMES, min_size=1, max_size=3, unique=True))
    enums = draw(st.lists(_ENUM_NAMES, min_size=1, max_size=2))
    out = []
    for name in names:
        values = tuple(draw(_VALUES))
        enum_name = draw(st.one_of(st.none(), st.sampled_from(enums)))
        # Labels sharing an enum share its values, as the spec loader builds them.
        shared = next((lbl for lbl in out if enum_name is not None and lbl.enum == enum_name), None)
        if shared is not None:
            values = shared.values
        out.append(LabelDef(name, values, values[-1], enum_name))
    return tuple(out)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(labels=hostile_labels(), help_text=st.text(max_size=20))
def test_hostile_names_and_values_give_a_working_module(
    default_spec: Spec, labels: tuple[LabelDef, ...], help_text: str
) -> None:
    first = labels[0]
    errors = (Matcher(first.name, (first.values[0],)),) if len(first.values) > 1 else ()
    metrics = (
        Metric(
            "ns_requests_total", "counter", help_text, tuple(lbl.name for lbl in labels), errors=errors, role="requests"
        ),
        Metric("ns_seconds", "histogram", help_text, (first.name,), buckets=(1.0,), role="request_duration"),
    )
    spec = hostile_spec(default_spec, labels, metrics, namespace="ns")
    name = "hypothesis_metrics"
    module = load_generated(source(spec), name)
    del sys.modules[name]
    assert {lbl.name: lbl.values for lbl in labels} == module.LABEL_VALUES
    for lbl in labels:
        normalize = getattr(module, "normalize_" + parameter_name(lbl.name))
        for value in lbl.values:
            assert getattr(normalize(value), "value", normalize(value)) == value
    module.record_request(*[lbl.values[0] for lbl in labels], 1.0)
    assert module.REGISTRY.get_sample_value("ns_seconds_count", {first.name: first.values[0]}) == 1.0
