"""`preset`: an alert of an exporter preset's pack (mongen.presets), added by a
`scrape.exporters` job that names the preset; a spec changes or drops it under the job's `alerts`.
The preset owns the expression and the readings that make it fire; this kind turns them into the
rule, promtool cases on those readings, and the fault verify injects into the simulated exporter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from mongen.annotations import LabelRef, Part
from mongen.errors import YamlPath
from mongen.faults import CannotDrive, ExporterReadings, Fault
from mongen.model import Alert, AlertParams, Spec
from mongen.presets import PRESETS
from mongen.presets.base import Preset, PresetAlert, Reading, job_matcher, replace
from mongen.rule_types import AlertRule
from mongen.rules.alert_kinds.base import (
    AlertKind,
    FieldReader,
    IssueSink,
    LintedExpr,
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


@dataclass(frozen=True)
class PresetParams(AlertParams):
    """An alert of an exporter preset's pack, built from the `scrape.exporters` jobs that name the
    preset (mongen.spec.presets): the jobs it watches (verify drives the first), the preset, the
    alert's key, its threshold (None for a condition) and summary."""

    jobs: tuple[str, ...]
    exporter: str
    key: str
    threshold: float | None
    summary: str


def definition(p: PresetParams) -> tuple[Preset, PresetAlert]:
    preset = PRESETS[p.exporter]
    return preset, preset.alert_by_key[p.key]


def read_pack_alert(
    issues: IssueSink,
    preset: Preset,
    alert: PresetAlert,
    jobs: tuple[str, ...],
    setting: dict[str, Any],
    path: YamlPath,
) -> PresetParams:
    """The parameters of the preset's `alert` watching `jobs`, with the exporter job's `setting`
    for it (its `alerts.<key>` entry at `path`; `for` and `severity` are read with the common
    fields, mongen.spec.presets): a `threshold` within the preset's range, else the preset's own."""
    threshold = alert.threshold
    if "threshold" in setting:
        lowest, highest = alert.threshold_range
        if alert.threshold is None:
            issues.fail(
                (*path, "threshold"),
                f"`{alert.key}` fires on a condition, not on a level, so it has no threshold; drop `threshold`",
            )
        elif not lowest <= setting["threshold"] <= highest:
            issues.fail(
                (*path, "threshold"),
                f"the threshold of `{alert.key}` must lie between {format_number(lowest)} and "
                f"{format_number(highest)}; got {format_number(setting['threshold'])}",
            )
        else:
            threshold = float(setting["threshold"])
    return PresetParams(jobs, preset.name, alert.key, threshold, alert.summary)


class PresetPack(AlertKind[PresetParams]):
    name: ClassVar[AlertKindName] = "preset"
    params_type = PresetParams
    reads_external: ClassVar[bool] = True
    spec_kind: ClassVar[bool] = False
    lint_hint: ClassVar[str] = "the preset's series are declared by its `scrape.exporters` job"

    def read(self, reader: FieldReader, body: dict[str, Any], path: YamlPath) -> PresetParams | None:
        """Never: a spec cannot name this kind in `alerts` (`spec_kind`); mongen.spec.presets builds
        its parameters from the exporter job's `alerts` settings."""
        raise AssertionError("preset alerts come from their exporter job, not from `alerts`")

    def linted_expr(self, spec: Spec, alert: Alert) -> LintedExpr:
        return LintedExpr(self.rule(spec, alert).expr, self.params(alert).summary, "kind")

    def rule(self, spec: Spec, alert: Alert) -> AlertRule:
        p = self.params(alert)
        preset, pack = definition(p)
        return AlertRule(
            name=alert.name,
            expr=pack.expr(job_matcher(p.jobs), p.threshold or 0.0),
            for_seconds=alert.for_seconds,
            labels=common_labels(spec, alert),
            summary=annotation(p.summary),
            description=annotation(alert.description),
            runbook_url=runbook_url(spec, alert.name),
            dashboard_url=dashboard_url(spec),
            first_checks=pack.first_checks or (f"The dashboard's {preset.title} row.",),
            output_labels=pack.by,
            threshold=p.threshold,
        )

    def first_checks(self, spec: Spec, alert: Alert) -> tuple[str, ...]:
        return definition(self.params(alert))[1].first_checks

    def fault(self, spec: Spec, alert: Alert) -> Fault | CannotDrive:
        p = self.params(alert)
        pack = definition(p)[1]
        if pack.fault is None:
            return ExporterReadings(p.jobs[0], pack.key, None)
        faulted = pack.fault(p.threshold or 0.0)
        labels = {k: v for r in faulted for k, v in r.labels if k in pack.by}
        return ExporterReadings(p.jobs[0], pack.key, faulted, tuple(sorted(labels.items())))

    def cases(self, spec: Spec, alert: Alert, rule: AlertRule) -> list[AlertCase]:
        p = self.params(alert)
        preset, pack = definition(p)
        target = {"job": p.jobs[0], "instance": TEST_INSTANCE}
        minutes = alert.for_seconds // 60 + _SETTLE_MINUTES
        if pack.fault is None:
            up = series("up", target)
            return [
                threshold_case(rule, True, "a failed scrape", [(up, f"0x{minutes}")], minutes * 60, target, 0),
                threshold_case(rule, False, "a scraped exporter", [(up, f"1x{minutes}")], minutes * 60, {}, 0),
            ]
        faulted = pack.fault(p.threshold or 0.0)
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
