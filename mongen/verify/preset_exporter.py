"""Simulated exporters for the spec's preset jobs (vLLM, Triton, TGI; dcgm-exporter's health series
ride on mongen.verify.dcgm_exporter): each serves its preset's readings over HTTP on 127.0.0.1,
counters and histograms growing in real time at the readings' rates. A phase swaps in the
readings that make one alert fire, or makes the exporter stop answering; `heal` restores the
healthy readings (the counters keep counting, as a real server's do).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from mongen.faults import ExporterReadings
from mongen.presets.base import Labels, Preset, Reading, replace
from mongen.promql import quote
from mongen.verify.testbed import ExpositionServer

Expand = Callable[[Labels], Labels]  # the labels a series is served with, from a reading's


class PresetReadings:
    """The exposition of a preset's readings, integrated over time since the last one."""

    def __init__(self, preset: Preset, expand: Expand = lambda labels: labels) -> None:
        self.preset, self.expand = preset, expand
        self.readings = preset.healthy
        self.totals: dict[tuple[str, Labels], float] = {}
        self.last = time.monotonic()
        self.lock = threading.Lock()

    def set(self, readings: tuple[Reading, ...]) -> None:
        with self.lock:
            self._advance()
            self.readings = readings

    def _advance(self) -> None:
        now = time.monotonic()
        elapsed, self.last = now - self.last, now
        kinds = self.preset.series_by_name
        for r in self.readings:
            kind = kinds[r.series]
            if kind.type == "counter":
                self._add(r.series, r.labels, r.value * elapsed)
            elif kind.type == "histogram":
                observed = r.rate * elapsed
                for bound in (*kind.buckets, float("inf")):
                    if r.value <= bound:
                        le = "+Inf" if bound == float("inf") else repr(bound)
                        self._add(r.series + "_bucket", (*r.labels, ("le", le)), observed)
                self._add(r.series + "_sum", r.labels, observed * r.value)
                self._add(r.series + "_count", r.labels, observed)

    def _add(self, series: str, labels: Labels, amount: float) -> None:
        self.totals[(series, labels)] = self.totals.get((series, labels), 0.0) + amount

    def text(self) -> str:
        with self.lock:
            self._advance()
            gauges = {(r.series, r.labels): r.value for r in self.readings}
            lines: list[str] = []
            for family in self.preset.series:
                if family.name in self.preset.served_elsewhere:
                    continue
                lines += [f"# HELP {family.name} {family.help}", f"# TYPE {family.name} {family.type}"]
                if family.type == "gauge":
                    samples = [(k, v) for k, v in gauges.items() if k[0] == family.name]
                else:
                    prefixes = (family.name,) if family.type == "counter" else _histogram_series(family.name)
                    samples = [(k, v) for k, v in sorted(self.totals.items()) if k[0] in prefixes]
                lines += [f"{series}{{{self._labels(labels)}}} {value!r}" for (series, labels), value in samples]
            return "\n".join(lines) + "\n"

    def _labels(self, labels: Labels) -> str:
        le = [(k, v) for k, v in labels if k == "le"]
        own = self.expand(tuple((k, v) for k, v in labels if k != "le"))
        return ",".join(f"{k}={quote(v)}" for k, v in (*own, *le))


def _histogram_series(name: str) -> tuple[str, ...]:
    return (f"{name}_bucket", f"{name}_sum", f"{name}_count")


class SimulatedExporter(ExpositionServer):
    """A preset's exporter on HOST, at any path (the job's `metrics_path`)."""

    def __init__(self, preset: Preset, text: Callable[[], str] | None = None, expand: Expand | None = None) -> None:
        self.readings = PresetReadings(preset, expand or (lambda labels: labels))
        self.extra = text  # series served beside the preset's (dcgm-exporter's frame buffer)
        self.down = False
        super().__init__()

    def inject(self, fault: ExporterReadings) -> None:
        if fault.readings is None:
            self.down = True
        else:
            self.readings.set(replace(self.readings.preset.healthy, fault.readings))

    def heal(self) -> None:
        self.down = False
        self.readings.set(self.readings.preset.healthy)

    def text(self) -> str:
        return (self.extra() if self.extra else "") + self.readings.text()
