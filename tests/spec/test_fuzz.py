"""Whatever a user writes, the spec layer answers with SpecError (exit 2), never a crash."""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from mongen.errors import SpecError
from mongen.loading import build_spec
from mongen.spec.loader import load_yaml
from tests.support.hostile import (
    MISSING,
    SHOWCASE_DOCUMENT,
    document_paths,
    hostile_text,
    hostile_values,
    insert_token,
    replace_at,
    value_at,
)

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8,
)


PATHS = document_paths(SHOWCASE_DOCUMENT)[1:]


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
    _outcome(yaml.safe_dump(replace_at(SHOWCASE_DOCUMENT, path, value)))


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=200))
def test_arbitrary_text_is_a_spec_error(text: str) -> None:
    assert _outcome(text) == "error"


# --- hostile values: whatever they reach, the answer is a model or a SpecError ----------

@settings(max_examples=200, deadline=None)
@given(
    edits=st.lists(
        st.tuples(st.sampled_from(PATHS), st.booleans(), hostile_text, st.integers(0, 80), hostile_values),
        min_size=1,
        max_size=3,
    )
)
def test_hostile_values_give_a_model_or_a_spec_error(edits: list[tuple[tuple, bool, str, int, object]]) -> None:
    spec: object = SHOWCASE_DOCUMENT
    for path, inside, token, at, replacement in edits:
        current = value_at(spec, path)
        if current is not MISSING:  # an earlier edit may have replaced a parent
            spec = replace_at(spec, path, insert_token(current, token, at) if inside else replacement)
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
    spec = dict(SHOWCASE_DOCUMENT)
    spec[section] = {**spec[section], key or "_": value}
    try:
        build_spec(load_yaml(yaml.safe_dump(spec, allow_unicode=True), "fuzz.yaml"))
    except SpecError as exc:
        assert all("\n" not in str(issue) for issue in exc.issues)
