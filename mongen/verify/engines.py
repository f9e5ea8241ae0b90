"""The engine a verify run proves the monitoring on: which servers start, with what flags, and
where the observer asks (queries, targets, alerts). The phases, expectations and report are the
same for every engine.

- prometheus: Prometheus and Alertmanager (configs.py).
- victoriametrics: vmagent (the generated vmagent.yml) scrapes and remote-writes to
  victoria-metrics; vmalert evaluates the generated rule files against it and notifies the same
  Alertmanager. Each binary runs with its generated flags file, with only the substitutions a
  local, time-compressed run needs, each reported (addresses, intervals, flush intervals, the
  latency offset, the query step).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from mongen import layout
from mongen.generators.victoriametrics import STORAGE, VMAGENT, VMALERT
from mongen.model import Spec
from mongen.validate import flag_arguments, require
from mongen.verify.checks import rule_queries
from mongen.verify.configs import SCRAPE_INTERVAL, SCRAPE_TIMEOUT, compressed_rule_files
from mongen.verify.discovery import ExpectedTarget, substitute_discovery
from mongen.verify.observer import Observer
from mongen.verify.report import VerifyReport
from mongen.verify.testbed import HOST, Server, free_port, process
from mongen.verify.timescale import TIME_SCALE

EngineName = Literal["prometheus", "victoriametrics"]
VERIFY_ENGINES: tuple[EngineName, ...] = ("prometheus", "victoriametrics")

# The run's flush intervals (how late vmagent's samples and vmalert's recorded series reach
# storage) and the latency offset covering both: a compressed minute is a second.
FLUSH_INTERVAL = "1s"
LATENCY_OFFSET = "2s"
DEPLOYMENT = "deployment"


@dataclass(frozen=True)
class Endpoints:
    """Where the observer asks: PromQL/MetricsQL queries, scrape targets, alert states; and how to
    read the targets answer as Prometheus's."""

    query_url: str
    targets_url: str
    alerts_url: str
    targets_view: Callable[[dict[str, Any]], dict[str, Any]] | None = None


def vmagent_targets(data: dict[str, Any]) -> dict[str, Any]:
    """vmagent's /api/v1/targets as Prometheus's: vmagent names a target's scrape pool after its
    final `job` label (every generated job sets it to the spec's job), Prometheus after the scrape
    config's `job_name`, which vmagent keeps as the discovered `job` label."""
    active = [
        {**target, "scrapePool": target.get("discoveredLabels", {}).get("job", target.get("scrapePool"))}
        for target in data.get("activeTargets") or []
    ]
    return {**data, "activeTargets": active, "droppedTargets": data.get("droppedTargets") or []}


def _substitute_flags(
    binary: str,
    root: Path,
    replace: dict[str, list[str]],
    add: dict[str, str],
    reasons: dict[str, str],
    report: VerifyReport,
) -> list[str]:
    """The generated flags file's arguments with the flags in `replace` given the run's values
    (a repeated flag, like -rule, replaced as a whole) and `add` appended; each change reported
    with `reasons[flag]`."""
    rel = layout.engine_flags(layout.VICTORIAMETRICS_DIR, binary)
    generated = flag_arguments((root / rel).read_text())
    values: dict[str, list[str]] = {}
    for argument in generated:
        name, _, value = argument.lstrip("-").partition("=")
        values.setdefault(name, []).append(value)
    out: list[str] = []
    done: set[str] = set()
    for argument in generated:
        name = argument.lstrip("-").partition("=")[0]
        if name not in replace:
            out.append(argument)
        elif name not in done:
            done.add(name)
            out += [f"-{name}={v}" for v in replace[name]]
            report.substitute(rel, f"-{name} {', '.join(values[name])} -> {', '.join(replace[name])}", reasons[name])
    for name, value in add.items():
        out.append(f"-{name}={value}")
        report.substitute(rel, f"-{name} (not set) -> {value}", reasons[name])
    return out


