"""The Python instrumentation module the service imports (prometheus_client only)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from mongen import layout
from mongen.model import COUNTER, Spec
from mongen.templating import render_template


@dataclass(frozen=True)
class LabelCode:
    """How one label appears in generated Python: its normalizer, lookup table, enum class."""

    name: str
    values: tuple[str, ...]
    fallback: str
    lookup: tuple[tuple[str, str], ...]  # folded raw text -> label value
    enum_class: str | None
    members: tuple[tuple[str, str], ...]  # (MEMBER_NAME, value)


def python_name(text: str) -> str:
    name = re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").upper() or "ROOT"
    return "_" + name if name[0].isdigit() else name


def label_code(spec: Spec, name: str) -> LabelCode:
    label = spec.label_by_name[name]
    lookup = {v.strip().casefold(): v for v in label.values}
    lookup.update(dict(label.aliases))
    enum_class = "".join(part.capitalize() for part in label.enum.split("_")) if label.enum else None
    members = tuple((python_name(v), v) for v in label.values)
    if len({m for m, _ in members}) != len(members):
        members = tuple((f"V{i}_{python_name(v)}", v) for i, v in enumerate(label.values))
    return LabelCode(name, label.values, label.fallback, tuple(sorted(lookup.items())), enum_class, members)


def generate(spec: Spec) -> dict[str, str]:
    used = sorted({label for metric in spec.metrics for label in metric.labels})
    roles = spec.by_role
    request_labels: list[str] = []
    for role in ("requests", "request_duration", "emotion_usage"):
        for label in roles[role].labels if role in roles else ():
            if label not in request_labels:
                request_labels.append(label)
    errors = roles["requests"].errors if "requests" in roles else ()
    status_matcher = next((m for m in errors if m.label == "status" and not m.negate), None)
    error_status = status_matcher.values[0] if status_matcher else None
    text = render_template(
        "instrumentation.py.j2",
        spec=spec,
        labels=[label_code(spec, name) for name in used],
        metrics=[
            (python_name(m.name.removesuffix("_total") if m.type == COUNTER else m.name), m) for m in spec.metrics
        ],
        var={m.name: python_name(m.name.removesuffix("_total") if m.type == COUNTER else m.name) for m in spec.metrics},
        roles=roles,
        request_labels=request_labels,
        error_status=error_status,
        has_status="status" in request_labels,
    )
    return {layout.instrumentation_module(spec.service): text}
