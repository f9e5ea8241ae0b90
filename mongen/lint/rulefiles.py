"""Prometheus rule files read for linting: every rule with its line, parsed expression and
suppressions. Only regular files are read, and a file that cannot be read is a RuleFile with the
reason, never an exception: one odd file in a directory costs one finding, not the run."""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mongen.errors import SpecError
from mongen.lint.suppressions import Suppression, find_suppressions
from mongen.lint.yaml_tree import RefusedYaml, YamlNode, read_yaml
from mongen.promql_tree import Aggregate, Binary, Call, Matrix, Node, Selector, TooDeep, parse

# 10,000 rules take about 2.5 MB; a larger file is not a rule file anyone reviews.
MAX_FILE_BYTES = 64 * 1024 * 1024
_FILE_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


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
    # Every node of expr, and those of the kinds checks look for (empty until it parses).
    nodes: Sequence[Node] = ()
    selectors: Sequence[Selector] = ()
    matrices: Sequence[Matrix] = ()
    calls: Sequence[Call] = ()
    aggregates: Sequence[Aggregate] = ()
    binaries: Sequence[Binary] = ()
    result: frozenset[str] | None = None  # labels of the expression's result, once known (runner.py)
    parse_error: str = ""
    too_deep: bool = False  # parse_error says the expression nests too deep for lint
    for_: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    suppressed: set[str] = field(default_factory=set)

    def parse(self) -> None:
        """Parse the expression (once; lint parses rules in worker processes when there are many)."""
        if self.expr is not None or self.parse_error:
            return
        try:
            tree = parse(self.expr_text, self.file)
            self.expr, self.nodes, self.selectors = tree.root, tree.nodes, tree.selectors
            self.matrices, self.calls, self.aggregates, self.binaries = (
                tree.matrices,
                tree.calls,
                tree.aggregates,
                tree.binaries,
            )
        except TooDeep as exc:
            self.parse_error, self.too_deep = str(exc), True
        except ValueError as exc:
            self.parse_error = str(exc)


@dataclass
class RuleFile:
    path: str
    rules: list[Rule]
    error: str = ""  # why no rule of the file can be checked
    error_line: int = 1
    error_col: int = 1
    # The file itself was refused (unreadable, not UTF-8, hostile YAML): reported even inside a
    # directory, where YAML without rules is otherwise skipped.
    refused: bool = False
    suppressions: list[Suppression] = field(default_factory=list)
    unattached: list[Suppression] = field(default_factory=list)  # inside no rule nor right above one
    ignored_from: int | None = None  # the line where a second YAML document starts (yaml_tree)


class _Unreadable(Exception):
    def __init__(self, reason: str, line: int = 1, col: int = 1) -> None:
        super().__init__(reason)
        self.line, self.col = line, col


def read_rule_file(path: Path, display: str | None = None) -> RuleFile:
    """Read the file at `path` (reported as `display`); see rule_file_from_text."""
    name = display or str(path)
    try:
        text = _read_text(path)
    except _Unreadable as exc:
        return RuleFile(name, [], str(exc), exc.line, exc.col, refused=True)
    return rule_file_from_text(text, name)


