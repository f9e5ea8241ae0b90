"""Many services, one ops tree: several specs generated into one output directory.

Each spec is generated as in a single-spec run; the files every service would write (prometheus.yml,
alertmanager.yml and its routing test, Grafana's datasource) are then merged from the generators'
data and serialized once. The merge works on the generated dicts, not per receiver or job type:

- prometheus.yml: every service's rule files and scrape jobs, in service order. Each job and each
  rule group carries its own interval, so the global intervals need not agree: the smallest of each
  is kept (it is only the default of jobs added by hand). Every other setting (the Alertmanagers
  alerts go to) must agree, and no job name or `job` label may belong to two services.
- alertmanager.yml: the root route holds one sub-route per service, matching `service="<name>"`,
  carrying that spec's root receiver (for unknown or missing severities), the grouping it differs
  in and its severity routes: every alert of a service routes exactly as its spec alone says. The
  root route takes alerts of no known service: the default receiver every spec names, else
  Unrouted, which sends nothing. Named entries (receivers, time intervals) are shared by name and
  must be defined the same; global settings (SMTP) must agree where two specs set them; equal
  inhibit rules are kept once. routes.test.yml holds every service's cases plus the unknown service.
- Grafana's datasources: one per uid the specs name (they must agree on its URL and name), with the
  smallest scrape interval of the services reading it (its timeInterval is a floor).
- The engines (`engines`) must agree; VictoriaMetrics' vmagent.yml and flags files are derived from
  the merged prometheus.yml, as for one spec from its own.

Before anything is generated the project's model is composed: an exporter job (`scrape.exporters`,
e.g. dcgm-exporter on the GPU hosts several services run on) that several specs name is one job
when they agree on what it is (the exporter, path, interval, file_sd); its static targets are the
union of theirs, and every service's own rules and alerts read that one job. The same job name
for different exporters or settings is a conflict, reported at each spec that names it.

Services are ordered by name, so the order of the specs on the command line does not matter. A
conflict is a spec error at the later service's spec, naming the position in the earlier one.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from mongen import layout
from mongen.errors import SpecError, SpecIssue, YamlPath
from mongen.generators import alertmanager, generate_all, prometheus_config, victoriametrics
from mongen.generators.grafana import provisioning
from mongen.model import ExporterJob, Spec
from mongen.rules.naming import dashboard_uid
from mongen.serialize import sources_header, to_yaml
from mongen.spec.loader import LoadedDocument
from mongen.units import duration_seconds, format_duration

# Files every service writes; merged here instead of taken from one service.
SHARED_FILES = frozenset(
    {layout.PROMETHEUS_CONFIG, layout.ALERTMANAGER_CONFIG, layout.ROUTES_TEST, layout.GRAFANA_DATASOURCE}
    | victoriametrics.shared_paths()
)
# prometheus.yml's global defaults that every generated job and rule group overrides.
_OWN_INTERVALS = frozenset({"scrape_interval", "scrape_timeout", "evaluation_interval"})
# Where in a spec the settings behind a generated top-level key are written (for error positions).
_PROMETHEUS_SOURCES: dict[str, YamlPath] = {"alerting": ("scrape", "alertmanagers")}
_ROUTE_OWN_KEYS = ("receiver", "routes")


@dataclass(frozen=True)
class Service:
    spec: Spec
    doc: LoadedDocument  # the spec's YAML with positions, for error messages

    @property
    def name(self) -> str:
        return self.spec.service

    def at(self, path: YamlPath) -> str:
        return f"service `{self.name}` ({self.doc.locate(path)})"


class _Conflicts:
    def __init__(self) -> None:
        self.found: list[SpecIssue] = []
        self.exporter_jobs: set[str] = set()  # exporter job names already reported as conflicts

    def fail(self, service: Service, path: YamlPath, message: str) -> None:
        self.found.append(SpecIssue(service.doc.locate(path), path, message))

    def raise_if_any(self) -> None:
        if self.found:
            raise SpecError(self.found)


def in_order(services: Sequence[Service]) -> list[Service]:
    """Services by name: the order of every merged list and of the sources in headers."""
    return sorted(services, key=lambda s: (s.name, s.spec.source))


def combine(services: Sequence[Service]) -> dict[str, str]:
    """Every service's files plus the merged shared files, {relative path: text}; the caller adds
    the marker. Raises SpecError for services that cannot share one tree."""
    conflicts = _Conflicts()
    ordered = _unite_exporter_jobs(in_order(services), conflicts)
    _check_identities(ordered, conflicts)
    _check_namespaces(ordered, conflicts)
    _check_recorded_names(ordered, conflicts)
    engines = _agree(
        conflicts,
        "the ops tree",
        "engines",
        [(s, list(s.spec.engines)) for s in ordered],
        ("engines",),
        "one engine's configuration (vmagent.yml, the flags files) serves every service of the tree",
    )
    files: dict[str, str] = {}
    writer: dict[str, Service] = {}
    for service in ordered:
        clashes: dict[str, list[str]] = {}
        for path, text in generate_all(service.spec).items():
            if path in SHARED_FILES:
                continue
            if path in writer and writer[path].name != service.name:  # the same name twice is reported once
                clashes.setdefault(writer[path].name, []).append(path)
            else:
                files[path], writer[path] = text, service
        for earlier, paths in clashes.items():
            first = next(s for s in ordered if s.name == earlier)
            conflicts.fail(
                service,
                ("service", "name"),
                f"service `{service.name}` would write {', '.join(f'`{p}`' for p in paths)}, which "
                f"{first.at(('service', 'name'))} writes too; rename what names them in one spec (a runbook is "
                "named after its alert)",
            )
    prometheus = _prometheus(ordered, conflicts)
    routing, cases = _alertmanager(ordered, conflicts)
    datasource = _datasources(ordered, conflicts)
    conflicts.raise_if_any()
    head = sources_header([s.spec.source for s in ordered])
    files[layout.PROMETHEUS_CONFIG] = prometheus_config.text(prometheus, head)
    files[layout.ALERTMANAGER_CONFIG] = head + to_yaml(routing)
    files[layout.ROUTES_TEST] = head + to_yaml({"cases": cases})
    files[layout.GRAFANA_DATASOURCE] = head + to_yaml(datasource)
    if victoriametrics.ENGINE in engines:
        files.update(victoriametrics.shared_files(prometheus, head))
    return dict(sorted(files.items()))


def _exporter_setup(job: ExporterJob) -> dict[str, Any]:
    """What an exporter job is, apart from where its targets are."""
    return {
        "exporter": job.exporter,
        "metrics_path": job.metrics_path,
        "interval": job.interval,
        "file_sd": job.file_sd,
    }


def _unite_exporter_jobs(ordered: list[Service], conflicts: _Conflicts) -> list[Service]:
    """The services with every exporter job that several of them name made one: the same setup,
    the union of their static targets (in service order). A job name two specs give different
    exporters or settings is reported at both."""
    named: dict[str, list[tuple[Service, int, ExporterJob]]] = {}
    for service in ordered:
        for i, job in enumerate(service.spec.scrape.exporters):
            named.setdefault(job.job, []).append((service, i, job))
    united: dict[str, tuple[str, ...]] = {}
    for name, uses in named.items():
        if len({s.name for s, _, _ in uses}) < 2:
            continue
        first_service, first_index, first = uses[0]
        differ = [(s, i, job) for s, i, job in uses[1:] if _exporter_setup(job) != _exporter_setup(first)]
        if differ:
            conflicts.exporter_jobs.add(name)
            for service, index, job in [(first_service, first_index, first), *differ]:
                other_service, other_index, other = differ[0] if service is first_service else uses[0]
                mine, theirs = _exporter_setup(job), _exporter_setup(other)
                keys = [k for k in mine if mine[k] != theirs[k]]
                path: YamlPath = ("scrape", "exporters", index, "job")
                conflicts.fail(
                    service,
                    path,
                    f"the exporter job `{name}` has {_shown({k: mine[k] for k in keys})} here but "
                    f"{_shown({k: theirs[k] for k in keys})} for "
                    f"{other_service.at(('scrape', 'exporters', other_index, 'job'))}; "
                    "one prometheus.yml scrapes a job name once: give both specs the same exporter and settings "
                    "(their targets are united), or name one job differently",
                )
            continue
        united[name] = tuple(dict.fromkeys(t for _, _, job in uses for t in job.static_targets))
    if not united:
        return ordered
    out = []
    for service in ordered:
        scrape = service.spec.scrape
        exporters = tuple(
            replace(job, static_targets=united[job.job]) if job.job in united else job for job in scrape.exporters
        )
        out.append(replace(service, spec=replace(service.spec, scrape=replace(scrape, exporters=exporters))))
    return out


def _datasources(ordered: list[Service], conflicts: _Conflicts) -> dict[str, Any]:
    """One datasource per uid the specs name (most name the default one Prometheus), with the
    smallest scrape interval of the services reading it (its timeInterval is a floor). Specs
    naming one uid must agree on its name and URL."""
    entries: dict[str, tuple[Service, dict[str, Any]]] = {}
    floor: dict[str, int] = {}
    for service in ordered:
        entry = provisioning.datasource_entry(service.spec)
        uid = entry["uid"]
        floor[uid] = min(floor.get(uid, service.spec.scrape.interval), service.spec.scrape.interval)
        if uid not in entries:
            entries[uid] = (service, entry)
            continue
        first, first_entry = entries[uid]
        for key in ("url", "name"):
            if first_entry[key] != entry[key]:
                path: YamlPath = ("grafana", "datasource", key)
                conflicts.fail(
                    service,
                    path,
                    f"the datasource `{uid}` has {key} {entry[key]!r} here and {first_entry[key]!r} in "
                    f"{first.at(path)}; one uid is one datasource in Grafana: give one of them another "
                    f"`grafana.datasource.uid`, or the same {key}",
                )
    for uid, (_, entry) in entries.items():
        entry["jsonData"]["timeInterval"] = format_duration(floor[uid])
    return provisioning.datasources([entry for _, entry in entries.values()])


def _check_identities(ordered: list[Service], conflicts: _Conflicts) -> None:
    """Service names and dashboard uids are unique in one tree."""
    where: YamlPath = ("service", "name")
    for i, later in enumerate(ordered):
        for earlier in ordered[:i]:
            if earlier.name == later.name:
                conflicts.fail(
                    later,
                    where,
                    f"service `{later.name}` is also generated from {earlier.doc.locate(where)}; "
                    "each service may appear once in a run: drop one of the specs or rename its service",
                )
            elif dashboard_uid(earlier.spec) == dashboard_uid(later.spec):
                conflicts.fail(
                    later,
                    where,
                    f"the dashboard uid `{dashboard_uid(later.spec)}` (the service name's first characters) is also "
                    f"that of {earlier.at(where)}; Grafana keeps one dashboard per uid: shorten or rename one service",
                )


def _check_namespaces(ordered: list[Service], conflicts: _Conflicts) -> None:
    """Two services of one namespace would record the same series names (mongen's recording rules
    sum over every job), and each one's alerts would read the other's traffic."""
    where: YamlPath = ("service", "namespace")
    for i, later in enumerate(ordered):
        earlier = next(
            (e for e in ordered[:i] if e.spec.namespace == later.spec.namespace and e.name != later.name), None
        )
        if earlier is not None:
            conflicts.fail(
                later,
                where,
                f"the metric namespace `{later.spec.namespace}` is also {earlier.at(where)}'s: both would record "
                "the same series names, and each one's alerts would read the other's traffic; give each service a "
                "namespace of its own",
            )


def _check_recorded_names(ordered: list[Service], conflicts: _Conflicts) -> None:
    """A spec's own `recording_rules` names are unique in one tree (mongen's own names start with
    the service's namespace, which _check_identities keeps apart)."""
    seen: dict[str, tuple[Service, YamlPath]] = {}
    for service in ordered:
        for i, rule in enumerate(service.spec.recording_rules):
            path: YamlPath = ("recording_rules", i, "record")
            first = seen.setdefault(rule.record, (service, path))
            if first[0] is not service:
                conflicts.fail(
                    service,
                    path,
                    f"`{rule.record}` is also recorded by {first[0].at(first[1])}; two rule groups writing one "
                    "series overwrite each other: rename one",
                )


