"""Durations and numbers as Prometheus writes them: the one place their text form is decided."""

from __future__ import annotations

import re

_DURATION_PART = re.compile(r"([0-9]+)(ms|s|m|h|d|w|y)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def parse_duration(text: str) -> int:
    """Prometheus duration -> whole seconds (the schema guarantees the syntax)."""
    total = sum(int(n) * _UNIT_SECONDS[u] for n, u in _DURATION_PART.findall(text))
    return int(total)


def format_duration(seconds: int) -> str:
    """Prometheus duration text for a whole number of seconds (`1h30m`, `3d`)."""
    if seconds <= 0:
        return "0s"
    out = ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            out += f"{count}{unit}"
    return out


def format_number(value: float) -> str:
    """Shortest stable text for a number: 0.5, 10, 1e-05 -> 0.00001 style kept exact."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = repr(float(value))
    if "e" in text:
        text = f"{value:.15f}".rstrip("0").rstrip(".")
    return text
