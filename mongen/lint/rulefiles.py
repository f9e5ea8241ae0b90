"""Prometheus rule files read for linting: every rule with its line, parsed expression and suppressions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import promql_parser

from mongen.errors import SpecError
from mongen.spec.loader import load_yaml

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


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def read_rule_file(path: Path, display: str | None = None) -> RuleFile:
    name = display or str(path)
    text = path.read_text("utf-8")
    try:
        doc = load_yaml(text, name)
    except SpecError as exc:
        return RuleFile(name, [], exc.issues[0].message, exc.issues[0].location.line)
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("groups"), list):
        return RuleFile(name, [], "not a Prometheus rule file: no `groups` list")
    lines = text.splitlines()
    rules: list[Rule] = []
    for gi, group in enumerate(data["groups"]):
        if not isinstance(group, dict):
            continue
        items = group.get("rules") or []
        starts = [doc.locate(("groups", gi, "rules", ri)).line for ri in range(len(items))]
        group_end = doc.locate(("groups", gi + 1)).line - 1 if gi + 1 < len(data["groups"]) else len(lines)
        for ri, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            kind = "alert" if "alert" in item else "record"
            loc = doc.locate(("groups", gi, "rules", ri, "expr"))
            expr_line = loc.line
            expr_text = _text(item.get("expr"))
            if expr_text and "\n" in expr_text and lines[expr_line - 1].rstrip().endswith(("|", "|-", ">", ">-", "|+")):
                expr_line += 1  # block scalar: point at the first line of the query
            first = starts[ri]
            last = (starts[ri + 1] - 1) if ri + 1 < len(starts) else group_end
            rule = Rule(
                name,
                _text(group.get("name")),
                kind,
                _text(item.get(kind)),
                expr_text,
                expr_line,
                loc.col,
                first,
                last,
                for_=_text(item.get("for")) or None,
                labels={str(k): _text(v) for k, v in (item.get("labels") or {}).items()},
                annotations={str(k): _text(v) for k, v in (item.get("annotations") or {}).items()},
            )
            above = first - 1
            while above >= 1 and lines[above - 1].strip().startswith("#"):
                above -= 1
            for line in lines[above:last]:
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
