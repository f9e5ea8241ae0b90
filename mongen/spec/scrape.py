"""The `scrape` section: intervals, targets (static, Kubernetes, file_sd) and Alertmanagers."""

from __future__ import annotations

from typing import Any

from mongen.errors import YamlPath
from mongen.model import Scrape
from mongen.spec.addresses import check_file_sd, check_targets
from mongen.spec.durations import read_duration
from mongen.spec.exporters import read_exporters
from mongen.spec.issues import SpecIssues

DEFAULT_INTERVAL = "30s"
DEFAULT_TIMEOUT = "10s"
DEFAULT_ALERTMANAGERS = ("127.0.0.1:9093",)
DEFAULT_PORT_NAME = "metrics"


def read_scrape(issues: SpecIssues, raw: dict[str, Any], service: str) -> Scrape | None:
    """The scrape settings, or None when an interval is unusable (alerts are checked against them)."""
    interval, timeout, evaluation = _intervals(issues, raw)
    k8s = raw.get("kubernetes")
    if not raw.get("static_targets") and k8s is None and not raw.get("file_sd"):
        issues.fail(
            ("scrape",),
            "give at least one of static_targets, kubernetes, file_sd, or Prometheus finds nothing to scrape",
        )
    for key in ("static_targets", "alertmanagers"):
        check_targets(issues, raw.get(key, []), ("scrape", key))
    if "file_sd" in raw:
        check_file_sd(issues, raw["file_sd"], ("scrape", "file_sd"))
    if interval is None or timeout is None or evaluation is None:
        return None
    return Scrape(
        job=raw.get("job", service),
        interval=interval,
        timeout=timeout,
        evaluation_interval=evaluation,
        static_targets=tuple(raw.get("static_targets", [])),
        k8s_namespaces=tuple(k8s.get("namespaces", [])) if k8s is not None else None,
        k8s_port_name=(k8s or {}).get("port_name", DEFAULT_PORT_NAME),
        file_sd=raw.get("file_sd"),
        alertmanagers=tuple(raw.get("alertmanagers", DEFAULT_ALERTMANAGERS)),
        exporters=read_exporters(issues, raw.get("exporters", []), raw.get("job", service)),
    )


def _intervals(issues: SpecIssues, raw: dict[str, Any]) -> tuple[int | None, int | None, int | None]:
    """Scrape interval, scrape timeout, evaluation interval in seconds; None where rejected."""
    interval = _positive(issues, raw.get("interval", DEFAULT_INTERVAL), "interval")
    timeout = _positive(issues, raw.get("timeout", DEFAULT_TIMEOUT), "timeout")
    evaluation = interval
    if "evaluation_interval" in raw:
        evaluation = _positive(issues, raw["evaluation_interval"], "evaluation_interval")
    if interval is not None and timeout is not None and timeout >= interval:
        issues.fail(("scrape", "timeout"), f"scrape timeout ({timeout}s) must be below the interval ({interval}s)")
    return interval, timeout, evaluation


def _positive(issues: SpecIssues, text: str, key: str) -> int | None:
    path: YamlPath = ("scrape", key)
    seconds = read_duration(issues, text, path)
    if seconds == 0:
        issues.fail(path, f"`{key}` must be positive")
        return None
    return seconds
