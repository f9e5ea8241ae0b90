"""Durations in a spec: Prometheus syntax (the schema checks it), whole seconds, at most a year."""

from __future__ import annotations

import re

from mongen.errors import YamlPath
from mongen.spec.issues import SpecIssues
from mongen.units import parse_duration

# No window, period or `for` mongen generates looks back further than a year; Prometheus keeps
# 15 days by default, and its own duration type ends at about 292 years.
MAX_SECONDS = 365 * 86400
# Digits per number: enough for `31536000s`; more can only be beyond MAX_SECONDS.
_MAX_DIGITS = 12
_NUMBERS = re.compile(r"[0-9]+")
_MILLISECONDS = re.compile(r"([0-9]+)ms")


def read_duration(issues: SpecIssues, text: str, path: YamlPath) -> int | None:
    """Seconds of a schema-valid duration, or None after reporting why mongen cannot use it."""
    # Checked on the digits first: int() refuses numbers of more than 4300 digits.
    too_long = any(len(number) > _MAX_DIGITS for number in _NUMBERS.findall(text))
    if not too_long:
        if sum(int(n) for n in _MILLISECONDS.findall(text)) % 1000:
            issues.fail(
                path,
                f"`{text}` is not a whole number of seconds; mongen scrapes, evaluates and alerts "
                f"in whole seconds: round it, e.g. `{max(parse_duration(text), 1)}s`",
            )
            return None
        too_long = parse_duration(text) > MAX_SECONDS
    if too_long:
        issues.fail(path, f"`{text}` is longer than a year; durations in a spec are at most 365d")
        return None
    return parse_duration(text)
