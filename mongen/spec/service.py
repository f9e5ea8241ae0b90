"""The `service` section: names, the runbook base URL and the cardinality budget."""

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
