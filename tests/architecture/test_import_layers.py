"""The top-level units of mongen/ (a module, or a package with everything under it) import each
other in one direction only: no cycle, counting every import statement, function-level and
`TYPE_CHECKING` ones included. Read from the source (AST), so a new cycle fails here by name."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support import ROOT

PACKAGE = ROOT / "mongen"


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _is_unit(package: Path, name: str) -> bool:
    return (package / name).is_dir() or (package / f"{name}.py").is_file()


def unit_imports(package: Path = PACKAGE) -> dict[str, dict[str, str]]:
    """unit -> {imported unit: 'file:line' of one import that makes the edge}."""
    edges: dict[str, dict[str, str]] = {}
    for file in sorted(package.rglob("*.py")):
        module = ".".join(file.relative_to(package.parent).with_suffix("").parts).removesuffix(".__init__")
        home = module if file.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(file.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = home.split(".")[: len(home.split(".")) - node.level + 1]
                    base = ".".join([*parts, *([node.module] if node.module else [])])
                targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
            else:
                continue
            for target in targets:
                if target.startswith("mongen.") and _is_unit(package, _unit(target)) and _unit(target) != _unit(module):
                    where = f"{file.relative_to(package.parent)}:{node.lineno}"
                    edges.setdefault(_unit(module), {}).setdefault(_unit(target), where)
    return edges


def cycles(edges: dict[str, dict[str, str]]) -> list[list[str]]:
    """Strongly connected components with more than one unit (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(unit: str) -> None:
        index[unit] = low[unit] = len(index)
        stack.append(unit)
        for other in edges.get(unit, {}):
            if other not in index:
                visit(other)
                low[unit] = min(low[unit], low[other])
            elif other in stack:
                low[unit] = min(low[unit], index[other])
        if low[unit] == index[unit]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == unit:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for unit in sorted(edges):
        if unit not in index:
            visit(unit)
    return found


def test_no_import_cycle_between_top_level_units() -> None:
    edges = unit_imports()
    found = cycles(edges)
    detail = [
        f"{a} -> {b} ({edges[a][b]})" for component in found for a in component for b in edges.get(a, {}) if b in component
    ]
    assert not found, "import cycles between units of mongen/: " + "; ".join(detail)


def test_the_cycle_check_sees_a_cycle(tmp_path: Path) -> None:
    """A cycle made on purpose, with one side importing under TYPE_CHECKING in a function."""
    package = tmp_path / "mongen"
    (package / "low").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "low" / "__init__.py").write_text("")
    (package / "low" / "names.py").write_text(
        "from typing import TYPE_CHECKING\n\ndef f():\n    if TYPE_CHECKING:\n        from mongen.high import X\n"
    )
    (package / "high.py").write_text("from mongen.low.names import f\n")
    (package / "other.py").write_text("from mongen import high\n")
    edges = unit_imports(package)
    assert edges["low"] == {"high": "mongen/low/names.py:5"}
    assert cycles(edges) == [["high", "low"]]


def test_the_bottom_layer_imports_nothing_above_it() -> None:
    """The YAML-with-positions loader, exporter vocabularies, units, errors, naming of output
    paths, the PromQL tree and the fault vocabulary are used by every layer; they import only each
    other."""
    bottom = {"errors", "units", "layout", "serialize", "vocabulary", "promql_tree", "label_regex", "annotations", "faults"}
    edges = unit_imports()
    above = {unit: sorted(set(edges.get(unit, {})) - bottom) for unit in bottom}
    assert above == {unit: [] for unit in bottom}
