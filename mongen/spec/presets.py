"""The alert packs and recording rules of the exporter presets a spec's `scrape.exporters` name
(mongen.presets), with the spec's changes: `alerts: {<key>: false}` drops an alert,
`alerts: {<key>: {threshold, for, severity}}` changes it."""

from __future__ import annotations

from typing import Any

from mongen.errors import YamlPath
from mongen.model import Alert, ExporterJob, PresetRef, Routing, Scrape, SpecRecordingRule
from mongen.presets import PRESETS
from mongen.presets.base import job_matcher
from mongen.spec.durations import read_duration
from mongen.spec.issues import SpecIssues
from mongen.units import format_number


def preset_alerts(
    issues: SpecIssues, raw: list[dict[str, Any]], scrape: Scrape | None, routing: Routing
) -> tuple[Alert, ...]:
    """Every preset alert the spec keeps, after its own alerts."""
    if scrape is None:
        return ()
    out: list[Alert] = []
    seen: dict[str, int] = {}
    for i, (body, exporter) in enumerate(zip(raw, scrape.exporters, strict=False)):
        path: YamlPath = ("scrape", "exporters", i)
        settings = body.get("alerts", {})
        if exporter.exporter is None:
            if settings:
                issues.fail((*path, "alerts"), "`alerts` changes a preset's alert pack: name the preset in `exporter`")
            continue
        if exporter.exporter in seen:
            issues.fail(
                (*path, "exporter"),
                f"exporters[{seen[exporter.exporter]}] already scrapes `{exporter.exporter}` with its alert pack; "
                "list every target of that exporter under one job",
            )
            continue
        seen[exporter.exporter] = i
        out += _alerts(issues, exporter, settings, (*path, "alerts"), routing)
    return tuple(out)


def _alerts(
    issues: SpecIssues, exporter: ExporterJob, settings: dict[str, Any], path: YamlPath, routing: Routing
) -> list[Alert]:
    preset = PRESETS[exporter.exporter or ""]
    known = preset.alert_by_key
    for key in settings:
        if key not in known:
            issues.fail((*path, key), f"preset `{preset.name}` has no alert `{key}`; its alerts: {', '.join(known)}")
    out = []
    for alert in preset.alerts:
        setting = settings.get(alert.key, {})
        if setting is False:
            continue
        at: YamlPath = (*path, alert.key)
        threshold = alert.threshold
        if "threshold" in setting:
            lowest, highest = alert.threshold_range
            if alert.threshold is None:
                issues.fail(
                    (*at, "threshold"),
                    f"`{alert.key}` fires on a condition, not on a level, so it has no threshold; drop `threshold`",
                )
            elif not lowest <= setting["threshold"] <= highest:
                issues.fail(
                    (*at, "threshold"),
                    f"the threshold of `{alert.key}` must lie between {format_number(lowest)} and "
                    f"{format_number(highest)}; got {format_number(setting['threshold'])}",
                )
            else:
                threshold = float(setting["threshold"])
        for_seconds = alert.for_seconds
        if "for" in setting:
            for_seconds = read_duration(issues, setting["for"], (*at, "for")) or 0
        severity = setting.get("severity", alert.severity)
        if severity not in routing.severities:
            issues.fail(
                (*at, "severity") if "severity" in setting else at,
                f"severity `{severity}` of preset alert `{alert.name}` has no route; routed severities: "
                f"{', '.join(routing.severities)}; route it, set another `severity`, or drop the alert with `false`",
            )
        description = alert.description.replace("{threshold}", format_number(threshold or 0))
        out.append(
            Alert(
                alert.name,
                "preset",
                severity,
                for_seconds,
                threshold=threshold,
                description=description,
                summary=alert.summary,
                preset=PresetRef(exporter.job, preset.name, alert.key),
            )
        )
    return out


def preset_recording_rules(scrape: Scrape | None) -> tuple[SpecRecordingRule, ...]:
    """The recording rules of every preset the spec scrapes, on that exporter's job."""
    if scrape is None:
        return ()
    return tuple(
        SpecRecordingRule(rule.record, rule.expr(job_matcher(exporter.job)))
        for exporter in scrape.exporters
        if exporter.exporter in PRESETS
        for rule in PRESETS[exporter.exporter].recording
    )
