"""Spec file -> validated, typed model: JSON Schema first, then semantic checks."""

from __future__ import annotations

import ipaddress
import json
import keyword
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from mongen.errors import Location, SpecError, SpecIssue, YamlPath
from mongen.model import (
    COUNTER,
    HISTOGRAM,
    ROLE_TYPES,
    Alert,
    EnumDef,
    Exposure,
    ExternalMetric,
    Kubernetes,
    LabelDef,
    Matcher,
    Metric,
    Receiver,
    Routing,
    Scrape,
    Slo,
    Spec,
)
from mongen.rules import alert_kinds
from mongen.spec.loader import LoadedDocument, load_yaml
from mongen.units import parse_duration

# Suffixes that say "this is a counter/histogram"; a gauge or base name must not carry them.
_RESERVED_SUFFIXES = ("_bucket", "_sum", "_count", "_created", "_info")
# Parameters of the generated record_request()/track_request() besides the labels.
_HELPER_ARGS = ("duration_seconds", "text", "text_length", "self", "raw")


@cache
def spec_schema() -> dict[str, Any]:
    text = resources.files("mongen.schema").joinpath("spec.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def load_spec(path: str | Path) -> Spec:
    """Read, schema-check and semantically check a spec file. Raises SpecError."""
    file = str(path)
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = f"cannot read spec: {exc.__class__.__name__}: {exc}"
        raise SpecError([SpecIssue(Location(file, 1, 1), (), reason)]) from None
    return build_spec(load_yaml(text, file))


def build_spec(doc: LoadedDocument) -> Spec:
    validator = jsonschema.Draft202012Validator(spec_schema())
    errors = sorted(validator.iter_errors(doc.data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        raise SpecError([doc.issue(tuple(e.absolute_path), _schema_message(e)) for e in errors])
    return _Builder(doc).build()


def _schema_message(error: jsonschema.ValidationError) -> str:
    if error.validator == "additionalProperties" and isinstance(error.schema, dict):
        allowed = sorted(error.schema.get("properties", {}))
        return f"{error.message}; allowed keys: {', '.join(allowed)}"
    if error.validator == "oneOf" and isinstance(error.instance, dict):
        return "expected exactly one of the alternative forms (see `mongen schema`): " + str(sorted(error.instance))
    if error.validator == "pattern":
        return f"{error.instance!r} does not match the required pattern {error.validator_value}"
    return error.message


class _Builder:
    """Semantic checks that JSON Schema cannot express, collected rather than thrown one by one."""

    def __init__(self, doc: LoadedDocument) -> None:
        self.doc = doc
        self.data: dict[str, Any] = doc.data
        self.issues: list[SpecIssue] = []

    def fail(self, path: YamlPath, message: str) -> None:
        self.issues.append(self.doc.issue(path, message))

    def build(self) -> Spec:
        service = self.data["service"]
        namespace = service["namespace"]
        enums = self._enums()
        labels = self._labels(enums)
        metrics = self._metrics(namespace, labels)
        scrape = self._scrape(service["name"])
        routing = self._routing()
        spec = Spec(
            source=self.doc.file,
            service=service["name"],
            namespace=namespace,
            runbook_base=service.get("runbook_base", "").rstrip("/") or None,
            max_series=service.get("max_series_per_instance", 10000),
            enums=tuple(enums.values()),
            labels=tuple(labels.values()),
            metrics=tuple(metrics),
            external_metrics=self._external(),
            slos=self._slos(labels, {m.name: m for m in metrics}),
            alerts=self._alerts(labels, {m.name: m for m in metrics}, routing, scrape),
            scrape=scrape,
            exposure=self._exposure(),
            routing=routing,
            kubernetes=self._kubernetes(),
        )
        if not self.issues and spec.total_series > spec.max_series:
            detail = spec.largest_metrics()
            self.fail(
                ("service", "max_series_per_instance"),
                f"the metrics expose {spec.total_series} series per instance, over the budget "
                f"of {spec.max_series}; largest: {detail}",
            )
        if self.issues:
            raise SpecError(self.issues)
        return spec

    def _enums(self) -> dict[str, EnumDef]:
        out: dict[str, EnumDef] = {}
        for name, raw in self.data.get("enums", {}).items():
            path: YamlPath = ("enums", name)
            values = tuple(raw["values"])
            if raw["fallback"] not in values:
                self.fail(
                    (*path, "fallback"), f"fallback `{raw['fallback']}` is not one of the values: {', '.join(values)}"
                )
            aliases = []
            for alias, target in sorted(raw.get("aliases", {}).items()):
                if target not in values:
                    self.fail(
                        (*path, "aliases", alias),
                        f"alias target `{target}` is not one of the values: {', '.join(values)}",
                    )
                key = alias.strip().casefold()
                if key in values:
                    self.fail((*path, "aliases", alias), f"alias `{alias}` shadows the value `{key}`")
                aliases.append((key, target))
            out[name] = EnumDef(name, values, raw["fallback"], tuple(aliases))
        return out

    def _labels(self, enums: dict[str, EnumDef]) -> dict[str, LabelDef]:
        out: dict[str, LabelDef] = {}
        for name, raw in self.data.get("labels", {}).items():
            path: YamlPath = ("labels", name)
            if name.startswith("__") or name in ("job", "instance", "le", "quantile"):
                self.fail(path, f"label name `{name}` is reserved by Prometheus")
                continue
            if keyword.iskeyword(name) or name in _HELPER_ARGS:
                self.fail(path, f"label name `{name}` cannot be a parameter of the generated Python helpers; rename it")
                continue
            if "enum" in raw:
                enum = enums.get(raw["enum"])
                if enum is None:
                    known = ", ".join(sorted(enums)) or "none"
                    self.fail(
                        (*path, "enum"),
                        f"label `{name}` uses the undefined enum `{raw['enum']}`; defined enums: {known}",
                    )
                    continue
                out[name] = LabelDef(name, enum.values, enum.fallback, enum.name, enum.aliases)
                continue
            values = tuple(str(v) for v in raw["values"])
            fallback = str(raw["fallback"])
            if fallback not in values:
                self.fail((*path, "fallback"), f"fallback `{fallback}` is not one of the values: {', '.join(values)}")
            for i, value in enumerate(values):
                if not value or value != value.strip() or any(ord(c) < 32 for c in value):
                    self.fail((*path, "values", i), f"label value {value!r} is empty, padded or has control characters")
            out[name] = LabelDef(name, values, fallback)
        return out

    def _matchers(
        self,
        raw: dict[str, Any],
        path: YamlPath,
        allowed: tuple[str, ...],
        labels: dict[str, LabelDef],
        selects_errors: bool = False,
    ) -> tuple[Matcher, ...]:
        out = []
        for label, value in raw.items():
            if label not in allowed:
                self.fail(
                    (*path, label), f"label `{label}` is not on this metric; its labels: {', '.join(allowed) or 'none'}"
                )
                continue
            negate = isinstance(value, dict)
            if negate:
                value = value["not"]
            values = tuple(str(v) for v in (value if isinstance(value, list) else [value]))
            declared = labels[label].values
            for v in values:
                if v not in declared:
                    self.fail(
                        (*path, label),
                        f"value `{v}` is not declared for label `{label}`; declared: {', '.join(declared)}",
                    )
            accepted = [v for v in declared if (v in values) != negate]
            if not accepted:
                self.fail(
                    (*path, label),
                    f"this matcher accepts none of the declared values of `{label}`, so it selects nothing",
                )
            elif selects_errors and len(accepted) == len(declared):
                self.fail(
                    (*path, label),
                    f"this error selector accepts every declared value of `{label}`, so no request could succeed",
                )
            out.append(Matcher(label, values, negate))
        return tuple(sorted(out, key=lambda m: m.label))

    def _metrics(self, namespace: str, labels: dict[str, LabelDef]) -> list[Metric]:
        out: list[Metric] = []
        seen: dict[str, int] = {}
        roles: dict[str, str] = {}
        for i, raw in enumerate(self.data["metrics"]):
            path: YamlPath = ("metrics", i)
            name, kind = raw["name"], raw["type"]
            if not name.startswith(namespace + "_"):
                self.fail((*path, "name"), f"metric `{name}` must start with the namespace `{namespace}_`")
            metric_labels = tuple(raw.get("labels", []))
            for j, label in enumerate(metric_labels):
                if label not in labels:
                    known = ", ".join(sorted(labels)) or "none"
                    self.fail(
                        (*path, "labels", j),
                        f"label `{label}` on metric `{name}` is not declared; declared labels: {known}",
                    )
            buckets = tuple(float(b) for b in raw.get("buckets", []))
            if kind == HISTOGRAM:
                if not buckets:
                    self.fail((*path, "type"), f"histogram `{name}` needs `buckets`")
                elif list(buckets) != sorted(set(buckets)):
                    self.fail((*path, "buckets"), "buckets must be strictly increasing")
            elif buckets:
                self.fail((*path, "buckets"), f"only histograms have buckets; `{name}` is a {kind}")
            unit = raw.get("unit")
            if unit and not name.removesuffix("_total").endswith("_" + unit):
                self.fail((*path, "unit"), f"metric `{name}` has unit `{unit}` but its name does not end in `_{unit}`")
            if name.removesuffix("_total").endswith(_RESERVED_SUFFIXES) or (
                kind != COUNTER and name.endswith("_total")
            ):
                self.fail(
                    (*path, "name"), f"metric `{name}` ends in a suffix Prometheus reserves for other series types"
                )
            metric = Metric(name, kind, raw["help"], metric_labels, unit, buckets)
            for exposed in metric.exposed_series:
                if exposed in seen:
                    self.fail(
                        (*path, "name"),
                        f"metric `{name}` exposes `{exposed}`, already exposed by metrics[{seen[exposed]}]",
                    )
                seen[exposed] = i
            errors: tuple[Matcher, ...] = ()
            if "errors" in raw:
                if kind != COUNTER:
                    self.fail((*path, "errors"), "only counters can declare an `errors` selector")
                errors = self._matchers(raw["errors"], (*path, "errors"), metric_labels, labels, selects_errors=True)
            record_by: tuple[tuple[str, ...], ...] = ((),)
            if "record_by" in raw:
                record_by = tuple(tuple(group) for group in raw["record_by"])
                for j, group in enumerate(record_by):
                    for label in group:
                        if label not in metric_labels:
                            self.fail(
                                (*path, "record_by", j),
                                f"label `{label}` is not on metric `{name}`; its labels: {', '.join(metric_labels) or 'none'}",
                            )
            role = raw.get("role")
            if role:
                if role in roles:
                    self.fail(
                        (*path, "role"), f"role `{role}` is already taken by {roles[role]}; each role names one metric"
                    )
                roles[role] = name
                if kind != ROLE_TYPES[role]:
                    self.fail((*path, "role"), f"a `{role}` metric must be a {ROLE_TYPES[role]}, `{name}` is a {kind}")
            out.append(Metric(name, kind, raw["help"], metric_labels, unit, buckets, errors, record_by, role))
        return out

    def _external(self) -> tuple[ExternalMetric, ...]:
        out = []
        for raw in self.data.get("external_metrics", []):
            labels = raw.get("labels")
            out.append(
                ExternalMetric(raw.get("name"), raw.get("prefix"), tuple(labels) if labels is not None else None)
            )
        return tuple(out)

    def _metric_ref(
        self, name: str, path: YamlPath, metrics: dict[str, Metric], kinds: tuple[str, ...]
    ) -> Metric | None:
        metric = metrics.get(name)
        if metric is None:
            self.fail(path, f"metric `{name}` is not defined in `metrics`; defined: {', '.join(sorted(metrics))}")
            return None
        if metric.type not in kinds:
            self.fail(path, f"metric `{name}` is a {metric.type}; expected a {' or '.join(kinds)}")
            return None
        return metric

    def _slos(self, labels: dict[str, LabelDef], metrics: dict[str, Metric]) -> tuple[Slo, ...]:
        out = []
        names: set[str] = set()
        for i, raw in enumerate(self.data.get("slos", [])):
            path: YamlPath = ("slos", i)
            name = raw["name"]
            if name in names:
                self.fail((*path, "name"), f"duplicate SLO name `{name}`")
            names.add(name)
            objective = float(raw["objective"])
            if not 0 < objective < 100:
                self.fail(
                    (*path, "objective"),
                    f"objective must be a percentage strictly between 0 and 100, got {raw['objective']}",
                )
            period = parse_duration(raw.get("period", "30d"))
            if period < 7 * 86400:
                self.fail((*path, "period"), "period must be at least 7d: the slowest ticket alert looks at 3d")
            sli = raw["sli"]
            if "ratio" in sli:
                ratio = sli["ratio"]
                metric = self._metric_ref(ratio["metric"], (*path, "sli", "ratio", "metric"), metrics, (COUNTER,))
                if metric is None:
                    continue
                errors = self._matchers(
                    ratio["errors"], (*path, "sli", "ratio", "errors"), metric.labels, labels, selects_errors=True
                )
                total = self._matchers(ratio.get("total", {}), (*path, "sli", "ratio", "total"), metric.labels, labels)
                out.append(
                    Slo(name, raw.get("description", ""), objective, period, "ratio", metric.name, errors, total)
                )
            else:
                latency = sli["latency"]
                lpath: YamlPath = (*path, "sli", "latency")
                metric = self._metric_ref(latency["metric"], (*lpath, "metric"), metrics, (HISTOGRAM,))
                if metric is None:
                    continue
                threshold = float(latency["threshold"])
                if threshold not in metric.buckets:
                    bounds = ", ".join(f"{b:g}" for b in metric.buckets)
                    self.fail(
                        (*lpath, "threshold"),
                        f"latency threshold {threshold:g} is not a bucket boundary of `{metric.name}`; buckets: {bounds}",
                    )
                where = self._matchers(latency.get("where", {}), (*lpath, "where"), metric.labels, labels)
                out.append(
                    Slo(
                        name,
                        raw.get("description", ""),
                        objective,
                        period,
                        "latency",
                        metric.name,
                        (),
                        where,
                        threshold,
                    )
                )
        return tuple(out)

    def _alerts(
        self, labels: dict[str, LabelDef], metrics: dict[str, Metric], routing: Routing, scrape: Scrape
    ) -> tuple[Alert, ...]:
        out = []
        names: set[str] = set()
        for i, raw in enumerate(self.data.get("alerts", [])):
            path: YamlPath = ("alerts", i)
            if raw["name"] in names:
                self.fail((*path, "name"), f"duplicate alert name `{raw['name']}`")
            names.add(raw["name"])
            alert = self._alert(raw, path, labels, metrics, routing, scrape)
            if alert is not None:
                out.append(alert)
        return tuple(out)

    def _alert(
        self,
        raw: dict[str, Any],
        path: YamlPath,
        labels: dict[str, LabelDef],
        metrics: dict[str, Metric],
        routing: Routing,
        scrape: Scrape,
    ) -> Alert | None:
        """Checks every alert has (fields, severity, `for`, metric and labels), then its kind's own."""
        kind = alert_kinds.BY_NAME[raw["kind"]]
        usable = True
        for key in sorted(set(raw) - alert_kinds.COMMON_FIELDS - kind.fields):
            allowed = ", ".join(sorted(kind.fields)) or "none besides name, kind, severity, for, description"
            self.fail((*path, key), f"`{key}` has no meaning for alerts of kind `{kind.name}`; its fields: {allowed}")
            usable = False
        for key in kind.required:
            if key not in raw:
                self.fail(path, f"alerts of kind `{kind.name}` need a `{key}`")
                usable = False
        if raw["severity"] not in routing.severities:
            self.fail(
                (*path, "severity"),
                f"severity `{raw['severity']}` has no route; routed severities: {', '.join(routing.severities)}",
            )
        for_seconds = parse_duration(raw.get("for", "5m"))
        min_for = 2 * scrape.evaluation_interval
        if for_seconds < min_for:
            self.fail(
                (*path, "for"),
                f"`for` must be at least two evaluation intervals ({min_for}s) so one bad evaluation does not page",
            )
        window = parse_duration(raw.get("window", "5m"))
        if window < 4 * scrape.interval:
            self.fail((*path, "window"), f"window must cover at least 4 scrape intervals ({4 * scrape.interval}s)")
        metric = None
        if usable and kind.metric_types:
            metric = self._metric_ref(raw["metric"], (*path, "metric"), metrics, kind.metric_types)
        if not usable or (kind.metric_types and metric is None):
            return None
        by = tuple(raw.get("by", []))
        where: tuple[Matcher, ...] = ()
        if metric is not None:
            for j, label in enumerate(by):
                if label not in metric.labels:
                    self.fail(
                        (*path, "by", j),
                        f"label `{label}` is not on metric `{metric.name}`; its labels: {', '.join(metric.labels) or 'none'}",
                    )
            where = self._matchers(raw.get("where", {}), (*path, "where"), metric.labels, labels)
        alert = Alert(
            raw["name"],
            kind.name,
            raw["severity"],
            for_seconds,
            metric.name if metric else None,
            raw.get("quantile"),
            by,
            where,
            raw.get("threshold"),
            window,
            raw.get("description", ""),
        )
        kind.check(self, alert, path, metric)
        return alert

    def _scrape(self, service: str) -> Scrape:
        raw = self.data.get("scrape", {})
        interval = parse_duration(raw.get("interval", "30s"))
        timeout = parse_duration(raw.get("timeout", "10s"))
        evaluation = parse_duration(raw.get("evaluation_interval", raw.get("interval", "30s")))
        if timeout >= interval:
            self.fail(("scrape", "timeout"), f"scrape timeout ({timeout}s) must be below the interval ({interval}s)")
        if interval <= 0 or evaluation <= 0:
            self.fail(("scrape",), "intervals must be positive")
        k8s = raw.get("kubernetes")
        if not raw.get("static_targets") and k8s is None and not raw.get("file_sd"):
            self.fail(
                ("scrape",),
                "give at least one of static_targets, kubernetes, file_sd, or Prometheus finds nothing to scrape",
            )
        return Scrape(
            job=raw.get("job", service),
            interval=interval,
            timeout=timeout,
            evaluation_interval=evaluation,
            static_targets=tuple(raw.get("static_targets", [])),
            k8s_namespaces=tuple(k8s.get("namespaces", [])) if k8s is not None else None,
            k8s_port_name=(k8s or {}).get("port_name", "metrics"),
            file_sd=raw.get("file_sd"),
            alertmanagers=tuple(raw.get("alertmanagers", ["127.0.0.1:9093"])),
        )

    def _exposure(self) -> Exposure:
        raw = self.data.get("exposure", {})
        cidrs: list[str] = []
        networks: list[tuple[int, ipaddress.IPv4Network | ipaddress.IPv6Network]] = []
        for i, text in enumerate(raw.get("allowed_cidrs", ["127.0.0.1/32"])):
            try:
                net = ipaddress.ip_network(text, strict=False)
            except ValueError as exc:
                self.fail(("exposure", "allowed_cidrs", i), f"`{text}` is not an IPv4/IPv6 address or CIDR: {exc}")
                continue
            for j, other in networks:
                if net.version == other.version and (net.subnet_of(other) or other.subnet_of(net)):  # type: ignore[arg-type]
                    self.fail(
                        ("exposure", "allowed_cidrs", i),
                        f"`{text}` overlaps allowed_cidrs[{j}] ({other}); list each network once",
                    )
            networks.append((i, net))
            cidrs.append(str(net))
        bind = raw.get("bind_address", "0.0.0.0")
        try:
            ipaddress.ip_address(bind)
        except ValueError:
            self.fail(("exposure", "bind_address"), f"`{bind}` is not an IP address")
        nginx = raw.get("nginx", {})
        return Exposure(
            port=raw.get("port", 8001),
            bind_address=bind,
            metrics_path=raw.get("metrics_path", "/metrics"),
            allowed_cidrs=tuple(cidrs),
            nginx_listen=nginx.get("listen", 8080),
            server_name=nginx.get("server_name", "_"),
        )

    def _routing(self) -> Routing:
        raw = self.data.get("routing") or {
            "routes": {"page": ["default"], "ticket": ["default"]},
            "receivers": [{"name": "default", "type": "webhook", "url": "http://127.0.0.1:5001/"}],
        }
        receivers = []
        names: set[str] = set()
        for i, r in enumerate(raw["receivers"]):
            path: YamlPath = ("routing", "receivers", i)
            if r["name"] in names:
                self.fail((*path, "name"), f"duplicate receiver `{r['name']}`")
            names.add(r["name"])
            if r["type"] == "email" and "to" not in r:
                self.fail(path, "email receivers need `to`")
            if r["type"] == "email" and "email" not in raw:
                self.fail(path, "email receivers need the `routing.email` block (from, smarthost)")
            if r["type"] == "webhook" and "url" not in r:
                self.fail(path, "webhook receivers need `url` (a DingTalk/WeCom adapter keeps the robot key)")
            receivers.append(Receiver(r["name"], r["type"], r.get("to"), r.get("url")))
        routes = []
        for severity, targets in raw["routes"].items():
            for j, target in enumerate(targets):
                if target not in names:
                    self.fail(
                        ("routing", "routes", severity, j),
                        f"receiver `{target}` is not defined; receivers: {', '.join(sorted(names))}",
                    )
            routes.append((severity, tuple(targets)))
        email = raw.get("email", {})
        return Routing(
            group_by=tuple(raw.get("group_by", ["alertname", "service"])),
            routes=tuple(routes),
            receivers=tuple(receivers),
            email_from=email.get("from"),
            smarthost=email.get("smarthost"),
            auth_username=email.get("auth_username"),
            auth_password_file=email.get("auth_password_file"),
        )

    def _kubernetes(self) -> Kubernetes:
        raw = self.data.get("kubernetes", {})
        return Kubernetes(
            bool(raw.get("enabled", False)),
            raw.get("namespace", "monitoring"),
            tuple(sorted(raw.get("labels", {}).items())),
        )
