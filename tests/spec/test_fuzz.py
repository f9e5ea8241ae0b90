"""Whatever a user writes, the spec layer answers with SpecError (exit 2), never a crash."""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from mongen.errors import SpecError
from mongen.loading import build_spec
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


# --- hostile values (#15): whatever they reach, the answer is a model or a SpecError ----------

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


_MISSING = object()


def _get(node: object, path: tuple) -> object:
    for part in path:
        found = (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and part < len(node)
        )
        if not found:
            return _MISSING
        node = node[part]  # type: ignore[index]
    return node


def _mutate(value: object, hostile: str, at: int) -> object:
    """A hostile token inside an existing string (so most of it still looks right), else the token."""
    if isinstance(value, str):
        at %= len(value) + 1
        return value[:at] + hostile + value[at:]
    return hostile


@settings(max_examples=200, deadline=None)
@given(
    edits=st.lists(
        st.tuples(st.sampled_from(PATHS), st.booleans(), hostile_text, st.integers(0, 80), hostile_values),
        min_size=1,
        max_size=3,
    )
)
def test_hostile_values_give_a_model_or_a_spec_error(edits: list[tuple[tuple, bool, str, int, object]]) -> None:
    spec: object = BASE
    for path, inside, token, at, replacement in edits:
        current = _get(spec, path)
        if current is not _MISSING:  # an earlier edit may have replaced a parent
            spec = _replace(spec, path, _mutate(current, token, at) if inside else replacement)
    text = yaml.safe_dump(spec, allow_unicode=True)
    try:
        build_spec(load_yaml(text, "fuzz.yaml"))
    except SpecError as exc:
        for issue in exc.issues:
            line = str(issue)
            assert line.startswith("fuzz.yaml:") and ": error: " in line
            assert "\n" not in line and "\r" not in line, "an error line must stay one line"


@settings(max_examples=100, deadline=None)
@given(key=hostile_text, value=hostile_values, section=st.sampled_from(["labels", "enums", "routing", "kubernetes"]))
def test_hostile_keys_give_a_model_or_a_spec_error(key: str, value: object, section: str) -> None:
    spec = dict(BASE)
    spec[section] = {**spec[section], key or "_": value}
    try:
        build_spec(load_yaml(yaml.safe_dump(spec, allow_unicode=True), "fuzz.yaml"))
    except SpecError as exc:
        assert all("\n" not in str(issue) for issue in exc.issues)
