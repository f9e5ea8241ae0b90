"""URLs in a spec carry no secrets: the generated files are committed to an ops repo and reviewed.

DingTalk robots take `?access_token=`, WeCom robots `?key=`; a URL like that in a spec would put
the robot key into alertmanager.yml. The README's approach: a local adapter (e.g.
prometheus-webhook-dingtalk) holds the key, and Alertmanager only knows the adapter's URL.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

# Query parameters that carry a credential in the chat and webhook APIs people point Alertmanager
# at (DingTalk access_token/sign, WeCom key, Slack/Teams/generic token, signature and secret).
_SECRET_PARAMETERS = frozenset(
    {"access_token", "token", "key", "apikey", "api_key", "secret", "sign", "signature", "sig", "password", "auth"}
)
_SECRET_SUFFIXES = ("_token", "_key", "_secret", "_password", "_signature")


def url_secret_problem(url: str) -> str | None:
    """What in `url` looks like a credential (`user:password@`, `?access_token=`), or None."""
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        return "a user name or password before the host"
    for name, _ in parse_qsl(parts.query, keep_blank_values=True):
        lowered = name.casefold()
        if lowered in _SECRET_PARAMETERS or lowered.endswith(_SECRET_SUFFIXES):
            return f"the query parameter `{name}`"
    return None
