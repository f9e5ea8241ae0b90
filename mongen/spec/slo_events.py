"""`sli: {events: {error_query, total_query}}`: an SLI written as raw PromQL (Sloth's `events`),
read from the spec; the queries' window placeholder and the shape mongen can feed promtool are
mongen.synth.slo_events'."""

from __future__ import annotations

from typing import Any

from mongen.errors import YamlPath
from mongen.model import Slo
from mongen.spec.issues import SpecIssues
from mongen.synth.slo_events import PLACEHOLDER_PATTERN, WINDOW_PLACEHOLDER, events_shape


def read_events_slo(
    issues: SpecIssues, body: dict[str, Any], path: YamlPath, objective: float | None, period: int | None
) -> Slo | None:
    sli = body["sli"]["events"]
    at: YamlPath = (*path, "sli", "events")
    queries: dict[str, str] = {}
    for key in ("error_query", "total_query"):
        query = sli[key]
        if not PLACEHOLDER_PATTERN.search(query):
            issues.fail(
                (*at, key),
                f"`{key}` has no `{WINDOW_PLACEHOLDER}`: every SLO window reads the query over its own range; "
                f"write its range as [{WINDOW_PLACEHOLDER}], e.g. rate(http_requests_total[{WINDOW_PLACEHOLDER}])",
            )
            continue
        queries[key] = PLACEHOLDER_PATTERN.sub(WINDOW_PLACEHOLDER, query)
    if len(queries) < 2:
        return None
    problem = events_shape(queries["error_query"], queries["total_query"])
    if isinstance(problem, str):
        issues.fail(at, problem)
        return None
    if objective is None or period is None:
        return None
    description = body.get("description", "")
    return Slo(
        body["name"],
        description,
        objective,
        period,
        "events",
        "",
        error_query=queries["error_query"],
        total_query=queries["total_query"],
    )
