"""Durations and numbers as Prometheus writes them: the one place their text form is decided."""

from __future__ import annotations

import re

_DURATION_PART = re.compile(r"([0-9]+)(ms|s|m|h|d|w|y)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def parse_duration(text: str) -> int:
    """Prometheus duration -> whole seconds (the schema guarantees the syntax)."""
    total = sum(int(n) * _UNIT_SECONDS[u] for n, u in _DURATION_PART.findall(text))
    return int(total)


# Prometheus' own duration syntax (common/model.ParseDuration): units largest first, each at most once.
_PROMETHEUS_DURATION = re.compile(
    r"(?:([0-9]+)y)?(?:([0-9]+)w)?(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?(?:([0-9]+)ms)?"
)
_PROMETHEUS_UNITS = ("y", "w", "d", "h", "m", "s", "ms")


def duration_seconds(text: str) -> float | None:
    """Seconds of any duration Prometheus accepts in a rule file (`0`, `90s`, `1h30m`, `500ms`), or
    None when it would reject the text."""
    if text == "0":
        return 0.0
    match = _PROMETHEUS_DURATION.fullmatch(text) if text and len(text) <= 64 else None
    if match is None:
        return None
    return sum(int(n) * _UNIT_SECONDS[u] for n, u in zip(match.groups(), _PROMETHEUS_UNITS, strict=True) if n)


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


def counted(count: float, singular: str, plural: str | None = None) -> str:
    """The count with its noun agreeing: `1 file`, `2 files`, `0 errors`, `0.5 requests`;
    `plural` where it is not the singular with `s` (`family`, `families`)."""
    noun = singular if count == 1 else (plural or f"{singular}s")
    return f"{count:g} {noun}" if isinstance(count, float) else f"{count} {noun}"


def format_number(value: float) -> str:
    """Shortest stable text for a number: 0.5, 10, 1e-05 -> 0.00001 style kept exact."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = repr(float(value))
    if "e" in text:
        text = f"{value:.15f}".rstrip("0").rstrip(".")
    return text
