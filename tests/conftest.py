from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mongen.errors import ToolMissingError
from mongen.loading import load_spec
from mongen.pipeline import render
from mongen.validate import require

ROOT = Path(__file__).resolve().parent.parent
# Files `generate` writes for specs/emotivoice.yaml (the marker included), as the golden copy holds them.
EMOTIVOICE_FILES = sum(1 for p in (ROOT / "tests/golden/emotivoice").rglob("*") if p.is_file())
DEFAULT_SPEC = "specs/emotivoice.yaml"


@pytest.fixture(autouse=True)
def _repo_cwd(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests give spec paths relative to the repo root."""
    monkeypatch.chdir(ROOT)


@pytest.fixture(autouse=True, scope="session")
def _private_tool_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Rule-test passes are cached (mongen/tool_cache.py); the suite keeps its own cache, so that
    no run depends on what an earlier one left in ~/.cache/mongen."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
        patch.delenv("MONGEN_NO_CACHE", raising=False)
        yield


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
