"""Hostile text and values for hypothesis, and the edits that put them into a spec document: the
showcase spec as YAML data, every path in it, a value replaced or a token inserted at a path; and
the only template actions an annotation may hold after generation (mongen's own)."""

from __future__ import annotations

import re

import yaml
from hypothesis import strategies as st

from tests.support import ROOT

SHOWCASE_DOCUMENT = yaml.safe_load((ROOT / "specs/emotivoice.yaml").read_text())

# mongen's own actions in annotations: label references and the value formats.
OWN_ACTIONS = re.compile(r'\{\{ (\$labels\.\w+|\$value \| \w+|printf "%\.3g" \$value) \}\}|\{\{ "\{\{?" \}\}')


def document_paths(node: object, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += document_paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += document_paths(value, (*prefix, i))
    return out


def replace_at(node: object, path: tuple, value: object) -> object:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(node, dict):
        return {k: (replace_at(v, rest, value) if k == head else v) for k, v in node.items()}
    assert isinstance(node, list)
    return [(replace_at(v, rest, value) if i == head else v) for i, v in enumerate(node)]


HOSTILE_TOKENS = (
    '"', "'", "\\", "\n", "\r\n", "\t", "\x00", "{{", "}}", "{{ .Values }}", "%", "%0A", "${HOME}", "$(id)",
    "`", "<", ">", ";", "#", ":", "*", "..", "/", "@", "?access_token=x", "::", "%eth0",
    "\u202e", "\u2028", "\u200b", "\ufeff", "ｅ", "е", "٣", "ǅ", "ﬁ", "𝟘", "\U0001f600",
)  # fmt: skip
hostile_text = st.lists(
    st.one_of(st.sampled_from(HOSTILE_TOKENS), st.text(alphabet="az09_-.", max_size=4)), max_size=5
).map("".join)
hostile_numbers = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -0.0, 1e15, 1e15 + 1, 2**53 + 1, 5e-324, 1e-16, 99.99999999999999, 0.9999, 0.99995]),
)
hostile_values = st.one_of(hostile_text, hostile_numbers, st.lists(hostile_text, max_size=3))


MISSING = object()


def value_at(node: object, path: tuple) -> object:
    for part in path:
        found = (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and part < len(node)
        )
        if not found:
            return MISSING
        node = node[part]  # type: ignore[index]
    return node


def insert_token(value: object, hostile: str, at: int) -> object:
    """A hostile token inside an existing string (so most of it still looks right), else the token."""
    if isinstance(value, str):
        at %= len(value) + 1
        return value[:at] + hostile + value[at:]
    return hostile
