"""One generator per artifact: a pure function from the model to {relative path: text}.

Adding an artifact means adding a module and registering its function in GENERATORS.
"""

from __future__ import annotations

from collections.abc import Callable

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

GENERATORS: tuple[Generator, ...] = (
    instrumentation.generate,
    prometheus_config.generate,
    rules.generate,
    rule_tests.generate,
    alertmanager.generate,
    nginx.generate,
    grafana.generate,
    kubernetes.generate,
    runbooks.generate,
    victoriametrics.generate,
    thanos.generate,
    mimir.generate,
)


def generate_all(spec: Spec) -> dict[str, str]:
    """Every artifact for the spec, as {relative path: text}, paths sorted."""
    files: dict[str, str] = {}
    for generator in GENERATORS:
        for path, text in generator(spec).items():
            if path in files:
                raise RuntimeError(f"two generators wrote {path}")
            files[path] = text
    return dict(sorted(files.items()))
