"""Alert expressions that need no `for`, because the expression is its own confirmation or a
`for` would stop it from ever firing:

- multi-window burn-rate alerts (burn_rate.py): the short window confirms the long one;
- event windows: `increase(oom_kills_total[15m]) > 0`, `changes(x[1m]) > 0`, `rate(failed_total[5m])
  > 0`, `increase(errors[5m]) > 3`, `delta(slaves[1m]) < 0`: the range already says "happened in
  the last N minutes", and the value stays for the whole window, so a `for` only delays the page
  (or, longer than the window, keeps it from ever firing);
- held for a whole window: `min_over_time(free[1w]) > x`, `max_over_time(x[1h]) < y`; and any
  `*_over_time` over an hour or more (`quantile_over_time(0.5, replicas[1d]) == min`), whose
  window is longer than any `for`;
- recent-restart conditions on uptime (`process_uptime_seconds < 60`): true for less time than
  any useful `for`, which would make them unfireable;
- deadlines built on `time()` (`cert_not_after_seconds - time() < 7 * 86400`), or counted down by
  the exporter (`days_until_cert_expiring < 0`, `client_ttl_seconds < 86400`): the value moves with the clock, not with
  scrapes, so one evaluation is as good as ten;
- any of these joined with `and` to a condition that is not (`kube_job_status_start_time > 0 and
  (time() - kube_job_status_start_time) > 3600`): the alert needs both;
- watchdogs and meta-alerts: an expression that reads no series (`vector(1)`), or reads `ALERTS`
  (the alerts it looks at had their own `for`).
"""

from __future__ import annotations

from mongen.lint.burn_rate import is_burn_rate
from mongen.promql_tree import (
    Aggregate,
    Binary,
    Call,
    Matrix,
    Node,
    Number,
    Selector,
    Wrapper,
    descendants,
    is_scalar,
)

_COMPARISONS = ("==", "!=", ">", "<", ">=", "<=")
# Range functions whose value is above zero exactly when something happened in the window.
_EVENT_FUNCTIONS = ("increase", "changes", "resets", "rate", "irate")
# Those that count the events of the window: `increase(errors[5m]) > 3` is three errors in it.
_COUNTING_FUNCTIONS = ("increase", "changes", "resets")
# A gauge's change over the window: `delta(slaves[1m]) < 0` is "one was lost in the last minute".
_CHANGE_FUNCTIONS = ("delta", "idelta", "deriv")
# Series names that count down to (or up from) a moment: uptime, expiry, certificates' not-after.
_CLOCK_WORDS = ("uptime", "expir", "not_after", "until", "ttl")
# Windowed aggregations whose range, once an hour or more, is itself the confirmation.
_WINDOW_FUNCTIONS = ("avg_over_time", "min_over_time", "max_over_time", "quantile_over_time", "median_over_time")
_LONG_WINDOW_SECONDS = 3600
_META_SERIES = ("ALERTS", "ALERTS_FOR_STATE")


def why_no_for(expr: Node) -> str | None:
    """Which of the shapes above the expression has (a few words), or None."""
    selectors = [n for n in descendants(expr) if isinstance(n, Selector)]
    if not selectors:
        return "reads no series"
    if any(s.name in _META_SERIES for s in selectors):
        return "reads ALERTS"
    if is_burn_rate(expr):
        return "a multi-window burn rate"
    if _confirms(expr):
        return "confirms itself"
    return None


def _unwrap(node: Node) -> Node:
    while isinstance(node, Wrapper):
        node = node.expr
    return node


def _compares(node: Node) -> bool:
    return any(isinstance(n, Binary) and n.op in _COMPARISONS and not n.returns_bool for n in descendants(node))


def _confirms(node: Node, clock_only: bool = False) -> bool:
    """Whether the condition that fires the alert confirms itself: through `and` either side's
    (both must hold, and one of them cannot be transient), through `unless` the left one,
    through `or` both branches', through aggregations and label joins the side they keep."""
    node = _unwrap(node)
    if isinstance(node, Binary):
        if node.op in _COMPARISONS and not node.returns_bool and not (is_scalar(node.lhs) and is_scalar(node.rhs)):
            return _self_confirming(node, clock_only)
        if node.op == "and":
            # The right side of `and` is often a guard (`... and rate(requests[5m]) > 0`: there is
            # traffic), which confirms nothing; only a clock there does, or an event when the left
            # side compares nothing of its own (`is_replica and changes(is_replica[1m]) > 0`).
            if _confirms(node.lhs) or _confirms(node.rhs, clock_only=True):
                return True
            return not _compares(node.lhs) and _confirms(node.rhs)
        if node.op == "or":
            return _confirms(node.lhs, clock_only) and _confirms(node.rhs, clock_only)
        return _confirms(node.rhs if node.card == "one-to-many" else node.lhs, clock_only)
    if isinstance(node, Aggregate):
        return _confirms(node.expr, clock_only)
    return False


