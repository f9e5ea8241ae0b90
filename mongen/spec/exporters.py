"""`scrape.exporters`: scrape jobs for the exporters next to the service (node-exporter,
dcgm-exporter). `exporter: <preset>` also declares the exporter's series as typed external metrics
(mongen.presets), so alerts (`kind: expr`, `dcgm_frame_buffer`, the preset's pack) and lint know
their names and labels."""

from __future__ import annotations

from typing import Any

from mongen.errors import YamlPath
from mongen.model import ExporterJob, ExternalMetric
from mongen.presets import PRESETS
from mongen.presets.base import TARGET_LABELS
from mongen.spec.addresses import check_file_sd, check_targets, metrics_path_problem
from mongen.spec.durations import read_duration
from mongen.spec.issues import SpecIssues


def read_exporters(issues: SpecIssues, raw: list[dict[str, Any]], service_job: str) -> tuple[ExporterJob, ...]:
    out = []
    jobs = {service_job}
    for i, body in enumerate(raw):
        path: YamlPath = ("scrape", "exporters", i)
        if body["job"] in jobs:
            issues.fail(
                (*path, "job"),
                f"job `{body['job']}` is already scraped (the service's own job or an earlier exporter); "
                "each exporter gets a job of its own",
            )
        jobs.add(body["job"])
        if not body.get("static_targets") and "file_sd" not in body:
            issues.fail(path, "give static_targets or file_sd, or Prometheus finds no exporter to scrape")
        check_targets(issues, body.get("static_targets", []), (*path, "static_targets"))
        if "file_sd" in body:
            check_file_sd(issues, body["file_sd"], (*path, "file_sd"))
        odd_path = metrics_path_problem(body.get("metrics_path", "/metrics"))
        if odd_path:
            issues.fail((*path, "metrics_path"), odd_path)
        interval = read_duration(issues, body["interval"], (*path, "interval")) if "interval" in body else None
        out.append(
            ExporterJob(
                body["job"],
                tuple(body.get("static_targets", [])),
                body.get("file_sd"),
                body.get("metrics_path", "/metrics"),
                interval or None,
                body.get("exporter"),
            )
        )
    return tuple(out)


def exporter_metrics(
    exporters: tuple[ExporterJob, ...], declared: tuple[ExternalMetric, ...]
) -> tuple[ExternalMetric, ...]:
    """The typed series of the presets the spec's exporters name, except those `external_metrics`
    declares itself (its own declaration wins)."""
    names = {name for metric in declared for name in metric.series}
    out: dict[str, ExternalMetric] = {}
    for exporter in exporters:
        preset = PRESETS.get(exporter.exporter or "")
        for series in preset.series if preset else ():
            metric = ExternalMetric(series.name, None, (*series.labels, *TARGET_LABELS), series.type)
            if series.name not in names and not names & set(metric.series):
                out.setdefault(series.name, metric)
    return tuple(out.values())
