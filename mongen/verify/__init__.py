"""`mongen verify`: the generated monitoring, run as deployed on real servers on 127.0.0.1.

The simulated service (its own process, instrumented only through the generated module, which
also binds its metrics listener), a real nginx running the generated snippet when the spec puts
nginx in front, a real Prometheus loading the generated config (targets reach it through the
generated discovery and relabeling) and rules, and a real Alertmanager with the generated route
tree and inhibit rules. Only what cannot exist on 127.0.0.1 is substituted (hosts, ports,
receiver endpoints, Kubernetes), plus time compression: every range and `for` in the rules is
divided by 60 through the PromQL AST. Each substitution is listed in the report.

    run.py        run_verify: generate, start, check, stop
    testbed.py    ports, processes, readiness, webhook sink, signals
    exposure.py   the metrics listener, the run's nginx, the allowlist checks from 127.0.0.2
    discovery.py  static, file_sd and Kubernetes targets pointed at the run's replica
    configs.py    the Prometheus and Alertmanager configs of the run
    timescale.py  time compression through the PromQL AST
    alert_faults.py  every alert's fault (mongen.faults), read once per run
    profile.py    the simulated service's plan, built from the spec and those faults (healthy levels)
    traffic.py    load generation
    dcgm_exporter.py  the simulated dcgm-exporter (2 GPUs) that `exporter: dcgm` jobs scrape
    phases.py     typed phases and plan_phases(spec, faults): a phase per fault, or why an alert has none
    checks.py     the healthy checks and the runner of any Phase
    observer.py   Prometheus's API and the webhook sink, as the checks read them
    report.py     substitutions, expectations and the text/JSON report
    recording.py  the run over time (`--html`): phase spans, ALERTS, notifications, panel queries
    html.py       `--html FILE`: the recording as one self-contained page (matplotlib, optional extra)
    service/      the simulated service (simulation.py feeds every declared metric through the
                  generated module's metric objects), typed against the module's API; process.py
                  runs it as verify's child process
"""

from mongen.verify.report import Expectation, VerifyReport
from mongen.verify.run import run_verify
from mongen.verify.testbed import VerifyError

__all__ = ["Expectation", "VerifyError", "VerifyReport", "run_verify"]
