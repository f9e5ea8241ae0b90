"""promtool's verdict on the linted files: `promtool check rules` on each, and `promtool test rules`
on the unit tests next to them. Its output is the message; promtool's wording is its own, so these
findings have no pinned examples (docs/lint-rules.md lists them from PROMTOOL_FINDINGS)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from mongen.errors import Finding
from mongen.validate import require

CHECK_RULES = "promtool-check"
TEST_RULES = "promtool-test"
PROMTOOL_FINDINGS = (
    (CHECK_RULES, "error", "`promtool check rules` rejected the file; its output is the message."),
    (TEST_RULES, "error", "`promtool test rules` failed on a `*.test.yml` next to the rules (or in `../tests/`)."),
)


def promtool_findings(paths: list[Path], display: dict[Path, str], generated_root: Path | None) -> list[Finding]:
    """Check every rule file in `paths`, then run the unit tests beside them (shown relative to
    `generated_root` when lint generated the files itself)."""
    promtool = require("promtool")
    findings: list[Finding] = []
    for path in paths:
        proc = subprocess.run(
            [promtool, "check", "rules", str(path)], capture_output=True, text=True, check=False, timeout=300
        )
        if proc.returncode != 0:
            findings.append(Finding(display[path], 1, 1, "error", CHECK_RULES, (proc.stdout + proc.stderr).strip()))
    tests = sorted(
        {t for p in paths for t in [*p.parent.glob("*.test.yml"), *(p.parent.parent / "tests").glob("*.test.yml")]}
    )
    for test in tests:
        proc = subprocess.run(
            [promtool, "test", "rules", test.name],
            cwd=test.parent,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        if proc.returncode != 0:
            shown = str(test.relative_to(generated_root)) if generated_root else str(test)
            findings.append(Finding(shown, 1, 1, "error", TEST_RULES, (proc.stdout + proc.stderr).strip()))
    return findings
