"""Prometheus rule files read for linting: every rule with its line, parsed expression and suppressions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import promql_parser
import yaml

from mongen.errors import SpecError
from mongen.spec.loader import compose_yaml

# `# mongen-lint: disable=<id>[,<id>] <reason>` on a rule (inside it or right above it).
_SUPPRESS = re.compile(r"#\s*mongen-lint:\s*disable=([a-z0-9,-]+)(.*)$")


@dataclass
class Rule:
    file: str
    group: str
    kind: str  # record | alert
    name: str
    expr_text: str
    line: int  # of the expression
    col: int
    first_line: int  # of the rule item
    last_line: int
    expr: Any = None  # promql_parser AST, None when it does not parse
    parse_error: str = ""
    for_: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    suppressed: set[str] = field(default_factory=set)

    @property
    def position(self) -> tuple[str, int, int]:
        return self.file, self.line, self.col

    @cached_property
    def nodes(self) -> list[tuple[Any, tuple[Any, ...]]]:
        """Every AST node with its ancestors, computed once and shared by all checks."""
        from mongen.lint.context import walk

        return walk(self.expr) if self.expr is not None else []


@dataclass
class RuleFile:
    path: str
    rules: list[Rule]
    error: str = ""
    error_line: int = 1


def _mapping(node: Any) -> dict[str, Any]:
    """A mapping node's string-keyed children (nodes, not values)."""
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}


def _scalar(node: Any) -> str:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else ""


def _string_map(node: Any) -> dict[str, str]:
    return {k: _scalar(v) for k, v in _mapping(node).items()}


def read_rule_file(path: Path, display: str | None = None) -> RuleFile:
    """Walk the YAML node tree directly: rule files can hold 10,000s of rules and only a few
    fields of each matter, with their positions."""
    name = display or str(path)
    text = path.read_text("utf-8")
    try:
        root = compose_yaml(text, name)
    except SpecError as exc:
        return RuleFile(name, [], exc.issues[0].message, exc.issues[0].location.line)
    groups = _mapping(root).get("groups")
    if not isinstance(groups, yaml.SequenceNode):
        return RuleFile(name, [], "not a Prometheus rule file: no `groups` list")
    lines = text.splitlines()
    rules: list[Rule] = []
    group_nodes = groups.value
    for gi, group_node in enumerate(group_nodes):
        group = _mapping(group_node)
        items = group.get("rules")
        if not isinstance(items, yaml.SequenceNode):
            continue
        group_end = group_nodes[gi + 1].start_mark.line if gi + 1 < len(group_nodes) else len(lines)
        for ri, item_node in enumerate(items.value):
            item = _mapping(item_node)
            kind = "alert" if "alert" in item else "record"
            expr_node = item.get("expr", item_node)
            expr_text = _scalar(expr_node)
            expr_line = expr_node.start_mark.line + 1
            if getattr(expr_node, "style", None) in ("|", ">"):
                expr_line += 1  # block scalar: point at the first line of the query
            first = item_node.start_mark.line + 1
            last = items.value[ri + 1].start_mark.line if ri + 1 < len(items.value) else group_end
            rule = Rule(
                name,
                _scalar(group.get("name")),
                kind,
                _scalar(item.get(kind)),
                expr_text,
                expr_line,
                expr_node.start_mark.column + 1,
                first,
                last,
                for_=_scalar(item.get("for")) or None,
                labels=_string_map(item.get("labels")),
                annotations=_string_map(item.get("annotations")),
            )
            above = first - 1
            while above >= 1 and lines[above - 1].strip().startswith("#"):
                above -= 1
            for line in lines[above:last]:
                if "mongen-lint" in line:
                    match = _SUPPRESS.search(line)
                    if match:
                        rule.suppressed.update(match.group(1).split(","))
            try:
                rule.expr = promql_parser.parse(expr_text)
            except (ValueError, TypeError) as exc:
                rule.parse_error = str(exc)
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
