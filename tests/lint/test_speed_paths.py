"""The shortcuts lint takes for speed (bench row "lint 10,000 rules") give the answers the plain
way gives: the regex-matcher rewrite before parsing, the YAML keys read off events, the per-selector
answers, and the parsed trees freed without a collector pass."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from mongen.lint.rulefiles import rule_file_from_text
from mongen.lint.runner import lint
from mongen.loading import load_spec
from mongen.promql_tree import _regex_matchers_as_equal
from tests.support import ROOT


# What the token-by-token scan (before the one-match-per-regex-matcher scan) returned for each.
@pytest.mark.parametrize(
    ("text", "rewritten"),
    [
        ('x{a=~"b"}', 'x{a__mongen_re="b"}'),
        ('x{a =~ "b", c!~"d"}', 'x{a__mongen_re = "b", c__mongen_nre!="d"}'),
        ('x{a="=~"}', None),  # only inside a string
        ("x{a='b=~c'}", None),
        ('x{a=~"b"} # c=~', None),  # a comment: parsed as written
        ('x{"a"=~"b"}', None),  # a quoted label name
        ('x{a=\n~"b"}', None),
        ('1a=~"b"', '1a__mongen_re="b"'),
        ('x{a=~`b`, c=~"\\"=~"}', 'x{a__mongen_re=`b`, c__mongen_re="\\"=~"}'),
        (
            'sum by (job) (rate(x{status=~"5.."}[5m])) * 3',
            'sum by (job) (rate(x{status__mongen_re="5.."}[5m])) * 3',
        ),
        ('{__name__=~"x.*"}', '{__name____mongen_re="x.*"}'),
        ('x{a=~"b', 'x{a__mongen_re="b'),  # unterminated: the parser reports it
        ('x{a!~"b"} or y{c=~"d"}', 'x{a__mongen_nre!="b"} or y{c__mongen_re="d"}'),
        ("rate(x[5m])", None),
    ],
)
def test_regex_matchers_are_rewritten_as_the_token_scan_did(text: str, rewritten: str | None) -> None:
    assert _regex_matchers_as_equal(text) == rewritten


def test_the_rewrite_stays_linear_on_long_text() -> None:
    # Names without an operator, and an unterminated string, each as one run of the scan.
    assert _regex_matchers_as_equal("a " * 200_000 + 'b=~"c"') == "a " * 200_000 + 'b__mongen_re="c"'
    assert _regex_matchers_as_equal('"' + "a" * 400_000 + "~") is None


def test_rule_keys_read_off_events_keep_merges_anchored_keys_and_non_string_keys() -> None:
    text = (
        "groups:\n"
        "- name: g\n"
        "  rules:\n"
        "  - &k record: a:b:c\n"
        "    expr: x\n"
        "    labels: {<<: {team: t}, '<<': quoted, ? [1, 2] : skipped}\n"
        "  - *k : d:e:f\n"
        "    expr: y\n"
    )
    rules = rule_file_from_text(text, "f.yml").rules
    assert [(r.name, r.expr_text, r.line) for r in rules] == [("a:b:c", "x", 5), ("d:e:f", "y", 8)]
    assert rules[0].labels == {"team": "t", "<<": "quoted"}


def test_lint_leaves_no_cycles_for_the_collector(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yml"
    exprs = [f'sum by (job) (rate(emoti_voice_tts_requests_total{{status=~"5.."}}[5m])) * {i}' for i in range(50)]
    rules.write_text(
        "groups:\n- name: g\n  rules:\n"
        + "".join(f"  - record: job:r{i}:rate5m\n    expr: '{e}'\n" for i, e in enumerate(exprs))
    )
    spec = load_spec(ROOT / "specs/emotivoice.yaml")
    gc.collect()
    result = lint(spec, [rules], run_promtool=False, processes=1)
    assert result.rules == 50
    assert gc.collect() == 0  # every parsed tree was freed when lint returned
