"""One failure case per spec error message, as openapi-python-client's `generator_failure_cases`.

Each file in tests/spec_failure_cases/ (one per spec section) maps a case name to a spec, either
`patch`: text replacements on base.yaml (each `find` must occur exactly once) or `spec`: the whole
file, and to the `expected` lines, exactly as mongen prints them for `spec.yaml` (a spec that
loads with warnings expects those). Cases with
`cli: true` also run through the installed entry point: exit 2, those lines on stderr, nothing else.

`test_every_message_has_a_case` runs every case under a line tracer and fails for each place in
the spec layer that words an error message (tests/support/spec_messages.py) that no case reaches.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from mongen.errors import SpecError, format_path
from mongen.loading import load_spec
from tests.support.failure_cases import BASE, CASES, SPEC_NAME, FailureCase
from tests.support.spec_messages import message_sites


def _issues(case: FailureCase, directory: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    (directory / SPEC_NAME).write_bytes(case.text.encode(case.encoding, "surrogatepass"))
    monkeypatch.chdir(directory)
    try:
        spec = load_spec(SPEC_NAME)
    except SpecError as exc:
        return [str(issue) for issue in exc.issues]
    # A spec that loads may still carry warnings (mongen generate prints them and goes on).
    return [f"{w.location}: warning: {format_path(w.path)}: {w.message}" for w in spec.warnings]


def test_the_base_spec_is_clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _issues(FailureCase("base", BASE, "utf-8", [], False), tmp_path, monkeypatch) == []


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_failure_case(case: FailureCase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _issues(case, tmp_path, monkeypatch) == case.expected


CLI_CASES = [c for c in CASES if c.cli]


@pytest.mark.parametrize("case", CLI_CASES, ids=[c.id for c in CLI_CASES])
def test_failure_case_through_the_cli(case: FailureCase, tmp_path: Path) -> None:
    (tmp_path / SPEC_NAME).write_bytes(case.text.encode(case.encoding, "surrogatepass"))
    run = subprocess.run(
        [sys.executable, "-m", "mongen", "generate", SPEC_NAME, "-o", "out", "--no-validate"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 2, run.stderr
    assert run.stderr.splitlines() == case.expected
    assert run.stdout == ""
    assert not (tmp_path / "out").exists()


def test_there_are_cli_cases() -> None:
    assert len(CLI_CASES) >= 5


@pytest.fixture
def executed_lines() -> Iterator[set[tuple[str, int]]]:
    """(file, line) of every line run in the files that word messages, while the fixture is active."""
    files = {str(site.file) for site in message_sites()}
    seen: set[tuple[str, int]] = set()

    def local(frame: FrameType, event: str, arg: object) -> Any:
        if event == "line":
            seen.add((frame.f_code.co_filename, frame.f_lineno))
        return local

    def global_(frame: FrameType, event: str, arg: object) -> Any:
        return local if frame.f_code.co_filename in files else None

    previous = sys.gettrace()
    sys.settrace(global_)
    try:
        yield seen
    finally:
        sys.settrace(previous)


def test_every_message_has_a_case(
    executed_lines: set[tuple[str, int]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i, case in enumerate(CASES):
        directory = tmp_path / str(i)
        directory.mkdir()
        _issues(case, directory, monkeypatch)
    missing = [
        str(site)
        for site in message_sites()
        if not any((str(site.file), line) in executed_lines for line in range(site.first_line, site.last_line + 1))
    ]
    assert missing == [], "messages without a failure case in tests/spec_failure_cases/:\n" + "\n".join(missing)
