"""`mongen verify`: the generated monitoring, run end to end on real servers on 127.0.0.1.

The fake service (instrumented only through the generated module), a real Prometheus with
the generated config and rules, a real Alertmanager with the generated routes and a local
webhook in place of the receivers. Time is compressed 60x (minutes become seconds) by
rewriting every range and `for` in the rules through the PromQL AST, so a 5m window is 5s
and the whole run takes about a minute and a half.
"""

from __future__ import annotations

import contextlib
import functools
import json
import random
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import promql_parser
import yaml

from mongen import layout
from mongen.fake_service import ENDPOINTS, FaultModel, serve, stop
from mongen.model import Spec
from mongen.pipeline import render
from mongen.rules.ruleset import rule_set
from mongen.units import format_duration
from mongen.validate import require
from mongen.writer import write_tree

TIME_SCALE = 60  # one real second stands for one minute of the generated rules
PHASE_TIMEOUT = 40.0
HOST = "127.0.0.1"


@dataclass
class Expectation:
    phase: str
    subject: str  # rule, query or alert
    check: str
    ok: bool
    detail: str = ""


@dataclass
class VerifyReport:
    expectations: list[Expectation] = field(default_factory=list)
    alert_states: dict[str, dict[str, str]] = field(default_factory=dict)  # alert -> phase -> state
    series_counts: dict[str, int] = field(default_factory=dict)  # rule or query -> series in healthy phase
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return bool(self.expectations) and all(e.ok for e in self.expectations)

    def to_json(self) -> str:
        return json.dumps(
            {
                "passed": self.passed,
                "seconds": round(self.seconds, 1),
                "expectations": [asdict(e) for e in self.expectations],
                "alert_states": self.alert_states,
                "series_counts": self.series_counts,
            },
            indent=2,
            sort_keys=True,
        )

    def to_text(self) -> str:
        lines = ["series returned in the healthy phase:"]
        width = max((len(k) for k in self.series_counts), default=10)
        lines += [f"  {name:<{width}}  {count}" for name, count in self.series_counts.items()]
        phases = list(dict.fromkeys(p for states in self.alert_states.values() for p in states))
        lines.append("alert state per phase:")
        aw = max((len(a) for a in self.alert_states), default=10)
        pw = {p: max(12, len(p)) for p in phases}
        lines.append(f"  {'alert':<{aw}}  " + "  ".join(f"{p:<{pw[p]}}" for p in phases))
        for alert, states in self.alert_states.items():
            lines.append(f"  {alert:<{aw}}  " + "  ".join(f"{states.get(p, '-'):<{pw[p]}}" for p in phases))
        lines.append("expectations:")
        for e in self.expectations:
            lines.append(
                f"  {'PASS' if e.ok else 'FAIL'}  [{e.phase}] {e.subject}: {e.check}"
                + (f" ({e.detail})" if e.detail else "")
            )
        failed = sum(not e.ok for e in self.expectations)
        lines.append(f"{len(self.expectations) - failed} passed, {failed} failed in {self.seconds:.0f}s")
        return "\n".join(line.rstrip() for line in lines)


# --- time compression through the AST -------------------------------------------------


def compress_expr(expr: str) -> str:
    """Every range selector's window divided by TIME_SCALE (5m -> 5s), via promql-parser's AST."""

    def post(node: Any) -> Any:
        if isinstance(node, promql_parser.MatrixSelector):
            seconds = max(1, round(node.range.total_seconds() / TIME_SCALE))
            return promql_parser.parse(f"{node.vector_selector}[{format_duration(seconds)}]")
        return None

    return str(promql_parser.transform(promql_parser.parse(expr), post_visit=post))


def _compress_duration(text: str) -> str:
    seconds = promql_parser.parse_duration(text)
    total = seconds.total_seconds() if isinstance(seconds, timedelta) else float(seconds)
    return format_duration(max(1, round(total / TIME_SCALE)))


def compress_rules(doc: dict[str, Any]) -> dict[str, Any]:
    for group in doc["groups"]:
        group["interval"] = "1s"
        for rule in group["rules"]:
            rule["expr"] = compress_expr(rule["expr"])
            if "for" in rule:
                rule["for"] = _compress_duration(rule["for"])
    return doc


