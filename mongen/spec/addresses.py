"""Host names, IP addresses and ports as the spec gives them to Prometheus, Alertmanager and nginx.

Python's ipaddress accepts IPv6 scope ids (`fe80::1%eth0`) with any text after the `%`, quotes
and newlines included; nothing mongen writes needs one, so they are refused here, as are IPv4
addresses written as IPv6 (`::ffff:10.0.0.1`), which never match an IPv4 client in nginx.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
from pathlib import PurePosixPath

from mongen import layout
from mongen.errors import YamlPath
from mongen.spec.issues import SpecIssues

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# RFC 1123 host name labels: letters, digits and inner hyphens, 1 to 63 characters.
_HOST_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_MAX_HOST = 253
_PORTS = range(1, 65536)


def host_port_problem(text: str) -> str | None:
    """Why `host:port` (host name or IPv4; the schema holds the shape) is unusable, or None."""
    host, _, port = text.rpartition(":")
    if int(port) not in _PORTS:
        return f"port {int(port)} is outside 1..65535"
    return host_problem(host)


def host_problem(host: str) -> str | None:
    if all(part.isdigit() for part in host.split(".")):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return f"`{host}` is not an IPv4 address"
        return None
    if len(host) > _MAX_HOST or not all(_HOST_LABEL.fullmatch(label) for label in host.split(".")):
        return f"`{host}` is not a host name (labels of letters, digits and inner hyphens, separated by dots)"
    return None


def plain_address_problem(address: IPAddress) -> str | None:
    """Why an address is an odd form mongen does not write, or None."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id is not None:
            return "an IPv6 scope id (`%...`)"
        if address.ipv4_mapped is not None:
            return "an IPv4 address written as IPv6 (`::ffff:...`)"
    return None


def port_in_range(port: int) -> bool:
    return port in _PORTS


def check_targets(issues: SpecIssues, targets: list[str], at: YamlPath) -> None:
    for i, target in enumerate(targets):
        problem = host_port_problem(target)
        if problem:
            issues.fail((*at, i), f"`{target}`: {problem}")


_FILE_SD_SUFFIXES = (".json", ".yml", ".yaml")


def check_file_sd(issues: SpecIssues, pattern: str, at: YamlPath) -> None:
    """Prometheus reads file_sd files relative to prometheus.yml: they belong in the ops tree. Its
    patterns end in .json, .yml or .yaml and may have a `*` in the last segment only."""
    path = PurePosixPath(pattern)
    if path.is_absolute() or ".." in path.parts:
        issues.fail(
            at,
            f"`{pattern}` leaves the ops tree; give a path relative to {layout.PROMETHEUS_CONFIG} "
            "without `..` (e.g. targets/<service>-*.json)",
        )
    elif not path.name.endswith(_FILE_SD_SUFFIXES) or "*" in str(path.parent):
        issues.fail(
            at,
            f"`{pattern}` is not a file_sd pattern Prometheus reads: the file name must end in .json, .yml or "
            ".yaml, with a `*` in the last segment only (e.g. targets/<service>-*.json)",
        )
    elif fnmatch.fnmatchcase(PurePosixPath(layout.PROMETHEUS_CONFIG).name, pattern) or path.parts[0] in (
        "rules",
        "tests",
    ):
        issues.fail(
            at,
            f"`{pattern}` matches files mongen writes next to {layout.PROMETHEUS_CONFIG} (the config, its rules "
            "or tests), which are not target lists; keep targets in a folder of their own (e.g. targets/<service>-*.json)",
        )


def metrics_path_problem(path: str) -> str | None:
    """Why an HTTP path would not reach the exposition as written, or None: nginx and the client
    normalise `.`, `..` and empty segments away, so `location = /metrics/..` never matches."""
    if any(segment in ("", ".", "..") for segment in path.split("/")[1:-1]) or path.endswith(("/.", "/..")):
        return f"`{path}` has an empty, `.` or `..` segment, which HTTP clients and nginx normalise away; give the plain path (e.g. /metrics)"
    return None
