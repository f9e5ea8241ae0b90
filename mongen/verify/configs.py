"""The Prometheus and Alertmanager configs of a verify run, derived from the generated ones.

Both start from the generated files in the run's output tree and are written next to them
under `verify/`; what is changed here, and only that, differs from what would be deployed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from mongen import layout
from mongen.model import Spec
from mongen.verify.testbed import HOST
from mongen.verify.timescale import compress_rules

# The generated job's discovery and relabeling, replaced by one static target on 127.0.0.1.
_DISCOVERY_KEYS = ("static_configs", "kubernetes_sd_configs", "file_sd_configs", "relabel_configs")


def compressed_rule_files(spec: Spec, root: Path) -> list[Path]:
    """Every generated rule file, time-compressed, written under verify/."""
    paths = []
    for rel in layout.rule_files(spec.service).values():
        doc = compress_rules(yaml.safe_load((root / rel).read_text()))
        target = root / "verify" / Path(rel).name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(yaml.safe_dump(doc, sort_keys=False))
        paths.append(target)
    return paths


def prometheus_config(spec: Spec, root: Path, service_port: int, alertmanager_port: int) -> Path:
    """The generated prometheus.yml scraping the simulated service every second, with the
    compressed rules and the local Alertmanager."""
    rules = [str(path) for path in compressed_rule_files(spec, root)]
    config = yaml.safe_load((root / layout.PROMETHEUS_CONFIG).read_text())
    config["global"].update({"scrape_interval": "1s", "scrape_timeout": "900ms", "evaluation_interval": "1s"})
    job = config["scrape_configs"][0]
    for key in _DISCOVERY_KEYS:
        job.pop(key, None)
    job.update(
        {
            "scrape_interval": "1s",
            "scrape_timeout": "900ms",
            "static_configs": [{"targets": [f"{HOST}:{service_port}"], "labels": {"service": spec.service}}],
        }
    )
    config["rule_files"] = rules
    config["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": [f"{HOST}:{alertmanager_port}"]}]}]}
    path = root / "verify/prometheus.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _shorten_timers(route: dict[str, Any]) -> None:
    # Grouping waits of seconds, so a compressed phase sees its notification; a repeat
    # interval longer than the run, so each alert is delivered once per phase.
    for key in ("group_wait", "group_interval", "repeat_interval"):
        if key in route:
            route[key] = "1s" if key != "repeat_interval" else "1m"
    for child in route.get("routes", []):
        _shorten_timers(child)


def alertmanager_config(root: Path, receiver_url: Callable[[str], str]) -> Path:
    """The generated alertmanager.yml with shortened timers and every receiver replaced by a
    webhook to `receiver_url(name)` (the local sink)."""
    config = yaml.safe_load((root / layout.ALERTMANAGER_CONFIG).read_text())
    config.pop("global", None)
    _shorten_timers(config["route"])
    config["receivers"] = [
        {
            "name": r["name"],
            "webhook_configs": [{"url": receiver_url(r["name"]), "send_resolved": False}],
        }
        for r in config["receivers"]
    ]
    path = root / "verify/alertmanager.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path
