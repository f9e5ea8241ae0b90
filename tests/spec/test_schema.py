"""The schema agrees with the model and the alert-kind registry, and mongen applies it strictly."""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args

import jsonschema
import pytest

from mongen.errors import SpecError
from mongen.loading import load_spec
from mongen.model import METRIC_TYPES, ROLE_TYPES, Role
from mongen.rules.alert_kinds import BY_NAME, KINDS, AlertKindName
from mongen.spec.schema import SpecValidator, bounded_repr, spec_schema


def _patterns(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
        return found + [p for value in node.values() for p in _patterns(value)]
    if isinstance(node, list):
        return [p for value in node for p in _patterns(value)]
    return []


def test_alert_kinds_in_the_schema_are_the_registered_kinds() -> None:
    schema_kinds = set(spec_schema()["properties"]["alerts"]["items"]["properties"]["kind"]["enum"])
    # `preset` alerts come from their exporter job's preset, never from `alerts`.
    assert schema_kinds == set(get_args(AlertKindName)) - {"preset"}
    assert schema_kinds | {"preset"} == {kind.name for kind in KINDS} == set(BY_NAME)
    assert len(KINDS) == len(BY_NAME), "two kinds registered under one name"


def test_roles_and_metric_types_in_the_schema_are_the_models() -> None:
    metric = spec_schema()["properties"]["metrics"]["items"]["properties"]
    assert set(metric["role"]["enum"]) == set(ROLE_TYPES) == set(get_args(Role))
    assert tuple(metric["type"]["enum"]) == METRIC_TYPES


def test_every_pattern_is_written_anchored_so_editors_agree() -> None:
    """mongen matches patterns against the whole string; editors apply the schema with ECMA-262
    regexes, where `^...$` means the same. An unanchored pattern would mean less to them."""
    patterns = _patterns(spec_schema())
    assert len(patterns) > 30
    assert [p for p in patterns if not (p.startswith("^") and p.endswith("$"))] == []


def test_patterns_match_the_whole_string() -> None:
    schema = {"type": "string", "pattern": "^[0-9]+$"}
    # What jsonschema alone does: `$` matches before a final newline, and the search finds it.
    assert jsonschema.Draft202012Validator(schema).is_valid("9093\n")
    assert not SpecValidator(schema).is_valid("9093\n")
    assert SpecValidator(schema).is_valid("9093")


def test_integers_are_ints() -> None:
    schema = {"type": "integer"}
    assert jsonschema.Draft202012Validator(schema).is_valid(8001.0)
    assert not SpecValidator(schema).is_valid(8001.0)
    assert not SpecValidator(schema).is_valid(True)
    assert SpecValidator(schema).is_valid(8001)


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(spec_schema())


def _schema_errors(tmp_path: Path, text: str) -> list[str]:
    spec = tmp_path / "spec.yaml"
    spec.write_text(text)
    with pytest.raises(SpecError) as raised:
        load_spec(spec)
    return [issue.message for issue in raised.value.issues]


def test_schema_errors_quote_a_long_value_cut_short(tmp_path: Path) -> None:
    """`mongen generate /etc/passwd` must not echo the whole file into the terminal or CI log."""
    passwd = "\n".join(f"user{i}:x:{i}:{i}::/home/user{i}:/bin/sh" for i in range(200)) + "\n"
    [message] = _schema_errors(tmp_path, passwd)
    assert message == (
        "'user0:x:0:0::/home/user0:/bin/sh user1:x:1:1::/home/user... "
        f"({len(passwd) - 1} characters) is not a mapping (`key: value` lines)"
    )
    long_key = "k" * 500
    messages = _schema_errors(tmp_path, f"service:\n  name: tts\n  {long_key}: 1\n")
    unexpected = next(m for m in messages if "unknown key" in m)
    assert long_key not in unexpected and "... (500 characters); allowed keys" in unexpected
    messages = _schema_errors(tmp_path, f"metrics: {list(range(300))}\n")
    assert all(len(m) < 200 for m in messages), messages


def test_schema_errors_quote_a_short_value_whole(tmp_path: Path) -> None:
    messages = _schema_errors(tmp_path, "version: 1\nservice: just text\n")
    assert "'just text' is not a mapping (`key: value` lines)" in messages
    assert bounded_repr("x" * 58) == repr("x" * 58)
    assert bounded_repr("x" * 59) == "'" + "x" * 56 + "... (59 characters)"
