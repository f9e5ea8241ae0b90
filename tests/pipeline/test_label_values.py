"""Label values as people write them: model ids with slashes, dashes, dots and capitals,
and worse, go from the spec through every artifact escaped, and come back out of the generated
module's normalizer as themselves.

The fixed hostile values go through the real tools (promtool, amtool, nginx); hypothesis draws
random printable values through the loader, every generator, PromQL parsing and the module.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mongen import layout
from mongen.errors import SpecError
from mongen.loading import build_spec
from mongen.model import Spec
from mongen.pipeline import render
from mongen.promql import regex_alternation
from mongen.rules.ruleset import rule_set
from mongen.spec.label_text import look_alike, value_problem
from mongen.spec.loader import load_yaml
from mongen.validate import validate_dir
from mongen.writer import write_tree
from tests.support.generated_module import load_generated

LLM_SPEC = Path("specs/llm.yaml")
# The values the showcase's aliases point at stay; the others are what a user could write.
KEPT = ("llama-3-8b", "mistralai/Mistral-7B-Instruct-v0.2", "other")
HOSTILE = (
    "meta-llama/Meta-Llama-3-8B-Instruct",
    "Llama-3-8B",  # differs from a kept value by case only
    "llama_3_8b",  # the same Python constant as `llama-3-8b`
    'say "hi"',
    "back\\slash",
    "{{ .Labels.job }}",
    "$1 ${x} $value",
    ".*",
    "a|b(c)[d]",
    "# not a comment: 'quoted'",
    "é 模型 🚀",
)


def spec_with_models(values: tuple[str, ...]) -> Spec:
    """specs/llm.yaml with the `model` enum's values replaced, through the real loader and checks;
    the TTFT SLO counts the first two values only, so a regex matcher holds them."""
    doc = yaml.safe_load(LLM_SPEC.read_text())
    doc["enums"]["model"]["values"] = list(values)
    if len(values) > 2:
        doc["slos"][1]["sli"]["latency"]["where"] = {"model": list(values[:2])}
    return build_spec(load_yaml(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), str(LLM_SPEC)))


def module_of(spec: Spec, files: dict[str, str], name: str) -> Any:
    module = load_generated(files[layout.instrumentation_module(spec.service)], name)
    del sys.modules[name]
    return module


def assert_round_trip(module: Any, values: tuple[str, ...]) -> None:
    assert module.LABEL_VALUES["model"] == values
    for value in values:
        assert module.normalize_model(value).value == value
        assert module.normalize_model(value) is module.Model(value)
    assert len({member.name for member in module.Model}) == len(values)  # no two values share a member


def test_hostile_values_pass_every_tool(tmp_path: Path) -> None:
    values = (*HOSTILE, *KEPT)
    spec = spec_with_models(values)
    files = render(spec)
    write_tree(tmp_path, files)
    assert validate_dir(tmp_path) == []
    assert_round_trip(module_of(spec, files, "hostile_llm_metrics"), values)
    # The dashboard's dropdown reads the values Prometheus has; the JSON holds no spec value raw.
    board = json.loads(files[layout.dashboard(spec.service)])
    assert "model" in [v["name"] for v in board["templating"]["list"]]
    # YAML artifacts give the exact value back: the promtool test expects the alert for each.
    alerts_test = yaml.safe_load(files["prometheus/tests/llm-textgen-alerts.test.yml"])
    expected = {
        alert["exp_labels"].get("model")
        for test in alerts_test["tests"]
        for case in test.get("alert_rule_test", [])
        for alert in case.get("exp_alerts", [])
    }
    assert expected & set(values)


def test_values_that_spell_one_python_name_get_distinct_members() -> None:
    """Deterministic: the first value in spec order keeps the plain name, the next get `_2`, `_3`."""
    spec = spec_with_models(("llama-3-8b", "llama_3_8b", "Llama.3.8B", *KEPT[1:]))
    module = module_of(spec, render(spec), "colliding_llm_metrics")
    names = ["LLAMA_3_8B", "LLAMA_3_8B_2", "LLAMA_3_8B_3", "MISTRALAI_MISTRAL_7B_INSTRUCT_V0_2", "OTHER"]
    assert [m.name for m in module.Model] == names


def test_a_padded_value_is_a_spec_error() -> None:
    with pytest.raises(SpecError, match=r"label value ' llama' is empty or padded with spaces"):
        spec_with_models((" llama", "other"))


# One line of visible text without padding: what the spec checks accept (scalars.py refuses
# control, format, surrogate and separator characters anywhere; label_text.py blank, invisible and
# unnormalized text, and values that fold into one another).
_VISIBLE = st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp"))
_VALUE = st.text(_VISIBLE, min_size=1, max_size=12).filter(lambda v: v == v.strip() and value_problem(v) is None)


def _distinct(values: list[str]) -> bool:
    together = tuple(dict.fromkeys((*values, *KEPT)))
    return all(look_alike(together, i) is None for i in range(len(together)))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(drawn=st.lists(_VALUE, min_size=1, max_size=4, unique=True).filter(_distinct))
def test_random_printable_values_go_through_every_generator(drawn: list[str]) -> None:
    values = tuple(dict.fromkeys((*drawn, *KEPT)))
    spec = spec_with_models(values)
    files = render(spec)
    assert_round_trip(module_of(spec, files, "random_llm_metrics"), values)
    rules = rule_set(spec)
    for expr in [r.expr for g in rules.recording_groups for r in g.rules] + [a.expr for a in rules.all_alerts]:
        promql_parser.parse(expr)
    board = json.loads(files[layout.dashboard(spec.service)])
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            promql_parser.parse(target["expr"])
    for path, text in files.items():
        if path.endswith((".yml", ".yaml")):
            yaml.safe_load(text)
    # A regex matcher over values matches exactly those values (RE2 reads Python's escapes the same).
    pattern = re.compile(regex_alternation(values[:2]))
    assert [bool(pattern.fullmatch(v)) for v in values] == [True, True] + [False] * (len(values) - 2)
