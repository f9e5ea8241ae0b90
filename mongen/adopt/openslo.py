"""OpenSLO v1 in and out: `mongen import openslo FILE... -o SPEC` and `mongen export openslo SPEC`.

Import maps an `SLO` (inline `indicator` or `indicatorRef` to an `SLI`) whose indicator is a
`ratioMetric` on Prometheus counters (`bad` and `total`) over a rolling `timeWindow` with the
`Occurrences` budgeting method and one objective onto a mongen events SLI (mongen.spec.slo_events):
each counter query is read as `sum(rate(<query>[{{.window}}]))`. What has no mongen equivalent is
refused with the document's position and why: calendar windows, timeslice budgeting, several
objectives, `good`-only ratios, threshold metrics, a field of another type than OpenSLO gives it
(OPENSLO_SHAPES: `target: [1]`). `AlertPolicy` documents are listed, not mapped:
mongen's burn-rate tiers are the SRE workbook's.

Export writes each SLO of a spec as an `SLO` with an inline ratio indicator, in the form import
reads back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import promql_parser
import yaml

from mongen.adopt.imported_spec import (
    TEXT,
    ImportNote,
    foreign_structure,
    outside_objective,
    queried_series,
    read_source,
    service_name,
    shape_issues,
    slo_name,
)
from mongen.errors import Location, SpecError, SpecIssue, YamlPath
from mongen.model import Slo, Spec
from mongen.promql import le_value, quote, selector
from mongen.synth.slo_events import WINDOW_PLACEHOLDER
from mongen.units import format_duration

API_VERSION = "openslo/v1"
_SKIPPED_KINDS = ("Service", "DataSource", "AlertNotificationTarget", "AlertCondition")
# The fields of OpenSLO v1 documents the importer reads, with the types OpenSLO gives them.
_METADATA: dict[str, Any] = {"type": "object", "properties": {"name": TEXT, "displayName": TEXT}}
_QUERY_SOURCE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "metricSource": {
            "type": "object",
            "properties": {"type": TEXT, "spec": {"type": "object", "properties": {"query": {"type": "string"}}}},
        }
    },
}
_RATIO_SPEC: dict[str, Any] = {
    "type": "object",
    "properties": {
        "ratioMetric": {
            "type": "object",
            "properties": {
                "counter": {"type": "boolean"},
                "good": _QUERY_SOURCE,
                "bad": _QUERY_SOURCE,
                "total": _QUERY_SOURCE,
            },
        }
    },
}
_DOCUMENT: dict[str, Any] = {
    "type": "object",
    "properties": {"apiVersion": {"type": "string"}, "kind": TEXT, "metadata": _METADATA},
}
OPENSLO_SHAPES: dict[str, dict[str, Any]] = {
    "SLI": {**_DOCUMENT, "properties": {**_DOCUMENT["properties"], "spec": _RATIO_SPEC}},
    "SLO": {
        **_DOCUMENT,
        "properties": {
            **_DOCUMENT["properties"],
            "spec": {
                "type": "object",
                "properties": {
                    "service": TEXT,
                    "description": TEXT,
                    "indicatorRef": TEXT,
                    "indicator": {"type": "object", "properties": {"metadata": _METADATA, "spec": _RATIO_SPEC}},
                    "timeWindow": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "duration": {"type": "string", "x-expected": "a duration such as 28d"},
                                "isRolling": {"type": "boolean"},
                                "calendar": {"type": "object"},
                            },
                        },
                    },
                    "budgetingMethod": TEXT,
                    "objectives": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "displayName": TEXT,
                                "target": {
                                    "type": "number",
                                    "x-expected": "a number, the objective as a fraction (0.999)",
                                },
                            },
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
    notes: list[ImportNote] = field(default_factory=list)


@dataclass
class _Document:
    file: str
    node: yaml.Node
    data: Any

    def locate(self, path: YamlPath) -> Location:
        node = self.node
        for key in path:
            child = None
            if isinstance(node, yaml.MappingNode):
                child = next((v for k, v in node.value if k.value == key), None)
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
                child = node.value[key]
            if child is None:
                break
            node = child
        return Location(self.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def issue(self, path: YamlPath, message: str) -> SpecIssue:
        return SpecIssue(self.locate(path), path, message)


def _documents(paths: list[str]) -> list[_Document]:
    out = []
    for path in paths:
        text = read_source(path)
        try:
            nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
            datas = list(yaml.safe_load_all(text))
        except yaml.YAMLError as exc:
            raise SpecError([SpecIssue(Location(path, 1, 1), (), f"invalid YAML: {exc}")]) from None
        out += [_Document(path, n, d) for n, d in zip(nodes, datas, strict=True) if n is not None]
    return out


def import_openslo(paths: list[str]) -> Imported:
    with foreign_structure(paths[0] if paths else "-", "an OpenSLO v1"):
        return _import_openslo(paths)


def _import_openslo(paths: list[str]) -> Imported:
    documents = _documents(paths)
    issues: list[SpecIssue] = []
    notes: list[ImportNote] = []
    shapes = [
        issue
        for d in documents
        if isinstance(d.data, dict) and d.data.get("apiVersion") == API_VERSION
        for issue in shape_issues(d.data, OPENSLO_SHAPES.get(str(d.data.get("kind")), _DOCUMENT), d.issue)
    ]
    if shapes:
        raise SpecError(shapes)
    slis = {
        str(d.data.get("metadata", {}).get("name")): d
        for d in documents
        if isinstance(d.data, dict) and d.data.get("kind") == "SLI"
    }
    slos, series, services = [], [], []
    for doc in documents:
        data = doc.data
        if not isinstance(data, dict) or data.get("apiVersion") != API_VERSION:
            issues.append(
                doc.issue(("apiVersion",), f"not an OpenSLO v1 document: `apiVersion` must be `{API_VERSION}`")
            )
            continue
        kind = data.get("kind")
        if kind == "AlertPolicy":
            notes.append(
                ImportNote(
                    f"AlertPolicy `{data.get('metadata', {}).get('name')}` not mapped: mongen's burn-rate tiers "
                    "are the SRE workbook's (page 1h/5m and 6h/30m, ticket 1d/2h and 3d/6h)",
                    doc.locate(()),
                )
            )
            continue
        if kind != "SLO":
            if kind not in ("SLI", *_SKIPPED_KINDS):
                issues.append(doc.issue(("kind",), f"kind `{kind}` has no mongen equivalent (composite SLOs included)"))
            continue
        slo = _slo(doc, slis, issues)
        if slo is None:
            continue
        services.append(str(data.get("spec", {}).get("service", "service")))
        slos.append(slo)
        for key in ("error_query", "total_query"):
            series += [s for s in queried_series(slo["sli"]["events"][key]) if s not in series]
    if issues:
        raise SpecError(issues)
    if not slos:
        raise SpecError([SpecIssue(Location(paths[0], 1, 1), (), "no SLO document to import")])
    service = service_name(services[0])
    if len(set(services)) > 1:
        notes.append(
            ImportNote(
                f"SLOs of several services ({', '.join(sorted(set(services)))}) imported into one spec, `{service}`"
            )
        )
    namespace = service.replace("-", "_")
    spec: dict[str, Any] = {
        "version": 1,
        "service": {"name": service, "namespace": namespace},
        "metrics": [
            {
                "name": f"{namespace}_up",
                "type": "gauge",
                "help": "1 while the service runs; declare the service's own metrics here.",
            }
        ],
        "external_metrics": [{"name": name, "type": "counter"} for name in series],
        "slos": slos,
        "scrape": {"static_targets": ["localhost:8080"]},
    }
    header = (
        f"# Imported by `mongen import openslo` from {', '.join(paths)}: ratio SLOs as events SLIs over the\n"
        "# counters' rates; the series they read as external metrics. Set the scrape targets and the\n"
        "# service's own metrics.\n"
    )
    return Imported(header + yaml.safe_dump(spec, sort_keys=False, width=120, allow_unicode=True), notes)


def _slo(doc: _Document, slis: dict[str, _Document], issues: list[SpecIssue]) -> dict[str, Any] | None:
    body = doc.data.get("spec") or {}
    at: YamlPath = ("spec",)
    count = len(issues)
    windows = body.get("timeWindow") or [{"duration": "30d", "isRolling": True}]
    window = windows[0] if isinstance(windows, list) and windows else {}
    if "calendar" in window or window.get("isRolling") is False:
        issues.append(
            doc.issue(
                (*at, "timeWindow", 0),
                "a calendar window resets its budget on a date; mongen's SLOs are rolling: use `isRolling: true`",
            )
        )
    period = window.get("duration", "30d")
    if body.get("budgetingMethod", "Occurrences") != "Occurrences":
        issues.append(
            doc.issue(
                (*at, "budgetingMethod"),
                f"budgeting method `{body['budgetingMethod']}` counts good time slices; mongen's SLIs count "
                "events (`Occurrences`)",
            )
        )
    objectives = body.get("objectives") or []
    if len(objectives) != 1 or "target" not in objectives[0]:
        issues.append(doc.issue((*at, "objectives"), "give exactly one objective with a `target` (0.999 is 99.9%)"))
    elif outside_objective(target := objectives[0]["target"], 1):
        percent = " (a percentage? OpenSLO's target is a fraction)" if 1 < target < 100 else ""
        issues.append(
            doc.issue(
                (*at, "objectives", 0, "target"),
                f"`target` is the objective as a fraction strictly between 0 and 1 (0.999 is 99.9%), not "
                f"{target!r}{percent}",
            )
        )
    indicator, where, indicator_doc = body.get("indicator"), (*at, "indicator"), doc
    if indicator is None and "indicatorRef" in body:
        ref = slis.get(str(body["indicatorRef"]))
        if ref is None:
            issues.append(doc.issue((*at, "indicatorRef"), f"no SLI document named `{body['indicatorRef']}`"))
        else:
            indicator_doc, indicator, where = ref, ref.data, ()
    queries = _ratio(indicator_doc, indicator, where, issues) if indicator is not None else None
    if indicator is None and "indicatorRef" not in body:
        issues.append(doc.issue(at, "the SLO needs an `indicator` or an `indicatorRef`"))
    if len(issues) > count or queries is None:
        return None
    out: dict[str, Any] = {"name": slo_name(str(doc.data.get("metadata", {}).get("name", "slo")))}
    if body.get("description"):
        out["description"] = " ".join(str(body["description"]).split())
    out["objective"] = round(float(objectives[0]["target"]) * 100, 10)
    out["period"] = str(period)
    out["sli"] = {"events": queries}
    return out


def _ratio(doc: _Document, indicator: Any, at: YamlPath, issues: list[SpecIssue]) -> dict[str, str] | None:
    ratio = (indicator.get("spec") or {}).get("ratioMetric") if isinstance(indicator, dict) else None
    if ratio is None:
        issues.append(doc.issue((*at, "spec"), "only `ratioMetric` indicators map onto mongen's SLIs"))
        return None
    if "bad" not in ratio:
        issues.append(
            doc.issue(
                (*at, "spec", "ratioMetric"),
                "mongen's events SLI counts errors: give the ratio's `bad` query (and `total`), not only `good`",
            )
        )
        return None
    queries = {}
    for key, role in (("bad", "error_query"), ("total", "total_query")):
        source = ((ratio.get(key) or {}).get("metricSource") or {}).get("spec") or {}
        query = source.get("query")
        path: YamlPath = (*at, "spec", "ratioMetric", key)
        if not isinstance(query, str):
            issues.append(doc.issue(path, f"the ratio's `{key}` needs a Prometheus `metricSource.spec.query`"))
            continue
        query = " ".join(query.split())
        if WINDOW_PLACEHOLDER in query:
            queries[role] = query
            continue
        try:
            parsed = promql_parser.parse(query)
        except ValueError as exc:
            issues.append(doc.issue(path, f"the query does not parse: {exc}"))
            continue
        if not isinstance(parsed, promql_parser.VectorSelector):
            issues.append(
                doc.issue(
                    path,
                    f"a counter query is a selector (mongen takes its rate per window), or holds `{WINDOW_PLACEHOLDER}`",
                )
            )
            continue
        queries[role] = f"sum(rate({query}[{WINDOW_PLACEHOLDER}]))"
    return queries if len(queries) == 2 else None


# --- export -----------------------------------------------------------------------------------


def _queries(spec: Spec, slo: Slo) -> dict[str, str]:
    """`bad` and `total` counter queries (selectors) or `good`, as OpenSLO's ratioMetric names them."""
    if slo.kind == "events":
        assert slo.error_query is not None and slo.total_query is not None
        return {"bad": slo.error_query, "total": slo.total_query}
    metric = spec.metric_by_name[slo.metric]
    if slo.kind == "ratio":
        return {
            "bad": selector(metric.exposed_name, slo.errors + slo.total),
            "total": selector(metric.exposed_name, slo.total),
        }
    le = f"le={quote(le_value(slo.threshold or 0))}"
    return {
        "good": selector(metric.name + "_bucket", slo.total, (le,)),
        "total": selector(metric.name + "_count", slo.total),
    }


def export_openslo(spec: Spec) -> str:
    docs = []
    for slo in spec.slos:
        ratio: dict[str, Any] = {"counter": True}
        for key, query in _queries(spec, slo).items():
            ratio[key] = {"metricSource": {"type": "Prometheus", "spec": {"query": query}}}
        body: dict[str, Any] = {"service": spec.service}
        if slo.description:
            body["description"] = slo.description
        body.update(
            {
                "indicator": {"metadata": {"name": f"{slo.name}-sli"}, "spec": {"ratioMetric": ratio}},
                "timeWindow": [{"duration": format_duration(slo.period), "isRolling": True}],
                "budgetingMethod": "Occurrences",
                "objectives": [{"displayName": slo.name, "target": round(slo.objective / 100, 12)}],
            }
        )
        docs.append({"apiVersion": API_VERSION, "kind": "SLO", "metadata": {"name": slo.name}, "spec": body})
    return yaml.safe_dump_all(docs, sort_keys=False, width=120, allow_unicode=True)
