"""One generator per artifact: a pure function from the model to {relative path: text}.

A service's own artifacts come from its spec alone (GENERATORS: spec -> files). The files one
output directory holds once for every service of a project (prometheus.yml, alertmanager.yml and
its routing test, Grafana's datasources, an engine's shared configuration) come from all of the
project's models at once (SHARED_GENERATORS: specs in service order -> files); one spec is the
project of one. Adding an artifact means adding a module and registering its function in one of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from mongen.generators import (
    alertmanager,
    grafana,
    instrumentation,
    kubernetes,
    mimir,
    nginx,
    prometheus_config,
    rule_tests,
    rules,
    runbooks,
    thanos,
    victoriametrics,
)
from mongen.model import Spec

Generator = Callable[[Spec], dict[str, str]]
SharedGenerator = Callable[[Sequence[Spec]], dict[str, str]]

GENERATORS: tuple[Generator, ...] = (
    instrumentation.generate,
    rules.generate,
    rule_tests.generate,
    nginx.generate,
    grafana.generate,
    kubernetes.generate,
    runbooks.generate,
    victoriametrics.generate,
    thanos.generate,
    mimir.generate,
)


SHARED_GENERATORS: tuple[SharedGenerator, ...] = (
    prometheus_config.generate,
    alertmanager.generate,
    grafana.generate_shared,
    victoriametrics.generate_shared,
)


def _collect(outputs: Sequence[dict[str, str]]) -> dict[str, str]:
    files: dict[str, str] = {}
    for output in outputs:
        for path, text in output.items():
            if path in files:
                raise RuntimeError(f"two generators wrote {path}")
            files[path] = text
    return dict(sorted(files.items()))


def service_files(spec: Spec) -> dict[str, str]:
    """The service's own artifacts, as {relative path: text}, paths sorted."""
    return _collect([generator(spec) for generator in GENERATORS])


def shared_files(specs: Sequence[Spec]) -> dict[str, str]:
    """The files the project's services share (specs in service order), paths sorted."""
    return _collect([generator(specs) for generator in SHARED_GENERATORS])


def generate_all(spec: Spec) -> dict[str, str]:
    """Every artifact of one spec, the project of one, as {relative path: text}, paths sorted."""
    return _collect([service_files(spec), shared_files([spec])])
