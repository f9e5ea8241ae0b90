"""What the importers (Sloth, OpenSLO) write alike: names a spec accepts, the series a query
reads (declared as external metrics), a stand-in metric, routes to fill in."""

from __future__ import annotations

import re
from typing import Any

import promql_parser

from mongen.synth.slo_events import with_window

_NAME = re.compile(r"[^a-z0-9]+")


def service_name(raw: str) -> str:
    name = _NAME.sub("-", raw.lower()).strip("-") or "service"
    return name if name[0].isalpha() else f"s-{name}"[:63]


def slo_name(raw: str) -> str:
    name = _NAME.sub("_", raw.lower()).strip("_") or "slo"
    return name if name[0].isalpha() else f"slo_{name}"


def queried_series(query: str) -> list[str]:
    names: list[str] = []

    def visit(node: Any) -> None:
        if isinstance(node, promql_parser.VectorSelector) and node.name and node.name not in names:
            names.append(node.name)

    promql_parser.walk(promql_parser.parse(with_window(query, "5m")), post_visit=visit)
    return names


def stand_in_metric(namespace: str) -> dict[str, Any]:
    """A spec has at least one metric of the service; this one stands in until it declares them."""
    return {
        "name": f"{namespace}_up",
        "type": "gauge",
        "help": "1 while the service runs; declare the service's own metrics here.",
    }


def routes_to_fill_in(severities: list[str]) -> dict[str, Any]:
    """A route per severity the SLOs page and ticket with, each to a receiver to fill in."""
    return {
        "routes": {severity: [f"{severity}-receiver"] for severity in severities},
        "receivers": [
            {"name": f"{severity}-receiver", "type": "webhook", "url": f"http://127.0.0.1:9095/fill-in/{severity}"}
            for severity in severities
        ],
    }
