"""`routing.receivers`: who gets the alerts, and how. Secrets reach Alertmanager only through the
`*_file` fields it offers (alertmanager.yml is committed to the ops repo); an inline secret is a
spec error, and so is a field the receiver's type would ignore."""

from __future__ import annotations

from typing import Any

from mongen.errors import YamlPath
from mongen.model import Receiver
from mongen.spec.issues import SpecIssues
from mongen.spec.urls import url_secret_problem

# The fields each type uses besides `name` and `type`.
_FIELDS: dict[str, tuple[str, ...]] = {
    "email": ("to",),
    "webhook": ("url",),
    "slack": ("api_url_file", "channel"),
    "pagerduty": ("routing_key_file", "service_key_file"),
    "opsgenie": ("api_key_file",),
    "wechat": (),
}
# Per type, the `*_file` fields of which exactly one must hold the secret.
_SECRET_FILES: dict[str, tuple[str, ...]] = {
    "slack": ("api_url_file",),
    "pagerduty": ("routing_key_file", "service_key_file"),
    "opsgenie": ("api_key_file",),
}
# Inline secrets, each with the `*_file` field to use instead.
_INLINE_SECRETS = {
    "api_url": "api_url_file",
    "routing_key": "routing_key_file or service_key_file",
    "service_key": "service_key_file",
    "api_key": "api_key_file",
    "api_secret": "a file",
}


def read_receivers(issues: SpecIssues, body: dict[str, Any]) -> list[Receiver]:
    receivers = []
    names: set[str] = set()
    for i, raw in enumerate(body["receivers"]):
        path: YamlPath = ("routing", "receivers", i)
        if raw["name"] in names:
            issues.fail((*path, "name"), f"duplicate receiver `{raw['name']}`")
        names.add(raw["name"])
        kind = raw["type"]
        if kind == "wechat":
            issues.fail(
                (*path, "type"),
                "Alertmanager 0.25 (Debian's, which mongen validates with) has no `api_secret_file` for WeChat, so "
                "the API secret would sit inline in alertmanager.yml; use `type: webhook` with a WeCom adapter "
                "that keeps the secret",
            )
            continue
        _fields_of_the_type(issues, raw, path, kind)
        if kind == "email" and "to" not in raw:
            issues.fail(path, "email receivers need `to`")
        for key in TEMPLATED_FIELDS:
            template_problem(issues, (*path, key), raw.get(key))
        if kind == "email" and "email" not in body:
            issues.fail(path, "email receivers need the `routing.email` block (from, smarthost)")
        if kind == "webhook":
            _check_webhook(issues, raw, path)
        receivers.append(
            Receiver(raw["name"], kind, raw.get("to"), raw.get("url"), raw.get("channel"), _secret(issues, raw, path))
        )
    return receivers


# Receiver fields Alertmanager renders as Go templates (notify/email: `to`; notify/slack: `channel`;
# `routing.email.from` becomes every email's `from`). A `{{` there is filled from the alert's
# labels, so an alert could choose who is mailed, and amtool does not check them.
TEMPLATED_FIELDS = ("to", "channel")


def template_problem(issues: SpecIssues, path: YamlPath, value: object) -> None:
    """A templated field must be literal text: `{{` opens a Go template action in Alertmanager."""
    if isinstance(value, str) and ("{{" in value or "}}" in value):
        issues.fail(
            path,
            f"Alertmanager reads `{path[-1]}` as a Go template, so `{{{{ ... }}}}` in it would be filled from each "
            "alert's labels (an alert could choose the recipient); write the value literally, without `{{` or `}}`, "
            "and route alerts to different receivers with `routing.routes` instead",
        )


def receiver_fields(kind: str) -> tuple[str, ...] | None:
    """The fields a receiver of type `kind` reads besides `name` and `type`; None for no type."""
    return _FIELDS.get(kind)


def _fields_of_the_type(issues: SpecIssues, raw: dict[str, Any], path: YamlPath, kind: str) -> None:
    fields = _FIELDS[kind]
    for key in sorted(set(raw) - {"name", "type", *fields}):
        if key in _INLINE_SECRETS:
            issues.fail(
                (*path, key),
                f"`{key}` is a secret, and alertmanager.yml is committed to the ops repo: secrets never go inline. "
                f"Put it in a file only Alertmanager reads and give its path as {_INLINE_SECRETS[key]}",
            )
        else:
            issues.fail(
                (*path, key),
                f"`{key}` has no meaning for receivers of type `{kind}`; its fields: {', '.join(fields)}",
            )


def _secret(issues: SpecIssues, raw: dict[str, Any], path: YamlPath) -> tuple[str, str] | None:
    choices = _SECRET_FILES.get(raw["type"], ())
    given = [key for key in choices if key in raw]
    if choices and len(given) != 1 and not set(raw) & set(_INLINE_SECRETS):  # an inline one was reported
        issues.fail(path, f"{raw['type']} receivers need exactly one of: {', '.join(choices)} (a file with the secret)")
        return None
    return (given[0], raw[given[0]]) if given else None


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
