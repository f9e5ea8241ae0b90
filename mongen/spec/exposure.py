"""The `exposure` section: where the service serves /metrics and who may read it through nginx."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from mongen.errors import YamlPath
from mongen.model import Exposure
from mongen.spec.addresses import IPNetwork, plain_address_problem, port_in_range
from mongen.spec.issues import SpecIssues

DEFAULT_PORT = 8001
DEFAULT_BIND = "0.0.0.0"
DEFAULT_PATH = "/metrics"
DEFAULT_ALLOWED = ("127.0.0.1/32",)
DEFAULT_LISTEN = 8080
# nginx's catch-all convention: a name no client sends.
DEFAULT_SERVER_NAME = "_"
_LISTEN = re.compile(r"\[(?P<v6>[^\]]*)\]:(?P<v6port>[0-9]+)|(?P<v4>[0-9.]+):(?P<v4port>[0-9]+)")
_SERVER_NAME_LABEL = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")


def read_exposure(issues: SpecIssues, raw: dict[str, Any]) -> Exposure:
    nginx = raw.get("nginx", {})
    return Exposure(
        port=raw.get("port", DEFAULT_PORT),
        bind_address=_bind_address(issues, raw.get("bind_address", DEFAULT_BIND)),
        metrics_path=raw.get("metrics_path", DEFAULT_PATH),
        allowed_cidrs=_allowed_networks(issues, raw.get("allowed_cidrs", DEFAULT_ALLOWED)),
        nginx_listen=_listen(issues, nginx.get("listen", DEFAULT_LISTEN)),
        server_name=_server_name(issues, nginx.get("server_name", DEFAULT_SERVER_NAME)),
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
