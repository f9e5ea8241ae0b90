"""The generated instrumentation module as a test uses it: imported in-process, written next to a
test's files, or checked with ruff and mypy --strict."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import ModuleType

from tests.support import ROOT


def module_path_for(service: str) -> str:
    return f"instrumentation/{service}_metrics.py"


def write_module(tmp_path: Path, files: dict[str, str], spec_service: str = "emotivoice") -> Path:
    """The service's generated module from `files`, written into `tmp_path` under its own name."""
    path = tmp_path / Path(module_path_for(spec_service)).name
    path.write_text(files[module_path_for(spec_service)])
    return path


def load_generated(text: str, name: str) -> ModuleType:
    """Import generated source in-process under `name` (registered, so `from name import` works)."""
    module = ModuleType(name)
    module.__file__ = f"{name}.py"
    sys.modules[name] = module
    exec(compile(text, module.__file__, "exec"), module.__dict__)
    return module


def check_with_ruff_and_mypy(*paths: Path) -> None:
    """ruff (the project's rules, and its formatter) and mypy --strict on generated modules."""
    config = str(ROOT / "pyproject.toml")
    names = [str(path) for path in paths]
    for args in (["check", "--no-cache"], ["format", "--check", "--no-cache"]):
        ruff = subprocess.run(
            [sys.executable, "-m", "ruff", *args, "--config", config, *names], capture_output=True, text=True
        )
        assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *names],
        capture_output=True,
        text=True,
        cwd=paths[0].parent,
    )
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr
