"""Jinja2 environment for text formats a human reads (Python module, nginx)."""

from __future__ import annotations

import math
from functools import cache
from importlib import resources
from typing import Any

import jinja2

from mongen.serialize import header
from mongen.tool_cache import PassCache, PrivateDirectory


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Templates compiled once and kept in mongen's cache directory (jinja2 checks each entry
    against the template's source and its own version), so a run does not spend its first
    ~0.1 s compiling them. Only a directory that no one else can write is used: an entry is code
    that mongen runs. `MONGEN_NO_CACHE=1` turns it off like the rule-test cache."""
    directory = PassCache.from_environment().private_directory("templates")
    return _PrivateBytecodeCache(directory) if directory is not None else None


class _PrivateBytecodeCache(jinja2.BytecodeCache):
    """jinja2's FileSystemBytecodeCache's entries, read and written through the private directory
    held open (never by path: see PassCache.private_directory)."""

    def __init__(self, directory: PrivateDirectory) -> None:
        self.directory = directory

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        stored = self.directory.read(f"__jinja2_{bucket.key}.cache")
        if stored is not None:
            bucket.bytecode_from_string(stored)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.directory.write(f"__jinja2_{bucket.key}.cache", bucket.bytecode_to_string())


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_load),
        bytecode_cache=_bytecode_cache(),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters["py"] = python_literal
    env.filters["header"] = lambda source: header(source).rstrip("\n")
    return env


# Escapes for the characters a Python string literal cannot hold as they are (the quote aside).
_STRING_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(char: str, quote: str) -> str:
    if char in _STRING_ESCAPES:
        return _STRING_ESCAPES[char]
    if char == quote:
        return "\\" + char
    if char.isprintable():
        return char
    # Line separators, bidi controls, lone surrogates and every other unprintable character are
    # escaped like repr() does, so the source stays one line per literal and reads as it runs.
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def python_literal(value: Any) -> str:
    """A Python literal as ruff's formatter writes it: double quotes unless the text holds more
    double than single quotes; any text becomes a valid one-line literal."""
    if isinstance(value, str):
        quote = "'" if value.count('"') > value.count("'") else '"'
        return quote + "".join(_escaped(char, quote) for char in value) + quote
    if isinstance(value, tuple):
        inner = ", ".join(python_literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(python_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{python_literal(k)}: {python_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, float) and not math.isfinite(value):
        return f'float("{value!r}")'  # repr() gives `inf`/`nan`, which are names, not literals
    return repr(value)


def _load(name: str) -> str:
    return resources.files("mongen.templates").joinpath(name).read_text("utf-8")


def render_template(name: str, **context: Any) -> str:
    return _environment().get_template(name).render(**context)
