"""The Nginx server block that exposes /metrics only to the monitoring networks."""

from __future__ import annotations

from mongen.model import Spec
from mongen.templating import render_template


def path(spec: Spec) -> str:
    return f"nginx/{spec.service}-metrics.conf"


def generate(spec: Spec) -> dict[str, str]:
    return {path(spec): render_template("nginx-metrics.conf.j2", spec=spec)}
