"""`run_verify`: generate, start the test bed on 127.0.0.1, run the healthy and fault phases,
stop everything."""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from mongen import layout
from mongen.model import Spec
from mongen.pipeline import render
from mongen.rules.ruleset import rule_set
from mongen.validate import require
from mongen.verify.checks import check_healthy, run_phase
from mongen.verify.configs import alertmanager_config, prometheus_config
from mongen.verify.observer import Observer
from mongen.verify.phases import plan_phases
from mongen.verify.report import VerifyReport
from mongen.verify.service import FaultModel, SimulatedService, serve
from mongen.verify.testbed import (
    HOST,
    WebhookSink,
    free_port,
    interruptible,
    start_alertmanager,
    start_prometheus,
)
from mongen.verify.traffic import Traffic, latency_factors
from mongen.writer import write_tree

Mutate = Callable[[Path], None]  # changes the generated tree before the run (tests sabotage it)

# The service sleeps this share of the latency it reports: with time compressed 60x a request
# would sleep 1/60 of it, and 0.002 keeps 40 requests a second cheap on two cores.
SERVICE_SLEEP_SCALE = 0.002


def run_verify(spec: Spec, workdir: Path | None = None, mutate: Mutate | None = None) -> VerifyReport:
    """Generate, start everything on 127.0.0.1, drive the phases, stop everything."""
    prometheus, alertmanager = require("prometheus"), require("prometheus-alertmanager")
    report = VerifyReport()
    started = time.monotonic()
    with interruptible(), contextlib.ExitStack() as stack:
        root = workdir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mongen-verify-")))
        write_tree(root, render(spec))
        (root / "verify").mkdir(exist_ok=True)
        if mutate:
            mutate(root)
        service_port, prom_port, am_port = free_port(), free_port(), free_port()
        sink = WebhookSink()
        stack.callback(sink.close)
        service = _start_service(spec, root, service_port)
        stack.callback(service.stop)
        servers = [
            start_alertmanager(stack, alertmanager, alertmanager_config(root, sink.url), root / "verify", am_port),
            start_prometheus(
                stack, prometheus, prometheus_config(spec, root, service_port, am_port), root / "verify", prom_port
            ),
        ]
        for server in servers:
            server.wait_ready()
        observer = Observer(f"http://{HOST}:{prom_port}", sink, report, _alert_names(spec))
        emotion = spec.label_by_name.get("emotion")
        stack.enter_context(Traffic(f"http://{HOST}:{service_port}", emotion.values if emotion else ()))
        check_healthy(spec, root, observer)
        for phase in plan_phases(spec):
            run_phase(spec, phase, service, observer)
    report.seconds = time.monotonic() - started
    return report


def _start_service(spec: Spec, root: Path, port: int) -> SimulatedService:
    healthy_latency, _ = latency_factors(spec)
    faults = FaultModel(latency_factor=healthy_latency)
    return serve(root / layout.instrumentation_module(spec.service), HOST, port, SERVICE_SLEEP_SCALE, faults)


def _alert_names(spec: Spec) -> list[str]:
    return [r.name for r in rule_set(spec).all_alerts]
