"""cli.py only wires: every command parses its options, makes one call into the application layer
(mongen/app.py) and hands the answer to `_run`, which prints it and exits. Read from the source
(AST), so a loop, a branch or a second call added to a command fails here by name."""

from __future__ import annotations

import ast

from tests.support import ROOT

CLI = ROOT / "mongen/cli.py"
_LOGIC = (ast.For, ast.AsyncFor, ast.While, ast.If, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.Try)


def _commands() -> list[ast.FunctionDef]:
    tree = ast.parse(CLI.read_text("utf-8"))
    return [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and any(
            isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr == "command"
            for d in node.decorator_list
        )
    ]


def _app_calls(command: ast.FunctionDef) -> list[str]:
    """The application functions the command names (called, or handed to `_run`)."""
    return [
        node.attr
        for node in ast.walk(command)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "application"
        and node.attr[:1].islower()  # a function, not a request's class
    ]


def test_every_command_makes_one_call_into_the_application_layer() -> None:
    commands = _commands()
    assert len(commands) >= 10
    calls = {command.name: _app_calls(command) for command in commands}
    assert {name: found for name, found in calls.items() if len(found) != 1} == {}


def test_no_command_holds_logic() -> None:
    found = [
        f"cli.py:{node.lineno}: {type(node).__name__} in {command.name}"
        for command in _commands()
        for node in ast.walk(command)
        if isinstance(node, _LOGIC)
    ]
    assert found == []
