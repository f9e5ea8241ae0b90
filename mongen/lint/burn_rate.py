"""What lint counts as a multi-window burn-rate alert (Google SRE workbook, "Alerting on SLOs";
Sloth; mongen's own SLO alerts): an expression that is an `or` of one or more pairs, each pair two
comparisons joined by `and` that read different windows, e.g.

    (slo:sli_error:ratio_rate1h > 14.4 * 0.001 and slo:sli_error:ratio_rate5m > 14.4 * 0.001)
    or
    (slo:sli_error:ratio_rate6h > 6 * 0.001 and slo:sli_error:ratio_rate30m > 6 * 0.001)

Such an alert needs no `for`: its short window is the confirmation, and a `for` only delays the
page by that much. "Different windows" means the two comparisons read different series names or
different ranges (`[1h]` against `[5m]`).
"""

from __future__ import annotations

from mongen.promql_tree import Binary, Matrix, Node, Selector, Wrapper, descendants

_COMPARISONS = ("==", "!=", ">", "<", ">=", "<=")


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
    lhs, rhs = _unwrap(node.lhs), _unwrap(node.rhs)
    for side in (lhs, rhs):
        if not (isinstance(side, Binary) and side.op in _COMPARISONS and not side.returns_bool):
            return False
    return _windows(lhs) != _windows(rhs)


def _windows(node: Node) -> frozenset[tuple[str, float]]:
    """The series names a comparison reads, with the range each is read over (0: instant)."""
    out = set()
    for child in descendants(node):
        if isinstance(child, Matrix):
            out.add((child.selector.name, child.seconds))
        elif isinstance(child, Selector) and not isinstance(child.parent, Matrix):
            out.add((child.name, 0.0))
    return frozenset(out)