def _value_side(node: Binary) -> tuple[Node, str, float | None]:
    """The side of a comparison that reads series, the operator as if that side were on the left,
    and the number on the other side (None when it is no plain number)."""
    flipped = {">": "<", "<": ">", ">=": "<=", "<=": ">="}
    lhs, rhs = _unwrap(node.lhs), _unwrap(node.rhs)
    if _reads_series(lhs) or not _reads_series(rhs):
        return lhs, node.op, _number(rhs)
    return rhs, flipped.get(node.op, node.op), _number(lhs)


def _number(node: Node) -> float | None:
    node = _unwrap(node)
    return node.value if isinstance(node, Number) else None


def _reads_series(node: Node) -> bool:
    return any(isinstance(n, Selector) for n in descendants(node))


def _self_confirming(node: Binary, clock_only: bool = False) -> bool:
    side, op, threshold = _value_side(node)
    inside = list(_value_nodes(side))
    if any(isinstance(n, Call) and n.func == "time" for n in inside):
        return True  # a deadline or an age: moves with the clock
    names = [n.name.lower() for n in inside if isinstance(n, Selector)]
    if op in ("<", "<=") and any(any(word in name for word in _CLOCK_WORDS) for name in names):
        return True  # a recent restart, or a deadline the exporter counts down
    if clock_only:
        return False
    if op in (">", ">=") and _only_under(inside, ("min_over_time",)):
        return True  # above the threshold for the whole window
    if op in ("<", "<=") and _only_under(inside, ("max_over_time",)):
        return True  # below it for the whole window
    if op in (">", ">=") and threshold is not None and threshold >= 0 and _only_under(inside, _COUNTING_FUNCTIONS):
        return True  # events counted in the window
    if op in ("<", "<=") and threshold is not None and threshold > 0 and _only_under(inside, _COUNTING_FUNCTIONS):
        return True  # (almost) nothing happened for the whole window: `increase(indexed[10m]) < 1`
    if op in (">", ">=") and threshold is not None and threshold > 0 and _only_under(inside, _CHANGE_FUNCTIONS[:2]):
        return True  # grew by that much in the window (`delta(errors[24h]) >= 1`)
    if _only_under(inside, _WINDOW_FUNCTIONS, _LONG_WINDOW_SECONDS):
        return True  # a day's median, an hour's average: the window is longer than any `for`
    if threshold == 0 and op in (">", "!=") and _only_under(inside, _EVENT_FUNCTIONS):
        return True  # something happened in the window
    return threshold == 0 and op in ("<", ">", "!=") and _only_under(inside, _CHANGE_FUNCTIONS)


def _value_nodes(node: Node) -> list[Node]:
    """The nodes that make the side's value: a label join (`* on (...) group_left (...) info`)
    takes its value from the many side, and a filter (`x == y`) from its left side (its right
    one when the left is a number: `0 <= x`), so the info metric or the threshold series on the
    other side is left out."""
    out: list[Node] = []
    pending = [node]
    while pending:
        n = pending.pop()
        out.append(n)
        if isinstance(n, Binary):
            if n.op in _COMPARISONS and not n.returns_bool:
                # A filter: the values are its vector side's, the left one unless that is a
                # number (`0 <= days_left < 3` keeps the values of `days_left`).
                pending.append(n.rhs if is_scalar(n.lhs) and not is_scalar(n.rhs) else n.lhs)
            elif n.card == "many-to-one":
                pending.append(n.lhs)
            elif n.card == "one-to-many":
                pending.append(n.rhs)
            else:
                pending += [n.lhs, n.rhs]
        elif isinstance(n, (Aggregate, Wrapper)):
            pending.append(n.expr)
        elif isinstance(n, Call):
            pending += list(n.args)
        elif isinstance(n, Matrix):
            pending.append(n.selector)
    return out


def _only_under(nodes: list[Node], functions: tuple[str, ...], min_seconds: float = 0) -> bool:
    """Every series among `nodes` is read over a range (of at least `min_seconds`) by one of
    `functions`, and there is one."""
    found = False
    for n in nodes:
        if isinstance(n, Matrix):
            parent = n.parent
            if not (isinstance(parent, Call) and parent.func in functions) or n.seconds < min_seconds:
                return False
            found = True
        elif isinstance(n, Selector) and not isinstance(n.parent, Matrix):
            return False
    return found
