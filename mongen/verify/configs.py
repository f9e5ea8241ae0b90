"""The Prometheus and Alertmanager configs of a verify run: the generated ones, with only the
substitutions the run needs, each reported.

- Time compression (what bounds the run): intervals of seconds, every rule range and `for`
  divided by 60, Alertmanager's grouping waits shortened.
- Addresses: the Alertmanager Prometheus sends to, the targets (mongen.verify.discovery), and
  every receiver's endpoint, replaced by the local webhook sink.

The route tree, grouping, inhibit rules, relabeling and rules' logic are the generated ones.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from mongen import layout
from mongen.model import Spec
from mongen.verify.discovery import ExpectedTarget, substitute_discovery
from mongen.verify.report import VerifyReport
from mongen.verify.testbed import HOST
from mongen.verify.timescale import TIME_SCALE, compress_rules

# Prometheus of the run: one scrape and one rule evaluation a second (a minute of the rules).
SCRAPE_INTERVAL, SCRAPE_TIMEOUT, EVALUATION_INTERVAL = "1s", "900ms", "1s"
# Alertmanager of the run: grouping waits of a second, so a compressed phase sees its
# notification; a repeat interval of 20 s, so an alert notified before and then inhibited (an SLO's
# ticket while its page fired) is notified again within a phase once its inhibitor resolves.
_AM_TIMERS = {"group_wait": "1s", "group_interval": "1s", "repeat_interval": "20s"}


def compressed_rule_files(spec: Spec, root: Path, report: VerifyReport) -> list[Path]:
    """Every generated rule file, time-compressed, written under verify/."""
    paths = []
    for rel in layout.rule_files(spec.service).values():
        doc = compress_rules(yaml.safe_load((root / rel).read_text()))
        target = root / "verify" / Path(rel).name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(yaml.safe_dump(doc, sort_keys=False))
        paths.append(target)
    report.substitute(
        f"{layout.RULES_DIR}/*.yml",
        f"every range and `for` divided by {TIME_SCALE} (5m -> 5s), group interval 1s",
        "time compression: an hour of alerting in a minute",
    )
    return paths


def prometheus_config(
    spec: Spec,
    root: Path,
    scrape_address: str,
    alertmanager_port: int,
    report: VerifyReport,
    exporter_addresses: dict[str, str] | None = None,
) -> tuple[Path, list[ExpectedTarget]]:
    """The generated prometheus.yml as the run loads it, written next to the generated one (so
    file_sd paths resolve as deployed), and the targets it must scrape (`exporter_addresses`: the
    simulated exporter of each preset job, by job)."""
    generated = root / layout.PROMETHEUS_CONFIG
    config = yaml.safe_load(generated.read_text())
    _compress_intervals(config, report)
    config["rule_files"] = [str(path) for path in compressed_rule_files(spec, root, report)]
    original = [t for am in config["alerting"]["alertmanagers"] for sc in am["static_configs"] for t in sc["targets"]]
    local = f"{HOST}:{alertmanager_port}"
    config["alerting"]["alertmanagers"] = [{"static_configs": [{"targets": [local]}]}]
    report.substitute(
        layout.PROMETHEUS_CONFIG, f"alertmanagers {', '.join(original)} -> {local}", "the run's Alertmanager"
    )
    targets = substitute_discovery(spec, config, generated.parent, scrape_address, report, exporter_addresses or {})
    path = generated.with_name("prometheus.verify.yml")
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path, targets


def _compress_intervals(config: dict[str, Any], report: VerifyReport) -> None:
    wanted = {
        "scrape_interval": SCRAPE_INTERVAL,
        "scrape_timeout": SCRAPE_TIMEOUT,
        "evaluation_interval": EVALUATION_INTERVAL,
    }
    changes = {f"{key} {config['global'].get(key, 'default')} -> {value}" for key, value in wanted.items()}
    config["global"].update(wanted)
    for job in config.get("scrape_configs", []):
        for key in ("scrape_interval", "scrape_timeout"):
            if key in job:
                changes.add(f"{key} {job[key]} -> {wanted[key]}")
                job[key] = wanted[key]
    report.substitute(
        layout.PROMETHEUS_CONFIG,
        ", ".join(sorted(changes)) + " (global and every job)",
        "time compression: one scrape and one evaluation a second",
    )


def _shorten_timers(route: dict[str, Any], changes: set[str]) -> None:
    for key, value in _AM_TIMERS.items():
        if key in route:
            changes.add(f"{key} {route[key]} -> {value}")
            route[key] = value
    for child in route.get("routes", []):
        _shorten_timers(child, changes)


def alertmanager_config(root: Path, receiver_url: Callable[[str], str], report: VerifyReport) -> Path:
    """The generated alertmanager.yml with shortened timers and every receiver's endpoints
    replaced by one webhook to `receiver_url(name)` (the local sink); a receiver with none keeps
    none."""
    rel = layout.ALERTMANAGER_CONFIG
    config = yaml.safe_load((root / rel).read_text())
    changes: set[str] = set()
    _shorten_timers(config["route"], changes)
    report.substitute(rel, ", ".join(sorted(changes)), "time compression: grouping waits fit a compressed phase")
    # A receiver without integrations (the null receiver) sends nothing in production, so it
    # stays a black hole here: an alert routed to it is delivered to no one, and verify says so.
    live = [r["name"] for r in config["receivers"] if len(r) > 1]
    report.substitute(
        rel,
        f"the endpoints of every receiver ({', '.join(live)}) -> a webhook to the run's sink (send_resolved off)",
        "the real receivers are not here; the sink records which receiver got which alert",
    )
    config["receivers"] = [
        {"name": r["name"], "webhook_configs": [{"url": receiver_url(r["name"]), "send_resolved": False}]}
        if r["name"] in live
        else r
        for r in config["receivers"]
    ]
    path = root / "verify/alertmanager.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path
