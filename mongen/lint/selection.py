"""Whether two expressions can return the same series, judged by the values their label matchers
allow: `code=~"2.."` and `code=~"3.."`, or `handler="x"` and `handler!="x"`, never select the same
series, so two rules that record one name with them do not collide.

The answer errs towards "they can": a label the result does not keep, a matcher on one side only,
a regex this module cannot read, all say nothing. Matcher values are RE2 regexes, evaluated with
RE2 as Prometheus does (label_regex.py); one Prometheus refuses allows any value here.
"""

from __future__ import annotations

from itertools import combinations, product

from mongen.label_regex import label_regex
from mongen.promql_tree import (
    Aggregate,
    Binary,
    Call,
    Matcher,
    Matrix,
    Node,
    Number,
    Selector,
    String,
    Wrapper,
    descendants,
    is_scalar,
)

# One way for a value to be allowed: every matcher of the tuple accepts it. A list of them is
# "any of these"; None is "any value at all".
Alternatives = list[tuple[Matcher, ...]] | None
# Beyond this many alternatives (an `or` of many `and`s) the answer is "any value".
_MAX_ALTERNATIVES = 32
_META = set("\\.^$*+?()[]{}|")
_KEEP_LABELS = ("topk", "bottomk", "limitk", "limit_ratio")


def can_overlap(first: Node, second: Node) -> bool:
    """False only when, for some label, no value is allowed by both expressions."""
    labels = {
        m.name for expr in (first, second) for n in descendants(expr) if isinstance(n, Selector) for m in n.matchers
    } | {label for expr in (first, second) for label in _constant_labels(expr)}
    for label in sorted(labels - {"__name__"}):
        a, b = allowed_values(first, label), allowed_values(second, label)
        if a is not None and b is not None and not any(_satisfiable(x + y) for x, y in product(a, b)):
            return False
    return True


def allowed_values(node: Node, label: str) -> Alternatives:
    """The values `label` can have in the expression's result, as alternatives of matchers."""
    if isinstance(node, Selector):
        own = tuple(m for m in node.matchers if m.name == label)
        return [own] if own else None
    if isinstance(node, Matrix):
        return allowed_values(node.selector, label)
    if isinstance(node, Wrapper):
        return allowed_values(node.expr, label)
    if isinstance(node, (Number, String)):
        return None
    if isinstance(node, Aggregate):
        kept = node.op in _KEEP_LABELS or (
            (label in node.labels)
            if node.grouping == "by"
            else (node.grouping == "without" and label not in node.labels)
        )
        return allowed_values(node.expr, label) if kept else None
    if isinstance(node, Call):
        return _call(node, label)
    return _binary(node, label)


def _call(node: Call, label: str) -> Alternatives:
    if node.func in ("absent", "absent_over_time"):
        return None
    if node.func in ("label_replace", "label_join") and len(node.args) > 1:
        target = node.args[1]
        constant = _constant(node)
        if constant is not None and constant[0] == label:
            return [(Matcher(label, "=", constant[1]),)]
        if not isinstance(target, String) or target.value == label:
            return None
    vectors = [a for a in node.args if not isinstance(a, (Number, String))]
    return allowed_values(vectors[0], label) if vectors else None


def _binary(node: Binary, label: str) -> Alternatives:
    if is_scalar(node.lhs):
        return allowed_values(node.rhs, label)
    if is_scalar(node.rhs):
        return allowed_values(node.lhs, label)
    left, right = allowed_values(node.lhs, label), allowed_values(node.rhs, label)
    if node.op == "or":
        return None if left is None or right is None else _bounded(left + right)
    if node.op == "unless":
        return left
    if label in node.group_labels:  # copied from the "one" side
        return right if node.card == "many-to-one" else left
    matched = label in node.matching_labels if node.matching == "on" else label not in node.matching_labels
    if not matched:
        return right if node.card == "one-to-many" else left
    if left is None or right is None:
        return right if left is None else left
    return _bounded([x + y for x, y in product(left, right)])


