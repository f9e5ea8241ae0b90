"""A project: the services generated into one output directory, one spec each; a single-spec
run is the project of one, through the same code.

    model.py    LoadedSpec (a spec's model with its YAML positions), Project, load_project, and
                the composed models: an exporter job several services name made one
    checks.py   what several services cannot share, reported as spec errors at FILE:LINE:COL
                before anything is generated
    render.py   the tree: every service's own files (generators.GENERATORS, spec -> files), the
                shared ones generated from all the models at once (generators.SHARED_GENERATORS),
                and the marker
"""

from __future__ import annotations

from mongen.project.model import LoadedSpec, Project, load_project
from mongen.project.render import render_models, render_project

__all__ = ["LoadedSpec", "Project", "load_project", "render_models", "render_project"]
