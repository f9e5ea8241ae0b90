"""Prometheus rule files read for linting: every rule with its line, parsed expression and suppressions."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from mongen.errors import Location, SpecError, SpecIssue
from mongen.lint.promql_tree import Node, Selector, parse
from mongen.spec.loader import LOADER as _LOADER
from mongen.spec.loader import yaml_error

# `# mongen-lint: disable=<id>[,<id>] <reason>` on a rule (inside it or right above it).
_SUPPRESS = re.compile(r"#\s*mongen-lint:\s*disable=([a-z0-9,-]+)(.*)$")


@dataclass
class Rule:
    file: str
    kind: str  # record | alert
    name: str
    expr_text: str
    line: int  # of the expression
    col: int
    first_line: int  # of the rule item
    last_line: int
    expr: Node | None = None  # None when the expression does not parse
    nodes: list[Node] = field(default_factory=list)  # every node of expr, shared by all checks
    result: frozenset[str] | None = None  # labels of the expression's result, once known (runner.py)
    parse_error: str = ""
    for_: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    suppressed: set[str] = field(default_factory=set)

    def parse(self) -> None:
        """Parse the expression (once; lint parses rules in worker processes when there are many)."""
        if self.expr is not None or self.parse_error:
            return
        try:
            tree = parse(self.expr_text)
            self.expr, self.nodes = tree.root, tree.nodes
        except ValueError as exc:
            self.parse_error = str(exc)

    @cached_property
    def selectors(self) -> list[Selector]:
        return [node for node in self.nodes if isinstance(node, Selector)]


@dataclass
class RuleFile:
    path: str
    rules: list[Rule]
    error: str = ""
    error_line: int = 1


class _Yaml:
    """A YAML node reduced to what rule files need: a string, list or string-keyed dict, and its position."""

    __slots__ = ("col", "line", "style", "value")

    def __init__(self, value: str | list[_Yaml] | dict[str, _Yaml], line: int, col: int, style: str) -> None:
        self.value = value
        self.line = line  # 0-based, as libyaml reports them
        self.col = col
        self.style = style

    def get(self, key: str) -> _Yaml | None:
        return self.value.get(key) if isinstance(self.value, dict) else None

    @property
    def text(self) -> str:
        return self.value if isinstance(self.value, str) else ""

    @property
    def items(self) -> list[_Yaml]:
        return self.value if isinstance(self.value, list) else []

    def strings(self) -> dict[str, str]:
        return {k: v.text for k, v in self.value.items()} if isinstance(self.value, dict) else {}


_NO_KEY = object()  # a mapping frame waiting for its next key
_SKIP = object()  # a mapping frame whose current key is not a string (the value is dropped)


def _read_yaml(text: str, file: str) -> _Yaml | None:
    """Build the tree straight from libyaml's event stream. Rule files can hold 10,000s of rules;
    composing PyYAML nodes (with tag resolution of every scalar) costs 5x more than this."""
    root: _Yaml | None = None
    stack: list[tuple[_Yaml, list[object]]] = []  # open collections, each with its pending key
    anchors: dict[str, _Yaml] = {}

    def attach(node: _Yaml) -> None:
        nonlocal root
        if not stack:
            root = node
            return
        parent, key = stack[-1]
        if isinstance(parent.value, list):
            parent.value.append(node)
        elif key[0] is _NO_KEY:
            key[0] = node.value if isinstance(node.value, str) else _SKIP
        else:
            if isinstance(key[0], str) and isinstance(parent.value, dict):
                parent.value[key[0]] = node
            key[0] = _NO_KEY

    documents = 0
    try:
        events: Iterable[Any] = yaml.parse(text, Loader=_LOADER)
        for event in events:
            kind = type(event)
            if kind is yaml.ScalarEvent:
                mark = event.start_mark
                node = _Yaml(event.value, mark.line, mark.column, event.style or "")
                if event.anchor:
                    anchors[event.anchor] = node
                attach(node)
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                mark = event.start_mark
                value: dict[str, _Yaml] | list[_Yaml] = {} if kind is yaml.MappingStartEvent else []
                node = _Yaml(value, mark.line, mark.column, "")
                if event.anchor:
                    anchors[event.anchor] = node
                stack.append((node, [_NO_KEY]))
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                attach(stack.pop()[0])
            elif kind is yaml.AliasEvent:
                if event.anchor not in anchors:
                    mark = event.start_mark
                    raise SpecError(
                        [
                            SpecIssue(
                                Location(file, mark.line + 1, mark.column + 1), (), f"undefined alias {event.anchor!r}"
                            )
                        ]
                    )
                attach(anchors[event.anchor])
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    mark = event.start_mark
                    raise SpecError(
                        [SpecIssue(Location(file, mark.line + 1, 1), (), "expected one YAML document, found more")]
                    )
    except yaml.YAMLError as exc:
        raise yaml_error(exc, file) from None
    return root


def _suppressions(lines: list[str]) -> dict[int, list[str]]:
    """1-based line -> check ids of every `# mongen-lint: disable=` comment in the file."""
    out: dict[int, list[str]] = {}
    for number, line in enumerate(lines, 1):
        match = _SUPPRESS.search(line) if "mongen-lint" in line else None
        if match:
            out[number] = match.group(1).split(",")
    return out


def read_rule_file(path: Path, display: str | None = None) -> RuleFile:
    """Read the file at `path` (reported as `display`); see rule_file_from_text."""
    return rule_file_from_text(path.read_text("utf-8"), display or str(path))


def rule_file_from_text(text: str, name: str) -> RuleFile:
    """Every rule of the file with the positions lint reports and the suppressions that apply to it
    (expressions are parsed later, by Rule.parse())."""
    try:
        root = _read_yaml(text, name)
    except SpecError as exc:
        return RuleFile(name, [], exc.issues[0].message, exc.issues[0].location.line)
    groups = root.get("groups") if root is not None else None
    if groups is None or not isinstance(groups.value, list):
        return RuleFile(name, [], "not a Prometheus rule file: no `groups` list")
    lines = text.splitlines() if "mongen-lint" in text else []  # only needed for suppressions
    suppressions = _suppressions(lines)
    end_of_file = text.count("\n") + 1
    rules: list[Rule] = []
    group_nodes = groups.items
    for gi, group_node in enumerate(group_nodes):
        items = group_node.get("rules")
        if items is None or not isinstance(items.value, list):
            continue
        group_end = group_nodes[gi + 1].line if gi + 1 < len(group_nodes) else end_of_file
        item_nodes = items.items
        for ri, item in enumerate(item_nodes):
            kind = "alert" if item.get("alert") is not None else "record"
            expr_node = item.get("expr") or item
            expr_text = expr_node.text
            expr_line = expr_node.line + 1
            if expr_node.style in ("|", ">"):
                expr_line += 1  # block scalar: point at the first line of the query
            first = item.line + 1
            last = item_nodes[ri + 1].line if ri + 1 < len(item_nodes) else group_end
            kind_node, for_node = item.get(kind), item.get("for")
            labels, annotations = item.get("labels"), item.get("annotations")
            rule = Rule(
                name,
                kind,
                kind_node.text if kind_node else "",
                expr_text,
                expr_line,
                expr_node.col + 1,
                first,
                last,
                for_=(for_node.text if for_node else "") or None,
                labels=labels.strings() if labels else {},
                annotations=annotations.strings() if annotations else {},
            )
            if suppressions:
                # Inside the rule, or in the comment block right above it.
                above = first - 1
                while above >= 1 and lines[above - 1].strip().startswith("#"):
                    above -= 1
                for number in range(above + 1, last + 1):
                    rule.suppressed.update(suppressions.get(number, ()))
            rules.append(rule)
    return RuleFile(name, rules)


def collect_files(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out += sorted(
                p for p in path.rglob("*") if p.suffix in (".yml", ".yaml") and not p.name.endswith(".test.yml")
            )
        else:
            out.append(path)
    return out
