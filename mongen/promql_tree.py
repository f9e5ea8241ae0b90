"""The PromQL tree lint works on: promql-parser's AST copied once into plain Python objects.

promql-parser does the parsing (never regexes). Its nodes are Rust objects: every attribute read
crosses into Rust (70-220 ns; `str(op)` and modifiers are built anew on each read). Lint reads
each node's facts many times across its checks, so one copy into slotted Python objects, with a
link to the parent node, makes the checks several times faster.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import promql_parser as pp

from mongen.label_regex import BUDGET, budget_message, label_regex

# The deepest expression lint checks: nesting of parentheses, calls and operator chains. Real rules
# stay far below (a four-window burn-rate alert is about 10 deep). promql-parser's memory grows with
# the square of the depth (a 4,000-term `or` takes it 3.7 GB, 5,000 overflow its stack), and lint's
# own walks recurse once a level, so deeper expressions are a finding instead.
MAX_DEPTH = 256

# Matcher operators, as PromQL spells them.
_MATCH_OPS = {"MatchOp.Equal": "=", "MatchOp.NotEqual": "!=", "MatchOp.Re": "=~", "MatchOp.NotRe": "!~"}


@dataclass(slots=True, eq=False)
class Matcher:
    name: str
    op: str  # = != =~ !~
    value: str


@dataclass(slots=True, eq=False)
class Selector:
    name: str  # "" for {__name__=~"..."} selectors
    matchers: tuple[Matcher, ...]
    parent: Node | None = field(default=None, repr=False)
    # The name and every matcher as text: equal for selectors that read the same series alike, so
    # that facts about a selector alone are worked out once per run (LintContext.per_selector).
    key: tuple[str, ...] = field(default=(), repr=False)


@dataclass(slots=True, eq=False)
class Matrix:
    selector: Selector
    seconds: float
    parent: Node | None = field(default=None, repr=False)

    @property
    def range_text(self) -> str:
        return str(pp.display_duration(timedelta(seconds=self.seconds)))


@dataclass(slots=True, eq=False)
class Wrapper:
    """Parentheses, unary minus and subqueries: the result keeps the inner expression's labels."""

    expr: Node
    parent: Node | None = field(default=None, repr=False)


@dataclass(slots=True, eq=False)
class Number:
    value: float
    parent: Node | None = field(default=None, repr=False)


@dataclass(slots=True, eq=False)
class String:
    value: str
    parent: Node | None = field(default=None, repr=False)


@dataclass(slots=True, eq=False)
class Call:
    func: str
    args: tuple[Node, ...]
    parent: Node | None = field(default=None, repr=False)


@dataclass(slots=True, eq=False)
class Aggregate:
    op: str  # sum, count_values, topk, ...
    grouping: str  # "by", "without" or "" (no modifier)
    labels: tuple[str, ...]
    expr: Node
    param: Node | None
    parent: Node | None = field(default=None, repr=False)


@dataclass(slots=True, eq=False)
class Binary:
    op: str  # +, /, and, or, >, ...
    lhs: Node
    rhs: Node
    card: str  # "" (no modifier), one-to-one, many-to-one, one-to-many, many-to-many
    matching: str  # "on", "ignoring" or ""
    matching_labels: tuple[str, ...]
    group_labels: tuple[str, ...]
    returns_bool: bool = False  # a comparison with `bool`: 0 or 1 for every series instead of a filter
    parent: Node | None = field(default=None, repr=False)


Node = Selector | Matrix | Wrapper | Number | String | Call | Aggregate | Binary

_CARD = {
    "VectorMatchCardinality.OneToOne": "one-to-one",
    "VectorMatchCardinality.ManyToOne": "many-to-one",
    "VectorMatchCardinality.OneToMany": "one-to-many",
    "VectorMatchCardinality.ManyToMany": "many-to-many",
}


@dataclass(slots=True)
class Tree:
    """A parsed expression: its root, every node of it (children before their parent), and the
    nodes of the kinds checks look for, sorted out while copying."""

    root: Node | None = None
    nodes: list[Node] = field(default_factory=list)
    selectors: list[Selector] = field(default_factory=list)
    matrices: list[Matrix] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    aggregates: list[Aggregate] = field(default_factory=list)
    binaries: list[Binary] = field(default_factory=list)


class TooDeep(ValueError):
    """The expression nests deeper than MAX_DEPTH; lint does not check it."""

    def __init__(self) -> None:
        super().__init__(
            f"the expression nests more than {MAX_DEPTH} levels deep (parentheses, calls and operator "
            "chains), so lint does not check it; split it into recording rules"
        )


def parse(text: str, file: str = "") -> Tree:
    """Parse with promql-parser and copy the tree; raises ValueError on a syntax error (an invalid
    regex included) and TooDeep (before promql-parser sees the text, when its brackets and
    operators already say so). Regex work is charged to `file`'s budget (label_regex.py)."""
    if len(text) > MAX_DEPTH and depth_bound(text) > MAX_DEPTH:  # each level takes a character
        raise TooDeep
    plain = _regex_matchers_as_equal(text)
    try:
        native = _parse_native(text if plain is None else plain)
    except ValueError:
        if plain is None:
            raise
        native = _parse_native(text)  # the error as the original text causes it (or its tree)
    tree = Tree()
    tree.root = _copy(native, tree, 1)
    for selector in tree.selectors:
        _check_regexes(selector, file)
    return tree


