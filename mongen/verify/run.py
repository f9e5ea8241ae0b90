"""`run_verify`: generate, start the artifacts as deployed on 127.0.0.1 (with the reported
substitutions only), run the healthy and fault phases, stop everything."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path

from mongen import layout
from mongen.model import Spec
from mongen.pipeline import render
from mongen.rules.ruleset import rule_set
from mongen.validate import require
from mongen.verify.checks import check_healthy, check_targets, run_phase
from mongen.verify.configs import alertmanager_config, prometheus_config
from mongen.verify.dcgm_exporter import SimulatedDcgmExporter, dcgm_hostname, healthy_share
from mongen.verify.exposure import check_allowlist, plan_exposure, start_nginx
from mongen.verify.observer import Observer
from mongen.verify.phases import plan_phases
from mongen.verify.profile import simulation_plan
from mongen.verify.report import VerifyReport
from mongen.verify.service.process import ServiceProcess
from mongen.verify.testbed import (
    HOST,
    WebhookSink,
    free_port,
    interruptible,
    scratch_directory,
    start_alertmanager,
    start_prometheus,
)
from mongen.verify.traffic import Traffic
from mongen.writer import write_tree

Mutate = Callable[[Path], None]  # changes the generated tree before the run (tests sabotage it)


def run_verify(
    spec: Spec, workdir: Path | None = None, mutate: Mutate | None = None, fault_phases: bool = True
) -> VerifyReport:
    """Generate, start everything on 127.0.0.1, drive the phases, stop everything.
    `fault_phases=False` stops after the healthy phase (tests that only need it)."""
    prometheus, alertmanager = require("prometheus"), require("prometheus-alertmanager")
    nginx = require("nginx") if spec.exposure.nginx else None
    report = VerifyReport()
    started = time.monotonic()
    with interruptible(), contextlib.ExitStack() as stack:
        root = workdir or stack.enter_context(scratch_directory("mongen-verify-"))
        write_tree(root, render(spec))
        work = root / "verify"
        work.mkdir(exist_ok=True)
        if mutate:
            mutate(root)
        api_port, metrics_port, nginx_port, prom_port, am_port = (free_port() for _ in range(5))
        exposure = plan_exposure(spec, root, metrics_port, nginx_port, report)
        sink = WebhookSink()
        stack.callback(sink.close)
        gpus = _simulated_dcgm_exporter(spec, stack)
        prom_config, targets = prometheus_config(
            spec, root, exposure.scrape_address, am_port, report, gpus.address if gpus else None
        )
        report.substitute(
            "deployment", "Prometheus --rules.alert.resend-delay 1m -> 1s", "time compression: alerts reach a phase"
        )
        simulation = work / "simulation.json"
        simulation.write_text(simulation_plan(spec).to_json())
        service = ServiceProcess(
            stack,
            root / layout.instrumentation_module(spec.service),
            (api_port, metrics_port),
            exposure.metrics_addr,
            exposure.metrics_host,
            simulation,
            work / "service.log",
        )
        service.server.wait_ready()
        if nginx is not None:
            start_nginx(stack, nginx, exposure, work).wait_ready()
        servers = [
            start_alertmanager(stack, alertmanager, alertmanager_config(root, sink.url, report), work, am_port),
            start_prometheus(stack, prometheus, prom_config, work, prom_port),
        ]
        for server in servers:
            server.wait_ready()
        observer = Observer(f"http://{HOST}:{prom_port}", sink, report, _alert_names(spec), f"http://{HOST}:{am_port}")
        check_allowlist(spec, exposure, report)
        stack.enter_context(Traffic(service.api_url))
        check_targets(observer, targets)
        check_healthy(spec, root, observer)
        if fault_phases:
            plan = plan_phases(spec)
            for phase in plan.phases:
                run_phase(spec, phase, service, observer, gpus)
            report.conclude([a.name for a in spec.alerts], dict(plan.undriven))
    report.seconds = time.monotonic() - started
    return report


def _simulated_dcgm_exporter(spec: Spec, stack: contextlib.ExitStack) -> SimulatedDcgmExporter | None:
    """The run's dcgm-exporter, for a spec that scrapes one (`exporter: dcgm`)."""
    if not any(e.exporter == "dcgm" for e in spec.scrape.exporters):
        return None
    gpus = SimulatedDcgmExporter(dcgm_hostname(spec), healthy_share(spec))
    stack.callback(gpus.close)
    return gpus


def _alert_names(spec: Spec) -> list[str]:
    return [r.name for r in rule_set(spec).all_alerts]
