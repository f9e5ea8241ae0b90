"""The `exposure` section: where the service serves /metrics and who may read it through nginx.

nginx is in front of /metrics when the spec has `exposure.nginx` (an empty `nginx: {}` takes the
defaults). Then the allowlist only protects what goes through it: the service binds its metrics
port to loopback, Prometheus scrapes the nginx listener, and a spec that binds elsewhere or lists
a static target on the raw metrics port is rejected. Without `exposure.nginx` there is no
allowlist, and the bind address is the only guard.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from mongen.errors import YamlPath
from mongen.model import Exposure, NginxFront, Scrape
from mongen.spec.addresses import IPNetwork, metrics_path_problem, plain_address_problem, port_in_range
from mongen.spec.issues import SpecIssues

DEFAULT_PORT = 8001
DEFAULT_BIND = "0.0.0.0"  # without nginx: Prometheus on another host must reach the port
DEFAULT_BIND_BEHIND_NGINX = "127.0.0.1"
DEFAULT_PATH = "/metrics"
DEFAULT_ALLOWED = ("127.0.0.1/32",)
DEFAULT_LISTEN = 8080
# nginx's catch-all convention: a name no client sends.
DEFAULT_SERVER_NAME = "_"
_LISTEN = re.compile(r"\[(?P<v6>[^\]]*)\]:(?P<v6port>[0-9]+)|(?P<v4>[0-9.]+):(?P<v4port>[0-9]+)")
_SERVER_NAME_LABEL = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")


def read_exposure(issues: SpecIssues, raw: dict[str, Any], scrape: Scrape | None) -> Exposure:
    """The exposure settings; `scrape` (None when it was rejected) is checked against them."""
    nginx_raw = raw.get("nginx")
    default_bind = DEFAULT_BIND if nginx_raw is None else DEFAULT_BIND_BEHIND_NGINX
    exposure = Exposure(
        port=raw.get("port", DEFAULT_PORT),
        bind_address=_bind_address(issues, raw.get("bind_address", default_bind)),
        metrics_path=raw.get("metrics_path", DEFAULT_PATH),
        nginx=None if nginx_raw is None else _nginx(issues, raw, nginx_raw),
    )
    odd_path = metrics_path_problem(exposure.metrics_path)
    if odd_path:
        issues.fail(("exposure", "metrics_path"), odd_path)
    if nginx_raw is None and "allowed_cidrs" in raw:
        issues.fail(
            ("exposure", "allowed_cidrs"),
            "an allowlist needs nginx in front of /metrics, and this spec has no `exposure.nginx`; "
            "add `nginx:` (listen, server_name) under exposure, or remove allowed_cidrs",
        )
    if exposure.nginx is not None:
        _check_behind_nginx(issues, exposure, exposure.nginx, scrape)
    return exposure


def _nginx(issues: SpecIssues, raw: dict[str, Any], nginx: dict[str, Any]) -> NginxFront:
    return NginxFront(
        listen=_listen(issues, nginx.get("listen", DEFAULT_LISTEN)),
        server_name=_server_name(issues, nginx.get("server_name", DEFAULT_SERVER_NAME)),
        allowed_cidrs=_allowed_networks(issues, raw.get("allowed_cidrs", DEFAULT_ALLOWED)),
    )


def _check_behind_nginx(issues: SpecIssues, exposure: Exposure, nginx: NginxFront, scrape: Scrape | None) -> None:
    """The allowlist only protects what goes through it: the metrics port binds loopback, nginx
    has a port of its own, and no static target names the raw metrics port."""
    try:
        address = ipaddress.ip_address(exposure.bind_address)
    except ValueError:
        address = None  # reported by _bind_address, as is an odd form
    if address is not None and not plain_address_problem(address) and not address.is_loopback:
        issues.fail(
            ("exposure", "bind_address"),
            f"`{exposure.bind_address}` is not a loopback address: with `exposure.nginx` the service must "
            "bind its metrics port to 127.0.0.1 or ::1 (nginx proxies to it), or anyone who reaches the "
            "host reads /metrics around the allowlist; bind to 127.0.0.1, or remove `exposure.nginx` if "
            "the bind address is meant to be the only guard",
        )
    if nginx.listen_port == exposure.port:
        issues.fail(
            ("exposure", "nginx", "listen"),
            f"nginx listens on the metrics port {exposure.port}; nginx and the service need a port each "
            "(the service binds its port to loopback, nginx listens on its own and proxies to it)",
        )
        return
    for i, target in enumerate(scrape.static_targets if scrape else ()):
        host, _, port = target.rpartition(":")
        if int(port) == exposure.port:
            issues.fail(
                ("scrape", "static_targets", i),
                f"`{target}` is the raw metrics port (exposure.port), which bypasses the nginx allowlist; "
                f"scrape the nginx listener instead: `{host}:{nginx.listen_port}`",
            )


def _bind_address(issues: SpecIssues, text: str) -> str:
    """The address in its canonical form (`::1` for `0:0::1`)."""
    path: YamlPath = ("exposure", "bind_address")
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        issues.fail(path, f"`{text}` is not an IP address")
        return text
    odd = plain_address_problem(address)
    if odd:
        issues.fail(path, f"`{text}` has {odd}; give a plain IPv4 or IPv6 address")
    return str(address)


def _allowed_networks(issues: SpecIssues, texts: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Networks in canonical form (hosts become /32 or /128), each listed once."""
    out: list[str] = []
    networks: list[tuple[int, IPNetwork]] = []
    for i, text in enumerate(texts):
        path: YamlPath = ("exposure", "allowed_cidrs", i)
        network = _network(issues, text, path)
        if network is None:
            continue
        for j, other in networks:
            if network.version == other.version and (network.subnet_of(other) or other.subnet_of(network)):  # type: ignore[arg-type]
                issues.fail(path, f"`{text}` overlaps allowed_cidrs[{j}] ({other}); list each network once")
        networks.append((i, network))
        out.append(str(network))
    for version, everything in ((4, ipaddress.ip_network("0.0.0.0/0")), (6, ipaddress.ip_network("::/0"))):
        # Each network is narrower than /0, but together they may still admit every address.
        together = list(ipaddress.collapse_addresses(n for _, n in networks if n.version == version))  # type: ignore[type-var]
        if together == [everything]:
            issues.fail(
                ("exposure", "allowed_cidrs"),
                f"together these networks allow every IPv{version} address, so the allowlist would protect "
                "nothing; give the monitoring network (e.g. 10.20.0.0/16)",
            )
    return tuple(out)


