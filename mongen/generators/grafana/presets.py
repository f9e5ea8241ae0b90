"""A row per exporter preset the spec scrapes (mongen.presets): the preset's panels on that
exporter's own job (its series keep the exporter's `job`, not the service's `$job`)."""

from __future__ import annotations

from mongen.generators.grafana.panels import Panel, Query, Row
from mongen.model import Spec
from mongen.presets import PRESETS
from mongen.presets.base import job_matcher


def preset_rows(spec: Spec) -> tuple[Row, ...]:
    rows = []
    for exporter in spec.scrape.exporters:
        preset = PRESETS.get(exporter.exporter or "")
        if preset is None or not preset.panels:
            continue
        job = job_matcher(exporter.job)
        panels = tuple(Panel(p.title, (Query(p.expr(job), p.legend),), p.unit) for p in preset.panels)
        rows.append(Row(f"{preset.title} ({exporter.job})", panels))
    return tuple(rows)