def _parse_native(text: str) -> object:
    try:
        return pp.parse(text)
    except TypeError as exc:  # promql-parser raises TypeError for some type errors
        raise ValueError(str(exc)) from None


# promql-parser compiles every `=~` matcher's regex with Rust's regex crate (most of its parse time,
# 12 us -> 49 us for `status=~"5.."`) and with Rust's syntax, not Go's. Lint reads matcher regexes
# with its own engine (label_regex.py), so the text promql-parser sees spells `l=~"v"` as
# `l__mongen_re="v"` (and `!~` as `__mongen_nre` with `!=`): the string literal is unescaped by the
# parser as before, and _selector turns the matcher back. Text that already holds the marker, or a
# matcher this scan does not read (a quoted label name, a comment before the operator), is parsed
# as written.
_MARKER = "__mongen_"
_REGEX_OPS = {"=~": ("__mongen_re", "="), "!~": ("__mongen_nre", "!=")}
_MARKED_OPS = {"__mongen_re": "=~", "__mongen_nre": "!~"}


# The tokens the rewrite looks at: string literals and comments (skipped whole), a label name with
# the regex operator after it, and an operator after anything else. Each match is a run of tokens
# that need nothing (strings, names without the operator, other characters) and then one that does,
# or the end of the text, so the loop below runs once per regex matcher, not once per name.
# Possessive repeats, and every position inside a name consumed by one match, keep the scan linear
# on any text.
_SKIPPED = (
    r"""(?:\"(?:[^"\\]|\\.)*+"?|'(?:[^'\\]|\\.)*+'?|`[^`]*+`?"""
    r"|[A-Za-z_][A-Za-z0-9_:]*+\s*+(?![=!]~)|[^\"'`#A-Za-z_=!]|[=!](?!~))*+"
)
_TOKENS = re.compile(
    _SKIPPED + r"(?:(?P<name>[A-Za-z_][A-Za-z0-9_:]*+)(?P<space>\s*+)(?P<op>[=!]~)|(?P<stop>#|[=!]~)|\Z)",
    re.DOTALL,
)


def _regex_matchers_as_equal(text: str) -> str | None:
    """The text with regex matchers spelled as marked equality matchers (None: nothing to do, or
    a spelling this does not rewrite)."""
    if "~" not in text or _MARKER in text:
        return None
    pieces: list[str] = []
    done = 0
    for token in _TOKENS.finditer(text):
        op = token.group("op")
        if op is None:
            if token.group("stop") is not None:
                return None
            continue  # the end of the text
        marker, equal = _REGEX_OPS[op]
        pieces += [text[done : token.end("name")], marker, token.group("space"), equal]
        done = token.end()
    return "".join(pieces) + text[done:] if pieces else None


def _check_regexes(selector: Selector, file: str) -> None:
    """What promql-parser checked before the rewrite, with Go's regex syntax: every regex valid,
    a selector without a name needs a matcher that does not match the empty value, and a name
    given twice is an error."""
    for m in selector.matchers:
        if m.op in ("=~", "!~"):
            compiled = BUDGET.compile(file, m.value)
            if compiled is None:
                raise ValueError(budget_message())
            if compiled.error:
                raise ValueError(f"invalid regex {m.value!r} for label `{m.name}`: {compiled.error}")
            if m.name == "__name__" and selector.name:
                raise ValueError(f"metric name must not be set twice: {selector.name!r} or {m.value!r}")
    if not selector.name and all(_matches_empty(m) for m in selector.matchers):
        raise ValueError("vector selector must contain at least one non-empty matcher")


def _matches_empty(m: Matcher) -> bool:
    if m.op in ("=", "!="):
        return (m.value == "") == (m.op == "=")
    return label_regex(m.value).fullmatch("") == (m.op == "=~")


def depth_bound(text: str) -> int:
    """At least the depth of the expression's tree, from its text alone: the deepest bracket plus
    every operator outside label matchers (a chain of N operators is N levels deep) and the leaf.
    Not a parser: string literals and comments are skipped, and anything else only adds to it."""
    depth = deepest = operators = 0
    in_matchers = False
    i, end = 0, len(text)
    while i < end:
        c = text[i]
        if c in "\"'`":
            i = _string_end(text, i)
        elif c == "#":
            i = text.find("\n", i)
            i = end if i < 0 else i
        elif c in "([{":
            depth += 1
            deepest = max(deepest, depth)
            in_matchers = c == "{"
            operators += c == "["  # a subquery is a level of its own
        elif c in ")]}":
            depth -= 1
            in_matchers = False
        elif in_matchers:
            pass
        elif c in "+-*/%^<>" or (c in "=!" and text.startswith("=", i + 1)):
            operators += 1
            i += 1 if text.startswith("=", i + 1) else 0
        elif c.isalpha() or c == "_":
            start = i
            while i + 1 < end and (text[i + 1].isalnum() or text[i + 1] in "_:"):
                i += 1
            operators += text[start : i + 1] in ("and", "or", "unless", "atan2")
        i += 1
    return deepest + operators + 1


