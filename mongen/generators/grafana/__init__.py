"""Grafana dashboard and its file provisioning, derived from the model.

    rows.py           one function per dashboard row: model in, panel descriptions out
    metric_panels.py  the panels a metric's type and recorded groups give
    gpu.py            the GPU row from dcgm-exporter's series (when the spec scrapes it)
    queries.py        variables, selectors, legends, units, alert thresholds
    panels.py         the descriptions (Panel, Query, Row, Variable)
    grid.py           placement on Grafana's 24-column grid
    encode.py         descriptions -> Grafana JSON (grafanalib where it fits Grafana 11)
    provisioning.py   datasource and dashboard provider

A metric role the spec lacks gives no panel; every breakdown label, enum and SLO gets its
panels without code changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mongen import layout
from mongen.generators.grafana import provisioning
from mongen.generators.grafana.encode import SCHEMA_VERSION, dashboard_json
from mongen.generators.grafana.queries import dashboard_variables
from mongen.generators.grafana.rows import dashboard_rows
from mongen.model import Spec
from mongen.serialize import sources_header, to_json, to_yaml

__all__ = ["SCHEMA_VERSION", "dashboard", "generate", "generate_shared"]


def dashboard(spec: Spec) -> dict[str, Any]:
    return dashboard_json(spec, dashboard_rows(spec), dashboard_variables(spec))


def generate(spec: Spec) -> dict[str, str]:
    return {
        layout.dashboard(spec.service): to_json(dashboard(spec)),
        layout.dashboard_provider(spec.service): to_yaml(provisioning.dashboard_provider(spec), spec.source),
    }


def generate_shared(specs: Sequence[Spec]) -> dict[str, str]:
    """The datasources every service's dashboard reads: one file for the project."""
    head = sources_header([spec.source for spec in specs])
    return {layout.GRAFANA_DATASOURCE: head + to_yaml(provisioning.datasources(specs))}
