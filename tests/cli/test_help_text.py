"""Each command's --help shows its docstring whole: rich reads `[word]` as markup and drops it
(`The project config's [checks] table` printed as `The project config's  table`)."""

from __future__ import annotations

import inspect
import re

import pytest
from typer.testing import CliRunner

from mongen.cli import app

COMMANDS = [(c.name or c.callback.__name__, c.callback) for c in app.registered_commands if c.callback] + [
    (f"{g.name} {c.name or c.callback.__name__}", c.callback)
    for g in app.registered_groups
    if g.typer_instance
    for c in g.typer_instance.registered_commands
    if c.callback
]


def words(text: str) -> str:
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


@pytest.mark.parametrize(("name", "callback"), COMMANDS, ids=[name for name, _ in COMMANDS])
def test_help_shows_the_whole_docstring(name: str, callback: object) -> None:
    doc = inspect.getdoc(callback) or ""
    result = CliRunner().invoke(app, [*name.split(), "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    assert words(doc.split("\n\n")[0]) in words(result.output)
