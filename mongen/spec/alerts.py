"""The `alerts` section: what every alert needs (fields of its kind, a routed severity, a `for`
long enough); then the alert kind reads and checks its own fields (mongen.rules.alert_kinds),
reporting through the same SpecIssues and looking up the spec's definitions through `_Reader`."""

from __future__ import annotations

from typing import Any

from mongen.errors import YamlPath
from mongen.model import Alert, LabelDef, Matcher, Metric, MetricType, Routing, Scrape, Spec
from mongen.rules import alert_kinds, naming
from mongen.rules.alert_kinds import AlertKind
from mongen.spec.durations import read_duration
from mongen.spec.issues import Definitions, SpecIssues
from mongen.spec.matchers import read_matchers
from mongen.spec.metrics import resolve_metric

DEFAULT_FOR = "5m"
# `for` spans at least two evaluations, so one bad evaluation does not page; a rate window holds
# at least four scrapes, so one missed scrape does not empty it.
MIN_FOR_EVALUATIONS = 2
# A condition held for more than a day is a trend, not an alert condition (and Prometheus forgets
# pending state on restart); the generated tests would also replay the whole span minute by minute.
MAX_FOR_SECONDS = 86400
MIN_WINDOW_SCRAPES = 4


def read_alerts(
    issues: SpecIssues,
    raw: list[dict[str, Any]],
    metrics: Definitions[Metric],
    labels: Definitions[LabelDef],
    routing: Routing,
    scrape: Scrape | None,
) -> tuple[Alert, ...]:
    out = []
    # By case-folded name: two names that differ only in case are one runbook file on a
    # case-insensitive file system, and people read them as one alert.
    names: dict[str, tuple[int, str]] = {}
    for i, body in enumerate(raw):
        path: YamlPath = ("alerts", i)
        name = body["name"]
        j, other = names.setdefault(name.casefold(), (i, name))
        if j != i and other == name:
            issues.fail((*path, "name"), f"duplicate alert name `{name}`")
        elif other != name:
            issues.fail(
                (*path, "name"),
                f"`{name}` differs from alerts[{j}].name `{other}` only in case: their runbooks would be one "
                "file on a case-insensitive file system, and people read them as one alert; pick another name",
            )
        alert = _alert(issues, body, path, metrics, labels, routing, scrape)
        if alert is not None:
            out.append(alert)
    return tuple(out)


def check_alert_names(issues: SpecIssues, spec: Spec) -> None:
    """An alert named like an SLO's burn-rate alert: three rules under one name, one runbook. An
    `inhibits` entry names an alert of the spec (or an SLO's burn-rate alert), not itself."""
    generated = {naming.slo_alert_name(spec, slo, t.tier): slo.name for slo in spec.slos for t in slo.enabled_tiers}
    for i, alert in enumerate(spec.alerts):
        if alert.name in generated:
            issues.fail(
                ("alerts", i, "name"),
                f"`{alert.name}` is the name of SLO `{generated[alert.name]}`'s burn-rate alert; pick another",
            )
        known = sorted({a.name for a in spec.alerts} | set(generated))
        for j, target in enumerate(alert.inhibits):
            if target == alert.name:
                issues.fail(("alerts", i, "inhibits", j), "an alert cannot inhibit itself: it would never be sent")
            elif target not in known:
                issues.fail(
                    ("alerts", i, "inhibits", j),
                    f"`{target}` is no alert of this spec; alerts: {', '.join(known)}",
                )


def _alert(
    issues: SpecIssues,
    body: dict[str, Any],
    path: YamlPath,
    metrics: Definitions[Metric],
    labels: Definitions[LabelDef],
    routing: Routing,
    scrape: Scrape | None,
) -> Alert | None:
    kind = alert_kinds.BY_NAME[body["kind"]]
    usable = _has_the_fields_of_its_kind(issues, body, path, kind)
    if body["severity"] not in routing.severities:
        issues.fail(
            (*path, "severity"),
            f"severity `{body['severity']}` has no route; routed severities: {', '.join(routing.severities)}",
        )
    for_seconds = read_duration(issues, body.get("for", DEFAULT_FOR), (*path, "for"))
    if for_seconds is not None and scrape is not None:
        check_for(issues, for_seconds, (*path, "for"), scrape)
    if not usable:
        return None
    params = kind.read(_Reader(issues, metrics, labels, scrape), body, path)
    if params is None or for_seconds is None:
        return None
    return Alert(
        body["name"],
        kind.name,
        body["severity"],
        for_seconds,
        params,
        body.get("description", ""),
        tuple(body.get("inhibits", ())),
    )


class _Reader:
    """What an alert kind reading its fields may look up in the spec (alert_kinds.base.FieldReader)."""

    def __init__(
        self, issues: SpecIssues, metrics: Definitions[Metric], labels: Definitions[LabelDef], scrape: Scrape | None
    ) -> None:
        self._issues, self._metrics, self._labels, self._scrape = issues, metrics, labels, scrape

    def fail(self, path: YamlPath, message: str) -> None:
        self._issues.fail(path, message)

    def metric(self, name: str, path: YamlPath, types: tuple[MetricType, ...]) -> Metric | None:
        return resolve_metric(self._issues, self._metrics, name, path, types)

    def matchers(self, raw: dict[str, Any], path: YamlPath, metric: Metric) -> tuple[Matcher, ...] | None:
        return read_matchers(self._issues, raw, path, metric.labels, self._labels)

    def rate_window(self, raw: str, path: YamlPath) -> int | None:
        window = read_duration(self._issues, raw, path)
        if window is not None and self._scrape is not None:
            min_window = MIN_WINDOW_SCRAPES * self._scrape.interval
            if window < min_window:
                self._issues.fail(path, f"window must cover at least 4 scrape intervals ({min_window}s)")
        return window


def _has_the_fields_of_its_kind(issues: SpecIssues, body: dict[str, Any], path: YamlPath, kind: AlertKind[Any]) -> bool:
    usable = True
    for key in sorted(set(body) - alert_kinds.COMMON_FIELDS - set(kind.fields)):
        allowed = ", ".join(sorted(kind.fields)) or f"none besides {', '.join(sorted(alert_kinds.COMMON_FIELDS))}"
        issues.fail((*path, key), f"`{key}` has no meaning for alerts of kind `{kind.name}`; its fields: {allowed}")
        usable = False
    for key in kind.required:
        if key not in body:
            issues.fail(path, f"alerts of kind `{kind.name}` need a `{key}`")
            usable = False
    return usable


def check_for(issues: SpecIssues, for_seconds: int, path: YamlPath, scrape: Scrape) -> None:
    """An alert's `for` (at `path`) against the evaluation interval and the longest that works."""
    min_for = MIN_FOR_EVALUATIONS * scrape.evaluation_interval
    if for_seconds < min_for:
        issues.fail(
            path, f"`for` must be at least two evaluation intervals ({min_for}s) so one bad evaluation does not page"
        )
    elif for_seconds > MAX_FOR_SECONDS:
        issues.fail(
            path,
            "`for` may be at most 1d: pending state does not survive a Prometheus restart, so a longer `for` "
            "may never fire; put the long view in the expression (e.g. avg_over_time(...[7d]))",
        )
