"""A project's tree: every service's own files, the files they share generated once from all the
models (mongen.generators), and the marker that says the directory belongs to mongen."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mongen import generators
from mongen.layout import MARKER
from mongen.model import Spec
from mongen.ownership import marker_text
from mongen.project.checks import check_project, one_writer_per_path
from mongen.project.model import Project, composed


def render_project(project: Project) -> dict[str, str]:
    """Every file of the project's tree, {relative path: text}, paths sorted. Raises SpecError for
    services that cannot share one tree, before anything is generated."""
    check_project(project)
    models = composed(project.models)
    outputs = [generators.service_files(model) for model in models]
    one_writer_per_path(project, outputs)
    return _tree(models, outputs)


def render_models(models: Sequence[Spec]) -> dict[str, str]:
    """The tree of models that need no project checks: a project of one (`pipeline.render`)."""
    models = composed(models)
    return _tree(models, [generators.service_files(model) for model in models])


def _tree(models: Sequence[Spec], outputs: Sequence[Mapping[str, str]]) -> dict[str, str]:
    files: dict[str, str] = {}
    for output in [*outputs, generators.shared_files(models)]:
        for path, text in output.items():
            if path in files:
                raise RuntimeError(f"two generators wrote {path}")
            files[path] = text
    files[MARKER] = marker_text([model.source for model in models], sorted(files))
    return dict(sorted(files.items()))
