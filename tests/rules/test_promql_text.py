"""PromQL text building: escaping and the `le` values prometheus_client exposes."""

from __future__ import annotations

import promql_parser
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client.utils import floatToGoString

from mongen.model import Matcher
from mongen.promql import le_value, quote, selector


@given(st.floats(allow_nan=False, min_value=1e-9, max_value=1e12))
def test_le_value_matches_prometheus_client(bound: float) -> None:
    assert le_value(bound) == floatToGoString(bound)


def test_le_value_special_values() -> None:
    assert [le_value(v) for v in (float("inf"), 10, 0.5, 1234567.0)] == ["+Inf", "10.0", "0.5", "1.234567e+06"]


@given(st.text(min_size=1, max_size=30))
def test_any_label_value_stays_one_string_literal(value: str) -> None:
    expr = selector("x_total", [Matcher("endpoint", (value,)), Matcher("status", (value, "500"))])
    parsed = promql_parser.parse(expr)
    matchers = {m.name: m.value for m in parsed.matchers.matchers}
    assert matchers["endpoint"] == value
    assert quote(value).startswith('"') and quote(value).endswith('"')
