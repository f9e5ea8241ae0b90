"""The `routing` section: the route of each severity (with the time intervals that mute it or
during which alone it is active), the SMTP settings; receivers are read in spec/receivers.py."""

from __future__ import annotations

from typing import Any

from mongen.errors import YamlPath
from mongen.model import PAGE_SEVERITY, RouteTimes, Routing, TimeInterval
from mongen.spec.addresses import host_port_problem
from mongen.spec.issues import SpecIssues
from mongen.spec.receivers import read_receivers, template_problem
from mongen.spec.time_intervals import check_time_interval

# Without a `routing` section every alert goes to one local webhook (an adapter or a test sink).
DEFAULT_ROUTING: dict[str, Any] = {
    "routes": {"page": ["default"], "ticket": ["default"]},
    "receivers": [{"name": "default", "type": "webhook", "url": "http://127.0.0.1:5001/"}],
}
DEFAULT_GROUP_BY = ("alertname", "service")


def read_routing(issues: SpecIssues, raw: dict[str, Any] | None) -> Routing:
    body = raw or DEFAULT_ROUTING
    receivers = read_receivers(issues, body)
    names = {r.name for r in receivers} | {r["name"] for r in body["receivers"] if r["type"] == "wechat"}
    intervals = _time_intervals(issues, body.get("time_intervals", {}))
    routes = []
    route_times = []
    for severity, route in body["routes"].items():
        # A route is its list of receivers, or an object that also names its time intervals.
        targets = route["receivers"] if isinstance(route, dict) else route
        path: YamlPath = (
            ("routing", "routes", severity, "receivers") if isinstance(route, dict) else ("routing", "routes", severity)
        )
        for j, target in enumerate(targets):
            if target not in names:
                issues.fail((*path, j), f"receiver `{target}` is not defined; receivers: {', '.join(sorted(names))}")
        routes.append((severity, tuple(targets)))
        if isinstance(route, dict):
            route_times.append(_route_times(issues, severity, route, intervals))
    default = body.get("default_receiver")
    if default is not None and not _usable_default(issues, default, names, dict(routes)):
        default = None
    email = body.get("email", {})
    template_problem(issues, ("routing", "email", "from"), email.get("from"))
    if "smarthost" in email:
        problem = host_port_problem(email["smarthost"])
        if problem:
            issues.fail(("routing", "email", "smarthost"), f"`{email['smarthost']}`: {problem}")
    return Routing(
        group_by=tuple(body.get("group_by", DEFAULT_GROUP_BY)),
        routes=tuple(routes),
        receivers=tuple(receivers),
        email_from=email.get("from"),
        smarthost=email.get("smarthost"),
        auth_username=email.get("auth_username"),
        auth_password_file=email.get("auth_password_file"),
        default_receiver=default,
        time_intervals=tuple(intervals.items()),
        route_times=tuple(t for t in route_times if t.mute or t.active),
    )


def _time_intervals(issues: SpecIssues, raw: dict[str, list[dict[str, Any]]]) -> dict[str, tuple[TimeInterval, ...]]:
    """The schema holds every field to Alertmanager's syntax; the values are checked here as
    Alertmanager's config loader checks them (a reversed range, day 99, an unknown zone)."""
    for name, entries in raw.items():
        for i, entry in enumerate(entries):
            check_time_interval(issues, ("routing", "time_intervals", name, i), entry)
    return {
        name: tuple(
            TimeInterval(
                tuple((t["start_time"], t["end_time"]) for t in entry.get("times", [])),
                tuple(entry.get("weekdays", [])),
                tuple(entry.get("days_of_month", [])),
                tuple(entry.get("months", [])),
                tuple(entry.get("years", [])),
                entry.get("location"),
            )
            for entry in entries
        )
        for name, entries in sorted(raw.items())
    }


def _route_times(
    issues: SpecIssues, severity: str, route: dict[str, Any], intervals: dict[str, tuple[TimeInterval, ...]]
) -> RouteTimes:
    for key in ("mute_time_intervals", "active_time_intervals"):
        for j, name in enumerate(route.get(key, [])):
            if name not in intervals:
                issues.fail(
                    ("routing", "routes", severity, key, j),
                    f"time interval `{name}` is not defined in `routing.time_intervals`; "
                    f"defined: {', '.join(intervals) or 'none'}",
                )
    return RouteTimes(
        severity, tuple(route.get("mute_time_intervals", ())), tuple(route.get("active_time_intervals", ()))
    )


def _usable_default(issues: SpecIssues, default: str, names: set[str], routes: dict[str, tuple[str, ...]]) -> bool:
    """The root route catches every alert no severity route matches: a typo'd or missing severity
    must never wake someone up."""
    path: YamlPath = ("routing", "default_receiver")
    if default not in names:
        issues.fail(path, f"receiver `{default}` is not defined; receivers: {', '.join(sorted(names))}")
        return False
    if default in routes.get(PAGE_SEVERITY, ()):
        issues.fail(
            path,
            f"`{default}` pages (it is a receiver of the `{PAGE_SEVERITY}` route), and the default receiver gets every "
            "alert with an unknown or missing severity; name a ticket-level receiver, or leave "
            "`default_receiver` out so such alerts go to a receiver that sends nothing",
        )
        return False
    return True
