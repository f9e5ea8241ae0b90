"""The simulated service as verify runs it: a child process that serves its metrics the way the
generated module does (`start_metrics_server()` on the module's METRICS_ADDR), takes faults over
its admin API, and goes down the way a replica does: the process dies.
"""

from __future__ import annotations

import contextlib
import json
import sys
import urllib.request
from pathlib import Path

from mongen.faults import TargetGone, to_json
from mongen.verify.service.faults import ServiceFault
from mongen.verify.testbed import HOST, Server, process


class ServiceProcess:
    """`python -m mongen.verify.service` with its API on HOST:api_port and its metrics on
    metrics_port; `metrics_addr` None keeps the module's METRICS_ADDR."""

    def __init__(
        self,
        stack: contextlib.ExitStack,
        module: Path,
        ports: tuple[int, int],  # (API, metrics)
        metrics_addr: str | None,
        metrics_host: str,  # where the metrics listener answers (the bind address, as a URL host)
        simulation: Path,  # the SimulationPlan as JSON
        log: Path,
    ) -> None:
        api_port, metrics_port = ports
        args = [
            sys.executable,
            "-m",
            "mongen.verify.service",
            f"--metrics-module={module}",
            f"--host={HOST}",
            f"--port={api_port}",
            f"--metrics-port={metrics_port}",
            f"--simulation={simulation}",
        ]
        if metrics_addr is not None:
            args.append(f"--metrics-addr={metrics_addr}")
        self.proc = stack.enter_context(process(args, log))
        self.server = Server(self.proc, log, f"http://{metrics_host}:{metrics_port}/metrics")
        self.api_url = f"http://{HOST}:{api_port}"

    def inject(self, fault: ServiceFault | TargetGone) -> None:
        if isinstance(fault, TargetGone):
            self.proc.kill()  # at once, open connections included
            self.proc.wait(timeout=10)
        else:
            self._faults({"faults": [to_json(fault)]})

    def heal(self) -> None:
        self._faults({"faults": []})

    def _faults(self, body: dict[str, object]) -> None:
        request = urllib.request.Request(
            f"{self.api_url}/admin/faults", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
        )
        urllib.request.urlopen(request, timeout=5).close()