def _vmagent_config(
    spec: Spec, root: Path, scrape_address: str, report: VerifyReport, exporter_addresses: dict[str, str]
) -> tuple[Path, list[ExpectedTarget]]:
    """The generated vmagent.yml with the scrape intervals compressed and the discovery pointed at
    the run's replica (discovery.py), written next to it so relative file_sd paths resolve."""
    generated = root / layout.VMAGENT_CONFIG
    config: dict[str, Any] = yaml.safe_load(generated.read_text())
    wanted = {"scrape_interval": SCRAPE_INTERVAL, "scrape_timeout": SCRAPE_TIMEOUT}
    changes = set()
    for block in [config.setdefault("global", {}), *config.get("scrape_configs", [])]:
        for key, value in wanted.items():
            if key in block:
                changes.add(f"{key} {block[key]} -> {value}")
                block[key] = value
    report.substitute(
        layout.VMAGENT_CONFIG,
        ", ".join(sorted(changes)) + " (global and every job)",
        "time compression: a scrape a second",
    )
    targets = substitute_discovery(
        spec, config, generated.parent, scrape_address, report, exporter_addresses, layout.VMAGENT_CONFIG
    )
    path = generated.with_name("vmagent.verify.yml")
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path, targets


def start_victoriametrics(
    stack: contextlib.ExitStack,
    spec: Spec,
    root: Path,
    scrape_address: str,
    alertmanager_port: int,
    report: VerifyReport,
    exporter_addresses: dict[str, str] | None = None,
) -> tuple[Endpoints, list[ExpectedTarget], list[Server]]:
    """victoria-metrics, vmagent and vmalert on 127.0.0.1 with the generated files and flags."""
    binaries = {name: require(name) for name in (STORAGE, VMAGENT, VMALERT)}
    work = root / "verify"
    storage_port, agent_port, alert_port = free_port(), free_port(), free_port()
    storage_url = f"http://{HOST}:{storage_port}"
    config, targets = _vmagent_config(spec, root, scrape_address, report, exporter_addresses or {})
    local = "the run's servers listen on free ports of 127.0.0.1"
    storage_args = _substitute_flags(
        STORAGE,
        root,
        {"httpListenAddr": [f"{HOST}:{storage_port}"], "search.latencyOffset": [LATENCY_OFFSET]},
        {"storageDataPath": str(work / "vm-data"), "search.disableCache": "true"},
        {
            "httpListenAddr": local,
            "search.latencyOffset": f"time compression: covers the run's {FLUSH_INTERVAL} flush intervals",
            "storageDataPath": "the run's own data, deleted with it",
            "search.disableCache": "every query of the run reads the newest samples, never a cached answer",
        },
        report,
    )
    rules = [str(path) for path in compressed_rule_files(spec, root, report)]
    agent_args = _substitute_flags(
        VMAGENT,
        root,
        {
            "httpListenAddr": [f"{HOST}:{agent_port}"],
            "promscrape.config": [str(config)],
            "promscrape.fileSDCheckInterval": [SCRAPE_INTERVAL],
            "remoteWrite.url": [f"{storage_url}/api/v1/write"],
        },
        {"remoteWrite.tmpDataPath": str(work / "vmagent-data"), "remoteWrite.flushInterval": FLUSH_INTERVAL},
        {
            "httpListenAddr": local,
            "promscrape.config": "the generated vmagent.yml with the run's substitutions (above)",
            "promscrape.fileSDCheckInterval": "time compression: target files are read within a scrape",
            "remoteWrite.url": local,
            "remoteWrite.tmpDataPath": "the run's own buffer, deleted with it",
            "remoteWrite.flushInterval": "its default, stated: samples reach storage within the latency offset",
        },
        report,
    )
    alert_args = _substitute_flags(
        VMALERT,
        root,
        {
            "httpListenAddr": [f"{HOST}:{alert_port}"],
            "rule": rules,
            "datasource.url": [storage_url],
            "remoteWrite.url": [storage_url],
            "remoteWrite.flushInterval": [FLUSH_INTERVAL],
            "remoteRead.url": [storage_url],
            "notifier.url": [f"http://{HOST}:{alertmanager_port}"],
            "evaluationInterval": ["1s"],
            "external.url": [f"http://{HOST}:{alert_port}"],
        },
        {"datasource.queryStep": f"{300 // TIME_SCALE}s"},
        {
            "httpListenAddr": local,
            "rule": "the generated rule files, time-compressed (above)",
            "datasource.url": local,
            "remoteWrite.url": local,
            "remoteWrite.flushInterval": f"time compression: recorded series reach storage within {LATENCY_OFFSET}",
            "remoteRead.url": local,
            "notifier.url": "the run's Alertmanager",
            "evaluationInterval": "time compression: one evaluation a second",
            "external.url": local,
            "datasource.queryStep": "time compression: a value falls back 5s (vmalert's default 5m, compressed)",
        },
        report,
    )
    servers = []
    for name, args, port, ready in (
        (STORAGE, storage_args, storage_port, "/health"),
        (VMAGENT, agent_args, agent_port, "/health"),
        (VMALERT, alert_args, alert_port, "/health"),
    ):
        log = work / f"{name}.log"
        proc = stack.enter_context(process([binaries[name], *args], log))
        servers.append(Server(proc, log, f"http://{HOST}:{port}{ready}"))
        if name == STORAGE:  # vmalert restores alert states from it as it starts
            servers[-1].wait_ready()
    report.substitute(
        DEPLOYMENT,
        "PromQL (Prometheus) -> MetricsQL (victoria-metrics), the same rule and dashboard expressions",
        "the engine under test. Where MetricsQL differs, the expectations read it so: a NaN result "
        "(0/0, a quantile of no observations) is no series at all, so `returns a finite value` fails as "
        "`no series` where Prometheus says NaN; rate and increase do not extrapolate to the window's "
        "edges, so ratios agree and absolute rates differ by a few percent, well inside every alert's threshold",
    )
    endpoints = Endpoints(storage_url, f"http://{HOST}:{agent_port}", f"http://{HOST}:{alert_port}", vmagent_targets)
    return endpoints, targets, servers


