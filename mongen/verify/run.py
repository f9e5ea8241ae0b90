"""`run_verify`: generate, start the artifacts as deployed on 127.0.0.1 (with the reported
substitutions only), run the healthy and fault phases, stop everything."""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable
from pathlib import Path

from mongen import layout
from mongen.generators import victoriametrics
from mongen.model import Spec
from mongen.pipeline import render
from mongen.presets import PRESETS
from mongen.rules.ruleset import rule_set
from mongen.validate import require
from mongen.verify.alert_faults import AlertFaults, alert_faults
from mongen.verify.checks import (
    check_healthy,
    check_targets,
    dashboard_panels,
    dashboard_variables,
    unserved_series,
)
from mongen.verify.configs import alertmanager_config, prometheus_config
from mongen.verify.dcgm_exporter import SimulatedDcgmExporter, dcgm_hostname, gpu_labels, healthy_share
from mongen.verify.delivery import routing_of
from mongen.verify.engines import (
    Endpoints,
    EngineName,
    check_alert_labels,
    settle_chained_rules,
    start_victoriametrics,
)
from mongen.verify.exposure import check_allowlist, plan_exposure, start_nginx
from mongen.verify.observer import Observer
from mongen.verify.phase_checks import PhaseRun, run_phase
from mongen.verify.phases import plan_phases
from mongen.verify.preset_exporter import SimulatedExporter
from mongen.verify.profile import simulation_plan
from mongen.verify.recording import Notification, PanelPlan, PhaseSpan, RunRecording, record_run
from mongen.verify.report import VerifyReport
from mongen.verify.service.process import ServiceProcess
from mongen.verify.testbed import (
    HOST,
    VerifyError,
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
    spec: Spec,
    workdir: Path | None = None,
    mutate: Mutate | None = None,
    fault_phases: bool = True,
    engine: EngineName = "prometheus",
    only: Callable[[str], bool] | None = None,
    record: bool = False,
) -> VerifyReport:
    """Generate, start everything on 127.0.0.1, drive the phases, stop everything.
    `fault_phases=False` stops after the healthy phase; `only` runs just the fault phases whose
    name it accepts (tests that need one phase), without the every-alert-fired conclusion.
    `engine`: what scrapes and evaluates the rules (verify/engines.py); the phases and
    expectations are the same. `record` reads the run over time from the live servers before
    they stop (`report.recording`, for the HTML report)."""
    if engine == "victoriametrics" and victoriametrics.ENGINE not in spec.engines:
        raise VerifyError(
            "the spec generates no VictoriaMetrics files: add `victoriametrics` to its `engines` "
            "(e.g. `engines: [prometheus, victoriametrics]`) to verify on that engine"
        )
    prometheus = require("prometheus") if engine == "prometheus" else ""
    alertmanager = require("prometheus-alertmanager")
    nginx = require("nginx") if spec.exposure.nginx else None
    report = VerifyReport()
    started = time.monotonic()
    faults = alert_faults(spec)  # every alert's fault, read once for the profile and the phases
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
        gpus = _simulated_dcgm_exporter(spec, faults, stack)
        exporters = _simulated_preset_exporters(spec, stack, gpus)
        exporter_addresses = {job: e.address for job, e in exporters.items()}
        if engine == "prometheus":
            prom_config, targets = prometheus_config(
                spec, root, exposure.scrape_address, am_port, report, exporter_addresses
            )
            report.substitute(
                "deployment", "Prometheus --rules.alert.resend-delay 1m -> 1s", "time compression: alerts reach a phase"
            )
        simulation = work / "simulation.json"
        simulation.write_text(simulation_plan(spec, faults).to_json())
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
        servers = [start_alertmanager(stack, alertmanager, alertmanager_config(root, sink.url, report), work, am_port)]
        if engine == "prometheus":
            servers.append(start_prometheus(stack, prometheus, prom_config, work, prom_port))
            prom_url = f"http://{HOST}:{prom_port}"
            endpoints = Endpoints(prom_url, prom_url, prom_url)
        else:
            endpoints, targets, started_vm = start_victoriametrics(
                stack, spec, root, exposure.scrape_address, am_port, report, exporter_addresses
            )
            servers += started_vm
        for server in servers:
            server.wait_ready()
        observer = Observer(
            endpoints.query_url,
            sink,
            report,
            _alert_names(spec),
            f"http://{HOST}:{am_port}",
            endpoints.targets_url,
            endpoints.alerts_url,
            endpoints.targets_view,
        )
        check_allowlist(spec, exposure, report)
        stack.enter_context(Traffic(service.api_url))
        first_request = time.time()
        check_targets(observer, targets)
        if engine == "victoriametrics":
            settle_chained_rules(spec, observer)
        check_healthy(spec, root, observer)
        report.phase_spans.append(PhaseSpan("healthy", first_request, time.time()))
        if fault_phases:
            plan = plan_phases(spec, faults)
            run = PhaseRun(spec, observer, routing_of(spec), firing=observer.firing_names())
            for phase in plan.phases:
                if only is None or only(phase.name):
                    begun = time.time()
                    run_phase(run, phase, service, gpus, exporters)
                    report.phase_spans.append(PhaseSpan(phase.name, begun, time.time()))
            if engine == "victoriametrics":
                check_alert_labels(observer)
            if only is None:
                report.conclude(_alert_names(spec), dict(plan.undriven), plan.unexcused)
        if record:
            report.recording = _record(spec, root, observer, sink, first_request)
    report.seconds = time.monotonic() - started
    return report


