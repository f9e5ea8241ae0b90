"""Where the spec layer produces an error message, found in the source (AST), so that a test can
require a failure case for each: every call that reports a message (`fail`, `issue`, `SpecIssue`,
`_refuse`) and every `return` of a function that words part of one (`*_problem`, `*_message` and
the few listed below)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from tests.support import ROOT

SOURCES = (
    *sorted((ROOT / "mongen/spec").glob("*.py")),
    *sorted((ROOT / "mongen/rules/alert_kinds").glob("*.py")),
    ROOT / "mongen/loading.py",
)
# Where several specs that cannot share one ops tree are refused (tests/project/test_ops_tree.py's cases).
COMBINE_SOURCES = (ROOT / "mongen/project/checks.py",)
# Functions elsewhere whose returned text ends up in a spec error.
WORDING_FUNCTIONS = {ROOT / "mongen/synth/histograms.py": {"quantile_untestable"}}
_SINKS = {"fail", "issue", "SpecIssue", "_refuse"}


@dataclass(frozen=True)
class MessageSite:
    file: Path
    first_line: int
    last_line: int
    text: str  # the source of the call or return, for the failure message

    def __str__(self) -> str:
        return f"{self.file.relative_to(ROOT)}:{self.first_line}: {self.text}"


def _is_wording_function(name: str, extra: set[str]) -> bool:
    return name.endswith(("_problem", "_message")) or name in extra


def message_sites(sources: tuple[Path, ...] = SOURCES) -> list[MessageSite]:
    sites = []
    wording = WORDING_FUNCTIONS if sources == SOURCES else {}
    for file in (*sources, *wording):
        tree = ast.parse(file.read_text("utf-8"))
        extra = wording.get(file, set())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and file in sources:
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in _SINKS and not _is_plumbing(tree, node):
                    sites.append(MessageSite(file, node.lineno, node.end_lineno or node.lineno, ast.unparse(node)))
            elif isinstance(node, ast.FunctionDef) and _is_wording_function(node.name, extra):
                for ret in ast.walk(node):
                    if isinstance(ret, ast.Return) and _words_a_message(ret.value, extra):
                        sites.append(MessageSite(file, ret.lineno, ret.end_lineno or ret.lineno, ast.unparse(ret)))
    return sites


def _words_a_message(value: ast.expr | None, extra: set[str]) -> bool:
    """A return of text, not of None nor of another wording function's answer (counted there)."""
    if value is None or (isinstance(value, ast.Constant) and value.value is None):
        return False
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
        return not _is_wording_function(value.func.id, extra)
    return True


def _is_plumbing(tree: ast.Module, call: ast.Call) -> bool:
    """Calls that pass a message on (inside `fail`, `issue`, `_refuse` themselves), not word one."""
    for func in ast.walk(tree):
        inside = isinstance(func, ast.FunctionDef) and func.lineno <= call.lineno <= (func.end_lineno or 0)
        if inside and func.name in _SINKS:
            return True
    return False
