"""Reading rule files for lint: positions, YAML features, broken files, and odd content."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from mongen.lint.rulefiles import read_rule_file
from mongen.lint.runner import lint, lint_files
from mongen.spec.build import load_spec


def test_rule_positions_and_yaml_features(tmp_path: Path) -> None:
    path = tmp_path / "rules.yml"
    path.write_text(
        "groups:\n"
        "- name: g\n"
        "  rules:\n"
        "  - record: job:a:sum\n"
        "    expr: sum by (job) (up)\n"  # line 5, col 11
        "  - record: job:b:sum\n"
        "    expr: |\n"
        "      sum by (job) (up)\n"  # block scalar: the query's own line, 8
        "    labels: &shard {shard: a}\n"
        "  - alert: Down\n"
        '    expr: "up == 0"\n'  # line 11
        "    labels: *shard\n"
    )
    rules = read_rule_file(path).rules
    assert [(r.name, r.line, r.col) for r in rules] == [("job:a:sum", 5, 11), ("job:b:sum", 8, 11), ("Down", 11, 11)]
    assert rules[2].labels == {"shard": "a"} and rules[2].kind == "alert"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        # The rest is libyaml's wording (PyYAML's pure-Python parser words it differently).
        ("groups:\n- name: g\n  rules: [\n", 4, r"invalid YAML: .+"),
        ("groups: []\n---\ngroups: []\n", 2, r"expected one YAML document, found more"),
        ("groups:\n- rules: *nowhere\n", 2, r"undefined alias 'nowhere'"),
        ("rules: []\n", 1, r"not a Prometheus rule file: no `groups` list"),
    ],
)
def test_broken_rule_files_are_one_finding_each(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "rules.yml"
    path.write_text(text)
    findings = lint(load_spec("specs/emotivoice.yaml"), [path], run_promtool=False).findings
    assert [(f.check, f.line) for f in findings] == [("rule-file", line)]
    assert re.fullmatch(message, findings[0].message), findings[0].message


_YAML_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=30)
    | st.sampled_from(["up", "sum(up)", "rate(x[5m])"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(["record", "alert", "expr", "for", "labels", "annotations", "name"]), inner)
    ),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None)
@given(groups=st.lists(st.dictionaries(st.sampled_from(["name", "rules", "interval"]), _YAML_VALUES), max_size=3))
def test_lint_never_crashes_on_odd_rule_files(groups: list[dict[str, object]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rules.yml"
        path.write_text(yaml.safe_dump({"groups": groups}))
        findings = lint_files(load_spec("specs/emotivoice.yaml"), [read_rule_file(path)], processes=1)
    assert all(f.severity in ("error", "warning") for f in findings)
