"""What verify sees of the running monitoring: Prometheus's query and alerts API, and what
the webhook sink received. Every check's outcome goes into the report."""

from __future__ import annotations

import contextlib
import time
import urllib.error
import urllib.parse
from collections.abc import Callable
from typing import Any

from mongen.verify.report import VerifyReport
from mongen.verify.testbed import WebhookSink, get_json

PHASE_TIMEOUT = 40.0  # seconds for a compressed alert (window + `for`) to fire or resolve


class Observer:
    def __init__(
        self,
        prom_url: str,
        sink: WebhookSink,
        report: VerifyReport,
        alert_names: list[str],
        am_url: str = "",
        targets_url: str = "",
        alerts_url: str = "",
        targets_view: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> None:
        """`prom_url` answers queries; `targets_url` and `alerts_url` (default: `prom_url`) list the
        scrape targets and the alert states, where the engine splits them (vmagent, vmalert);
        `targets_view` reads another engine's targets answer as Prometheus's."""
        self.prom_url, self.sink, self.report, self.alert_names = prom_url, sink, report, alert_names
        self.am_url = am_url
        self.targets_url, self.alerts_url = targets_url or prom_url, alerts_url or prom_url
        self.targets_view = targets_view

    def query(self, expr: str) -> list[Any]:
        url = f"{self.prom_url}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        result: list[Any] = get_json(url)["data"]["result"]
        return result

    def query_range(self, expr: str, start: float, end: float, step: float) -> list[Any]:
        """`expr` over [start, end] (Unix seconds) every `step` seconds: Prometheus's matrix."""
        query = {"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}"}
        url = f"{self.prom_url}/api/v1/query_range?" + urllib.parse.urlencode(query)
        result: list[Any] = get_json(url)["data"]["result"]
        return result

    def targets(self) -> dict[str, Any]:
        """Prometheus's active and dropped targets (`activeTargets`, `droppedTargets`)."""
        result: dict[str, Any] = get_json(f"{self.targets_url}/api/v1/targets")["data"]
        return self.targets_view(result) if self.targets_view else result

    def alerts(self) -> list[dict[str, Any]]:
        # vmalert answers `"alerts": null` when none is active.
        result: list[dict[str, Any]] = get_json(f"{self.alerts_url}/api/v1/alerts")["data"]["alerts"] or []
        return result

    def record_states(self, phase: str) -> None:
        """Each alert's state now (firing wins over pending) as the report's column `phase`."""
        states: dict[str, str] = {}
        for alert in self.alerts():
            name = alert["labels"]["alertname"]
            if states.get(name) != "firing":
                states[name] = alert["state"]
        for name in self.alert_names:
            self.report.alert_states.setdefault(name, {})[phase] = states.get(name, "inactive")

    def wait_for(self, predicate: Callable[[], bool], timeout: float = PHASE_TIMEOUT) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(urllib.error.URLError, OSError, KeyError):
                if predicate():
                    return True
            time.sleep(0.5)
        return False

    def firing(self, name: str, labels: dict[str, str] | None = None) -> bool:
        return any(
            a["labels"]["alertname"] == name
            and a["state"] == "firing"
            and all(a["labels"].get(k) == v for k, v in (labels or {}).items())
            for a in self.alerts()
        )

    def active_elsewhere(self, name: str, labels: dict[str, str]) -> list[str]:
        """Label sets `name` is pending or firing with that differ from `labels` (a per-label alert
        must stay per label)."""
        return [
            f"{a['state']} { ({k: a['labels'].get(k) for k in labels}) }"
            for a in self.alerts()
            if a["labels"]["alertname"] == name
            and a["state"] in ("pending", "firing")
            and any(a["labels"].get(k) != v for k, v in labels.items())
        ]

    def firing_names(self) -> set[str]:
        """The alerts firing now, by name, as the rule engine's alerts API reports them."""
        return {a["labels"]["alertname"] for a in self.alerts() if a["state"] == "firing"}

    def alertmanager_alerts(self) -> list[dict[str, Any]]:
        """Alertmanager's active alerts: labels, `receivers` and `status.inhibitedBy`."""
        if not self.am_url:
            return []
        result: list[dict[str, Any]] = get_json(f"{self.am_url}/api/v2/alerts")
        return result

    def quiet(self, name: str) -> bool:
        return not self.firing(name)

    def delivered(self, name: str, labels: dict[str, str], receivers: list[str]) -> bool:
        return set(receivers) <= set(self.sink.got(name, labels))

    def inhibited(self, name: str) -> bool:
        """Whether Alertmanager holds `name` back by an inhibit rule (its `inhibitedBy`)."""
        if not self.am_url:
            return False
        query = urllib.parse.urlencode({"filter": f'alertname="{name}"'})
        alerts: list[dict[str, Any]] = get_json(f"{self.am_url}/api/v2/alerts?{query}")
        return any(a["status"]["inhibitedBy"] for a in alerts)
