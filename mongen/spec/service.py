"""The `service` section (names, the runbook base URL, the cardinality budget) and the `grafana`
section (where the dashboard is served, for the alerts' `dashboard_url`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mongen.spec.issues import SpecIssues
from mongen.spec.urls import url_secret_problem

DEFAULT_MAX_SERIES = 10000


@dataclass(frozen=True)
class Service:
    name: str
    namespace: str
    runbook_base: str | None
    max_series: int


def read_service(issues: SpecIssues, raw: dict[str, Any]) -> Service:
    runbook_base = raw.get("runbook_base")
    if runbook_base is not None:
        secret = url_secret_problem(runbook_base)
        if secret:
            issues.fail(
                ("service", "runbook_base"),
                f"the runbook URL carries {secret}; every alert repeats it in its annotations: "
                "give the public base URL of the runbooks",
            )
    return Service(
        name=raw["name"],
        namespace=raw["namespace"],
        runbook_base=(runbook_base or "").rstrip("/") or None,
        max_series=raw.get("max_series_per_instance", DEFAULT_MAX_SERIES),
    )


def read_grafana_url(issues: SpecIssues, raw: dict[str, Any]) -> str | None:
    """The Grafana base URL without a trailing slash, or None."""
    url = raw.get("url")
    if url is None:
        return None
    secret = url_secret_problem(url)
    if secret:
        issues.fail(
            ("grafana", "url"),
            f"the Grafana URL carries {secret}; every alert repeats it in its `dashboard_url`: give the base URL "
            "people open in a browser, and let Grafana's own login protect it",
        )
        return None
    return str(url).rstrip("/")
