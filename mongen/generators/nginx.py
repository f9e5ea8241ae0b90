"""The Nginx server block that exposes /metrics only to the monitoring networks (when the spec puts
nginx in front of /metrics: `exposure.nginx`)."""

from __future__ import annotations

from mongen import layout
from mongen.model import Spec
from mongen.templating import render_template


def generate(spec: Spec) -> dict[str, str]:
    if spec.exposure.nginx is None:
        return {}
    return {
        layout.nginx_snippet(spec.service): render_template(
            "nginx-metrics.conf.j2", spec=spec, exposure=spec.exposure, nginx=spec.exposure.nginx
        )
    }
