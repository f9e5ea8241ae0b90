"""The queries of an events SLI (`sli: {events: {error_query, total_query}}`, Sloth's `events`):
raw PromQL with `{{.window}}` where every SLO window goes, read by mongen.spec.slo_events. Everything else about the SLO (windows,
tiers, recording rules, promtool cases) is as for the built-in SLIs; the queries are checked
against the spec by lint like a `kind: expr` alert's (mongen.loading).

mongen writes promtool cases for every SLO, so an events SLI must have a shape it can feed: each
query reads one series (through sums and rates), the same one, and the error query selects it with
the total query's matchers plus its own (`code=~"5.."`). The inputs are two series of that name:
one whose labels satisfy the error query, one whose labels satisfy only the total query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import promql_parser

WINDOW_PLACEHOLDER = "{{.window}}"
# Sloth writes `{{.window}}`; Go templates allow spaces inside the braces.
PLACEHOLDER_PATTERN = re.compile(r"\{\{\s*\.window\s*\}\}")
# Label values tried for a regex matcher: what failures and successes are usually labelled.
_FAILING = ("500", "503", "502", "504", "429", "5xx", "error", "failed", "failure", "true", "1", "timeout")
_PASSING = ("200", "201", "204", "2xx", "ok", "success", "false", "0", "other")


@dataclass(frozen=True)
class EventsInputs:
    """The series an events SLI's promtool inputs use: its name, the labels of the failing and of
    the passing series."""

    series: str
    failing: dict[str, str]
    passing: dict[str, str]


def with_window(query: str, window: str) -> str:
    return PLACEHOLDER_PATTERN.sub(window, query)


def events_shape(error_query: str, total_query: str) -> str | EventsInputs:
    """The inputs the promtool cases feed the SLI, or why mongen cannot feed it."""
    why = (
        "mongen writes promtool cases for every SLO, so each query must read one series (through sums "
        "and rates), the same in both, and the error query must select it with the total query's "
        "matchers and its own"
    )
    try:
        errors = _selectors(with_window(error_query, "5m"))
        totals = _selectors(with_window(total_query, "5m"))
    except ValueError as exc:  # promql_parser's parse error
        return f"a query does not parse once `{WINDOW_PLACEHOLDER}` is 5m: {exc}"
    if len(errors) != 1 or len(totals) != 1:
        return f"{why}; the error query reads {len(errors)} series and the total query {len(totals)}"
    (error_name, error_matchers), (total_name, total_matchers) = errors[0], totals[0]
    if error_name != total_name:
        return f"{why}; the error query reads `{error_name}` and the total query `{total_name}`"
    if not set(total_matchers) <= set(error_matchers):
        return f"{why}; the error query lacks the total query's matchers {sorted(set(total_matchers) - set(error_matchers))}"
    own = [m for m in error_matchers if m not in total_matchers]
    common = _satisfying(total_matchers)
    failing = _satisfying(own)
    if common is None or failing is None or not own:
        return f"{why}; mongen finds no label values that satisfy the error query's matchers"
    passing = _violating(own, total_matchers)
    if passing is None:
        return f"{why}; mongen finds no label values that satisfy the total query and not the error query"
    return EventsInputs(error_name, {**common, **failing}, {**common, **passing})


Matcher = tuple[str, str, str]  # (label, op, value)
_OPS = {"MatchOp.Equal": "=", "MatchOp.NotEqual": "!=", "MatchOp.Re": "=~", "MatchOp.NotRe": "!~"}


def _selectors(expr: str) -> list[tuple[str, tuple[Matcher, ...]]]:
    found: list[tuple[str, tuple[Matcher, ...]]] = []

    def visit(node: Any) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            matchers = tuple((m.name, _OPS[str(m.op)], m.value) for m in node.matchers.matchers if m.name != "__name__")
            found.append((node.name or "", matchers))

    promql_parser.walk(promql_parser.parse(expr), post_visit=visit)
    return found


def _accepts(op: str, pattern: str, value: str) -> bool:
    if op.endswith("="):
        return (value == pattern) == (op == "=")
    matched = re.fullmatch(pattern, value) is not None
    return matched == (op == "=~")


def _value_for(label: str, matchers: list[Matcher]) -> str | None:
    equal = [v for _, op, v in matchers if op == "="]
    candidates = equal or [*_FAILING, *_PASSING, f"not-{label}"]
    return next((c for c in candidates if all(_accepts(op, v, c) for _, op, v in matchers)), None)


def _satisfying(matchers: tuple[Matcher, ...] | list[Matcher]) -> dict[str, str] | None:
    out = {}
    for label in dict.fromkeys(m[0] for m in matchers):
        value = _value_for(label, [m for m in matchers if m[0] == label])
        if value is None:
            return None
        out[label] = value
    return out


def _violating(own: list[Matcher], total: tuple[Matcher, ...]) -> dict[str, str] | None:
    """A label value for which one of the error query's own matchers fails and the total query's
    matchers on that label hold."""
    for label, op, pattern in own:
        candidates = [*_PASSING, *_FAILING, f"not-{label}"]
        kept = [m for m in total if m[0] == label]
        value = next(
            (c for c in candidates if not _accepts(op, pattern, c) and all(_accepts(o, v, c) for _, o, v in kept)),
            None,
        )
        if value is not None:
            return {label: value}
    return None
