"""The project's model: its specs, each with the YAML it was read from, in service order.

An exporter job (`scrape.exporters`, e.g. dcgm-exporter on the GPU hosts several services run on)
that several specs name is one job when they agree on what it is (the exporter, path, interval,
file_sd): its static targets are the union of theirs, and every service's own rules and alerts
read that one job. The same job name for different exporters or settings is a conflict
(checks.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from mongen.config import spec_name
from mongen.errors import Finding, SpecError, SpecIssue, YamlPath, format_path
from mongen.loading import build_spec, load_document
from mongen.model import ExporterJob, Spec
from mongen.spec.loader import LoadedDocument


@dataclass(frozen=True, eq=False)  # one per spec file read: compared by identity
class LoadedSpec:
    model: Spec
    doc: LoadedDocument  # the spec's YAML with positions, for error messages

    @property
    def service(self) -> str:
        return self.model.service

    def at(self, path: YamlPath) -> str:
        """The service and where `path` is in its spec, for messages about another spec."""
        return f"service `{self.service}` ({self.doc.locate(path)})"

    def issue(self, path: YamlPath, message: str) -> SpecIssue:
        return SpecIssue(self.doc.locate(path), path, message)


@dataclass(frozen=True)
class Project:
    """The specs generated into one tree, ordered by service name: the order of every shared
    list and of the sources in headers, so the order of the specs on the command line does not
    matter."""

    specs: tuple[LoadedSpec, ...]

    @classmethod
    def of(cls, specs: Sequence[LoadedSpec]) -> Project:
        return cls(tuple(sorted(specs, key=lambda s: (s.service, s.model.source))))

    @property
    def models(self) -> tuple[Spec, ...]:
        return tuple(s.model for s in self.specs)


def spec_warning(issue: SpecIssue) -> Finding:
    """A spec warning (SpecIssues.warn) as a finding `mongen generate` prints."""
    where = issue.location
    return Finding(where.file, where.line, where.col, "warning", "spec", f"{format_path(issue.path)}: {issue.message}")


def load_project(
    spec_paths: Sequence[str], runbooks_url: str | None = None, warnings: list[Finding] | None = None
) -> Project:
    """Every spec, loaded before any error is raised, so one run reports the problems of all.
    `runbooks_url` (the project config's) applies to specs that name no place for runbooks; each
    spec's warnings are appended to `warnings`, when given. Headers name each spec by its path in
    the project (config.spec_name), so `generate --check` agrees from any working directory."""
    specs: list[LoadedSpec] = []
    issues: list[SpecIssue] = []
    for path in spec_paths:
        try:
            doc = load_document(path)
            spec = replace(build_spec(doc), source=spec_name(path))
            if runbooks_url and not spec.runbooks_url:
                spec = replace(spec, runbooks_url=runbooks_url)
            specs.append(LoadedSpec(spec, doc))
            if warnings is not None:
                warnings += [spec_warning(issue) for issue in spec.warnings]
        except SpecError as exc:
            issues += exc.issues
    if issues:
        raise SpecError(issues)
    project = Project.of(specs)
    if warnings is not None:
        warnings += [spec_warning(issue) for issue in shared_job_warnings(project)]
    return project


def shared_job_warnings(project: Project) -> list[SpecIssue]:
    """An exporter job made one across services watches every service's targets: each service's
    alerts on it (a GPU too hot) fire for the others' hosts too, and reach its own on-call. Said
    at each spec whose job lacks targets the others add, so a shared host is meant, not assumed."""
    out = []
    for name, jobs in shared_exporter_jobs(project.models).items():
        for spec_index, job_index, job in jobs:
            foreign = [t for _, _, other in jobs if other is not job for t in other.static_targets]
            extra = list(dict.fromkeys(t for t in foreign if t not in job.static_targets))
            if not extra:
                continue
            loaded = project.specs[spec_index]
            others = ", ".join(f"`{project.specs[i].service}`" for i, _, _ in jobs if i != spec_index)
            shown = ", ".join(extra[:5]) + (f" and {len(extra) - 5} more" if len(extra) > 5 else "")
            out.append(
                loaded.issue(
                    ("scrape", "exporters", job_index, "job"),
                    f"exporter job `{name}` is one job with service {others}'s of the same name, so this "
                    f"service's alerts on it also watch {shown} and page this service's receivers for them; "
                    "if those hosts are not this service's, give the job another name in one spec",
                )
            )
    return out


def exporter_setup(job: ExporterJob) -> dict[str, Any]:
    """What an exporter job is, apart from where its targets are."""
    return {
        "exporter": job.exporter,
        "metrics_path": job.metrics_path,
        "interval": job.interval,
        "file_sd": job.file_sd,
    }


def shared_exporter_jobs(models: Sequence[Spec]) -> dict[str, list[tuple[int, int, ExporterJob]]]:
    """The exporter jobs that several of `models` name the same with the same setup (one job in
    the tree), by name: (index of the model, index of the job in its exporters, the job)."""
    named: dict[str, list[tuple[int, int, ExporterJob]]] = {}
    for i, model in enumerate(models):
        for j, job in enumerate(model.scrape.exporters):
            named.setdefault(job.job, []).append((i, j, job))
    return {
        name: jobs
        for name, jobs in named.items()
        if len(jobs) > 1 and all(exporter_setup(job) == exporter_setup(jobs[0][2]) for _, _, job in jobs)
    }


def composed(models: Sequence[Spec]) -> tuple[Spec, ...]:
    """The models with every exporter job that several of them name the same made one: the union
    of their static targets (in service order). A name with different setups is left as it is
    (checks.py refuses it before this)."""
    united = {
        name: tuple(dict.fromkeys(t for _, _, job in jobs for t in job.static_targets))
        for name, jobs in shared_exporter_jobs(models).items()
    }
    if not united:
        return tuple(models)
    out = []
    for model in models:
        scrape = model.scrape
        exporters = tuple(
            replace(job, static_targets=united[job.job]) if job.job in united else job for job in scrape.exporters
        )
        out.append(replace(model, scrape=replace(scrape, exporters=exporters)))
    return tuple(out)
