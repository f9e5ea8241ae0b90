"""Whatever a user writes, the spec layer answers with SpecError (exit 2), never a crash."""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from mongen.errors import SpecError
from mongen.spec.build import build_spec
from mongen.spec.loader import load_yaml
from tests.conftest import ROOT

BASE = yaml.safe_load((ROOT / "specs/emotivoice.yaml").read_text())
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8,
)


def _paths(node: object, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*prefix, i))
    return out


PATHS = _paths(BASE)[1:]


def _replace(node: object, path: tuple, value: object) -> object:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(node, dict):
        return {k: (_replace(v, rest, value) if k == head else v) for k, v in node.items()}
    assert isinstance(node, list)
    return [(_replace(v, rest, value) if i == head else v) for i, v in enumerate(node)]


def _outcome(text: str) -> str:
    try:
        build_spec(load_yaml(text, "fuzz.yaml"))
    except SpecError as exc:
        assert exc.issues
        for issue in exc.issues:
            assert str(issue).startswith("fuzz.yaml:")
        return "error"
    return "ok"


@settings(max_examples=150, deadline=None)
@given(path=st.sampled_from(PATHS), value=values)
def test_any_single_value_change_is_accepted_or_a_spec_error(path: tuple, value: object) -> None:
    _outcome(yaml.safe_dump(_replace(BASE, path, value)))


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=200))
def test_arbitrary_text_is_a_spec_error(text: str) -> None:
    assert _outcome(text) == "error"