def _constant(node: Call) -> tuple[str, str] | None:
    """`label_replace(x, "bucket", "0.5", ...)`: the label it sets to one value whatever the
    input (a replacement without `$` references), and that value."""
    if node.func != "label_replace" or len(node.args) != 5:
        return None
    target, replacement = node.args[1], node.args[2]
    if isinstance(target, String) and isinstance(replacement, String) and "$" not in replacement.value:
        src, regex = node.args[3], node.args[4]
        # The replacement applies only where the regex matches the source label; `""` or `.*` always do.
        if isinstance(src, String) and isinstance(regex, String) and (src.value == "" or regex.value in ("", ".*")):
            return target.value, replacement.value
    return None


def _constant_labels(expr: Node) -> set[str]:
    return {c[0] for n in descendants(expr) if isinstance(n, Call) and (c := _constant(n)) is not None}


def _bounded(alternatives: list[tuple[Matcher, ...]]) -> Alternatives:
    return alternatives if len(alternatives) <= _MAX_ALTERNATIVES else None


def _satisfiable(matchers: tuple[Matcher, ...]) -> bool:
    """Whether one value passes every matcher."""
    equal = {m.value for m in matchers if m.op == "="}
    if len(equal) > 1:
        return False
    candidates = equal or next(
        (set(alts) for m in matchers if m.op == "=~" and (alts := _literal_alternatives(m.value)) is not None), set()
    )
    if candidates:
        return any(all(_accepts(m, value) for m in matchers) for value in candidates)
    prefixes = [_prefixes(m.value) for m in matchers if m.op == "=~"]
    for a, b in combinations([p for p in prefixes if p is not None], 2):
        if all(not x.startswith(y) and not y.startswith(x) for x in a for y in b):
            return False
    # `!~"dse.*"` excludes every value starting with `dse`, so `=~"dse-.*"` has none left.
    excluded = [_prefix_only(m.value) for m in matchers if m.op == "!~"]
    for prefix in (p for p in excluded if p):
        if any(p is not None and all(x.startswith(prefix) for x in p) for p in prefixes):
            return False
    return True


def _prefix_only(regex: str) -> str | None:
    """`dse.*`: the literal text every value it matches starts with, when it matches all of them."""
    if not regex.endswith(".*"):
        return None
    head = _prefixes(regex[:-2] + "x")
    return head[0][:-1] if head is not None and len(head) == 1 and head[0].endswith("x") else None


def _accepts(matcher: Matcher, value: str) -> bool:
    if matcher.op in ("=", "!="):
        return (value == matcher.value) == (matcher.op == "=")
    pattern = label_regex(matcher.value)
    if pattern.error:
        return True
    return pattern.fullmatch(value) == (matcher.op == "=~")


def _literal_alternatives(regex: str) -> list[str] | None:
    """`a|b|c` (also in one group, `(a|b|c)`) with nothing but literal characters: the values it
    matches."""
    regex = _ungrouped(regex)
    if any(c in _META for c in regex.replace("|", "")):
        return None
    return regex.split("|")


def _ungrouped(regex: str) -> str:
    """The regex without one pair of parentheses around all of it: `(a|b)` or `(?:a|b)` is `a|b`."""
    for opening in ("(?:", "("):
        inner = regex[len(opening) : -1]
        if regex.startswith(opening) and regex.endswith(")") and "(" not in inner and ")" not in inner:
            return inner
    return regex


def _prefixes(regex: str) -> list[str] | None:
    """The literal text each top-level alternative of the regex starts with (`2..|3..`: 2 and 3),
    or None when the regex has groups or classes this does not read."""
    regex = _ungrouped(regex)
    if any(c in regex for c in "()[]"):
        return None
    out = []
    for alternative in regex.removeprefix("^").split("|"):
        prefix, i = "", 0
        while i < len(alternative):
            c = alternative[i]
            if c == "\\" and i + 1 < len(alternative) and not alternative[i + 1].isalnum():
                c, i = alternative[i + 1], i + 1  # an escaped punctuation character is itself
            elif c in _META:
                break
            if i + 1 < len(alternative) and alternative[i + 1] in "*?{":
                break  # optional: the prefix ends before it
            prefix += c
            i += 1
        out.append(prefix)
    return out
