"""The pieces lint's checks stand on: what alert templates read, whether two expressions can select
the same series, what counts as a burn-rate alert, and the depth bound taken before parsing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mongen.lint.burn_rate import is_burn_rate
from mongen.lint.selection import can_overlap
from mongen.lint.templates import template_reads
from mongen.promql_tree import depth_bound, parse


@pytest.mark.parametrize(
    ("text", "labels", "value"),
    [
        ("{{ $labels.job }} at {{ $value }}", ["job"], ["$value"]),
        ("{{ .Labels.job }} {{ $.Labels.instance }} {{ .Value }}", ["job", "instance"], [".Value"]),
        ('{{ index $labels "app.kubernetes.io/name" }}', ["app.kubernetes.io/name"], []),
        # Inside range/with the dot is a query's sample; $labels stays the alert's.
        (
            '{{ range query "up" }}{{ .Labels.instance }} {{ $labels.job }}{{ end }}{{ .Labels.after }}',
            ["job", "after"],
            [],
        ),
        ('{{ with query "up" }}{{ .Labels.x }}{{ else }}{{ .Labels.fallback }}{{ end }}', ["fallback"], []),
        ("{{ if gt $value 1.0 }}{{ .Labels.inside_if }}{{ end }}", ["inside_if"], ["$value"]),
        ('{{ (query "up" | first).Labels.chained }}', [], []),
        ('{{/* $labels.commented */}}{{ "}} $labels.in_string" }}{{- $labels.trimmed -}}', ["trimmed"], []),
        ("no templates, $labels.plain", [], []),
    ],
)
def test_template_reads(text: str, labels: list[str], value: list[str]) -> None:
    reads = template_reads(text)
    assert [name for _, name in reads.labels] == labels
    assert list(reads.value) == value


@pytest.mark.parametrize(
    ("first", "second", "overlap"),
    [
        ('x{code=~"2.."}', 'x{code=~"3.."}', False),
        ('x{code=~"2..|3.."}', 'x{code=~"3.."}', True),
        ('x{code=~"5.."}', 'x{code="503"}', True),
        ('x{code=~"5.."}', 'x{code="404"}', False),
        ('x{handler="/a"}', 'x{handler!="/a"}', False),
        ('x{handler="/a"}', 'x{handler="/b"}', False),
        ('x{handler=~"/a|/b"}', 'x{handler!~"/a|/b"}', False),
        ('x{handler="/a"}', "x", True),  # no matcher on one side: anything
        ('x{code=~"(?i)a.*"}', 'x{code=~"b.*"}', True),  # a regex it does not read: anything
        ('x{code=~"a\\\\.b"}', 'x{code=~"a\\\\.c"}', False),
        ('x{code=~"ab*"}', 'x{code=~"a"}', True),  # `b*` may be empty
        # The label must survive into the result to keep two outputs apart.
        ('sum by (code) (x{code="1"})', 'sum by (code) (x{code="2"})', False),
        ('sum by (job) (x{code="1"})', 'sum by (job) (x{code="2"})', True),
        ('sum without (code) (x{code="1"})', 'sum without (code) (x{code="2"})', True),
        ('x{code="1"} or y{code="2"}', 'x{code="3"}', False),
        ('x{code="1"} or y', 'x{code="3"}', True),
        ('x{code="1"} / y', 'x{code="2"} / y', False),
        ('x{code="1"} / on (job) group_left y', 'x{code="2"} / on (job) group_left y', False),
        # label_replace sets `code` to "all" on every series: never "2".
        ('label_replace(x{code="1"}, "code", "all", "", "")', 'x{code="2"}', False),
        ('label_replace(x{code="1"}, "code", "$1", "c", "(.*)")', 'x{code="2"}', True),
    ],
)
def test_can_overlap(first: str, second: str, overlap: bool) -> None:
    assert can_overlap(parse(first).root, parse(second).root) is overlap
    assert can_overlap(parse(second).root, parse(first).root) is overlap


@pytest.mark.parametrize(
    ("expr", "burn_rate"),
    [
        (
            "(a:rate1h > 14.4 * 0.001 and a:rate5m > 14.4 * 0.001) or (a:rate6h > 6 * 0.001 and a:rate30m > 6 * 0.001)",
            True,
        ),
        ("a:rate1h > 14.4 and a:rate5m > 14.4", True),
        ("(rate(x[1h]) > 1 and rate(x[5m]) > 1) or (rate(x[6h]) > 2 and rate(x[30m]) > 2)", True),
        ("a:rate1h > 14.4 and a:rate1h > 14.4", False),  # one window twice
        ("a:rate1h > 14.4 or a:rate5m > 14.4", False),  # no pairs
        ("(a:rate1h > 1 and a:rate5m > 1) or a:rate6h > 6", False),
        ("a:rate1h > bool 1 and a:rate5m > 1", False),
        ("up == 0", False),
    ],
)
def test_burn_rate_shape(expr: str, burn_rate: bool) -> None:
    assert is_burn_rate(parse(expr).root) is burn_rate


_PIECES = st.sampled_from(
    ['x{a="(}"}', "rate(x[5m])", "-x", "(x)", "x offset 5m", 'label_replace(x, "b", "$1", "a", "(.*)")', "1e-3"]
)


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        _PIECES,
        lambda inner: st.one_of(
            st.builds(
                lambda a, b, op: f"{a} {op} {b}", inner, inner, st.sampled_from(["+", "or", "and on(a)", "> bool", "^"])
            ),
            st.builds(lambda a: f"sum by (a) ({a})", inner),
            st.builds(lambda a: f"max_over_time(({a})[10m:1m])", inner),
            st.builds(lambda a: f"abs(-({a}))", inner),
        ),
        max_leaves=20,
    )
)
def test_the_depth_bound_is_never_below_the_trees_depth(expr: str) -> None:
    try:
        tree = parse(expr)
    except ValueError:
        return  # a type error promql-parser reports (e.g. `vector > bool scalar-only`)
    depth = 0
    for node in tree.nodes:
        level, parent = 1, node.parent
        while parent is not None:
            level, parent = level + 1, parent.parent
        depth = max(depth, level)
    assert depth <= depth_bound(expr)
