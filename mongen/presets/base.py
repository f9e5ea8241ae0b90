"""What an exporter preset is: the series an off-the-shelf server exposes (in its own spelling,
with its own labels), the recording rules and alert pack mongen adds for it, its dashboard row,
and the readings a simulated exporter serves healthy and when each alert must fire.

A preset is data: the spec reads it (declared series, alert defaults), the rules and the dashboard
are built from it, and `mongen verify` serves its readings. Nothing here imports above the model.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from mongen.faults import Reading as Reading  # a preset's readings are what a fault swaps in
from mongen.promql import quote, regex_alternation

SeriesKind = Literal["counter", "gauge", "histogram"]
# Target labels every scraped series carries besides the exporter's own.
TARGET_LABELS = ("job", "instance")

Labels = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class PresetSeries:
    """A series family as the exporter exposes it: `name` exactly (a counter keeps whatever suffix
    it has), its type and own labels; a histogram's `buckets` are the bounds the simulated exporter
    uses (the real server's defaults where documented)."""

    name: str
    type: SeriesKind
    help: str
    labels: tuple[str, ...]
    buckets: tuple[float, ...] = ()


# An expression of the pack, given the exporter job's matcher text (`job="vllm"`) and the threshold.
ExprOf = Callable[[str, float], str]
# The readings that make an alert fire at a threshold (replacing the healthy readings of the same
# series and labels); None: the exporter stops answering scrapes.
FaultOf = Callable[[float], tuple[Reading, ...]] | None


@dataclass(frozen=True)
class PresetAlert:
    """One alert of a preset's pack. `key` names it under the exporter's `alerts:` in a spec (to
    change its threshold, `for` or severity, or drop it with `false`)."""

    key: str
    name: str
    expr: ExprOf
    summary: str
    description: str  # `{threshold}` is replaced by the threshold as written
    by: tuple[str, ...]  # the labels of the expression's result
    severity: str
    for_seconds: int
    fault: FaultOf
    threshold: float | None = None
    threshold_range: tuple[float, float] = (0.0, 0.0)  # (lowest, highest) a spec may set; inclusive
    first_checks: tuple[str, ...] = ()


@dataclass(frozen=True)
class PresetPanel:
    title: str
    expr: Callable[[str], str]  # given the job matcher text
    unit: str  # a Grafana unit id
    legend: str = ""


@dataclass(frozen=True)
class PresetRecording:
    record: str
    expr: Callable[[str], str]  # given the job matcher text


@dataclass(frozen=True)
class Preset:
    name: str  # `exporter:` in a spec
    title: str  # the dashboard row's title
    release: str  # the release whose documentation the series and labels were checked against
    series: tuple[PresetSeries, ...]
    healthy: tuple[Reading, ...]
    alerts: tuple[PresetAlert, ...]
    recording: tuple[PresetRecording, ...] = ()
    panels: tuple[PresetPanel, ...] = ()
    # Series the spec declares and the simulation serves elsewhere (dcgm-exporter's frame buffer,
    # from mongen.verify.dcgm_exporter); not in `healthy`.
    served_elsewhere: tuple[str, ...] = ()

    @property
    def series_by_name(self) -> dict[str, PresetSeries]:
        return {s.name: s for s in self.series}

    @property
    def alert_by_key(self) -> dict[str, PresetAlert]:
        return {a.key: a for a in self.alerts}


def job_matcher(jobs: str | tuple[str, ...]) -> str:
    """`job="vllm"`, or `job=~"gpu-a|gpu-b"` for a preset scraped by several jobs."""
    if isinstance(jobs, str) or len(jobs) == 1:
        return f"job={quote(jobs if isinstance(jobs, str) else jobs[0])}"
    return f"job=~{quote(regex_alternation(jobs))}"


def sel(name: str, job: str, *extra: str) -> str:
    """`name{job="...",extra...}`: a selector on the exporter's own job."""
    return name + "{" + ",".join((job, *extra)) + "}"


def by(*labels: str) -> str:
    return "by (" + ", ".join(labels) + ")"


def replace(healthy: tuple[Reading, ...], faulted: tuple[Reading, ...]) -> tuple[Reading, ...]:
    """The healthy readings with `faulted` in place of those of the same series and labels."""
    keys = {(r.series, r.labels) for r in faulted}
    return (*(r for r in healthy if (r.series, r.labels) not in keys), *faulted)


def histogram_value_above(buckets: tuple[float, ...], threshold: float) -> float:
    """An observation whose bucket lies wholly above `threshold`, so any quantile of observations
    all of that value is above it: the upper bound of the first bucket whose lower bound is at or
    above the threshold."""
    return next(hi for lo, hi in itertools.pairwise(buckets) if lo >= threshold)


def share_rate(base_rate: float, share: float) -> float:
    """The rate that makes `share` of the total when the rest comes at `base_rate`."""
    return base_rate * share / (1 - share)


def between(threshold: float, top: float = 1.0) -> float:
    """Halfway from a threshold to the top of its scale: past it, and a level the scale allows."""
    return (threshold + top) / 2
