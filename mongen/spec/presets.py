"""The alert packs and recording rules of the exporter presets a spec's `scrape.exporters` name
(mongen.presets), with the spec's changes: `alerts: {<key>: false}` drops an alert,
`alerts: {<key>: {threshold, for, severity}}` changes it."""

from __future__ import annotations

from typing import Any

from mongen.errors import YamlPath
from mongen.model import Alert, Routing, Scrape, SpecRecordingRule
from mongen.presets import PRESETS
from mongen.presets.base import job_matcher
from mongen.rules.alert_kinds.preset import PresetPack, read_pack_alert
from mongen.spec.alerts import check_for
from mongen.spec.durations import read_duration
from mongen.spec.issues import SpecIssues
from mongen.units import format_number


def preset_alerts(
    issues: SpecIssues, raw: list[dict[str, Any]], scrape: Scrape | None, routing: Routing, service: str
) -> tuple[Alert, ...]:
    """Every preset alert the spec keeps, after its own alerts, named after the service
    (`EmotivoiceDcgmCriticalXid`), as the SLO alerts are: several services share one tree."""
    if scrape is None:
        return ()
    out: list[Alert] = []
    first: dict[str, int] = {}
    for i, exporter in enumerate(scrape.exporters):
        if exporter.exporter is not None:
            first.setdefault(exporter.exporter, i)
    prefix = "".join(word.capitalize() for word in service.split("-") if word)
    for i, (body, exporter) in enumerate(zip(raw, scrape.exporters, strict=False)):
        path: YamlPath = ("scrape", "exporters", i)
        settings = body.get("alerts", {})
        if exporter.exporter is None:
            if settings:
                issues.fail((*path, "alerts"), "`alerts` changes a preset's alert pack: name the preset in `exporter`")
            continue
        if first[exporter.exporter] != i:
            if settings:
                issues.fail(
                    (*path, "alerts"),
                    f"the `{exporter.exporter}` alert pack watches every job of the preset and is set on its "
                    f"first job, exporters[{first[exporter.exporter]}]; move `alerts` there",
                )
            continue
        jobs = tuple(e.job for e in scrape.exporters if e.exporter == exporter.exporter)
        out += _alerts(issues, exporter.exporter, jobs, settings, (*path, "alerts"), routing, prefix, scrape)
    return tuple(out)


def _alerts(
    issues: SpecIssues,
    exporter: str,
    jobs: tuple[str, ...],
    settings: dict[str, Any],
    path: YamlPath,
    routing: Routing,
    prefix: str,
    scrape: Scrape,
) -> list[Alert]:
    preset = PRESETS[exporter]
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
        params = read_pack_alert(issues, preset, alert, jobs, setting, at)
        for_seconds = alert.for_seconds
        if "for" in setting:
            for_seconds = read_duration(issues, setting["for"], (*at, "for")) or 0
            if for_seconds:
                check_for(issues, for_seconds, (*at, "for"), scrape)
        severity = setting.get("severity", alert.severity)
        if severity not in routing.severities:
            issues.fail(
                (*at, "severity") if "severity" in setting else at,
                f"severity `{severity}` of preset alert `{prefix}{alert.name}` has no route; routed severities: "
                f"{', '.join(routing.severities)}; route it, set another `severity`, or drop the alert with `false`",
            )
        description = alert.description.replace("{threshold}", format_number(params.threshold or 0))
        out.append(Alert(prefix + alert.name, PresetPack.name, severity, for_seconds, params, description=description))
    return out


def preset_recording_rules(scrape: Scrape | None) -> tuple[SpecRecordingRule, ...]:
    """The recording rules of every preset the spec scrapes, on that preset's jobs."""
    if scrape is None:
        return ()
    jobs: dict[str, tuple[str, ...]] = {}
    for exporter in scrape.exporters:
        if exporter.exporter in PRESETS:
            jobs[exporter.exporter] = (*jobs.get(exporter.exporter, ()), exporter.job)
    return tuple(
        SpecRecordingRule(rule.record, rule.expr(job_matcher(preset_jobs)))
        for name, preset_jobs in jobs.items()
        for rule in PRESETS[name].recording
    )