# A recorded series reaches storage at most FLUSH_INTERVAL after vmalert evaluates it and becomes
# visible LATENCY_OFFSET later; each rule reading it waits that long again, and a NaN result (0/0
# before traffic fills a window) is never stored. The deepest chain of the generated rules is an
# SLO's four levels (5m error ratio -> 30d ratio -> period burn rate -> budget remaining), so the
# healthy phase waits, at most this long, until every recorded series has a value.
SETTLE_TIMEOUT = 60.0


def settle_chained_rules(spec: Spec, observer: Observer) -> None:
    """Before the healthy phase's queries: wait until every recorded series is in storage."""
    queries = [expr for _, expr in rule_queries(spec)]
    started = time.monotonic()

    def stored() -> bool:
        return all(observer.query(expr) for expr in queries)

    settled = observer.wait_for(stored, SETTLE_TIMEOUT)
    waited = time.monotonic() - started
    observer.report.substitute(
        DEPLOYMENT,
        f"healthy phase: queries start once every recorded series is stored ({waited:.0f}s"
        + ("" if settled else f", gave up after {SETTLE_TIMEOUT:.0f}s")
        + ")",
        f"vmalert's recorded series reach victoria-metrics after its {FLUSH_INTERVAL} flush and the "
        f"{LATENCY_OFFSET} latency offset, once per level of a chain of rules (Prometheus sees its own "
        "results at the next evaluation); MetricsQL stores no NaN, so a ratio appears once traffic fills its window",
    )


def check_alert_labels(observer: Observer) -> None:
    """Alerts from vmalert carry the labels they carry on Prometheus: no `alertgroup` (the generated
    -disableAlertgroupLabel), so routes, inhibit rules and silences match them the same."""
    with observer.sink.lock:
        received = list(observer.sink.received)
    extra = sorted({alert["labels"]["alertname"] for _, alert in received if "alertgroup" in alert.get("labels", {})})
    observer.report.expect(
        "all phases",
        "alerts sent by vmalert",
        f"carry no `alertgroup` label ({len(received)} delivered)",
        bool(received) and not extra,
        ", ".join(extra) or ("" if received else "none delivered"),
    )
