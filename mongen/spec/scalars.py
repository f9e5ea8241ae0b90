"""Checks on every string and number of a spec, before the schema: one place for what no value may
hold, whatever field it is in.

Strings are single-line text: a control character (a newline above all) passes a JSON Schema
`pattern` that ends in `$`, and then breaks what mongen writes (`127.0.0.1:9093\\n` as an
Alertmanager address fails every notification). Numbers must be finite and written exactly in the
generated rules.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterator
from typing import Any

from mongen.errors import SpecIssue, YamlPath
from mongen.spec.loader import LoadedDocument
from mongen.units import format_number

# Beyond 1e15 format_number switches to exponent-free float text that no longer round-trips, and
# no threshold, bucket or budget in a spec comes near it (22 GB of GPU memory is 2.2e10).
MAX_MAGNITUDE = 1e15
# Line and paragraph separators end a line for Python's splitlines and for JavaScript; format
# characters are invisible: the bidi controls reorder what a reviewer sees in a diff ("Trojan
# Source", CVE-2021-42574), a zero-width space or BOM makes two label values look equal.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_CHARACTER_NAMES = {"\n": "line feed", "\r": "carriage return", "\t": "tab", "\x00": "NUL"}


def scalar_issues(doc: LoadedDocument) -> list[SpecIssue]:
    """One issue per string with a refused character and per unusable number."""
    issues = []
    for path, value, is_key in _walk(doc.data, ()):
        if isinstance(value, str):
            problem = text_problem(value)
            if problem:
                where = "this key" if is_key else "this text"
                issues.append(
                    doc.issue(
                        path,
                        f"{where} contains {problem}; spec strings are one line of visible text: "
                        "remove it (a folded `>-` block joins lines without a newline)",
                    )
                )
        elif isinstance(value, int | float) and not isinstance(value, bool):
            problem = number_problem(value)
            if problem:
                issues.append(doc.issue(path, problem))
    return issues


def _walk(node: Any, path: YamlPath) -> Iterator[tuple[YamlPath, Any, bool]]:
    """(path, value, is_key) for every scalar and key; iterative, the loader bounds the depth anyway."""
    pending: list[tuple[YamlPath, Any]] = [(path, node)]
    while pending:
        here, value = pending.pop()
        if isinstance(value, dict):
            for key, child in value.items():
                yield (*here, key), key, True
                pending.append(((*here, key), child))
        elif isinstance(value, list):
            pending.extend(((*here, i), child) for i, child in enumerate(value))
        else:
            yield here, value, False


def text_problem(text: str) -> str | None:
    for char in text:
        if unicodedata.category(char) in _REFUSED_CATEGORIES:
            name = _CHARACTER_NAMES.get(char) or unicodedata.name(char, "control character").lower()
            return f"U+{ord(char):04X} ({name})"
    return None


def number_problem(value: float) -> str | None:
    """Why a number cannot go into the generated artifacts, or None."""
    if isinstance(value, float) and not math.isfinite(value):
        spelled = {"inf": ".inf", "-inf": "-.inf"}.get(repr(value), ".nan")
        return f"`{spelled}` is not a finite number; give a finite value"
    if abs(value) > MAX_MAGNITUDE:
        return f"{value!r} is beyond {MAX_MAGNITUDE:.0e} in magnitude; give a smaller number (quote it if it is a label value)"
    if isinstance(value, float) and float(format_number(value)) != value:
        return f"{value!r} has more digits than the generated rules keep ({format_number(value)}); round it"
    return None
