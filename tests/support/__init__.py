"""What several test modules share; a test module imports helpers from here, never from another
test module or from conftest.py (tests/architecture/test_test_suite_layout.py checks).

This module: the repository root, the showcase spec, `need` (a missing tool fails, with the
fix) and `mongen` (the CLI in a fresh interpreter). The others, by subject:

- generated_module.py  import, write and type-check a generated instrumentation module
- nvml.py              the NVML-reading variant of the showcase module, and promtool on its values
- fake_pynvml.py       a stand-in for pynvml at the library boundary
- ops_repo.py          a throwaway ops repository (project config, two specs, team rules) and the CLI run in it
- spec_documents.py    a spec file's YAML document edited by a test, then built into a model
- hostile.py           hostile text and values for hypothesis, and spec-document mutation
- failure_cases.py     the cases in tests/spec_failure_cases/
- spec_messages.py     where the spec layer words an error message (AST)
- sloth.py             the traffic scenarios compared with Sloth's rules in promtool
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_SPEC = "specs/emotivoice.yaml"
# Files `generate` writes for specs/emotivoice.yaml (the marker included), as the golden copy holds them.
EMOTIVOICE_FILES = sum(1 for p in (ROOT / "tests/golden/emotivoice").rglob("*") if p.is_file())


def need(tool: str) -> str:
    """The tests run the real tools; a missing one is a failure with the fix, never a skip."""
    import pytest  # here, so that bench/ can import the helpers without the test runner

    from mongen.errors import ToolMissingError
    from mongen.validate import require

    try:
        return require(tool)
    except ToolMissingError as exc:
        pytest.fail(str(exc))


def mongen(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None, timeout: int = 300
) -> subprocess.CompletedProcess[str]:
    """`python -m mongen ARGS` in `cwd`, its output captured as text; the exit code is the caller's to check."""
    return subprocess.run(
        [sys.executable, "-m", "mongen", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
