"""A spec built from a spec file's YAML document after a test edits it, through the real spec checks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from mongen.loading import build_spec
from mongen.model import Spec
from mongen.spec.loader import load_yaml

Doc = dict[str, Any]


def spec_from(path: str, change: Callable[[Doc], None] = lambda doc: None) -> Spec:
    """The spec at `path` after `change` edits its YAML document (through the real spec checks)."""
    doc = yaml.safe_load(Path(path).read_text())
    change(doc)
    return build_spec(load_yaml(yaml.safe_dump(doc, sort_keys=False), path))


def titles(panels: tuple[Any, ...]) -> list[str]:
    return [p.title for p in panels]
