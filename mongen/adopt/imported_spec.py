"""What the importers (Sloth, OpenSLO) do alike: check the types of the fields they read (their
shape), and write names a spec accepts, the series a query reads (declared as external metrics), a
stand-in metric, routes to fill in."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import promql_parser

from mongen.errors import Location, SpecError, SpecIssue, YamlPath, format_path
from mongen.spec.schema import SpecValidator, bounded_repr, required_key
from mongen.synth.slo_events import with_window

_NAME = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class ImportNote:
    """What an importer did not map: a warning, at its position in the imported file where it has
    one, shown as `FILE:LINE:COL: warning: ...` like every other message about a file."""

    message: str
    location: Location | None = None

    def __str__(self) -> str:
        return f"{self.location}: warning: {self.message}" if self.location else f"warning: {self.message}"


# A field the foreign format reads as a string: its Go YAML decoder takes a number there too
# (`tier: 2`), never a list, a mapping or nothing.
TEXT: dict[str, Any] = {"type": ["string", "number"], "x-expected": "text"}
_TYPE_WORDS = {
    "string": "text",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
    "null": "nothing",
}


def shape_issues(data: Any, shape: dict[str, Any], issue: Callable[[YamlPath, str], SpecIssue]) -> list[SpecIssue]:
    """One issue per field of `data` whose type is not the one `shape` (a JSON Schema of the
    fields the importer reads; others are let through) gives it, at the field, naming it and what
    it must be; a field under one already reported is not reported again. A value of the wrong
    type is never turned into text (`objective: [1]` written as `'[1]'`)."""
    issues: list[SpecIssue] = []
    wrong: list[YamlPath] = []  # values of the wrong type: nothing under them is checked
    for error in sorted(SpecValidator(shape).iter_errors(data), key=lambda e: len(e.absolute_path)):
        path: YamlPath = tuple(error.absolute_path)
        if any(path[: len(done)] == done for done in wrong):
            continue
        if error.validator != "required":
            wrong.append(path)
        issues.append(issue(path, _shape_message(error)))
    return sorted(issues, key=lambda i: (i.location.line, i.location.col))


def _shape_message(error: jsonschema.ValidationError) -> str:
    schema = error.schema if isinstance(error.schema, dict) else {}
    path = tuple(error.absolute_path)
    named = max((i for i, p in enumerate(path) if isinstance(p, str)), default=None)
    field = f"`{format_path(path[named:])}`" if named is not None else "the document"
    missing = required_key(error) if error.validator == "required" else None
    if missing is not None:
        return f"`{missing}` is missing: give {_expected(schema.get('properties', {}).get(missing, {}))}"
    given = "empty" if error.instance is None else bounded_repr(error.instance)
    if error.validator == "type":
        return f"{field} must be {_expected(schema)}, not {given}"
    return f"{field}: {error.message}"


def _expected(schema: dict[str, Any]) -> str:
    if "x-expected" in schema:
        return str(schema["x-expected"])
    kinds = schema.get("type", [])
    return " or ".join(_TYPE_WORDS.get(k, k) for k in ([kinds] if isinstance(kinds, str) else kinds)) or "a value"


def outside_objective(value: float, top: float) -> bool:
    """Whether an objective read from a foreign spec (a number: its shape is checked) is no
    objective mongen takes: NaN, infinite, or not strictly between 0 and `top` (100 for percent,
    1 for a fraction). Refused at its position in the foreign file, not later in the written spec."""
    return not (math.isfinite(value) and 0 < value < top)


def service_name(raw: str) -> str:
    name = _NAME.sub("-", raw.lower()).strip("-") or "service"
    return name if name[0].isalpha() else f"s-{name}"[:63]


def slo_name(raw: str) -> str:
    name = _NAME.sub("_", raw.lower()).strip("_") or "slo"
    return name if name[0].isalpha() else f"slo_{name}"


def queried_series(query: str) -> list[str]:
    names: list[str] = []

    def visit(node: Any) -> None:
        if isinstance(node, promql_parser.VectorSelector) and node.name and node.name not in names:
            names.append(node.name)

    promql_parser.walk(promql_parser.parse(with_window(query, "5m")), post_visit=visit)
    return names


def stand_in_metric(namespace: str) -> dict[str, Any]:
    """A spec has at least one metric of the service; this one stands in until it declares them."""
    return {
        "name": f"{namespace}_up",
        "type": "gauge",
        "help": "1 while the service runs; declare the service's own metrics here.",
    }


def routes_to_fill_in(severities: list[str]) -> dict[str, Any]:
    """A route per severity the SLOs page and ticket with, each to a receiver to fill in."""
    return {
        "routes": {severity: [f"{severity}-receiver"] for severity in severities},
        "receivers": [
            {"name": f"{severity}-receiver", "type": "webhook", "url": f"http://127.0.0.1:9095/fill-in/{severity}"}
            for severity in severities
        ],
    }


def read_source(path: str) -> str:
    """The text of a file to import; a file that is not UTF-8 is a clean error at its first line."""
    try:
        return Path(path).read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise SpecError([SpecIssue(Location(path, 1, 1), (), "not UTF-8 text: save the file as UTF-8")]) from None


@contextmanager
def foreign_structure(path: str, format_name: str) -> Iterator[None]:
    """A document whose parts have other types than its format gives them (a string where a list
    of SLOs belongs, a number for `spec`) is refused as a whole, at its first line, never with a
    traceback; parts the importer checks itself are reported at their own positions."""
    try:
        yield
    except (AttributeError, TypeError, KeyError) as exc:
        raise SpecError(
            [
                SpecIssue(
                    Location(path, 1, 1),
                    (),
                    f"not {format_name} document as the importer reads one: a part has another type than "
                    f"the format gives it ({exc.__class__.__name__}: {str(exc)[:80]}); check it against the format",
                )
            ]
        ) from None