def _network(issues: SpecIssues, text: str, path: YamlPath) -> IPNetwork | None:
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError as exc:
        issues.fail(path, f"`{text}` is not an IPv4/IPv6 address or CIDR: {exc}")
        return None
    odd = plain_address_problem(network.network_address)
    if odd:
        issues.fail(path, f"`{text}` has {odd}; give a plain address or CIDR")
        return None
    if network.prefixlen == 0:
        issues.fail(
            path,
            f"`{text}` allows every address, so the allowlist would protect nothing; "
            "give the monitoring network (e.g. 10.20.0.0/16)",
        )
        return None
    return network


def _listen(issues: SpecIssues, value: int | str) -> int | str:
    """nginx `listen`: a port, `IPv4:port` or `[IPv6]:port`, canonical."""
    if isinstance(value, int):
        return value
    path: YamlPath = ("exposure", "nginx", "listen")
    match = _LISTEN.fullmatch(value)
    assert match is not None, "the schema holds `listen` to these two shapes"
    port = int(match["v6port"] or match["v4port"])
    try:
        address = ipaddress.ip_address(match["v6"] if match["v6"] is not None else match["v4"])
    except ValueError:
        issues.fail(path, f"`{value}` does not listen on an IP address nginx can bind")
        return value
    odd = plain_address_problem(address)
    if odd or not port_in_range(port) or address.version != (6 if match["v6"] is not None else 4):
        issues.fail(path, f"`{value}` is not `IPv4:port` or `[IPv6]:port` with a port in 1..65535")
        return value
    return f"[{address}]:{port}" if address.version == 6 else f"{address}:{port}"


def _server_name(issues: SpecIssues, name: str) -> str:
    """nginx server_name: `_`, a host name, or one with `*` as its whole first or last label."""
    labels = name.split(".")
    wildcards = [i for i, label in enumerate(labels) if label == "*"]
    plain = all(_SERVER_NAME_LABEL.fullmatch(label) for i, label in enumerate(labels) if i not in wildcards)
    wildcard_ok = not wildcards or (len(labels) > 1 and wildcards in ([0], [len(labels) - 1]))
    if not plain or not wildcard_ok or len(name) > 253:
        issues.fail(
            ("exposure", "nginx", "server_name"),
            f"`{name}` is not an nginx server name: give a host name (metrics.example.com), one with `*` "
            "as its whole first or last label (*.example.com), or `_` for any",
        )
    return name
