"""`mongen verify`: the generated monitoring, run end to end on real servers on 127.0.0.1.

The simulated service (instrumented only through the generated module), a real Prometheus
with the generated config and rules, a real Alertmanager with the generated routes and a
local webhook in place of the receivers. Time is compressed 60x (minutes become seconds) by
rewriting every range and `for` in the rules through the PromQL AST, so a 5m window is 5s
and the whole run takes about a minute and a half.

    run.py        run_verify: generate, start, check, stop
    testbed.py    ports, processes, readiness, webhook sink, signals
    configs.py    the Prometheus and Alertmanager configs of the run
    timescale.py  time compression through the PromQL AST
    traffic.py    load generation and the latency fitted to the spec
    phases.py     typed phases and plan_phases(spec)
    checks.py     the healthy checks and the runner of any Phase
    observer.py   Prometheus's API and the webhook sink, as the checks read them
    report.py     expectations and the text/JSON report
    service/      the simulated service, typed against the generated module's API
"""

from mongen.verify.report import Expectation, VerifyReport
from mongen.verify.run import run_verify
from mongen.verify.testbed import VerifyError

__all__ = ["Expectation", "VerifyError", "VerifyReport", "run_verify"]
