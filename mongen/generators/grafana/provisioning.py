"""Grafana file provisioning: the Prometheus datasource and the provider that loads the dashboard
into the service's folder (spec `grafana`: datasource url/name/uid, folder, dashboards_path)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mongen.model import Spec
from mongen.units import format_duration

DASHBOARDS_ROOT = "/var/lib/grafana/dashboards/mongen"  # one directory per service below it


def dashboards_path(spec: Spec) -> str:
    """The directory the service's provider loads: the spec's, else its own below DASHBOARDS_ROOT
    (providers sharing a directory would each load every service's dashboard)."""
    return spec.grafana.dashboards_path or f"{DASHBOARDS_ROOT}/{spec.service}"


def folder(spec: Spec) -> str:
    return spec.grafana.folder or spec.service


def datasource_entry(spec: Spec) -> dict[str, Any]:
    settings = spec.grafana
    return {
        "name": settings.datasource_name,
        "type": "prometheus",
        "uid": settings.datasource_uid,
        "access": "proxy",
        "url": settings.datasource_url,
        # Grafana's $__rate_interval and step never go below the scrape interval.
        "jsonData": {"timeInterval": format_duration(spec.scrape.interval)},
    }


def datasources(specs: Sequence[Spec]) -> dict[str, Any]:
    """One datasource per uid the project's specs name (most name the default one), with the
    smallest scrape interval of the services reading it (its timeInterval is a floor). Specs naming
    one uid agree on its name and URL (mongen.project.checks)."""
    entries: dict[str, dict[str, Any]] = {}
    floor: dict[str, int] = {}
    for spec in specs:
        entry = datasource_entry(spec)
        uid = entry["uid"]
        entries.setdefault(uid, entry)
        floor[uid] = min(floor.get(uid, spec.scrape.interval), spec.scrape.interval)
    for uid, entry in entries.items():
        entry["jsonData"]["timeInterval"] = format_duration(floor[uid])
    return {"apiVersion": 1, "datasources": list(entries.values())}


def dashboard_provider(spec: Spec) -> dict[str, Any]:
    return {
        "apiVersion": 1,
        "providers": [
            {
                "name": f"mongen-{spec.service}",
                "type": "file",
                "folder": folder(spec),
                # Generated dashboards change through the spec only, never in the UI.
                "disableDeletion": True,
                "allowUiUpdates": False,
                "options": {"path": dashboards_path(spec), "foldersFromFilesStructure": False},
            }
        ],
    }
