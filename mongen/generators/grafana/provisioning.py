"""Grafana file provisioning: the Prometheus datasource and the provider that loads the dashboard."""

from __future__ import annotations

from typing import Any

from mongen.model import Spec
from mongen.units import format_duration

DATASOURCE_UID = "mongen-prometheus"  # the dashboard's `datasource` variable defaults to it
DASHBOARDS_PATH = "/var/lib/grafana/dashboards/mongen"  # deploy the dashboard JSON here
PROMETHEUS_URL = "http://127.0.0.1:9090"


def datasource(spec: Spec) -> dict[str, Any]:
    return {
        "apiVersion": 1,
        "datasources": [
            {
                "name": "Prometheus",
                "type": "prometheus",
                "uid": DATASOURCE_UID,
                "access": "proxy",
                "url": PROMETHEUS_URL,
                # Grafana's $__rate_interval and step never go below the scrape interval.
                "jsonData": {"timeInterval": format_duration(spec.scrape.interval)},
            }
        ],
    }


def dashboard_provider(spec: Spec) -> dict[str, Any]:
    return {
        "apiVersion": 1,
        "providers": [
            {
                "name": f"mongen-{spec.service}",
                "type": "file",
                # Generated dashboards change through the spec only, never in the UI.
                "disableDeletion": True,
                "allowUiUpdates": False,
                "options": {"path": DASHBOARDS_PATH, "foldersFromFilesStructure": False},
            }
        ],
    }
