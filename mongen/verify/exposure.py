"""/metrics as deployed: the metrics listener bound as the generated module binds it and, when the
spec puts nginx in front, a real nginx running the generated snippet, through which every scrape
goes. Then the allowlist is checked from outside: a client at a foreign address gets 403 from
nginx, and the raw metrics port does not answer on a foreign address at all.

127.0.0.2 stands in for "anyone else": on Linux the whole of 127.0.0.0/8 is loopback, so a
client can send from it and a listener bound to 127.0.0.1 only is not reachable on it.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import re
import socket
from dataclasses import dataclass
from pathlib import Path

from mongen import layout
from mongen.model import Spec
from mongen.validate import nginx_conf
from mongen.verify.report import VerifyReport
from mongen.verify.testbed import HOST, Server, VerifyError, process

# The lines of the generated snippet verify changes; each must occur exactly once.
_LISTEN = re.compile(r"^(\s*listen\s+)([^;]+);", re.MULTILINE)
_UPSTREAM_SERVER = re.compile(r"^(\s*server\s+)(\S+):([0-9]+);", re.MULTILINE)
_DENY_ALL = re.compile(r"^(\s*)deny all;", re.MULTILINE)


@dataclass(frozen=True)
class MetricsExposure:
    """Where the run's metrics are served and scraped."""

    metrics_port: int
    metrics_addr: str | None  # None: the module's METRICS_ADDR, as generated
    metrics_host: str  # the metrics listener as a URL host
    scrape_address: str  # host:port every scrape goes to (the nginx listener when nginx is in front)
    nginx_snippet: Path | None  # the snippet the run's nginx includes
    nginx_port: int | None


def plan_exposure(spec: Spec, root: Path, metrics_port: int, nginx_port: int, report: VerifyReport) -> MetricsExposure:
    """Decide (and report) what the run substitutes in the exposure: the ports, a non-loopback
    bind address, and the nginx snippet's listener and allowlist."""
    exposure, module = spec.exposure, layout.instrumentation_module(spec.service)
    report.substitute(
        module,
        f"METRICS_PORT {exposure.port} -> {metrics_port}",
        "every server of the run takes a free port on this machine",
    )
    bind = ipaddress.ip_address(exposure.bind_address)
    metrics_addr = None if bind.is_loopback else HOST
    if metrics_addr is not None:
        report.substitute(
            module,
            f"METRICS_ADDR {exposure.bind_address} -> {metrics_addr}",
            "verify binds nothing beyond loopback; without nginx the bind address is the service's only guard",
        )
    host = str(bind) if bind.is_loopback else HOST
    metrics_host = f"[{host}]" if ":" in host else host
    if exposure.nginx is None:
        return MetricsExposure(metrics_port, metrics_addr, metrics_host, f"{metrics_host}:{metrics_port}", None, None)
    snippet = _substituted_snippet(root, spec, metrics_port, nginx_port, report)
    return MetricsExposure(metrics_port, metrics_addr, metrics_host, f"{HOST}:{nginx_port}", snippet, nginx_port)


def _substituted_snippet(root: Path, spec: Spec, metrics_port: int, nginx_port: int, report: VerifyReport) -> Path:
    rel = layout.nginx_snippet(spec.service)
    text = (root / rel).read_text()

    def once(pattern: re.Pattern[str], replace: str, what: str) -> tuple[str, re.Match[str]]:
        found = list(pattern.finditer(text))
        if len(found) != 1:
            raise VerifyError(f"{rel}: expected one {what}, found {len(found)}; verify cannot run this snippet")
        start, end = found[0].span()
        return text[:start] + found[0].expand(replace) + text[end:], found[0]

    text, listen = once(_LISTEN, rf"\g<1>{HOST}:{nginx_port};", "`listen` line")
    report.substitute(
        rel, f"listen {listen[2]} -> {HOST}:{nginx_port}", "every server of the run binds 127.0.0.1 on a free port"
    )
    text, upstream = once(_UPSTREAM_SERVER, rf"\g<1>\g<2>:{metrics_port};", "upstream `server` line")
    report.substitute(
        rel, f"upstream {upstream[2]}:{upstream[3]} -> {upstream[2]}:{metrics_port}", "the metrics port of the run"
    )
    text, _ = once(_DENY_ALL, rf"\g<1>allow {HOST}/32;\n\g<1>deny all;", "`deny all;` line")
    report.substitute(rel, f"allow {HOST}/32 added", "this run's Prometheus scrapes from 127.0.0.1")
    path = root / "verify/nginx" / Path(rel).name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def start_nginx(stack: contextlib.ExitStack, binary: str, exposure: MetricsExposure, workdir: Path) -> Server:
    """A real nginx with the run's snippet; ready once /metrics answers through it (start it after
    the service)."""
    assert exposure.nginx_snippet is not None, "only with nginx in front"
    prefix = workdir / "nginx"
    conf = prefix / "nginx.conf"
    conf.write_text(nginx_conf(prefix, exposure.nginx_snippet))
    log = workdir / "nginx.log"
    proc = stack.enter_context(process([binary, "-e", "stderr", "-p", str(prefix), "-c", str(conf)], log))
    return Server(proc, log, f"http://{exposure.scrape_address}/metrics")


def foreign_address(spec: Spec) -> str:
    """A loopback address that neither the allowlist nor the bind address covers: 127.0.0.2
    unless the spec allows it."""
    nginx = spec.exposure.nginx
    allowed = [ipaddress.ip_network(cidr) for cidr in (nginx.allowed_cidrs if nginx else ())]
    for candidate in ipaddress.ip_network("127.0.0.0/24").hosts():
        if str(candidate) in (HOST, spec.exposure.bind_address):
            continue
        if not any(candidate in network for network in allowed):
            return str(candidate)
    raise VerifyError("the allowlist covers 127.0.0.0/24, so no loopback address can stand in for a foreign client")


def check_allowlist(spec: Spec, exposure: MetricsExposure, report: VerifyReport) -> None:
    """With nginx in front: a foreign client gets 403 from the listener, and the raw metrics port
    does not answer on the foreign address."""
    if exposure.nginx_port is None:
        return
    foreign = foreign_address(spec)
    status = http_status_from(foreign, HOST, exposure.nginx_port, spec.exposure.metrics_path)
    report.expect(
        "exposure",
        f"nginx {HOST}:{exposure.nginx_port}",
        f"a client at {foreign} gets 403 for {spec.exposure.metrics_path}",
        status == 403,
        "" if status == 403 else f"got {status}",
    )
    answers = port_answers(foreign, exposure.metrics_port)
    report.expect(
        "exposure",
        f"metrics port {exposure.metrics_port}",
        f"does not answer on {foreign} (bound to loopback only)",
        not answers,
        f"a connection to {foreign}:{exposure.metrics_port} was accepted" if answers else "",
    )


def http_status_from(source: str, host: str, port: int, path: str) -> int | str:
    """The status of `GET path` sent from `source`, or why there was none."""
    connection = http.client.HTTPConnection(host, port, timeout=5, source_address=(source, 0))
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    except OSError as exc:
        return f"no answer ({exc.__class__.__name__})"
    finally:
        connection.close()


def port_answers(address: str, port: int) -> bool:
    """Whether a TCP connection to address:port is accepted."""
    try:
        socket.create_connection((address, port), timeout=2).close()
    except OSError:
        return False
    return True
