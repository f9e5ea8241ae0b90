"""Building PromQL text from model values. Every spec value passes through `quote`."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from mongen.model import Matcher


def quote(value: str) -> str:
    """A PromQL double-quoted string literal; escapes backslash, quote and control chars."""
    out = []
    for char in value:
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 32:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def regex_alternation(values: Iterable[str]) -> str:
    """An RE2 regex matching exactly the given literal values."""
    return "|".join(re.escape(v) for v in values)


def le_value(bound: float) -> str:
    """The `le` label value prometheus_client exposes for a bucket bound (10 -> "10.0").

    Same result as prometheus_client.utils.floatToGoString (a test holds them equal);
    written out so that generating files does not import the client's HTTP stack (~35 ms).
    """
    value = float(bound)
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    text = repr(value)
    dot = text.find(".")
    # Go switches to exponent notation sooner than Python's repr.
    if value > 0 and dot > 6:
        mantissa = f"{text[0]}.{text[1:dot]}{text[dot + 1 :]}".rstrip("0.")
        return f"{mantissa}e+{dot - 1:02d}"
    return text


def matcher_text(matcher: Matcher) -> str:
    if len(matcher.values) == 1:
        op = "!=" if matcher.negate else "="
        return f"{matcher.label}{op}{quote(matcher.values[0])}"
    op = "!~" if matcher.negate else "=~"
    return f"{matcher.label}{op}{quote(regex_alternation(matcher.values))}"


def selector(name: str, matchers: Iterable[Matcher] = (), extra: Iterable[str] = ()) -> str:
    parts = [*extra, *(matcher_text(m) for m in matchers)]
    return f"{name}{{{','.join(parts)}}}" if parts else name


def by_clause(labels: Iterable[str]) -> str:
    return f"by ({', '.join(labels)})"
