"""What lint counts as a multi-window burn-rate alert (Google SRE workbook, "Alerting on SLOs";
Sloth; mongen's own SLO alerts): an expression that is an `or` of one or more pairs, each pair two
comparisons joined by `and` that read different windows, e.g.

    (slo:sli_error:ratio_rate1h > 14.4 * 0.001 and slo:sli_error:ratio_rate5m > 14.4 * 0.001)
    or
    (slo:sli_error:ratio_rate6h > 6 * 0.001 and slo:sli_error:ratio_rate30m > 6 * 0.001)

Such an alert needs no `for`: its short window is the confirmation, and a `for` only delays the
page by that much. "Different windows" means the two comparisons read different ranges (`[1h]`
against `[5m]`), or recorded series named for different windows (`..._rate1h`, `..._rate5m`):
two thresholds on one window (`errors > 0.005 and errors > 10`) are one condition, not two windows.
"""

from __future__ import annotations

import re

from mongen.promql_tree import Aggregate, Binary, Matrix, Node, Selector, Wrapper, descendants
from mongen.units import duration_seconds

_COMPARISONS = ("==", "!=", ">", "<", ">=", "<=")
# A recorded series that names its window at the end: `..._rate5m`, `...:ratio_rate1h`, `..._30m`.
_NAMED_WINDOW = re.compile(r"(?:rate|_|:)((?:\d+[smhdwy])+)$")


def is_burn_rate(expr: Node) -> bool:
    pairs = _or_terms(expr)
    return all(_is_window_pair(term) for term in pairs)


def _unwrap(node: Node) -> Node:
    while isinstance(node, Wrapper):
        node = node.expr
    return node


def _or_terms(expr: Node) -> list[Node]:
    """The terms of a chain of `or` (the expression itself when it is no `or`)."""
    terms, pending = [], [_unwrap(expr)]
    while pending:
        node = pending.pop()
        if isinstance(node, Binary) and node.op == "or":
            pending += [_unwrap(node.rhs), _unwrap(node.lhs)]
        else:
            terms.append(node)
    return terms


def _is_window_pair(node: Node) -> bool:
    if not (isinstance(node, Binary) and node.op == "and"):
        return False
    lhs, rhs = _comparison(node.lhs), _comparison(node.rhs)
    if lhs is None or rhs is None:
        return False
    long, short = _window(lhs), _window(rhs)
    return long is not None and short is not None and long != short


def _comparison(node: Node) -> Node | None:
    """The comparison one side of the `and` is, also inside an aggregation (Sloth writes
    `max(slo:sli_error:ratio_rate5m{...} > x) without (sloth_window)`)."""
    while isinstance(node, (Wrapper, Aggregate)):
        node = node.expr
    return node if isinstance(node, Binary) and node.op in _COMPARISONS and not node.returns_bool else None


def _window(node: Node) -> float | None:
    """The longest window a comparison reads: its ranges (`[1h]`) and the windows recorded series
    name at their end (`slo:sli_error:ratio_rate5m`, `job:errors:ratio_rate1h`); None if none."""
    windows = []
    for child in descendants(node):
        if isinstance(child, Matrix):
            windows.append(child.seconds)
        elif isinstance(child, Selector) and not isinstance(child.parent, Matrix):
            suffix = _NAMED_WINDOW.search(child.name)
            seconds = duration_seconds(suffix.group(1)) if suffix else None
            if seconds:
                windows.append(seconds)
    return max(windows, default=None)
