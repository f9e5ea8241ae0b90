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
from mongen.loading import load_spec


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


# What promtool 2.42 says on each (`promtool check rules`: SUCCESS): the rules it finds, and the
# line of the `---` lint warns about (ignored-document), if any.
PROMTOOL_PASSES = {
    "empty": ("", 0, None),
    "comments only": ("# rules go here\n# later\n", 0, None),
    "groups without a value": ("groups:\n", 0, None),
    "a lone document marker": ("---\n", 0, None),
    "second document": (
        "groups:\n- name: g\n  rules:\n  - record: job:a:sum\n    expr: sum by (job) (up)\n---\ngroups: []\n",
        1,
        6,
    ),
    # go-yaml never parses past the first document, so neither does lint.
    "broken second document": ("groups: []\n---\ngroups: [ {\n", 0, 2),
    "trailing document marker": ("groups: []\n---\n", 0, 2),
}


@pytest.mark.parametrize("case", sorted(PROMTOOL_PASSES))
def test_what_promtool_passes_lint_does_not_fail(case: str, tmp_path: Path) -> None:
    text, rules, ignored_from = PROMTOOL_PASSES[case]
    path = tmp_path / "rules.yml"
    path.write_text(text)
    result = lint(None, [path], run_promtool=True)  # promtool's own verdict is a finding when it fails
    assert [f for f in result.findings if f.severity == "error"] == [], result.findings
    assert result.rules == rules
    ignored = [(f.line, f.col) for f in result.findings if f.check == "ignored-document"]
    assert ignored == ([] if ignored_from is None else [(ignored_from, 1)])


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        # The rest is libyaml's wording (PyYAML's pure-Python parser words it differently).
        ("groups:\n- name: g\n  rules: [\n", 4, r"invalid YAML: .+"),
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


def test_merge_keys_resolve_like_prometheus(tmp_path: Path) -> None:
    path = tmp_path / "rules.yml"
    path.write_text(
        "x-defaults: &defaults {for: 5m, labels: {severity: page}}\n"
        "x-more: &more {for: 1h, annotations: {summary: s}}\n"
        "groups:\n"
        "- name: g\n"
        "  rules:\n"
        "  - <<: *defaults\n"  # line 6
        "    alert: Own\n"
        "    expr: up == 0\n"  # line 8: its own expression
        "  - <<: [*defaults, *more]\n"  # line 9: the earlier source wins
        "    alert: Listed\n"
        "    expr: up == 1\n"
        "    labels: {severity: ticket}\n"  # its own key wins over both
        "  - '<<': *defaults\n"  # quoted: a key named `<<`, no merge
        "    alert: Quoted\n"
        "    expr: up == 2\n"
    )
    rules = read_rule_file(path).rules
    assert [(r.name, r.line, r.for_, r.labels, r.annotations) for r in rules] == [
        ("Own", 8, "5m", {"severity": "page"}, {}),
        ("Listed", 11, "5m", {"severity": "ticket"}, {"summary": "s"}),
        ("Quoted", 15, None, {}, {}),
    ]


def test_a_merged_expression_is_reported_at_the_rules_first_line(tmp_path: Path) -> None:
    path = tmp_path / "rules.yml"
    path.write_text(
        "groups:\n- name: g\n  rules:\n"
        "  - &base\n    record: job:a:sum\n    expr: sum by (job) (up)\n"
        "  - <<: *base\n    record: job:b:sum\n"  # line 7
    )
    rules = read_rule_file(path).rules
    assert [(r.name, r.expr_text, r.line, r.col, r.first_line, r.last_line) for r in rules] == [
        ("job:a:sum", "sum by (job) (up)", 6, 11, 4, 6),
        ("job:b:sum", "sum by (job) (up)", 7, 5, 7, 8),
    ]


def test_a_merge_key_needs_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "rules.yml"
    path.write_text("x: &name job\ngroups:\n- name: g\n  rules:\n  - <<: *name\n    record: a:b:c\n    expr: up\n")
    rule_file = read_rule_file(path)
    assert (rule_file.error, rule_file.error_line, rule_file.error_col) == (
        "a merge key (`<<`) takes a mapping or a list of mappings",
        1,
        4,
    )


def test_a_suppression_applies_to_the_next_rule_only(tmp_path: Path) -> None:
    """#16: a comment above rule N+1 also silenced rule N (it lay within N's lines)."""
    path = tmp_path / "rules.yml"
    path.write_text(
        "groups:\n- name: g\n  rules:\n"
        "  - record: job:a:rate1m\n    expr: sum by (job) (rate(emoti_voice_tts_requests_total[1m]))\n"
        "\n"
        "  # mongen-lint: disable=short-range the debug rule wants the newest data\n"
        "  - record: job:b:rate1m\n    expr: sum by (job) (rate(emoti_voice_tts_requests_total[1m]))\n"
        "  - record: job:c:rate1m\n    # mongen-lint: disable=short-range inside the rule\n"
        "    expr: sum by (job) (rate(emoti_voice_tts_requests_total[1m]))\n"
    )
    rules = read_rule_file(path).rules
    assert [(r.name, r.first_line, r.last_line, r.suppressed) for r in rules] == [
        ("job:a:rate1m", 4, 5, set()),
        ("job:b:rate1m", 8, 9, {"short-range"}),
        ("job:c:rate1m", 10, 12, {"short-range"}),
    ]
    findings = lint(load_spec("specs/emotivoice.yaml"), [path], run_promtool=False).findings
    assert [(f.line, f.check) for f in findings] == [(5, "short-range")]


def test_a_mention_of_mongen_lint_in_a_value_is_no_suppression(tmp_path: Path) -> None:
    path = tmp_path / "rules.yml"
    path.write_text(
        "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    for: 5m\n"
        "    annotations: {summary: see mongen-lint docs, description: 'run mongen-lint: disable nothing'}\n"
    )
    assert lint(None, [path], run_promtool=False).findings == []
