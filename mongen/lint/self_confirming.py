"""Alert expressions that need no `for`, because the expression is its own confirmation or a
`for` would stop it from ever firing:

- multi-window burn-rate alerts (burn_rate.py): the short window confirms the long one;
- event windows: `increase(oom_kills_total[15m]) > 0`, `changes(x[1m]) > 0`, `rate(failed_total[5m])
  > 0`: the range already says "happened in the last N minutes", and the series stays above zero
  for the whole window, so a `for` only delays the page;
- recent-restart conditions on uptime (`process_uptime_seconds < 60`): true for less time than
  any useful `for`, which would make them unfireable;
- deadlines built on `time()` (`cert_not_after_seconds - time() < 7 * 86400`): the value moves
  with the clock, not with scrapes, so one evaluation is as good as ten;
- watchdogs and meta-alerts: an expression that reads no series (`vector(1)`), or reads `ALERTS`
  (the alerts it looks at had their own `for`).
"""

from __future__ import annotations

from mongen.lint.burn_rate import is_burn_rate
from mongen.lint.promql_tree import Aggregate, Binary, Call, Matrix, Node, Number, Selector, Wrapper, descendants

_COMPARISONS = ("==", "!=", ">", "<", ">=", "<=")
# Range functions whose value is above zero exactly when something happened in the window.
_EVENT_FUNCTIONS = ("increase", "changes", "resets", "rate", "irate", "delta", "idelta")
_COUNTING_FUNCTIONS = ("increase", "changes", "resets")
_META_SERIES = ("ALERTS", "ALERTS_FOR_STATE")


def why_no_for(expr: Node) -> str | None:
    """Which of the shapes above the expression has (a few words), or None."""
    nodes = list(descendants(expr))
    selectors = [n for n in nodes if isinstance(n, Selector)]
    if not selectors:
        return "reads no series"
    if any(s.name in _META_SERIES for s in selectors):
        return "reads ALERTS"
    if is_burn_rate(expr):
        return "a multi-window burn rate"
    conditions = list(_conditions(expr))
    if conditions and all(_self_confirming(c) for c in conditions):
        return "confirms itself"
    return None


def _unwrap(node: Node) -> Node:
    while isinstance(node, Wrapper):
        node = node.expr
    return node


def _conditions(node: Node) -> list[Binary]:
    """The comparisons that decide whether the alert fires: through `and`/`unless` the left side,
    through `or` both, through aggregations their input. Empty when some branch has none."""
    node = _unwrap(node)
    if isinstance(node, Binary):
        if node.op in _COMPARISONS and not node.returns_bool:
            return [node]
        if node.op in ("and", "unless"):
            return _conditions(node.lhs)
        if node.op == "or":
            left, right = _conditions(node.lhs), _conditions(node.rhs)
            return left + right if left and right else []
        return _conditions(node.lhs) or _conditions(node.rhs)
    if isinstance(node, Aggregate):
        return _conditions(node.expr)
    return []


def _value_side(node: Binary) -> tuple[Node, str, float | None]:
    """The side of a comparison that reads series, the operator as if that side were on the left,
    and the number on the other side (None when it is no plain number)."""
    flipped = {">": "<", "<": ">", ">=": "<=", "<=": ">="}
    lhs, rhs = _unwrap(node.lhs), _unwrap(node.rhs)
    if _reads_series(lhs) or not _reads_series(rhs):
        return lhs, node.op, rhs.value if isinstance(rhs, Number) else None
    return rhs, flipped.get(node.op, node.op), lhs.value if isinstance(lhs, Number) else None


def _reads_series(node: Node) -> bool:
    return any(isinstance(n, Selector) for n in descendants(node))


def _self_confirming(node: Binary) -> bool:
    side, op, threshold = _value_side(node)
    inside = list(descendants(side))
    if any(isinstance(n, Call) and n.func == "time" for n in inside):
        return True  # a deadline or an age: moves with the clock
    if op in ("<", "<=") and any(isinstance(n, Selector) and "uptime" in n.name.lower() for n in inside):
        return True  # a recent restart: over before any `for` would end
    if threshold is not None and op in (">", "!=") and threshold == 0:
        return _only_events(side, _EVENT_FUNCTIONS)
    if threshold == 1 and op == ">=":  # at least one event: counts only (a rate of 1/s is a threshold)
        return _only_events(side, _COUNTING_FUNCTIONS)
    return False


def _only_events(node: Node, functions: tuple[str, ...]) -> bool:
    """Every series the side reads is read through an event function over a range."""
    for n in descendants(node):
        if isinstance(n, Matrix):
            parent = n.parent
            if not (isinstance(parent, Call) and parent.func in functions):
                return False
        elif isinstance(n, Selector) and not isinstance(n.parent, Matrix):
            return False
    return True
