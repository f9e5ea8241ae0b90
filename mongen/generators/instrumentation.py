"""The Python instrumentation module the service imports (prometheus_client only).

The module is two parts in one file, so the service copies one file: the runtime
(mongen/instrumentation_runtime.py, real Python that mongen lints, type-checks and tests, copied
from its imports down) and this spec's data, rendered by templates/instrumentation.py.j2: label
tables, enums, metric objects and thin typed wrappers whose parameters are the spec's labels.
Every spec value reaches the module as a Python literal; every identifier comes from
python_names, claimed in the scope it lives in.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from mongen import layout
from mongen.generators.python_names import Namespace, class_name, constant_name, module_namespace, parameter_name
from mongen.model import REQUEST_ROLES, LabelDef, Role, Spec
from mongen.templating import render_template
from mongen.tool_cache import PassCache

RUNTIME_MODULE = "instrumentation_runtime.py"
_RUNTIME_START = "from __future__ import annotations\n"
# The runtime's NVML part (see its docstring): a line's suffix, and a block's first and last line.
_NVML_LINE = "  # nvml"
_NVML_START = "# nvml {"
_NVML_END = "# } nvml"

# Names the data part defines whatever the spec; spec-derived names never take them.
PUBLIC_NAMES = (
    "SERIES_COUNT",
    "MAX_SERIES",
    "METRICS_PORT",
    "METRICS_ADDR",
    "METRICS_PATH",
    "ERROR_STATUS",
    "LABEL_VALUES",
    "record_request",
    "track_request",
    "observe_inference",
    "set_gpu_memory",
    "start_metrics_server",
    "MetricsMiddleware",
    "MetricsWSGIMiddleware",
    "time_inference",
    "gpu_memory_from",
)
# Roles with a one-measurement helper: role -> (function, value parameter, what it records).
MEASUREMENT_HELPERS: dict[Role, tuple[str, str, str]] = {
    "inference_duration": ("observe_inference", "seconds", "the model's own inference time (no queueing, no encoding)"),
    "gpu_memory": ("set_gpu_memory", "used_bytes", "the GPU memory the model uses now, in bytes"),
}
# The second helper of a measured role: a timer for a duration, a scrape-time callback for a gauge.
TIMER_ROLES: tuple[Role, ...] = ("inference_duration",)


@cache
def runtime_source(nvml: bool = False) -> str:
    """The runtime as the generated module includes it: everything after its docstring, with its
    NVML part only when `nvml` (a `gpu_memory` metric read from NVML), without the markers."""
    text = resources.files("mongen").joinpath(RUNTIME_MODULE).read_text("utf-8")
    _docstring, found, code = text.partition("\n" + _RUNTIME_START)
    if not found:
        raise RuntimeError(f"mongen/{RUNTIME_MODULE} must start with a docstring, then `{_RUNTIME_START.strip()}`")
    return _RUNTIME_START + _nvml_part(code, keep=nvml)


def _nvml_part(code: str, *, keep: bool) -> str:
    """`code` with its NVML lines and blocks kept or dropped, and their markers dropped either way
    (with the blank lines after a block's end, which the formatter puts there for the next one)."""
    out: list[str] = []
    inside = after_end = False
    for line in code.splitlines(keepends=True):
        marker = line.strip()
        if after_end and not marker:
            continue
        after_end = False
        if marker == _NVML_START:
            inside = True
        elif marker == _NVML_END:
            inside, after_end = False, True
        elif line.rstrip("\n").endswith(_NVML_LINE):
            if keep:
                out.append(line.rstrip("\n").removesuffix(_NVML_LINE) + "\n")
        elif keep or not inside:
            out.append(line)
    return "".join(out)


@cache
def runtime_names() -> frozenset[str]:
    """Every module-level name the runtime binds (imports included, NVML part too): taken in the
    generated module whether or not it includes that part, so names do not depend on it.

    Parsing the runtime costs a run ~30 ms, so the names are worked out once per content of the
    runtime and of this module (which holds the code working them out) and kept in mongen's cache
    directory (tool_cache.PassCache.derived)."""
    source = runtime_source(nvml=True)
    this_module = resources.files("mongen.generators").joinpath("instrumentation.py").read_bytes()
    return frozenset(
        PassCache.from_environment().derived(
            "runtime-names", (source.encode(), this_module), lambda: sorted(_bound_names(source))
        )
    )


def _bound_names(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(n.id for target in targets for n in ast.walk(target) if isinstance(n, ast.Name))
    return names


@dataclass(frozen=True)
class EnumCode:
    name: str  # the class
    members: tuple[tuple[str, str], ...]  # (MEMBER, value)


@dataclass(frozen=True)
class LabelCode:
    """One label in generated Python: its table, its normalizer and the enum it returns."""

    name: str
    values: tuple[str, ...]
    fallback: str
    aliases: dict[str, str]
    path_like: bool
    normalizer: str
    enum: EnumCode | None
    classes: dict[str, str]  # a status class's digit -> its value: {"5": "5xx"}


@dataclass(frozen=True)
class Param:
    name: str  # the Python parameter
    label: str  # the label it carries


@dataclass(frozen=True)
class Feed:
    keyword: str  # _RequestMetrics argument
    var: str
    labels: tuple[str, ...]


@dataclass(frozen=True)
class RequestCode:
    """record_request / track_request: one parameter per label, the measurements the spec has."""

    recorder: str
    params: tuple[Param, ...]
    status: Param | None
    success_status: str
    error_status: str
    duration: str | None
    text_length: str | None
    feeds: tuple[Feed, ...]

    @property
    def label_names(self) -> tuple[str, ...]:
        return tuple(p.label for p in self.params)

    @property
    def track_params(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p != self.status)

    @property
    def raw_labels(self) -> str:
        return _tuple_expression(p.name for p in self.params)

    @property
    def raw_track_labels(self) -> str:
        return _tuple_expression(p.name for p in self.track_params)

    @property
    def record_signature(self) -> str:
        params = [f"{p.name}: object" for p in self.params]
        params += [f"{self.duration}: float"] if self.duration else []
        params += [f"{self.text_length}: int | None = None"] if self.text_length else []
        return _signature("record_request", params, "None")

    @property
    def track_signature(self) -> str:
        params = [f"{p.name}: object" for p in self.track_params]
        params += [f"{self.text_length}: int | None = None"] if self.text_length else []
        return _signature("track_request", params, "TrackedRequest")

    @property
    def track_example(self) -> str:
        """track_request's arguments in the module docstring's example."""
        return ", ".join(f"{p.name}=..." for p in self.track_params)

    @property
    def record_example(self) -> str:
        """record_request's arguments in the module docstring's example."""
        measured = [f"{self.duration}=1.5"] if self.duration else []
        measured += [f"{self.text_length}=120"] if self.text_length else []
        return ", ".join([*(f"{p.name}=..." for p in self.params), *measured])


@dataclass(frozen=True)
class MeasurementCode:
    """observe_inference / set_gpu_memory: one measurement, and the metric's labels."""

    function: str
    value: str
    doc: str
    recorder: str
    var: str
    params: tuple[Param, ...]
    timer: bool  # time_inference(); else gpu_memory_from(read)
    read: str  # gpu_memory_from's callback parameter

    @property
    def raw_labels(self) -> str:
        return _tuple_expression(p.name for p in self.params)

    @property
    def label_names(self) -> tuple[str, ...]:
        return tuple(p.label for p in self.params)


@dataclass(frozen=True)
class MiddlewareCode:
    """The arguments of the module's _HttpRequests: where each request label comes from."""

    var: str
    method_label: str | None
    route_label: str | None
    status_label: str | None
    routes: tuple[tuple[str, str], ...] | None
    skip: tuple[str, ...]
    body_labels: tuple[tuple[str, str], ...]
    text_length_field: str | None
    max_body_bytes: int


def _middleware(spec: Spec, requests: RequestCode, var: str) -> MiddlewareCode:
    middleware = spec.middleware
    labels = requests.label_names
    status = requests.status.label if requests.status else ("status" if "status" in labels else None)
    text_length = middleware.text_length_field if requests.text_length else None
    return MiddlewareCode(
        var,
        middleware.method_label if middleware.method_label in labels else None,
        middleware.route_label if middleware.route_label in labels else None,
        status,
        middleware.routes,
        tuple(dict.fromkeys((spec.exposure.metrics_path, *middleware.skip))),
        tuple((label, field) for label, field in middleware.body_labels if label in labels),
        text_length,
        middleware.max_body_bytes,
    )


def _signature(name: str, params: list[str], returns: str) -> str:
    """A `def` line as ruff formats it: one parameter per line with a trailing comma, or none."""
    if not params:
        return f"def {name}() -> {returns}:"
    return f"def {name}(\n" + "".join(f"    {param},\n" for param in params) + f") -> {returns}:"


def _tuple_expression(names: Iterable[str]) -> str:
    items = list(names)
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def _path_like(label: LabelDef) -> bool:
    """Every declared value but the fallback is a URL path: `/x?q=1` and `/x/` mean `/x`."""
    paths = [v for v in label.values if v != label.fallback]
    return bool(paths) and all(v.startswith("/") for v in paths)


def _status(spec: Spec) -> tuple[str, str, str] | None:
    """(label, success value, error value) that track_request sets, from the requests metric's
    error selector: its first positive matcher (else its first) names the status label."""
    requests = spec.by_role.get("requests")
    matchers = sorted(requests.errors, key=lambda m: m.negate) if requests else []
    if not matchers:
        return None
    matcher = matchers[0]
    declared = spec.label_by_name[matcher.label].values
    errors = [v for v in declared if (v in matcher.values) != matcher.negate]
    successes = [v for v in declared if v not in errors]
    if not errors or not successes:
        return None
    fallback = spec.label_by_name[matcher.label].fallback
    plain = [v for v in successes if v != fallback]
    success = "200" if "200" in successes else (plain or successes)[0]
    return matcher.label, success, errors[0]


class _Builder:
    """Claims every identifier of one module, in a fixed order, so output is deterministic."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.module = module_namespace((*runtime_names(), *PUBLIC_NAMES))

    def enums(self, labels: list[LabelDef]) -> dict[str, EnumCode]:
        out: dict[str, EnumCode] = {}
        for enum_name in sorted({label.enum for label in labels if label.enum}):
            values = next(label.values for label in labels if label.enum == enum_name)
            members = Namespace()
            out[enum_name] = EnumCode(
                self.module.claim(class_name(enum_name)),
                tuple((members.claim(constant_name(v)), v) for v in values),
            )
        return out

    def labels(self, names: list[str]) -> list[LabelCode]:
        defs = [self.spec.label_by_name[name] for name in names]
        enums = self.enums(defs)
        return [
            LabelCode(
                label.name,
                label.values,
                label.fallback,
                dict(label.aliases),
                _path_like(label),
                self.module.claim("normalize_" + parameter_name(label.name)),
                enums[label.enum] if label.enum else None,
                {status_class[0]: status_class for status_class in label.classes},
            )
            for label in defs
        ]

    def metric_vars(self) -> dict[str, str]:
        return {m.name: self.module.claim(constant_name(m.base)) for m in self.spec.exposed_metrics}

    def wrapper(self, labels: tuple[str, ...], recorder: str) -> tuple[Namespace, tuple[Param, ...], str]:
        """A wrapper's parameter scope, its label parameters and the module-level object its body
        calls, claimed after the parameters so that none of them hides it."""
        scope = Namespace()
        params = tuple(Param(scope.claim(parameter_name(label)), label) for label in labels)
        self.module.reserve(p.name for p in params)
        return scope, params, self.module.claim(recorder)

    def requests(self, var: dict[str, str]) -> RequestCode | None:
        roles = self.spec.by_role
        metrics = [roles[role] for role in REQUEST_ROLES if role in roles]
        if not metrics:
            return None
        labels = tuple(dict.fromkeys(label for m in metrics for label in m.labels))
        scope, params, recorder = self.wrapper(labels, "_REQUESTS")
        status = _status(self.spec)
        status_param = next((p for p in params if status and p.label == status[0]), None)
        feeds = (
            ("requests", "requests"),
            ("emotion_usage", "usage"),
            ("request_duration", "duration"),
            ("input_length", "input_length"),
            ("in_flight", "in_flight"),
        )
        return RequestCode(
            recorder,
            params,
            status_param,
            status[1] if status and status_param else "",
            status[2] if status and status_param else "",
            scope.claim("duration_seconds") if "request_duration" in roles else None,
            scope.claim("text_length") if "input_length" in roles else None,
            tuple(Feed(kw, var[roles[role].name], roles[role].labels) for role, kw in feeds if role in roles),
        )

    def measurements(self, var: dict[str, str]) -> list[MeasurementCode]:
        out = []
        for role, (function, value, doc) in MEASUREMENT_HELPERS.items():
            metric = self.spec.by_role.get(role)
            if metric is None or metric.nvml:  # an NVML gauge is read at scrape time, never set
                continue
            scope, params, recorder = self.wrapper(metric.labels, "_" + constant_name(function))
            out.append(
                MeasurementCode(
                    function,
                    scope.claim(value),
                    doc,
                    recorder,
                    var[metric.name],
                    params,
                    role in TIMER_ROLES,
                    scope.claim("read"),
                )
            )
        return out


def generate(spec: Spec) -> dict[str, str]:
    builder = _Builder(spec)
    used = sorted({label for metric in spec.metrics for label in metric.labels})
    labels = builder.labels(used)
    var = builder.metric_vars()
    requests = builder.requests(var)
    measurements = builder.measurements(var)
    tables = builder.module.claim("_LABELS")
    middleware = _middleware(spec, requests, builder.module.claim("_HTTP")) if requests else None
    fed = {feed.var for feed in requests.feeds} if requests else set()
    fed |= {m.var for m in measurements}
    nvml = [(var[m.name], m) for m in spec.exposed_metrics if m.nvml]
    module_name = layout.python_module_name(spec.service)
    text = render_template(
        "instrumentation.py.j2",
        spec=spec,
        runtime=runtime_source(nvml=bool(nvml)),
        module_name=module_name if module_name.isidentifier() else None,
        labels=labels,
        enums=sorted({label.enum.name: label.enum for label in labels if label.enum}.items()),
        tables=tables,
        metrics=[(var[m.name], m) for m in spec.exposed_metrics if not m.nvml],
        nvml=nvml,
        dropped=var[spec.dropped_measurements.name],
        precreate=[(var[m.name], m) for m in spec.metrics if m.labels and var[m.name] not in fed],
        requests=requests,
        measurements=measurements,
        middleware=middleware,
    )
    return {layout.instrumentation_module(spec.service): text}
