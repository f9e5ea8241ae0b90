"""A Prometheus text or OpenMetrics exposition, read from a file or a running service's URL and
parsed with prometheus_client's own parsers into what a spec needs to know of each family."""

from __future__ import annotations

import io
import math
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO, cast

from prometheus_client.openmetrics.parser import text_fd_to_metric_families as openmetrics_fd_families
from prometheus_client.parser import text_fd_to_metric_families as text_fd_families

from mongen.errors import Location, SpecError, SpecIssue

# A /metrics page is kilobytes to a few megabytes; more is not an exposition worth a spec.
MAX_BYTES = 32 * 1024 * 1024
FETCH_TIMEOUT_S = 10
# Prometheus' own preference when it scrapes: OpenMetrics (it carries units), else the text format.
ACCEPT = "application/openmetrics-text;version=1.0.0;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
OPENMETRICS = "application/openmetrics-text"
# How much of the line a parse error is on its message quotes.
QUOTED_LINE_LIMIT = 60
# Labels a histogram's buckets and a summary's quantiles carry besides the family's own.
_ADDED_LABELS = ("le", "quantile")


class ExpositionError(ValueError):
    """The source cannot be read or is not an exposition; the message says which and why."""


@dataclass(frozen=True)
class Family:
    """One metric family as exposed: `name` as the parsers name it (a counter without `_total`),
    `series` the sample names seen (without OpenMetrics' `_created`), the values each label took
    (`le` and `quantile` aside) and a histogram's finite bucket bounds."""

    name: str
    type: str  # counter, gauge, histogram, summary, info, stateset, gaugehistogram, unknown
    help: str
    unit: str
    series: tuple[str, ...]
    label_values: tuple[tuple[str, tuple[str, ...]], ...]
    buckets: tuple[float, ...] = ()

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.label_values)


def read_exposition(source: str) -> tuple[str, bool]:
    """The exposition's text and whether it is OpenMetrics, from a file or an http(s) URL."""
    if source.startswith(("http://", "https://")):
        return _fetch(source)
    try:
        with Path(source).open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ExpositionError(f"cannot read {source}: {exc.strerror or exc}") from None
    text = _decode(raw, source)
    return text, text.rstrip().endswith("# EOF")


def _fetch(url: str) -> tuple[str, bool]:
    request = urllib.request.Request(url, headers={"Accept": ACCEPT})
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_S) as response:
            raw = response.read(MAX_BYTES + 1)
            kind = response.headers.get("Content-Type", "")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise ExpositionError(f"cannot fetch {url}: {reason}") from None
    return _decode(raw, url), kind.startswith(OPENMETRICS)


def _decode(raw: bytes, source: str) -> str:
    if len(raw) > MAX_BYTES:
        raise ExpositionError(f"{source} is over {MAX_BYTES} bytes; give the /metrics of one service")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ExpositionError(f"{source} is not UTF-8 text (byte {exc.start}); give a /metrics page") from None


class _CountedLines:
    """The exposition's lines as a parser reads them, counted: a parse error is on the last one read."""

    def __init__(self, text: str) -> None:
        self._lines = io.StringIO(text)
        self.lines_read = 0

    def __iter__(self) -> Iterator[str]:
        for line in self._lines:
            self.lines_read += 1
            yield line


def parse_families(text: str, openmetrics: bool, source: str) -> list[Family]:
    """Every family of the exposition, in exposition order. Text that does not parse is a
    SpecError at the line the parser stopped on."""
    parse = openmetrics_fd_families if openmetrics else text_fd_families
    lines = _CountedLines(text)
    try:
        parsed = list(parse(cast("TextIO", lines)))  # the parsers only iterate over their file's lines
    except (ValueError, KeyError, IndexError) as exc:
        fmt = "OpenMetrics" if openmetrics else "Prometheus text exposition"
        line = max(lines.lines_read, 1)
        raw = text.split("\n")[line - 1] if line <= text.count("\n") + 1 else ""
        token = re.search(r"'([^']+)'$", str(exc))  # the value the parser could not take, where it says
        col = raw.find(token.group(1)) + 1 if token and token.group(1) in raw else len(raw) - len(raw.lstrip()) + 1
        shown = raw.strip()
        shown = shown if len(shown) <= QUOTED_LINE_LIMIT else shown[: QUOTED_LINE_LIMIT - 3] + "..."
        quoted = f" in `{shown}`" if shown else ""
        message = f"not {fmt}: {exc}{quoted}; give a service's /metrics page (saved to a file, or its URL)"
        raise SpecError([SpecIssue(Location(source, line, col), (), message)]) from None
    families = [_family(f.name, f.type, f.documentation, f.unit, f.samples) for f in parsed]
    if not families:
        raise ExpositionError(f"{source} holds no metric family; give a service's /metrics page")
    return families


def _family(name: str, kind: str, help_text: str, unit: str, samples: list) -> Family:  # type: ignore[type-arg]
    series: list[str] = []
    values: dict[str, set[str]] = {}
    bounds: set[float] = set()
    for sample in samples:
        if sample.name.endswith("_created"):
            continue
        if sample.name not in series:
            series.append(sample.name)
        for label, value in sample.labels.items():
            if label in _ADDED_LABELS and kind in ("histogram", "summary", "gaugehistogram"):
                if label == "le" and math.isfinite(bound := float(value)):
                    bounds.add(bound)
                continue
            values.setdefault(label, set()).add(value)
    label_values = tuple((label, tuple(sorted(v))) for label, v in values.items())
    return Family(name, kind, help_text, unit, tuple(series), label_values, tuple(sorted(bounds)))