def _read_text(path: Path) -> str:
    """The file's text, if it is a regular file of UTF-8 text. A named pipe would block forever and
    a device never ends, so nothing but a regular file is opened (also through a symlink)."""
    try:
        kind = _kind(os.stat(path).st_mode)
        if kind:
            raise _Unreadable(f"not a regular file but {kind}; lint reads only regular files")
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as file:
            kind = _kind(os.fstat(file.fileno()).st_mode)  # replaced since the stat above
            if kind:
                raise _Unreadable(f"not a regular file but {kind}; lint reads only regular files")
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise _Unreadable(f"cannot read the file: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise _Unreadable(f"the file is larger than {MAX_FILE_BYTES // 2**20} MiB; split it")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        raise _Unreadable(
            f"not UTF-8 text: byte 0x{data[exc.start]:02x} cannot start or continue a character here; "
            "Prometheus reads rule files as UTF-8",
            data.count(b"\n", 0, exc.start) + 1,
            exc.start - line_start + 1,
        ) from None


def _kind(mode: int) -> str:
    return next((kind for test, kind in _FILE_KINDS if test(mode)), "")


def rule_file_from_text(text: str, name: str) -> RuleFile:
    """Every rule of the file with the positions lint reports and the suppressions that apply to it
    (expressions are parsed later, by Rule.parse())."""
    try:
        document = read_yaml(text, name)
    except SpecError as exc:
        location = exc.issues[0].location
        refused = isinstance(exc, RefusedYaml)
        return RuleFile(name, [], exc.issues[0].message, location.line, location.col, refused=refused)
    root, ignored_from = document.root, document.ignored_from
    groups = root.get("groups") if root is not None else None
    # promtool and Prometheus load an empty file, one of comments only, and `groups:` with no
    # value as a rule file of 0 rules.
    if _is_null(root) or (groups is not None and _is_null(groups)):
        return RuleFile(name, [], ignored_from=ignored_from)
    if groups is None or not isinstance(groups.value, list):
        return RuleFile(name, [], "not a Prometheus rule file: no `groups` list")
    suppressions = find_suppressions(text)
    lines = text.splitlines()
    rules: list[Rule] = []
    group_nodes = groups.items
    for gi, group_node in enumerate(group_nodes):
        items = group_node.get("rules")
        if items is None or not isinstance(items.value, list):
            continue
        group_end = group_nodes[gi + 1].line if gi + 1 < len(group_nodes) else len(lines)
        item_nodes = items.items
        for ri, item in enumerate(item_nodes):
            next_line = item_nodes[ri + 1].line if ri + 1 < len(item_nodes) else group_end
            rule = _rule(name, item, lines, next_line)
            if suppressions:
                _apply_suppressions(rule, suppressions, lines)
            rules.append(rule)
    if not suppressions:
        return RuleFile(name, rules, ignored_from=ignored_from)
    for file_wide in (s for s in suppressions.values() if s.file_wide):
        for rule in rules:
            rule.suppressed.update(file_wide.ids)
    applied = {n for r in rules for n in range(_comments_above(r.first_line, lines), r.last_line + 1)}
    unattached = [s for line, s in suppressions.items() if line not in applied and not s.pint]
    own = [s for s in suppressions.values() if not s.pint]
    return RuleFile(name, rules, suppressions=own, unattached=unattached, ignored_from=ignored_from)


_YAML_NULLS = ("", "~", "null", "Null", "NULL")


def _is_null(node: YamlNode | None) -> bool:
    return node is None or (node.style == "" and node.value in _YAML_NULLS)


def _rule(file: str, item: YamlNode, lines: list[str], next_line: int) -> Rule:
    """One rule item. `next_line` is the (1-based) line before the next item; the rule's own lines
    end earlier, before the blank lines and comments that lead into that item."""
    kind = "alert" if item.get("alert") is not None else "record"
    expr_node = item.get("expr")
    first = item.line + 1
    if expr_node is None or "expr" in item.merged:
        # No expression of its own (merged from an anchor elsewhere): point at the rule, where an
        # `expr` of its own would go.
        line, col, expr_text = first, item.col + 1, expr_node.text if expr_node else ""
    else:
        line, col, expr_text = expr_node.line + 1, expr_node.col + 1, expr_node.text
        if expr_node.style in ("|", ">"):
            line += 1  # block scalar: point at the first line of the query
    last = max(first, next_line)
    while last > first and (not lines[last - 1].strip() or lines[last - 1].lstrip().startswith("#")):
        last -= 1
    kind_node, for_node = item.get(kind), item.get("for")
    labels, annotations = item.get("labels"), item.get("annotations")
    return Rule(
        file,
        kind,
        kind_node.text if kind_node else "",
        expr_text,
        line,
        col,
        first,
        last,
        for_=(for_node.text if for_node else "") or None,
        labels=labels.strings() if labels else {},
        annotations=annotations.strings() if annotations else {},
    )


def _comments_above(first: int, lines: list[str]) -> int:
    """First line of the comment block right above line `first` (`first` itself when none)."""
    above = first - 1
    while above >= 1 and lines[above - 1].strip().startswith("#"):
        above -= 1
    return above + 1


def _apply_suppressions(rule: Rule, suppressions: dict[int, Suppression], lines: list[str]) -> None:
    """A suppression applies to the rule it is inside of, or to the rule right below its comment block."""
    for number in range(_comments_above(rule.first_line, lines), rule.last_line + 1):
        found = suppressions.get(number)
        if found is not None:
            rule.suppressed.update(found.ids)


def collect_files(paths: list[Path]) -> list[Path]:
    """The files named, and the `*.yml`/`*.yaml` files under the directories named (not their
    promtool tests, `*.test.yml`); symlinked directories are not followed."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out += sorted(
                p
                for p in path.rglob("*")
                if p.suffix in (".yml", ".yaml") and not p.name.endswith(".test.yml") and not p.is_dir()
            )
        else:
            out.append(path)
    return out
