"""What the services of one project cannot share, as spec errors at the later service's spec
(`FILE:LINE:COL`, naming the position in the earlier one), all reported before anything is
generated; only two services writing one file of their own is found once their files are
generated (`one_writer_per_path`), still before the tree is written.

- Identity: a service, its dashboard uid, its metric namespace and its own recorded series
  (`recording_rules`) belong to one service of the tree, as do the job names and `job` labels
  of its scrape jobs.
- An exporter job several services name is one job (model.py) when they agree on what it is;
  the same name with another exporter or settings is reported at each spec that names it.
- What the shared files hold once must agree: the engines (`engines`), prometheus.yml's
  Alertmanagers and global settings apart from the intervals (the smallest is kept), the SMTP
  settings of alertmanager.yml where two specs set them, the receivers and time intervals shared
  by name, and the name and URL of a Grafana datasource uid.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from mongen.errors import SpecError, SpecIssue, YamlPath
from mongen.generators import alertmanager, prometheus_config
from mongen.generators.grafana import provisioning
from mongen.project.model import LoadedSpec, Project, exporter_setup
from mongen.rules.naming import dashboard_uid


class _Conflicts:
    def __init__(self) -> None:
        self.found: list[SpecIssue] = []

    def fail(self, service: LoadedSpec, path: YamlPath, message: str) -> None:
        self.found.append(service.issue(path, message))

    def raise_if_any(self) -> None:
        if self.found:
            raise SpecError(self.found)


def check_project(project: Project) -> None:
    """Raises SpecError for services that cannot share one tree."""
    ordered = list(project.specs)
    conflicts = _Conflicts()
    conflicting_exporters = _check_exporter_jobs(ordered, conflicts)
    _check_identities(ordered, conflicts)
    _check_namespaces(ordered, conflicts)
    _check_recorded_names(ordered, conflicts)
    _agree(
        conflicts,
        "the ops tree",
        "engines",
        [(s, list(s.model.engines)) for s in ordered],
        ("engines",),
        "one engine's configuration (vmagent.yml, the flags files) serves every service of the tree",
    )
    _check_prometheus(ordered, conflicts, conflicting_exporters)
    _check_alertmanager(ordered, conflicts)
    _check_datasources(ordered, conflicts)
    conflicts.raise_if_any()


def one_writer_per_path(project: Project, outputs: Iterable[Mapping[str, str]]) -> None:
    """Every service's own files (in the project's order) have paths of their own, also on a
    case-insensitive file system (macOS, Windows: `runbooks/GpuHot.md` and `runbooks/GPUHot.md`
    are one file there, the one spec's alert names are told apart so for that reason). Raises
    SpecError."""
    conflicts = _Conflicts()
    writer: dict[str, tuple[LoadedSpec, str]] = {}  # case-folded path -> its first writer and path
    for service, files in zip(project.specs, outputs, strict=True):
        clashes: dict[str, list[str]] = {}
        for path in files:
            earlier, written = writer.setdefault(path.casefold(), (service, path))
            if earlier.service != service.service:
                shown = f"`{path}`" if written == path else f"`{path}` (`{written}` but for case)"
                clashes.setdefault(earlier.service, []).append(shown)
        for earlier_name, paths in clashes.items():
            first = next(s for s in project.specs if s.service == earlier_name)
            conflicts.fail(
                service,
                ("service", "name"),
                f"service `{service.service}` would write {', '.join(paths)}, which "
                f"{first.at(('service', 'name'))} writes too (paths that differ only in case are one file on a "
                "case-insensitive file system); rename what names them in one spec (a runbook is named after "
                "its alert)",
            )
    conflicts.raise_if_any()


def _check_exporter_jobs(ordered: list[LoadedSpec], conflicts: _Conflicts) -> set[str]:
    """An exporter job name several services give different exporters or settings, reported at
    each of them; the names so reported."""
    named: dict[str, list[tuple[LoadedSpec, int]]] = {}
    for service in ordered:
        for i, job in enumerate(service.model.scrape.exporters):
            named.setdefault(job.job, []).append((service, i))
    reported = set()
    for name, uses in named.items():
        if len({s.service for s, _ in uses}) < 2:
            continue
        (first_service, first_index), *rest = uses
        setup = _exporter_setups(uses)
        differ = [(s, i) for s, i in rest if setup[s, i] != setup[first_service, first_index]]
        if not differ:
            continue
        reported.add(name)
        for service, index in [(first_service, first_index), *differ]:
            other_service, other_index = differ[0] if service is first_service else uses[0]
            mine, theirs = setup[service, index], setup[other_service, other_index]
            keys = [k for k in mine if mine[k] != theirs[k]]
            conflicts.fail(
                service,
                ("scrape", "exporters", index, "job"),
                f"the exporter job `{name}` has {_shown({k: mine[k] for k in keys})} here but "
                f"{_shown({k: theirs[k] for k in keys})} for "
                f"{other_service.at(('scrape', 'exporters', other_index, 'job'))}; "
                "one prometheus.yml scrapes a job name once: give both specs the same exporter and settings "
                "(their targets are united), or name one job differently",
            )
    return reported


def _exporter_setups(uses: list[tuple[LoadedSpec, int]]) -> dict[tuple[LoadedSpec, int], dict[str, Any]]:
    return {(s, i): exporter_setup(s.model.scrape.exporters[i]) for s, i in uses}


def _check_identities(ordered: list[LoadedSpec], conflicts: _Conflicts) -> None:
    """Service names and dashboard uids are unique in one tree."""
    where: YamlPath = ("service", "name")
    for i, later in enumerate(ordered):
        for earlier in ordered[:i]:
            if earlier.service == later.service:
                conflicts.fail(
                    later,
                    where,
                    f"service `{later.service}` is also generated from {earlier.doc.locate(where)}; "
                    "each service may appear once in a run: drop one of the specs or rename its service",
                )
            elif dashboard_uid(earlier.model) == dashboard_uid(later.model):
                conflicts.fail(
                    later,
                    where,
                    f"the dashboard uid `{dashboard_uid(later.model)}` (the service name's first characters) is also "
                    f"that of {earlier.at(where)}; Grafana keeps one dashboard per uid: shorten or rename one service",
                )


def _check_namespaces(ordered: list[LoadedSpec], conflicts: _Conflicts) -> None:
    """Two services of one namespace would record the same series names (mongen's recording rules
    sum over every job), and each one's alerts would read the other's traffic."""
    where: YamlPath = ("service", "namespace")
    for i, later in enumerate(ordered):
        earlier = next(
            (e for e in ordered[:i] if e.model.namespace == later.model.namespace and e.service != later.service),
            None,
        )
        if earlier is not None:
            conflicts.fail(
                later,
                where,
                f"the metric namespace `{later.model.namespace}` is also {earlier.at(where)}'s: both would record "
                "the same series names, and each one's alerts would read the other's traffic; give each service a "
                "namespace of its own",
            )


def _check_recorded_names(ordered: list[LoadedSpec], conflicts: _Conflicts) -> None:
    """A spec's own `recording_rules` names are unique in one tree (mongen's own names start with
    the service's namespace, which _check_namespaces keeps apart)."""
    seen: dict[str, tuple[LoadedSpec, YamlPath]] = {}
    for service in ordered:
        for i, rule in enumerate(service.model.recording_rules):
            path: YamlPath = ("recording_rules", i, "record")
            first = seen.setdefault(rule.record, (service, path))
            if first[0] is not service:
                conflicts.fail(
                    service,
                    path,
                    f"`{rule.record}` is also recorded by {first[0].at(first[1])}; two rule groups writing one "
                    "series overwrite each other: rename one",
                )


def _check_prometheus(ordered: list[LoadedSpec], conflicts: _Conflicts, conflicting_exporters: set[str]) -> None:
    """prometheus.yml: the global settings (the intervals apart) and the Alertmanagers agree; a job
    name or `job` label belongs to one service."""
    _settings(
        conflicts, "prometheus.yml", [(s, prometheus_config.global_settings(s.model)) for s in ordered], ("scrape",)
    )
    _agree(
        conflicts,
        "prometheus.yml",
        "alerting",
        [(s, prometheus_config.alerting(s.model)) for s in ordered],
        ("scrape", "alertmanagers"),
    )
    _check_job_names(ordered, conflicts, conflicting_exporters)


def _check_job_names(ordered: list[LoadedSpec], conflicts: _Conflicts, conflicting_exporters: set[str]) -> None:
    """A job name, or a `job` label a job sets, belongs to one service; an exporter job several
    services name is theirs together (one job, or a conflict reported at the exporters)."""
    owner: dict[str, tuple[LoadedSpec, bool]] = {}  # name -> first service, and whether it is an exporter job there
    where: YamlPath = ("scrape", "job")
    for service in ordered:
        clashes: dict[str, list[str]] = {}  # earlier service -> the names it holds already
        exporters = [job.job for job in service.model.scrape.exporters]
        names = [(n, False) for n in prometheus_config.job_names(service.model)] + [(n, True) for n in exporters]
        for name, exporter in names:
            if name in conflicting_exporters:
                continue
            earlier, shared = owner.setdefault(name, (service, exporter))
            if earlier.service == service.service or (shared and exporter):
                continue
            if name not in clashes.get(earlier.service, []):
                clashes.setdefault(earlier.service, []).append(name)
        for earlier_name, clashing in clashes.items():
            first = next(s for s in ordered if s.service == earlier_name)
            conflicts.fail(
                service,
                where,
                f"the scrape job names {', '.join(f'`{n}`' for n in sorted(clashing))} are also {first.at(where)}'s; "
                "job names label every series and must be unique in one prometheus.yml: set a different "
                "`scrape.job` in one spec",
            )


def _check_alertmanager(ordered: list[LoadedSpec], conflicts: _Conflicts) -> None:
    """alertmanager.yml: SMTP settings agree where two specs set them; time intervals and receivers
    are shared by name and must be defined the same."""
    _settings(
        conflicts, "alertmanager.yml", [(s, alertmanager.smtp_settings(s.model)) for s in ordered], ("routing", "email")
    )
    _named(
        conflicts,
        "time_intervals",
        [(s, alertmanager.time_interval_entries(s.model)) for s in ordered],
        _routing_path("time_intervals"),
    )
    _named(
        conflicts,
        "receivers",
        [(s, alertmanager.receiver_entries(s.model)) for s in ordered],
        _routing_path("receivers"),
    )


def _check_datasources(ordered: list[LoadedSpec], conflicts: _Conflicts) -> None:
    """Specs naming one Grafana datasource uid agree on its name and URL."""
    entries: dict[str, tuple[LoadedSpec, dict[str, Any]]] = {}
    for service in ordered:
        entry = provisioning.datasource_entry(service.model)
        uid = entry["uid"]
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


def _shown(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _agree(
    conflicts: _Conflicts,
    file: str,
    key: str,
    values: list[tuple[LoadedSpec, Any]],
    path: YamlPath,
    shared: str = "the services share one file",
) -> None:
    """Every service gives a setting of a shared file one value, else a conflict."""
    first, value = values[0]
    for service, other in values[1:]:
        if other != value:
            conflicts.fail(
                service,
                path,
                f"`{key}` in {file} would be {_shown(other)} here but {_shown(value)} for {first.at(path)}; "
                f"{shared}: give every spec the same setting",
            )


def _settings(
    conflicts: _Conflicts, file: str, values: list[tuple[LoadedSpec, dict[str, Any]]], path: YamlPath
) -> None:
    """A `global:` block: each setting as every service that sets it agrees."""
    for key in dict.fromkeys(k for _, block in values for k in block):
        _agree(conflicts, file, f"global.{key}", [(s, block[key]) for s, block in values if key in block], path)


def _named(
    conflicts: _Conflicts,
    key: str,
    values: list[tuple[LoadedSpec, list[dict[str, Any]]]],
    where: Callable[[LoadedSpec, str], YamlPath],
) -> None:
    """Named entries (receivers, time intervals) are shared by name: two services defining one
    differently is a conflict."""
    first: dict[str, tuple[LoadedSpec, Any]] = {}
    for service, entries in values:
        for entry in entries:
            name = entry["name"]
            if name not in first:
                first[name] = (service, entry)
            elif first[name][1] != entry:
                conflicts.fail(
                    service,
                    where(service, name),
                    f"`{name}` in {key} is defined differently by {first[name][0].at(where(first[name][0], name))}; "
                    f"one alertmanager.yml shares {key} by name: define it the same in both specs or rename one",
                )


def _routing_path(key: str) -> Callable[[LoadedSpec, str], YamlPath]:
    """Where a named entry of `routing.<key>` is (`routing.receivers[2].name`), else `routing.<key>`."""

    def where(service: LoadedSpec, name: str) -> YamlPath:
        data = service.doc.data
        routing = data.get("routing") if isinstance(data, dict) else None
        entries = routing.get(key) if isinstance(routing, dict) else None
        for i, entry in enumerate(entries if isinstance(entries, list) else []):
            if isinstance(entry, dict) and entry.get("name") == name:
                return ("routing", key, i, "name")
        return ("routing", key)

    return where
