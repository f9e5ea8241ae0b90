"""The test suite's own shape: test modules sit in folders that mirror mongen's layers, are named
by their subject (never by a tracker number), and share helpers only through tests/support/. A
test module that imports another test module (or conftest.py) runs that module's tests' setup at
import, ties two subjects together, and breaks when either moves. Read from the source (AST)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.support import ROOT

TESTS = ROOT / "tests"
# A tracker reference or a numbered round in a module name says when a test was written, not what it guards.
TRACKER_NAME = re.compile(r"issue|_round_(one|two|three|four|five|six|seven|eight|nine|ten|\d+)|_\d+(_|$)")


def _is_test_module(module: str) -> bool:
    return module.rpartition(".")[2].startswith("test_") or module.rpartition(".")[2] == "conftest"


def shared_test_code_imports(tests: Path = TESTS) -> list[str]:
    """`file:line: module` for each import, anywhere in tests/ (helpers in support/ included), of a
    test module or of conftest.py."""
    found = []
    for file in sorted(tests.rglob("*.py")):
        if {"golden", "data"} & set(file.relative_to(tests).parts):
            continue
        for node in ast.walk(ast.parse(file.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                targets = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            else:
                continue
            for target in targets:
                if target.startswith("tests.") and _is_test_module(target):
                    found.append(f"{file.relative_to(tests.parent)}:{node.lineno}: {target}")
                    break
    return found


def misplaced_test_modules(tests: Path = TESTS) -> list[str]:
    """Test modules at the top of tests/, in a folder without __init__.py (pytest would import two
    modules of the same name as one), or named by tracker number."""
    found = []
    for file in sorted(tests.rglob("test_*.py")):
        relative = file.relative_to(tests)
        if {"golden", "data"} & set(relative.parts):
            continue
        if len(relative.parts) == 1:
            found.append(f"{relative}: at the top of tests/; put it in the folder of the layer it tests")
        elif not all(
            (tests / Path(*relative.parts[:depth]) / "__init__.py").is_file() for depth in range(1, len(relative.parts))
        ):
            found.append(f"{relative}: a folder on its way has no __init__.py")
        if TRACKER_NAME.search(file.stem):
            found.append(f"{relative}: named by tracker number or round; name it by what it tests")
    return found


def test_no_test_module_imports_another_test_module_or_conftest() -> None:
    found = shared_test_code_imports()
    assert not found, "move what these share into tests/support/: " + "; ".join(found)


def test_test_modules_sit_in_layer_folders_and_are_named_by_subject() -> None:
    found = misplaced_test_modules()
    assert not found, "; ".join(found)


def test_the_layout_checks_see_what_they_forbid(tmp_path: Path) -> None:
    """A suite made wrong on purpose: each rule is broken once and reported once."""
    tests = tmp_path / "tests"
    (tests / "lint").mkdir(parents=True)
    (tests / "loose").mkdir()
    (tests / "__init__.py").write_text("")
    (tests / "lint" / "__init__.py").write_text("")
    (tests / "support.py").write_text("from tests.lint.test_rules import helper\n")
    (tests / "lint" / "test_rules.py").write_text("def helper():\n    pass\n")
    (tests / "lint" / "test_issue15.py").write_text("from tests.conftest import ROOT\n")
    (tests / "loose" / "test_hostile_round_four.py").write_text("import tests.lint.test_rules\n")
    (tests / "test_flat.py").write_text("from tests.support import helper\n")
    assert shared_test_code_imports(tests) == [
        "tests/lint/test_issue15.py:1: tests.conftest",
        "tests/loose/test_hostile_round_four.py:1: tests.lint.test_rules",
        "tests/support.py:1: tests.lint.test_rules",
    ]
    assert misplaced_test_modules(tests) == [
        "lint/test_issue15.py: named by tracker number or round; name it by what it tests",
        "loose/test_hostile_round_four.py: a folder on its way has no __init__.py",
        "loose/test_hostile_round_four.py: named by tracker number or round; name it by what it tests",
        "test_flat.py: at the top of tests/; put it in the folder of the layer it tests",
    ]
