from __future__ import annotations

from collections.abc import Iterator

import pytest

# The shared helpers assert too; rewritten like the tests' own asserts, their failures show the values.
pytest.register_assert_rewrite("tests.support")

from mongen.loading import load_spec  # noqa: E402
from mongen.pipeline import render  # noqa: E402
from tests.support import DEFAULT_SPEC, ROOT  # noqa: E402


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