def _string_end(text: str, start: int) -> int:
    """Index of the quote closing the string literal that opens at `start` (or the end)."""
    quote, i = text[start], start + 1
    while i < len(text) and text[i] != quote:
        i += 2 if text[i] == "\\" and quote != "`" else 1
    return i


def _copy(node: object, tree: Tree, depth: int) -> Node:
    """Copy one promql-parser node and its subtree into `tree` (each copy to its lists), linking
    parents. Recursive, so it stops at MAX_DEPTH (the tree may be deeper than depth_bound says
    only if that bound is wrong; this keeps lint safe even then)."""
    if depth > MAX_DEPTH:
        raise TooDeep
    below = depth + 1
    copy: Node
    if isinstance(node, pp.VectorSelector):
        copy = _selector(node)
        tree.selectors.append(copy)
    elif isinstance(node, pp.BinaryExpr):
        mod = node.modifier
        matching = None if mod is None else mod.matching
        copy = Binary(
            str(node.op),
            _copy(node.lhs, tree, below),
            _copy(node.rhs, tree, below),
            "" if mod is None else _CARD.get(str(mod.card), "one-to-one"),
            "" if matching is None else ("on" if str(matching.type).endswith("Include") else "ignoring"),
            () if matching is None else tuple(matching.labels),
            () if mod is None else tuple(mod.group_labels or ()),
            mod is not None and bool(mod.return_bool),
        )
        copy.lhs.parent = copy.rhs.parent = copy
        tree.binaries.append(copy)
    elif isinstance(node, pp.Call):
        copy = Call(node.func.name, tuple(_copy(arg, tree, below) for arg in node.args))
        for arg in copy.args:
            arg.parent = copy
        tree.calls.append(copy)
    elif isinstance(node, pp.MatrixSelector):
        selector = _selector(node.vector_selector)
        tree.nodes.append(selector)
        tree.selectors.append(selector)
        copy = selector.parent = Matrix(selector, node.range.total_seconds())
        tree.matrices.append(copy)
    elif isinstance(node, pp.AggregateExpr):
        agg = node.modifier
        copy = Aggregate(
            str(node.op),
            "" if agg is None else ("by" if str(agg.type).endswith("By") else "without"),
            () if agg is None else tuple(agg.labels),
            _copy(node.expr, tree, below),
            None if node.param is None else _copy(node.param, tree, below),
        )
        copy.expr.parent = copy
        if copy.param is not None:
            copy.param.parent = copy
        tree.aggregates.append(copy)
    elif isinstance(node, (pp.ParenExpr, pp.UnaryExpr, pp.SubqueryExpr)):
        copy = Wrapper(_copy(node.expr, tree, below))
        copy.expr.parent = copy
    elif isinstance(node, pp.NumberLiteral):
        copy = Number(float(node.val))
    elif isinstance(node, pp.StringLiteral):
        copy = String(str(node.val))
    else:
        raise ValueError(f"unsupported PromQL node {type(node).__name__}")
    tree.nodes.append(copy)
    return copy


def _selector(node: pp.VectorSelector) -> Selector:
    name = node.name or ""
    matchers = tuple(_matcher(m.name, _MATCH_OPS[str(m.op)], m.value) for m in node.matchers.matchers)
    key = [name]
    for m in matchers:
        key += (m.name, m.op, m.value)
    return Selector(name, matchers, key=tuple(key))


def _matcher(name: str, op: str, value: str) -> Matcher:
    if name.endswith(_MARKER_ENDS):
        base, _, marker = name.rpartition(_MARKER)
        return Matcher(base, _MARKED_OPS[_MARKER + marker], value)
    return Matcher(name, op, value)


_MARKER_ENDS = tuple(_MARKED_OPS)


def ancestors(node: Node) -> Iterator[Node]:
    """The node's parent, its parent's parent, ... up to the root."""
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent


def descendants(node: Node) -> Iterator[Node]:
    """The node and everything below it."""
    yield node
    if isinstance(node, Binary):
        yield from descendants(node.lhs)
        yield from descendants(node.rhs)
    elif isinstance(node, Aggregate):
        yield from descendants(node.expr)
        if node.param is not None:
            yield from descendants(node.param)
    elif isinstance(node, Wrapper):
        yield from descendants(node.expr)
    elif isinstance(node, Call):
        for arg in node.args:
            yield from descendants(arg)
    elif isinstance(node, Matrix):
        yield node.selector


def is_scalar(node: Node) -> bool:
    if isinstance(node, Number):
        return True
    if isinstance(node, Wrapper):
        return is_scalar(node.expr)
    if isinstance(node, Call):
        return node.func in ("scalar", "time", "pi")
    if isinstance(node, Binary):
        return is_scalar(node.lhs) and is_scalar(node.rhs)
    return False
