"""The `routing` section: receivers, the route of each severity, and the SMTP settings."""

from __future__ import annotations

from typing import Any

from mongen.errors import YamlPath
from mongen.model import PAGE_SEVERITY, Receiver, Routing
from mongen.spec.addresses import host_port_problem
from mongen.spec.issues import SpecIssues
from mongen.spec.urls import url_secret_problem

# Without a `routing` section every alert goes to one local webhook (an adapter or a test sink).
DEFAULT_ROUTING: dict[str, Any] = {
    "routes": {"page": ["default"], "ticket": ["default"]},
    "receivers": [{"name": "default", "type": "webhook", "url": "http://127.0.0.1:5001/"}],
}
DEFAULT_GROUP_BY = ("alertname", "service")


def read_routing(issues: SpecIssues, raw: dict[str, Any] | None) -> Routing:
    body = raw or DEFAULT_ROUTING
    receivers = _receivers(issues, body)
    names = {r.name for r in receivers}
    routes = []
    for severity, targets in body["routes"].items():
        for j, target in enumerate(targets):
            if target not in names:
                issues.fail(
                    ("routing", "routes", severity, j),
                    f"receiver `{target}` is not defined; receivers: {', '.join(sorted(names))}",
                )
        routes.append((severity, tuple(targets)))
    default = body.get("default_receiver")
    if default is not None and not _usable_default(issues, default, names, dict(routes)):
        default = None
    email = body.get("email", {})
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


def _receivers(issues: SpecIssues, body: dict[str, Any]) -> list[Receiver]:
    receivers = []
    names: set[str] = set()
    for i, raw in enumerate(body["receivers"]):
        path: YamlPath = ("routing", "receivers", i)
        if raw["name"] in names:
            issues.fail((*path, "name"), f"duplicate receiver `{raw['name']}`")
        names.add(raw["name"])
        if raw["type"] == "email" and "to" not in raw:
            issues.fail(path, "email receivers need `to`")
        if raw["type"] == "email" and "email" not in body:
            issues.fail(path, "email receivers need the `routing.email` block (from, smarthost)")
        if raw["type"] == "webhook":
            _check_webhook(issues, raw, path)
        receivers.append(Receiver(raw["name"], raw["type"], raw.get("to"), raw.get("url")))
    return receivers


def _check_webhook(issues: SpecIssues, raw: dict[str, Any], path: YamlPath) -> None:
    if "url" not in raw:
        issues.fail(path, "webhook receivers need `url` (a DingTalk/WeCom adapter keeps the robot key)")
        return
    secret = url_secret_problem(raw["url"])
    if secret:
        issues.fail(
            (*path, "url"),
            f"the webhook URL carries {secret}, and alertmanager.yml is committed to the ops repo: secrets never go "
            "inline. Run an adapter (e.g. prometheus-webhook-dingtalk) that keeps the robot key, and give its local URL",
        )
