"""The `middleware` section: where the generated HTTP middleware takes each request label from.

The HTTP method and the response status need no words; the route does (the real route
`/v1/audio/speech` records as the spec's `/synthesize`), and so do labels read from the request's
JSON body (EmotiVoice's emotion is its `prompt` field). Every name here must be a label of the
request metrics and every route's value a declared value, or the middleware would record nothing
the rules select.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

from mongen.errors import YamlPath
from mongen.model import REQUEST_ROLES, LabelDef, Metric, Middleware
from mongen.spec.issues import Definitions, SpecIssues

_PATH: YamlPath = ("middleware",)


def request_labels(metrics: Definitions[Metric]) -> tuple[str, ...]:
    """The labels of the metrics one request updates, in the helpers' parameter order."""
    found = [m for m in metrics.valid() if m.role in REQUEST_ROLES]
    ordered = sorted(found, key=lambda m: REQUEST_ROLES.index(m.role) if m.role else 0)
    return tuple(dict.fromkeys(label for m in ordered for label in m.labels))


def read_middleware(
    issues: SpecIssues, raw: dict[str, Any], metrics: Definitions[Metric], labels: Definitions[LabelDef]
) -> Middleware:
    known = request_labels(metrics)
    if not raw or not known:  # without request metrics no middleware is generated
        return Middleware()
    shown = ", ".join(known) or "none"
    default = Middleware()

    def request_label(name: str, path: YamlPath) -> bool:
        if name in known:
            return True
        # A rejected label or metric was reported where it is defined; the request labels are
        # not known for sure then, so nothing is reported again here.
        if not (labels.any_rejected() or metrics.any_rejected()):
            issues.fail(path, f"label `{name}` is not a label of the request metrics; their labels: {shown}")
        return False

    method_label = raw.get("method_label", default.method_label)
    if "method_label" in raw:
        request_label(method_label, (*_PATH, "method_label"))
    route_label = raw.get("route_label", default.route_label)
    routes: tuple[tuple[str, str], ...] | None = None
    if "route_label" in raw and not request_label(route_label, (*_PATH, "route_label")):
        route = None
    else:
        route = labels.get(route_label)
    if "routes" in raw and ("route_label" in raw or request_label(route_label, (*_PATH, "routes"))):
        routes = _routes(issues, raw["routes"], route, route_label)
    body = raw.get("body", {})
    body_labels = []
    taken = {method_label, route_label}
    # The response status is what the client got; a body field choosing it would let any client
    # count fake server errors against the SLO.
    status = {m.label for metric in metrics.valid() if metric.role == "requests" for m in metric.errors} | {"status"}
    for name, field in body.get("labels", {}).items():
        path: YamlPath = (*_PATH, "body", "labels", name)
        if name in taken:
            issues.fail(
                path, f"label `{name}` already records the request's method or route; read another label from the body"
            )
        elif name in status:
            issues.fail(
                path,
                f"label `{name}` records the response status the client got; a request body must not choose it "
                "(a client could count fake server errors against the SLO): read another label from the body",
            )
        elif request_label(name, path):
            body_labels.append((name, field))
    text_length = body.get("text_length")
    if text_length is not None and not any(m.role == "input_length" for m in metrics.valid()):
        issues.fail(
            (*_PATH, "body", "text_length"),
            "`text_length` feeds the metric with `role: input_length`, and the spec has none; add one or drop the field",
        )
    return Middleware(
        method_label=method_label,
        route_label=route_label,
        routes=routes,
        skip=tuple(raw.get("skip", ())),
        body_labels=tuple(body_labels),
        text_length_field=text_length,
        max_body_bytes=body.get("max_bytes", default.max_body_bytes),
    )


# `%2F`, `%6f`: how a URL escapes a byte; a request path arrives at the middleware decoded.
_PERCENT_ESCAPE = re.compile("%[0-9A-Fa-f]{2}")


def route_key(path: str) -> str:
    """What the generated middleware looks a request path up by (`_HttpRequests._path_key` in
    mongen/instrumentation_runtime.py): without its query and its trailing slashes."""
    return path.split("?", 1)[0].rstrip("/") or "/"


def _routes(
    issues: SpecIssues, raw: dict[str, Any], route: LabelDef | None, route_label: str
) -> tuple[tuple[str, str], ...] | None:
    if route is None:  # an undeclared or rejected route label was reported where it is named
        return None
    out = []
    seen: dict[str, str] = {}  # route key -> the route as first written
    for path, value in raw.items():
        first = seen.setdefault(route_key(path), path)
        if _PERCENT_ESCAPE.search(path):
            issues.fail(
                (*_PATH, "routes", path),
                f"route `{path}` is percent-encoded, but the middleware compares the decoded path (ASGI's "
                f"`path`, WSGI's PATH_INFO), so it would never match; write it decoded: `{unquote(path)}`",
                at_key=(*_PATH, "routes", path),
            )
        elif first != path:
            issues.fail(
                (*_PATH, "routes", path),
                f"route `{path}` is the route `{first}` again: the middleware matches a path with or without "
                "its trailing slash (and without its query), so one of them would never apply; keep one",
                at_key=(*_PATH, "routes", path),
            )
        elif str(value) in route.values:
            out.append((path, str(value)))
        else:
            issues.fail(
                (*_PATH, "routes", path),
                f"route `{path}` records as `{value}`, which is not a value of label `{route_label}`; "
                f"its values: {', '.join(route.values)}",
            )
    return tuple(out)


def unrouted_selectors(raw: dict[str, Any], middleware: Middleware) -> Iterator[tuple[YamlPath, str]]:
    """(path, message) for each SLO or alert selector on a route-label value no route records:
    with `routes` given, only the routes' values are ever recorded, so such a selector is empty
    (its SLO series NaN, its alert unable to fire)."""
    if middleware.routes is None:
        return
    routed = {value for _, value in middleware.routes}
    label = middleware.route_label
    selectors: list[tuple[YamlPath, Any]] = []
    for i, slo in enumerate(raw.get("slos", [])):
        for kind, sli in slo.get("sli", {}).items():
            for key in ("where", "errors", "total"):
                if label in (sli.get(key) or {}):
                    selectors.append((("slos", i, "sli", kind, key, label), sli[key][label]))
    for i, alert in enumerate(raw.get("alerts", [])):
        if label in (alert.get("where") or {}):
            selectors.append((("alerts", i, "where", label), alert["where"][label]))
    for path, selected in selectors:
        values = selected if isinstance(selected, list) else [selected]
        for value in values:
            if isinstance(value, str | int) and str(value) not in routed:
                yield (
                    path,
                    f"no route in `middleware.routes` records `{label}` as `{value}` (they record: "
                    f"{', '.join(sorted(routed))}), so the middleware never counts a request this selects; "
                    "map the service's real route to it",
                )
