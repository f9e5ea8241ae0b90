"""The `service` section (names, the runbook base URL, the cardinality budget) and the `grafana`
section (where the dashboard is served, for the alerts' `dashboard_url`; the datasource, folder and
provisioning path of its file provisioning)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mongen.model import Grafana
from mongen.spec.issues import SpecIssues
from mongen.spec.urls import url_secret_problem

DEFAULT_MAX_SERIES = 10000


@dataclass(frozen=True)
class Service:
    name: str
    namespace: str
    runbook_base: str | None
    max_series: int
    runbooks_url: str | None = None


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
    runbooks_url = raw.get("runbooks_url")
    if runbooks_url is not None and (secret := url_secret_problem(runbooks_url)):
        issues.fail(
            ("service", "runbooks_url"),
            f"the runbooks URL carries {secret}; every alert repeats it in its annotations: give the URL people "
            "open in a browser, and let the repository's own login protect it",
        )
    return Service(
        runbooks_url=(runbooks_url or "").rstrip("/") or None,
        name=raw["name"],
        namespace=raw["namespace"],
        runbook_base=(runbook_base or "").rstrip("/") or None,
        max_series=raw.get("max_series_per_instance", DEFAULT_MAX_SERIES),
    )


def read_grafana(issues: SpecIssues, raw: dict[str, Any]) -> Grafana:
    """The datasource Grafana reads and where its provisioning puts the dashboard."""
    source = raw.get("datasource", {})
    url = source.get("url")
    if url is not None and (secret := url_secret_problem(url)):
        issues.fail(
            ("grafana", "datasource", "url"),
            f"the datasource URL carries {secret}; the provisioning file is deployed as plain text: give the "
            "URL without it, and add basicAuth or secureJsonData to the datasource where Prometheus needs a login",
        )
    default = Grafana()
    return Grafana(
        datasource_url=str(url).rstrip("/") if url else default.datasource_url,
        datasource_name=source.get("name", default.datasource_name),
        datasource_uid=source.get("uid", default.datasource_uid),
        folder=raw.get("folder"),
        dashboards_path=str(raw["dashboards_path"]).rstrip("/") or "/" if "dashboards_path" in raw else None,
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
