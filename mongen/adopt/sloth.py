"""`mongen import sloth FILE -o SPEC`: a Sloth `prometheus/v1` spec as a mongen spec.

Sloth's `events` SLIs become mongen's raw-PromQL SLIs (mongen.spec.slo_events) with the same
queries; the objective stays, the period is Sloth's default (30d, whose windows and burn factors
mongen shares with Sloth). The series the queries read are declared as external metrics. What
has no mongen equivalent is refused with its position: an SLI `plugin` (code mongen does not
run), a `raw` error-ratio query (mongen's promtool cases need the error and total series), a field
of another type than Sloth gives it (SLOTH_SHAPE: `objective: "abc"`, a list for `service`). Alert
names, labels and annotations per tier are written as comments and listed on stderr: they need
per-tier SLO alert settings, which this spec version does not have.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from mongen.adopt.imported_spec import (
    TEXT,
    ImportNote,
    foreign_structure,
    outside_objective,
    queried_series,
    read_source,
    routes_to_fill_in,
    service_name,
    shape_issues,
    slo_name,
    stand_in_metric,
)
from mongen.errors import SpecError, SpecIssue, YamlPath
from mongen.spec.loader import LoadedDocument, load_yaml

SLOTH_VERSION = "prometheus/v1"
_NAME = re.compile(r"[^a-z0-9]+")
_TEXTS: dict[str, Any] = {"type": "object", "additionalProperties": TEXT, "x-expected": "a mapping of names to text"}
_TIER: dict[str, Any] = {
    "type": "object",
    "properties": {"disable": {"type": "boolean"}, "labels": _TEXTS, "annotations": _TEXTS},
}
# The fields of a Sloth prometheus/v1 spec the importer reads, with the types Sloth gives them.
SLOTH_SHAPE: dict[str, Any] = {
    "type": "object",
    "required": ["service", "slos"],
    "properties": {
        "version": {"type": "string"},
        "service": TEXT,
        "labels": _TEXTS,
        "slos": {
            "type": "array",
            "x-expected": "a list of SLOs",
            "items": {
                "type": "object",
                "required": ["name", "objective"],
                "properties": {
                    "name": TEXT,
                    "objective": {"type": "number", "x-expected": "a number, the objective in percent (99.9)"},
                    "description": TEXT,
                    "sli": {
                        "type": "object",
                        "properties": {
                            "events": {
                                "type": "object",
                                "properties": {"error_query": {"type": "string"}, "total_query": {"type": "string"}},
                            },
                            "raw": {"type": "object"},
                            "plugin": {"type": "object"},
                        },
                    },
                    "alerting": {
                        "type": "object",
                        "properties": {
                            "name": TEXT,
                            "labels": _TEXTS,
                            "annotations": _TEXTS,
                            "page_alert": _TIER,
                            "ticket_alert": _TIER,
                        },
                    },
                },
            },
        },
    },
}


@dataclass
class Imported:
    text: str
    notes: list[ImportNote] = field(default_factory=list)  # what was not mapped, for stderr


def import_sloth(path: str) -> Imported:
    """The mongen spec text for the Sloth spec at `path`. Raises SpecError with every part that
    cannot be mapped, at its position in the Sloth file."""
    with foreign_structure(path, "a Sloth (prometheus/v1)"):
        return _import_sloth(path)


def _import_sloth(path: str) -> Imported:
    doc = load_yaml(read_source(path), path)
    data = doc.data
    issues: list[SpecIssue] = []
    if not isinstance(data, dict) or data.get("version") != SLOTH_VERSION:
        raise SpecError([doc.issue(("version",), f"not a Sloth spec: `version` must be `{SLOTH_VERSION}`")])
    shape = shape_issues(data, SLOTH_SHAPE, doc.issue)
    if shape:
        raise SpecError(shape)
    service = service_name(str(data.get("service", "service")))
    namespace = service.replace("-", "_")
    slos, series, notes = [], [], []
    severities: list[str] = []
    comments: list[str] = []
    for i, slo in enumerate(data.get("slos") or []):
        at: YamlPath = ("slos", i)
        mapped = _slo(doc, slo, at, issues)
        if mapped is None:
            continue
        slos.append(mapped)
        for query in (mapped["sli"]["events"]["error_query"], mapped["sli"]["events"]["total_query"]):
            try:
                series += [s for s in queried_series(query) if s not in series]
            except ValueError as exc:
                issues.append(doc.issue((*at, "sli", "events"), f"a query does not parse: {exc}"))
        tiers = sloth_tiers(slo.get("alerting") or {})
        if tiers and tier_settings_supported():
            mapped["alerts"] = tiers
        elif tiers:
            where = doc.locate((*at, "alerting"))
            comments.append(
                f"slo {mapped['name']} (Sloth {where}): {yaml.safe_dump(tiers, default_flow_style=True, width=10**6).strip()}"
            )
            notes.append(
                ImportNote(
                    f"the page/ticket alert settings of `{slo.get('name')}` are not mapped: "
                    "per-tier SLO alert settings are not in this spec version",
                    where,
                )
            )
        for tier, setting in tiers.items():
            severity = setting.get("severity", tier) if isinstance(setting, dict) else None
            if severity and severity not in severities and (tier_settings_supported() or severity == tier):
                severities.append(severity)
    if issues:
        raise SpecError(issues)
    spec: dict[str, Any] = {
        "version": 1,
        "service": {"name": service, "namespace": namespace},
        "metrics": [stand_in_metric(namespace)],
        "external_metrics": [{"name": name, "type": "counter"} for name in series],
        "slos": slos,
        "scrape": {"static_targets": ["localhost:8080"]},
        "routing": routes_to_fill_in(severities or ["page", "ticket"]),
    }
    header = [
        f"# Imported by `mongen import sloth` from {path}: the SLOs with their queries and objectives over",
        "# Sloth's default 30d period; the series they read as external metrics (declare their labels to",
        "# have lint check the queries). Set the scrape targets and the service's own metrics.",
    ]
    if comments:
        header.append("# Not mapped (per-tier SLO alert settings are not in this spec version):")
        header += [f"#   {c}" for c in comments]
    text = "\n".join(header) + "\n" + yaml.safe_dump(spec, sort_keys=False, width=120, allow_unicode=True)
    return Imported(text, notes)


def _slo(doc: LoadedDocument, slo: dict[str, Any], at: YamlPath, issues: list[SpecIssue]) -> dict[str, Any] | None:
    sli = slo.get("sli") or {}
    if "plugin" in sli:
        issues.append(
            doc.issue(
                (*at, "sli", "plugin"),
                "an SLI plugin is Go code that Sloth runs to write the queries; mongen runs none: "
                "write the SLI as `events` (error_query and total_query) and import again",
            )
        )
        return None
    if "raw" in sli:
        issues.append(
            doc.issue(
                (*at, "sli", "raw"),
                "a raw error-ratio query cannot be fed by mongen's promtool cases, which need the error "
                "and the total series: write the SLI as `events` (error_query and total_query)",
            )
        )
        return None
    events = sli.get("events")
    if not isinstance(events, dict) or "error_query" not in events or "total_query" not in events:
        issues.append(doc.issue((*at, "sli"), "the SLI needs `events` with `error_query` and `total_query`"))
        return None
    objective = slo["objective"]
    if outside_objective(objective, 100):
        issues.append(
            doc.issue(
                (*at, "objective"), f"`objective` is in percent, strictly between 0 and 100 (99.9), not {objective!r}"
            )
        )
        return None
    out: dict[str, Any] = {"name": slo_name(str(slo.get("name", "slo")))}
    if slo.get("description"):
        out["description"] = " ".join(str(slo["description"]).split())
    out["objective"] = objective
    out["period"] = "30d"
    # Sloth's queries are often folded over lines; a spec string is one line.
    out["sli"] = {"events": {k: " ".join(str(events[k]).split()) for k in ("error_query", "total_query")}}
    return out


def tier_settings_supported() -> bool:
    """Whether this spec version has per-tier SLO alert settings (`slos[].alerts.page`)."""
    from mongen.loading import spec_schema

    return "alerts" in spec_schema()["properties"]["slos"]["items"]["properties"]


def sloth_tiers(alerting: dict[str, Any]) -> dict[str, Any]:
    """Sloth's `alerting` as mongen's per-tier SLO alert settings: `page_alert`/`ticket_alert`
    labels (a `severity` label becomes the tier's severity, routed by it), annotations, `disable`;
    `alerting.labels` and `.annotations` apply to both tiers, as in Sloth."""
    common_labels = {str(k): str(v) for k, v in (alerting.get("labels") or {}).items()}
    common_annotations = {str(k): str(v) for k, v in (alerting.get("annotations") or {}).items()}
    out: dict[str, Any] = {}
    for tier, key in (("page", "page_alert"), ("ticket", "ticket_alert")):
        sloth = alerting.get(key) or {}
        if sloth.get("disable"):
            out[tier] = {"disable": True}
            continue
        labels = {**common_labels, **{str(k): str(v) for k, v in (sloth.get("labels") or {}).items()}}
        annotations = {**common_annotations, **{str(k): str(v) for k, v in (sloth.get("annotations") or {}).items()}}
        # mongen writes its own summary and description; Sloth's go in as other annotations.
        for own in ("summary", "description"):
            if own in annotations:
                annotations[f"sloth_{own}"] = annotations.pop(own)
        setting: dict[str, Any] = {}
        if "severity" in labels:
            setting["severity"] = _NAME.sub("-", labels.pop("severity").lower()).strip("-") or tier
        if labels:
            setting["labels"] = labels
        if annotations:
            setting["annotations"] = annotations
        if setting:
            out[tier] = setting
    return out