# --- processes --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def process(args: list[str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with open(log, "wb") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise VerifyError(f"{log.stem} exited with {proc.returncode}:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise VerifyError(f"{url} did not become ready in {timeout:.0f}s:\n{log.read_text()[-2000:]}")


class VerifyError(RuntimeError):
    """A server of the test bed did not start; carries the tail of its log."""


class WebhookSink:
    """Stands in for every receiver: records which receiver got which alerts."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                receiver = self.path.strip("/")
                with sink.lock:
                    for alert in body.get("alerts", []):
                        sink.received.append((receiver, alert))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer((HOST, 0), Handler)
        self.port = int(self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def got(self, alertname: str, labels: dict[str, str]) -> list[str]:
        with self.lock:
            return sorted(
                {
                    r
                    for r, a in self.received
                    if a.get("status") == "firing"
                    and a["labels"].get("alertname") == alertname
                    and all(a["labels"].get(k) == v for k, v in labels.items())
                }
            )

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def text_length(rng: random.Random) -> int:
    """The mix of text lengths verify sends: mostly short, 5% long enough to be slow."""
    return rng.choice((12, 40, 80, 110, 140)) if rng.random() < 0.95 else 200


def latency_factors(spec: Spec) -> tuple[float, float]:
    """Multipliers on the fake service's latency for the healthy and the slow phase, fitted to the
    spec: healthy traffic stays under every latency SLO threshold and below the latency alert's
    threshold, and the slow phase puts the alert's quantile at twice its threshold (at least 3x
    healthy). Worked out from a seeded sample of the service's own latency model, so the same
    spec always gets the same factors."""
    rng, faults = random.Random(5), FaultModel(seed=5)
    samples = sorted(faults.latency(text_length(rng)) for _ in range(20_000))
    healthy = 1.0
    for slo in spec.slos:
        if slo.kind == "latency" and slo.threshold:
            healthy = min(healthy, 0.8 * slo.threshold / samples[-1])
    alert = next((a for a in spec.alerts if a.kind == "latency_quantile"), None)
    if alert is None or not alert.threshold or alert.quantile is None:
        return healthy, 3 * healthy
    quantile = samples[min(len(samples) - 1, int(alert.quantile * len(samples)))]
    healthy = min(healthy, 0.8 * alert.threshold / quantile)
    return healthy, max(3 * healthy, 2 * alert.threshold / quantile)


class Traffic:
    """Bounded background load across emotions, endpoints and text lengths."""

    def __init__(self, base_url: str, emotions: tuple[str, ...], rate_per_second: float = 40.0) -> None:
        self.base_url = base_url
        self.emotions = emotions or ("neutral",)
        self.interval = 1.0 / rate_per_second
        self.stop_event = threading.Event()
        self.random = random.Random(11)
        self.sent = 0
        self.pool = ThreadPoolExecutor(max_workers=8)
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _one(self, endpoint: str, body: bytes) -> None:
        request = urllib.request.Request(
            self.base_url + endpoint, data=body, headers={"Content-Type": "application/json"}
        )
        with contextlib.suppress(urllib.error.URLError, OSError):
            urllib.request.urlopen(request, timeout=5).close()

    def _run(self) -> None:
        deadline = time.monotonic() + 600  # hard bound, whatever happens to the caller
        while not self.stop_event.is_set() and time.monotonic() < deadline:
            length = text_length(self.random)
            emotion = self.random.choice(self.emotions)
            endpoint = ENDPOINTS[0] if self.random.random() < 0.8 else ENDPOINTS[1]
            body = json.dumps({"text": "x" * length, "emotion": emotion}).encode()
            self.pool.submit(self._one, endpoint, body)
            self.sent += 1
            time.sleep(self.interval)

    def __enter__(self) -> Traffic:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_event.set()
        self.thread.join(timeout=5)
        self.pool.shutdown(wait=True, cancel_futures=True)


# --- the scenario -----------------------------------------------------------------------

Mutate = Callable[[Path], None]


def _prometheus_config(spec: Spec, root: Path, service_port: int, am_port: int) -> Path:
    rules = []
    for rel in layout.rule_files(spec.service).values():
        doc = compress_rules(yaml.safe_load((root / rel).read_text()))
        target = root / "verify" / Path(rel).name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(yaml.safe_dump(doc, sort_keys=False))
        rules.append(str(target))
    config = yaml.safe_load((root / layout.PROMETHEUS_CONFIG).read_text())
    config["global"].update({"scrape_interval": "1s", "scrape_timeout": "900ms", "evaluation_interval": "1s"})
    job = config["scrape_configs"][0]
    for key in ("static_configs", "kubernetes_sd_configs", "file_sd_configs", "relabel_configs"):
        job.pop(key, None)
    job.update(
        {
            "scrape_interval": "1s",
            "scrape_timeout": "900ms",
            "static_configs": [{"targets": [f"{HOST}:{service_port}"], "labels": {"service": spec.service}}],
        }
    )
    config["rule_files"] = rules
    config["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": [f"{HOST}:{am_port}"]}]}]}
    path = root / "verify/prometheus.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _alertmanager_config(root: Path, sink_port: int) -> Path:
    config = yaml.safe_load((root / layout.ALERTMANAGER_CONFIG).read_text())
    config.pop("global", None)

    def shorten(route: dict[str, Any]) -> None:
        for key in ("group_wait", "group_interval", "repeat_interval"):
            if key in route:
                route[key] = "1s" if key != "repeat_interval" else "1m"
        for child in route.get("routes", []):
            shorten(child)

    shorten(config["route"])
    config["receivers"] = [
        {
            "name": r["name"],
            "webhook_configs": [{"url": f"http://{HOST}:{sink_port}/{r['name']}", "send_resolved": False}],
        }
        for r in config["receivers"]
    ]
    path = root / "verify/alertmanager.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _dashboard_queries(spec: Spec, root: Path) -> list[tuple[str, str]]:
    board = json.loads((root / layout.dashboard(spec.service)).read_text())
    out = []
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            # Grafana interpolates template variables as text before the query is sent.
            expr = target["expr"].replace("$job", spec.scrape.job)
            for var in ("instance", "endpoint", "emotion"):
                expr = expr.replace(f"${var}", ".*")
            out.append((f"panel {panel['title']!r} {target['refId']}", compress_expr(expr)))
    return out


class Scenario:
    def __init__(self, spec: Spec, prom_url: str, sink: WebhookSink, report: VerifyReport) -> None:
        self.spec, self.prom_url, self.sink, self.report = spec, prom_url, sink, report

    def query(self, expr: str) -> list[Any]:
        url = f"{self.prom_url}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        result: list[Any] = _get_json(url)["data"]["result"]
        return result

    def alerts(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = _get_json(f"{self.prom_url}/api/v1/alerts")["data"]["alerts"]
        return result

    def record_states(self, phase: str) -> None:
        states: dict[str, str] = {}
        for alert in self.alerts():
            name = alert["labels"]["alertname"]
            if states.get(name) != "firing":
                states[name] = alert["state"]
        for name in self.alert_names():
            self.report.alert_states.setdefault(name, {})[phase] = states.get(name, "inactive")

    def alert_names(self) -> list[str]:
        return [r.name for r in rule_set(self.spec).all_alerts]

    def expect(self, phase: str, subject: str, check: str, ok: bool, detail: str = "") -> None:
        self.report.expectations.append(Expectation(phase, subject, check, ok, detail))

    def wait_for(self, predicate: Callable[[], bool], timeout: float = PHASE_TIMEOUT) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(urllib.error.URLError, OSError, KeyError):
                if predicate():
                    return True
            time.sleep(0.5)
        return False

    def firing(self, name: str, labels: dict[str, str] | None = None) -> bool:
        return any(
            a["labels"]["alertname"] == name
            and a["state"] == "firing"
            and all(a["labels"].get(k) == v for k, v in (labels or {}).items())
            for a in self.alerts()
        )

    def active_elsewhere(self, name: str, labels: dict[str, str]) -> list[str]:
        """Label sets `name` is pending or firing with that differ from `labels` (a per-label alert
        must stay per label)."""
        return [
            f"{a['state']} { ({k: a['labels'].get(k) for k in labels}) }"
            for a in self.alerts()
            if a["labels"]["alertname"] == name
            and a["state"] in ("pending", "firing")
            and any(a["labels"].get(k) != v for k, v in labels.items())
        ]

    def quiet(self, name: str) -> bool:
        return not self.firing(name)

    def delivered(self, name: str, labels: dict[str, str], receivers: list[str]) -> bool:
        return set(receivers) <= set(self.sink.got(name, labels))

    def routed_receivers(self, severity: str) -> list[str]:
        return sorted(dict(self.spec.routing.routes).get(severity, ()))


@contextlib.contextmanager
def _interruptible() -> Iterator[None]:
    """SIGINT and SIGTERM unwind the run (and so stop every server), even where the shell
    started us with SIGINT ignored (background jobs, CI runners)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_verify(spec: Spec, workdir: Path | None = None, mutate: Mutate | None = None) -> VerifyReport:
    """Generate, start everything on 127.0.0.1, drive the phases, stop everything."""
    prometheus, alertmanager = require("prometheus"), require("prometheus-alertmanager")
    report = VerifyReport()
    started = time.monotonic()
    with _interruptible(), contextlib.ExitStack() as stack:
        root = workdir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mongen-verify-")))
        write_tree(root, render(spec))
        (root / "verify").mkdir(exist_ok=True)
        if mutate:
            mutate(root)
        service_port, prom_port, am_port = free_port(), free_port(), free_port()
        sink = WebhookSink()
        stack.callback(sink.close)
        server = serve(root / layout.instrumentation_module(spec.service), HOST, service_port, time_scale=0.002)
        stack.callback(stop, server)
        healthy, slow = latency_factors(spec)
        _post_faults(service_port, {"latency_factor": healthy})
        am_config = _alertmanager_config(root, sink.port)
        am_log = root / "verify/alertmanager.log"
        am = stack.enter_context(
            process(
                [
                    alertmanager,
                    f"--config.file={am_config}",
                    f"--storage.path={root / 'verify/am-data'}",
                    f"--web.listen-address={HOST}:{am_port}",
                    "--cluster.listen-address=",
                ],
                am_log,
            )
        )
        prom_config = _prometheus_config(spec, root, service_port, am_port)
        prom_log = root / "verify/prometheus.log"
        prom = stack.enter_context(
            process(
                [
                    prometheus,
                    f"--config.file={prom_config}",
                    f"--storage.tsdb.path={root / 'verify/tsdb'}",
                    f"--web.listen-address={HOST}:{prom_port}",
                    "--rules.alert.resend-delay=1s",
                ],
                prom_log,
            )
        )
        wait_ready(f"http://{HOST}:{am_port}/-/ready", am, am_log)
        wait_ready(f"http://{HOST}:{prom_port}/-/ready", prom, prom_log)
        scenario = Scenario(spec, f"http://{HOST}:{prom_port}", sink, report)
        emotion = spec.label_by_name.get("emotion")
        stack.enter_context(Traffic(f"http://{HOST}:{service_port}", emotion.values if emotion else ()))
        _phases(spec, root, scenario, service_port, functools.partial(stop, server), (healthy, slow))
    report.seconds = time.monotonic() - started
    return report