def _record(spec: Spec, root: Path, observer: Observer, sink: WebhookSink, start: float) -> RunRecording:
    """Each dashboard panel's queries, the alerts' states and the notifications over the run."""
    plans = [
        PanelPlan(
            panel.title,
            panel.kind,
            panel.unit,
            tuple((q.ref_id, q.legend, q.expr, _not_served(spec, q.expr)) for q in panel.queries),
        )
        for panel in dashboard_panels(spec, root)
    ]
    notifications = [Notification(at, alert, receiver) for at, alert, receiver in sink.firing_notifications()]
    variables = dashboard_variables(spec, root)
    return record_run(observer.query_range, plans, notifications, variables, start, time.time())


def _not_served(spec: Spec, expr: str) -> str:
    unserved = unserved_series(spec, expr)
    if not unserved:
        return ""
    return f"it reads only {', '.join(unserved)}, which no scrape job of the spec collects"


def _simulated_dcgm_exporter(
    spec: Spec, faults: AlertFaults, stack: contextlib.ExitStack
) -> SimulatedDcgmExporter | None:
    """The run's dcgm-exporter, for a spec that scrapes one (`exporter: dcgm`)."""
    if not any(e.exporter == "dcgm" for e in spec.scrape.exporters):
        return None
    gpus = SimulatedDcgmExporter(dcgm_hostname(spec), healthy_share(faults))
    stack.callback(gpus.close)
    return gpus


def _simulated_preset_exporters(
    spec: Spec, stack: contextlib.ExitStack, gpus: SimulatedDcgmExporter | None
) -> dict[str, SimulatedExporter]:
    """The run's exporter for each preset job, by job: dcgm-exporter's serves the frame buffer of
    `gpus` beside its health series, with dcgm-exporter's labels on each GPU."""
    out = {}
    for job in spec.scrape.exporters:
        preset = PRESETS.get(job.exporter or "")
        if preset is None:
            continue
        if job.exporter == "dcgm" and gpus is not None:
            exporter = SimulatedExporter(preset, gpus.text, functools.partial(_per_gpu, gpus.hostname))
        else:
            exporter = SimulatedExporter(preset)
        stack.callback(exporter.close)
        out[job.job] = exporter
    return out


def _per_gpu(hostname: str, labels: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    gpu = dict(labels).get("gpu")
    return labels if gpu is None else gpu_labels(hostname, gpu)


def _alert_names(spec: Spec) -> list[str]:
    return list(dict.fromkeys(r.name for r in rule_set(spec).all_alerts))  # one rule per SLO window pair
