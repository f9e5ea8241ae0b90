"""Alert annotations as data: text, label references and the alert's value, in one small language.

Each annotation is a tuple of parts. It renders two ways: to the Go template Prometheus
evaluates (`go_template`), and to the exact text Prometheus would produce for given labels and
value (`expected_text`), which the generated promtool tests compare against. Text parts from the
spec are escaped here, so nothing a spec says can become a template action.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

ValueFormat = Literal["percent", "seconds", "humanize"]


@dataclass(frozen=True)
class LabelRef:
    """`{{ $labels.<name> }}`: a label of the alert's result series."""

    name: str


@dataclass(frozen=True)
class ValueRef:
    """`{{ $value }}` in one of the formats below."""

    format: ValueFormat


Part = str | LabelRef | ValueRef
Annotation = tuple[Part, ...]

_VALUE_TEMPLATES: dict[ValueFormat, str] = {
    "percent": "{{ $value | humanizePercentage }}",
    "seconds": '{{ printf "%.3g" $value }}s',
    "humanize": "{{ $value | humanize }}",
}


def escape_text(text: str) -> str:
    """Literal text for a Go template: `{{` opens an action, so it is printed by an action instead.
    A trailing `{` is printed the same way: the next part may be an action, and `a{` before
    `{{ $labels.job }}` would read as `a` then an action starting `{ $labels`."""
    escaped = text.replace("{{", '{{ "{{" }}')
    return escaped[:-1] + '{{ "{" }}' if escaped.endswith("{") else escaped


def go_template(parts: Annotation) -> str:
    out = []
    for part in parts:
        if isinstance(part, LabelRef):
            out.append("{{ $labels.%s }}" % part.name)
        elif isinstance(part, ValueRef):
            out.append(_VALUE_TEMPLATES[part.format])
        else:
            out.append(escape_text(part))
    return "".join(out)


def go_g4(value: float) -> str:
    """Go's `%.4g`, which Python's %g matches for finite values."""
    return "%.4g" % value


def humanize(value: float) -> str:
    """Prometheus' `humanize` template function (SI prefixes, %.4g)."""
    if value == 0 or math.isnan(value) or math.isinf(value):
        return go_g4(value)
    if abs(value) >= 1:
        prefix = ""
        for p in ("k", "M", "G", "T", "P", "E", "Z", "Y"):
            if abs(value) < 1000:
                break
            prefix = p
            value /= 1000
        return go_g4(value) + prefix
    prefix = ""
    for p in ("m", "u", "n", "p", "f", "a", "z", "y"):
        if abs(value) >= 1:
            break
        prefix = p
        value *= 1000
    return go_g4(value) + prefix


def _value_text(fmt: ValueFormat, value: float) -> str:
    if fmt == "percent":
        return go_g4(value * 100) + "%"
    if fmt == "seconds":
        return "%.3g" % value + "s"
    return humanize(value)


def expected_text(parts: Annotation, labels: dict[str, str], value: float) -> str:
    """What Prometheus renders `go_template(parts)` to for an alert with these labels and value."""
    out = []
    for part in parts:
        if isinstance(part, LabelRef):
            out.append(labels.get(part.name, ""))
        elif isinstance(part, ValueRef):
            out.append(_value_text(part.format, value))
        else:
            out.append(part)
    return "".join(out)


def placeholder_text(parts: Annotation, escape: Callable[[str], str]) -> str:
    """The annotation in Markdown before it fires: `` `<emotion>` `` for a label, `` `<value>` `` for
    the value, and the text through `escape`."""
    out = []
    for part in parts:
        if isinstance(part, LabelRef):
            out.append(f"`<{part.name}>`")
        elif isinstance(part, ValueRef):
            out.append("`<value>`")
        else:
            out.append(escape(part))
    return "".join(out)
