"""Jinja2 environment for text formats a human reads (Python module, nginx)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jinja2


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_load),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters["py"] = python_literal
    env.filters["add_suffix"] = lambda name: f"{name}_value"
    return env


def python_literal(value: Any) -> str:
    """A Python literal with double-quoted strings (ruff's style); JSON string escapes are valid Python."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, tuple):
        inner = ", ".join(python_literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(python_literal(v) for v in value) + "]"
    return repr(value)


def _load(name: str) -> str:
    return resources.files("mongen.templates").joinpath(name).read_text("utf-8")


def render_template(name: str, **context: Any) -> str:
    return _environment().get_template(name).render(**context)
