"""Spec file -> validated, typed model: YAML with positions, the JSON Schema, then one module per
section for what the schema cannot say. Every problem is collected; the model is built only from a
spec without any."""

from __future__ import annotations

import stat
from dataclasses import replace
from pathlib import Path

from mongen.errors import Location, SpecError, SpecIssue, YamlPath
from mongen.model import DEFAULT_ENGINES, Spec
from mongen.spec.alerts import check_alert_names, read_alerts
from mongen.spec.exporters import exporter_metrics
from mongen.spec.exposure import read_exposure
from mongen.spec.external import read_external_metrics
from mongen.spec.issues import SpecIssues
from mongen.spec.kubernetes import read_kubernetes
from mongen.spec.labels import read_enums, read_labels
from mongen.spec.loader import LoadedDocument, load_yaml
from mongen.spec.metrics import read_metrics
from mongen.spec.middleware import read_middleware, unrouted_selectors
from mongen.spec.presets import preset_alerts, preset_recording_rules
from mongen.spec.recording_rules import read_recording_rules
from mongen.spec.routing import read_routing
from mongen.spec.schema import schema_issues, spec_schema
from mongen.spec.scrape import read_scrape
from mongen.spec.service import read_grafana, read_grafana_url, read_service
from mongen.spec.slos import read_slos

__all__ = ["BUDGET_PATH", "budget_problem", "build_model", "load_document", "load_model", "spec_schema"]


# A spec is a few kilobytes; anything this large is the wrong file, and reading it would only
# cost memory before the schema says so.
MAX_SPEC_BYTES = 4 * 1024 * 1024


def _read_spec(path: Path) -> str:
    """The spec's text; only a regular file is read (a FIFO would block, /dev/zero never end)."""
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise ValueError("it is not a regular file (a directory, FIFO or device); give the spec's YAML file")
    if info.st_size > MAX_SPEC_BYTES:
        raise ValueError(f"it is {info.st_size} bytes, over the {MAX_SPEC_BYTES} a spec may have")
    return path.read_bytes().decode("utf-8")


def load_model(path: str | Path) -> Spec:
    """Read, schema-check and semantically check a spec file, without the stage that checks its
    PromQL with lint (mongen.loading.load_spec runs that too). Raises SpecError."""
    return build_model(load_document(path))


def load_document(path: str | Path) -> LoadedDocument:
    """The spec file's YAML with positions. Raises SpecError."""
    file = str(path)
    try:
        text = _read_spec(Path(path))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, FileNotFoundError):
            reason = "cannot read spec: no such file; check the path (relative paths start at the working directory)"
        elif isinstance(exc, OSError) and exc.strerror:
            reason = f"cannot read spec: {exc.strerror}"
        else:
            reason = f"cannot read spec: {exc.__class__.__name__}: {exc}"
        raise SpecError([SpecIssue(Location(file, 1, 1), (), reason)]) from None
    return load_yaml(text, file)


def build_model(doc: LoadedDocument, *, check_budget: bool = True) -> Spec:
    """The model of a loaded spec (its PromQL is checked by the next stage, mongen.loading). `check_budget=False` lets a spec over its series budget through,
    for `mongen cardinality`, which exists to show where the series go."""
    found = schema_issues(doc)
    if found:
        raise SpecError(found)
    issues = SpecIssues(doc)
    data = doc.data
    service = read_service(issues, data["service"])
    grafana_url = read_grafana_url(issues, data.get("grafana", {}))
    grafana = read_grafana(issues, data.get("grafana", {}))
    enums = read_enums(issues, data.get("enums", {}))
    labels = read_labels(issues, data.get("labels", {}), enums)
    metrics = read_metrics(issues, data["metrics"], service.namespace, labels)
    middleware = read_middleware(issues, data.get("middleware", {}), metrics, labels)
    scrape = read_scrape(issues, data.get("scrape", {}), service.name)
    routing = read_routing(issues, data.get("routing"))
    slos = read_slos(issues, data.get("slos", []), metrics, labels, routing)
    alerts = read_alerts(issues, data.get("alerts", []), metrics, labels, routing, scrape)
    alerts += preset_alerts(issues, data.get("scrape", {}).get("exporters", []), scrape, routing, service.name)
    recording_rules = read_recording_rules(issues, data.get("recording_rules", []))
    recording_rules += preset_recording_rules(scrape)
    exposure = read_exposure(issues, data.get("exposure", {}), scrape)
    external = read_external_metrics(issues, data.get("external_metrics", []), metrics)
    external += exporter_metrics(scrape.exporters if scrape else (), external)
    issues.raise_if_any()
    assert scrape is not None, "read_scrape returns None only after reporting an issue"
    spec = Spec(
        source=doc.file,
        source_map=doc.source_map,
        service=service.name,
        namespace=service.namespace,
        runbook_base=service.runbook_base,
        runbooks_url=service.runbooks_url,
        max_series=service.max_series,
        enums=tuple(enums.valid()),
        labels=tuple(labels.valid()),
        metrics=tuple(metrics.valid()),
        external_metrics=external,
        slos=slos,
        alerts=alerts,
        scrape=scrape,
        exposure=exposure,
        routing=routing,
        kubernetes=read_kubernetes(data.get("kubernetes", {})),
        grafana_url=grafana_url,
        grafana=grafana,
        recording_rules=recording_rules,
        engines=tuple(data.get("engines", DEFAULT_ENGINES)),
        middleware=middleware,
    )
    check_alert_names(issues, spec)
    if check_budget and (over := budget_problem(spec)):
        issues.fail(BUDGET_PATH, over)
    issues.raise_if_any()
    for path, message in unrouted_selectors(data, middleware):
        issues.warn(path, message)
    return replace(spec, warnings=tuple(issues.warnings)) if issues.warnings else spec


BUDGET_PATH: YamlPath = ("service", "max_series_per_instance")


def budget_problem(spec: Spec) -> str | None:
    """Why the spec's series exceed its budget, or None when they fit."""
    if spec.total_series <= spec.max_series:
        return None
    return (
        f"the metrics expose {spec.total_series} series per instance, over the budget "
        f"of {spec.max_series}; largest: {spec.largest_metrics()}; drop labels or label values from "
        "the largest, or raise `max_series_per_instance` if the budget is meant to grow"
    )