def _keys(configs: list[dict[str, Any]]) -> list[str]:
    """The top-level keys of several generated configs in the order the generators write them
    (a key some configs lack, like `global`, keeps its place before the keys it precedes)."""
    seen = list(dict.fromkeys(k for c in configs for k in c))
    places = {k: sorted(list(c).index(k) for c in configs if k in c) for k in seen}
    return sorted(seen, key=lambda k: (places[k][0], places[k][-1]))


def _shown(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _agree(
    conflicts: _Conflicts,
    file: str,
    key: str,
    values: list[tuple[Service, Any]],
    path: YamlPath,
    shared: str = "the services share one file",
) -> Any:
    """The one value every service gives a setting of a shared file, or a conflict."""
    first, value = values[0]
    for service, other in values[1:]:
        if other != value:
            conflicts.fail(
                service,
                path,
                f"`{key}` in {file} would be {_shown(other)} here but {_shown(value)} for {first.at(path)}; "
                f"{shared}: give every spec the same setting",
            )
    return value


def _named(
    conflicts: _Conflicts, key: str, values: list[tuple[Service, list[Any]]], where: Callable[[Service, str], YamlPath]
) -> list[Any]:
    """Lists of named entries (receivers, time intervals) merged by name, sorted by name; an entry
    two services define differently is a conflict."""
    merged: dict[str, tuple[Service, Any]] = {}
    for service, entries in values:
        for entry in entries:
            name = entry["name"]
            if name not in merged:
                merged[name] = (service, entry)
            elif merged[name][1] != entry:
                conflicts.fail(
                    service,
                    where(service, name),
                    f"`{name}` in {key} is defined differently by {merged[name][0].at(where(merged[name][0], name))}; "
                    f"one alertmanager.yml shares {key} by name: define it the same in both specs or rename one",
                )
    return [merged[name][1] for name in sorted(merged)]


def _routing_path(key: str) -> Callable[[Service, str], YamlPath]:
    """Where a named entry of `routing.<key>` is (`routing.receivers[2].name`), else `routing.<key>`."""

    def where(service: Service, name: str) -> YamlPath:
        routing = service.doc.data.get("routing") if isinstance(service.doc.data, dict) else None
        entries = routing.get(key) if isinstance(routing, dict) else None
        for i, entry in enumerate(entries if isinstance(entries, list) else []):
            if isinstance(entry, dict) and entry.get("name") == name:
                return ("routing", key, i, "name")
        return ("routing", key)

    return where


def _prometheus(ordered: list[Service], conflicts: _Conflicts) -> dict[str, Any]:
    configs = [(s, prometheus_config.config(s.spec)) for s in ordered]
    merged: dict[str, Any] = {}
    for key in _keys([c for _, c in configs]):
        values = [(s, c[key]) for s, c in configs if key in c]
        if key == "global":
            merged[key] = _settings(conflicts, "prometheus.yml", values, ("scrape",), smallest=_OWN_INTERVALS)
        elif key == "rule_files":
            merged[key] = [f for _, files in values for f in files]
        elif key == "scrape_configs":
            merged[key] = _scrape_jobs(conflicts, values)
        else:
            merged[key] = _agree(conflicts, "prometheus.yml", key, values, _PROMETHEUS_SOURCES.get(key, ("scrape",)))
    return merged


def _settings(
    conflicts: _Conflicts,
    file: str,
    values: list[tuple[Service, dict[str, Any]]],
    path: YamlPath,
    smallest: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """A `global:` block: each setting as every service that sets it agrees, the `smallest` ones
    (durations) as the smallest any service gives."""
    out: dict[str, Any] = {}
    for key in dict.fromkeys(k for _, block in values for k in block):
        settings = [(s, block[key]) for s, block in values if key in block]
        if key in smallest:
            out[key] = min((v for _, v in settings), key=lambda text: duration_seconds(text) or 0.0)
        else:
            out[key] = _agree(conflicts, file, f"global.{key}", settings, path)
    return out


def _scrape_jobs(conflicts: _Conflicts, values: list[tuple[Service, list[dict[str, Any]]]]) -> list[dict[str, Any]]:
    """Every job; a job name, or a `job` label a job sets, belongs to one service. An exporter's
    job (`scrape.exporters`: dcgm-exporter on the GPU hosts both services run on) that two specs
    define the same is one job, scraped once."""
    owner: dict[str, Service] = {}
    where: YamlPath = ("scrape", "job")
    exporter_jobs = {e.job for service, _ in values for e in service.spec.scrape.exporters}
    shared: list[dict[str, Any]] = []
    for service, jobs in values:
        clashes: dict[str, list[str]] = {}  # earlier service -> the names it holds already
        for job in jobs:
            if job["job_name"] in exporter_jobs and job in shared:
                continue
            if job["job_name"] in exporter_jobs:
                shared.append(job)
            labels = [r.get("replacement") for r in job.get("relabel_configs", []) if r.get("target_label") == "job"]
            for name in dict.fromkeys([job["job_name"], *labels]):
                if name in conflicts.exporter_jobs:
                    continue
                earlier = owner.setdefault(name, service)
                if earlier.name != service.name and name not in clashes.get(earlier.name, []):
                    clashes.setdefault(earlier.name, []).append(name)
        for earlier_name, names in clashes.items():
            first = next(s for s, _ in values if s.name == earlier_name)
            conflicts.fail(
                service,
                where,
                f"the scrape job names {', '.join(f'`{n}`' for n in sorted(names))} are also {first.at(where)}'s; job "
                "names label every series and must be unique in one prometheus.yml: set a different `scrape.job` "
                "in one spec",
            )
    kept = [job for _, jobs in values for job in jobs]
    return [job for i, job in enumerate(kept) if job["job_name"] not in exporter_jobs or job not in kept[:i]]


def _alertmanager(ordered: list[Service], conflicts: _Conflicts) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    configs = [(s, alertmanager.config(s.spec)) for s in ordered]
    roots = [c["route"] for _, c in configs]
    shared = {
        k: v for k, v in roots[0].items() if k not in _ROUTE_OWN_KEYS and all(k in r and r[k] == v for r in roots)
    }
    defaults = {r["receiver"] for r in roots}
    top = roots[0]["receiver"] if len(defaults) == 1 else alertmanager.NULL_RECEIVER
    merged: dict[str, Any] = {}
    for key in _keys([c for _, c in configs]):
        values = [(s, c[key]) for s, c in configs if key in c]
        if key == "route":
            merged[key] = {"receiver": top, **shared, "routes": [_service_route(s, r, shared) for s, r in values]}
        elif key == "global":
            merged[key] = _settings(conflicts, "alertmanager.yml", values, ("routing", "email"))
        elif all(isinstance(e, dict) and "name" in e for _, entries in values for e in entries):
            if key == "receivers" and top == alertmanager.NULL_RECEIVER:
                values.append((ordered[0], [{"name": alertmanager.NULL_RECEIVER}]))
            merged[key] = _named(conflicts, key, values, _routing_path(key))
        else:  # inhibit rules and other lists: each distinct entry once, in service order
            entries = [e for _, v in values for e in v]
            merged[key] = [e for i, e in enumerate(entries) if e not in entries[:i]]
    return merged, _route_cases(ordered, top)


def _service_route(service: Service, root: dict[str, Any], shared: dict[str, Any]) -> dict[str, Any]:
    # Service names are `[a-z][a-z0-9-]*` (schema): nothing to escape in the matcher.
    own = {k: v for k, v in root.items() if k not in _ROUTE_OWN_KEYS and k not in shared}
    return {"receiver": root["receiver"], "matchers": [f'service="{service.name}"'], **own, "routes": root["routes"]}


def _route_cases(ordered: list[Service], top: str) -> list[dict[str, Any]]:
    """Each service's own cases, then an alert of no known service and one with no service label."""
    cases = [case for s in ordered for case in alertmanager.route_cases(s.spec)]
    names = {s.name for s in ordered}
    stranger = next(
        n for n in itertools.chain(["unknown-service"], (f"unknown-{i}" for i in itertools.count())) if n not in names
    )
    labels = {"alertname": "MongenRouteTest", "severity": "page"}
    cases.append({"labels": {**labels, "service": stranger}, "receivers": [top]})
    cases.append({"labels": labels, "receivers": [top]})
    return cases
