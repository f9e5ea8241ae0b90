from __future__ import annotations

from pathlib import Path

import pytest

from mongen.errors import ToolMissingError
from mongen.pipeline import render
from mongen.spec.build import load_spec
from mongen.validate import require

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = "specs/emotivoice.yaml"


@pytest.fixture(autouse=True)
def _repo_cwd(monkeypatch: pytest.MonkeyPatch) -> None:
    """Spec paths appear in headers as given; tests give them relative to the repo root."""
    monkeypatch.chdir(ROOT)


@pytest.fixture(scope="session")
def default_spec():
    import os

    old = os.getcwd()
    os.chdir(ROOT)
    try:
        return load_spec(DEFAULT_SPEC)
    finally:
        os.chdir(old)


@pytest.fixture(scope="session")
def default_files(default_spec):
    return render(default_spec)


def need(tool: str) -> str:
    """The tests run the real tools; a missing one is a failure with the fix, never a skip."""
    try:
        return require(tool)
    except ToolMissingError as exc:
        pytest.fail(str(exc))
