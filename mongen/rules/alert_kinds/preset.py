"""`preset`: an alert of an exporter preset's pack (mongen.presets), added by a
`scrape.exporters` job that names the preset; a spec changes or drops it under the job's `alerts`.
The preset owns the expression and the readings that make it fire; this kind turns them into the
rule, promtool cases on those readings, and the fault verify injects into the simulated exporter.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar

from mongen.annotations import LabelRef, Part
from mongen.faults import CannotDrive, ExporterReadings, Fault
from mongen.model import Alert, Spec
from mongen.presets import PRESETS
from mongen.presets.base import Preset, PresetAlert, Reading, job_matcher, replace
from mongen.rule_types import AlertRule
from mongen.rules.alert_kinds.base import (
    AlertKind,
    common_labels,
    dashboard_url,
    runbook_url,
)
from mongen.synth.cases import AlertCase, InputSeries, threshold_case
from mongen.synth.series import TEST_INSTANCE, series
from mongen.units import format_number

if TYPE_CHECKING:
    from mongen.rules.alert_kinds import AlertKindName

_LABEL_REF = re.compile(r"\{\{ \$labels\.(\w+) \}\}")
# Minutes of input beyond the alert's `for`: the 5m rate windows fill, then the alert pends.
_SETTLE_MINUTES = 10


def annotation(text: str) -> tuple[Part, ...]:
    """A preset's annotation text with `{{ $labels.x }}` as label references."""
    parts: list[Part] = []
    for i, piece in enumerate(_LABEL_REF.split(text)):
        if piece:
            parts.append(LabelRef(piece) if i % 2 else piece)
    return tuple(parts)


def definition(alert: Alert) -> tuple[Preset, PresetAlert]:
    assert alert.preset is not None, "a preset alert is built from its exporter job"
    preset = PRESETS[alert.preset.exporter]
    return preset, preset.alert_by_key[alert.preset.key]


class PresetPack(AlertKind):
    name: ClassVar[AlertKindName] = "preset"
    reads_external: ClassVar[bool] = True
    spec_kind: ClassVar[bool] = False
    lint_hint: ClassVar[str] = "the preset's series are declared by its `scrape.exporters` job"

    def rule(self, spec: Spec, alert: Alert) -> AlertRule:
        preset, pack = definition(alert)
        assert alert.preset is not None
        return AlertRule(
            name=alert.name,
            expr=pack.expr(job_matcher(alert.preset.jobs), alert.threshold or 0.0),
            for_seconds=alert.for_seconds,
            labels=common_labels(spec, alert),
            summary=annotation(alert.summary),
            description=annotation(alert.description),
            runbook_url=runbook_url(spec, alert.name),
            dashboard_url=dashboard_url(spec),
            first_checks=pack.first_checks or (f"The dashboard's {preset.title} row.",),
            output_labels=pack.by,
            threshold=alert.threshold,
        )

    def first_checks(self, spec: Spec, alert: Alert) -> tuple[str, ...]:
        return definition(alert)[1].first_checks

    def fault(self, spec: Spec, alert: Alert) -> Fault | CannotDrive:
        pack = definition(alert)[1]
        assert alert.preset is not None
        if pack.fault is None:
            return ExporterReadings(alert.preset.jobs[0], pack.key, None)
        faulted = pack.fault(alert.threshold or 0.0)
        labels = {k: v for r in faulted for k, v in r.labels if k in pack.by}
        return ExporterReadings(alert.preset.jobs[0], pack.key, faulted, tuple(sorted(labels.items())))

    def cases(self, spec: Spec, alert: Alert, rule: AlertRule) -> list[AlertCase]:
        preset, pack = definition(alert)
        assert alert.preset is not None
        target = {"job": alert.preset.jobs[0], "instance": TEST_INSTANCE}
        minutes = alert.for_seconds // 60 + _SETTLE_MINUTES
        if pack.fault is None:
            up = series("up", target)
            return [
                threshold_case(rule, True, "a failed scrape", [(up, f"0x{minutes}")], minutes * 60, target, 0),
                threshold_case(rule, False, "a scraped exporter", [(up, f"1x{minutes}")], minutes * 60, {}, 0),
            ]
        faulted = pack.fault(alert.threshold or 0.0)
        result = {**target, **{k: v for r in faulted for k, v in r.labels if k in pack.by}}
        what = ", ".join(f"{r.series} {format_number(r.value)}" for r in faulted)
        healthy = tuple(r for r in preset.healthy if r.series in rule.expr)
        return [
            threshold_case(
                rule, True, what, _inputs(preset, replace(healthy, faulted), target, minutes), minutes * 60, result, 0
            ),
            threshold_case(
                rule, False, "healthy readings", _inputs(preset, healthy, target, minutes), minutes * 60, {}, 0
            ),
        ]


def _inputs(preset: Preset, readings: tuple[Reading, ...], target: dict[str, str], minutes: int) -> InputSeries:
    """promtool input series for `readings`, one sample a minute."""
    out: InputSeries = []
    kinds = preset.series_by_name
    for reading in readings:
        kind = kinds[reading.series]
        labels = {**target, **dict(reading.labels)}
        if kind.type == "gauge":
            out.append((series(reading.series, labels), f"{format_number(reading.value)}x{minutes}"))
        elif kind.type == "counter":
            out.append((series(reading.series, labels), f"0+{format_number(reading.value * 60)}x{minutes}"))
        else:
            per_minute = reading.rate * 60
            for bound in (*kind.buckets, float("inf")):
                step = per_minute if reading.value <= bound else 0
                le = "+Inf" if bound == float("inf") else format_number(bound)
                bucket = series(reading.series + "_bucket", {**labels, "le": le})
                out.append((bucket, f"0+{format_number(step)}x{minutes}"))
            out.append(
                (series(reading.series + "_sum", labels), f"0+{format_number(per_minute * reading.value)}x{minutes}")
            )
            out.append((series(reading.series + "_count", labels), f"0+{format_number(per_minute)}x{minutes}"))
    return out
