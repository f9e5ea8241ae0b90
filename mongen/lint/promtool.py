"""promtool's verdict on the linted files: `promtool check rules` on each, and `promtool test rules`
on the unit tests next to them. Its output is the message; promtool's wording is its own, so these
findings have no pinned examples (docs/lint-rules.md lists them from PROMTOOL_FINDINGS)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from mongen.errors import Finding
from mongen.tool_cache import PassCache
from mongen.validate import path_argument, require, run_rule_tests

CHECK_RULES = "promtool-check"
TEST_RULES = "promtool-test"
PROMTOOL_FINDINGS = (
    (CHECK_RULES, "error", "`promtool check rules` rejected the file; its output is the message."),
    (TEST_RULES, "error", "`promtool test rules` failed on a `*.test.yml` next to the rules (or in `../tests/`)."),
)


def promtool_findings(paths: list[Path], display: dict[Path, str], generated_root: Path | None) -> list[Finding]:
    """Check every rule file in `paths`, then run the unit tests beside them (shown relative to
    `generated_root` when lint generated the files itself). The checks run in parallel; the tests
    run as validation runs them, in parallel and skipped when unchanged since they last passed
    (tool_cache)."""
    promtool = require("promtool")
    tests = sorted(
        {t for p in paths for t in [*p.parent.glob("*.test.yml"), *(p.parent.parent / "tests").glob("*.test.yml")]}
    )
    from concurrent.futures import ThreadPoolExecutor  # here: a spec's expression check never runs promtool

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        checks = pool.map(
            lambda path: subprocess.run(
                [promtool, "check", "rules", path_argument(path)],
                capture_output=True,
                text=True,
                check=False,
                timeout=300,
            ),
            paths,
        )
        findings = [
            Finding(display[path], 1, 1, "error", CHECK_RULES, (proc.stdout + proc.stderr).strip())
            for path, proc in zip(paths, checks, strict=True)
            if proc.returncode != 0
        ]
    for test, result in run_rule_tests(tests, PassCache.from_environment()).items():
        if result is not None and result.returncode != 0:
            shown = display.get(test) or (str(test.relative_to(generated_root)) if generated_root else str(test))
            findings.append(Finding(shown, 1, 1, "error", TEST_RULES, (result.stdout + result.stderr).strip()))
    return findings