def _error_phase(spec: Spec) -> tuple[str, dict[str, Any], str, dict[str, str]] | None:
    """Server errors on one value of each label the first error-ratio alert groups by (the first
    its `where` accepts, else the middle declared value: EmotiVoice's `angry`): the alert must
    fire with that value and no other. The fake service sends every declared value."""
    alert = next((a for a in spec.alerts if a.kind == "error_ratio"), None)
    if alert is None or alert.threshold is None:
        return None
    target = spec.values_matching(alert.where)
    for label in alert.by:
        if label not in target and label in spec.label_by_name:
            values = spec.label_by_name[label].values
            target[label] = values[len(values) // 2]
    rate = 0.5 if alert.threshold < 0.35 else 1.0  # well above the alert's error ratio either way
    key = ",".join(f"{k}={v}" for k, v in sorted(target.items()))
    name = "-".join("".join(c for c in v if c.isalnum()) or k for k, v in target.items() if k in alert.by) or "all"
    return (
        f"{name}-errors",
        {"error_rates": {key: rate}},
        alert.name,
        {k: v for k, v in target.items() if k in alert.by},
    )


def _post_faults(service_port: int, faults: dict[str, Any]) -> None:
    request = urllib.request.Request(
        f"http://{HOST}:{service_port}/admin/faults",
        data=json.dumps(faults).encode(),
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=5).close()


def _phases(
    spec: Spec,
    root: Path,
    s: Scenario,
    service_port: int,
    stop_service: Callable[[], None],
    latency: tuple[float, float],
) -> None:
    healthy_latency, slow_latency = latency
    threshold_alerts = {a.name: a for a in spec.alerts}

    # Healthy: every recording rule and dashboard query has data, nothing fires.
    s.wait_for(lambda: bool(s.query("up")) and s.query("up")[0]["value"][1] == "1", 20)
    time.sleep(8)  # let the compressed 5m windows fill
    queries = [
        (
            f"rule {r.record}" + (f"{{slo={r.labels[1][1]}}}" if r.labels else ""),
            r.record + ("{" + ",".join(f'{k}="{v}"' for k, v in r.labels) + "}" if r.labels else ""),
        )
        for g in rule_set(spec).recording_groups
        for r in g.rules
    ]
    queries += _dashboard_queries(spec, root)
    for subject, expr in queries:
        got = s.query(expr)
        s.report.series_counts[subject] = len(got)
        s.expect("healthy", subject, "returns data", bool(got), "" if got else f"no series for {expr}")
    s.record_states("healthy")
    firing = sorted({a["labels"]["alertname"] for a in s.alerts() if a["state"] == "firing"})
    s.expect("healthy", "all alerts", "none firing", not firing, ", ".join(firing))

    phases: list[tuple[str, dict[str, Any], str, dict[str, str]]] = []
    error_phase = _error_phase(spec)
    if error_phase:
        phases.append(error_phase)
    latency_alert = next((a for a in spec.alerts if a.kind == "latency_quantile"), None)
    if latency_alert:
        phases.append(("slow", {"latency_factor": slow_latency}, latency_alert.name, {}))
    down_alert = next((a for a in spec.alerts if a.kind == "target_down"), None)
    if down_alert:
        phases.append(("target-down", {}, down_alert.name, {}))
    # Alerts that must stay quiet in a phase they have nothing to do with.
    guarded = {
        name
        for name, a in threshold_alerts.items()
        if a.kind in ("error_ratio", "latency_quantile", "target_down", "gauge_threshold")
    }

    for phase, faults, expected, labels in phases:
        if phase == "target-down":
            stop_service()
        else:
            _post_faults(service_port, faults)
        fired = s.wait_for(functools.partial(s.firing, expected, labels))
        s.expect(phase, expected, f"fires{' with ' + str(labels) if labels else ''}", fired)
        severity = threshold_alerts[expected].severity
        want = s.routed_receivers(severity)
        reached = s.wait_for(functools.partial(s.delivered, expected, labels, want), 20)
        s.expect(
            phase,
            expected,
            f"reaches {', '.join(want)} via the {severity} route",
            reached,
            ", ".join(s.sink.got(expected, labels)),
        )
        if labels:  # checked once delivery is done, so a leak to other values has had time to show
            others = s.active_elsewhere(expected, labels)
            s.expect(phase, expected, f"fires for {labels} only", not others, "; ".join(others))
        s.record_states(phase)
        for name in sorted(guarded - {expected}):
            s.expect(phase, name, "stays quiet", not s.firing(name))
        if phase != "target-down":
            _post_faults(service_port, {"error_rates": {}, "latency_factor": healthy_latency})
            s.wait_for(functools.partial(s.quiet, expected), PHASE_TIMEOUT)
