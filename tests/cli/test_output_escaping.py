"""Output that echoes user text escapes control characters: an alert name from a rule file with
ESC/OSC sequences never reaches the terminal, and a newline in it cannot forge a finding line or a
GitHub `::error` command, in lint's text, json and github formats, in validate's findings
(errors.Finding) and in verify's report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from mongen.errors import Finding
from mongen.verify.report import VerifyReport
from tests.support import ROOT

_HOSTILE = "Evil\x1b]0;owned\x07\x1b[2J\nforged.yml:1:1: error [fake] forged\n::error file=x::forged\rZ"


def _lint(tmp_path: Path, fmt: str) -> str:
    rules = {"groups": [{"name": "g", "rules": [{"alert": _HOSTILE, "expr": "up == 0"}]}]}
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump(rules))
    proc = subprocess.run(
        [sys.executable, "-m", "mongen", "lint", "--no-promtool", "--format", fmt, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert "Evil" in proc.stdout  # the finding that echoes the name is there
    return proc.stdout


def _assert_inert(output: str, forged_prefixes: tuple[str, ...]) -> None:
    assert not any(c in output for c in "\x1b\x07\r"), repr(output)
    for line in output.splitlines():
        assert not line.startswith(forged_prefixes), repr(line)


def test_lint_text_escapes_control_characters_and_cannot_forge_a_finding(tmp_path: Path) -> None:
    _assert_inert(_lint(tmp_path, "text"), ("forged.yml", "::error"))


def test_lint_github_cannot_forge_a_workflow_command(tmp_path: Path) -> None:
    output = _lint(tmp_path, "github")
    _assert_inert(output, ("forged.yml", "::error file=x"))
    assert all(line.startswith(("::error ", "::warning ")) for line in output.splitlines())


def test_lint_json_keeps_the_name_exactly_and_escaped(tmp_path: Path) -> None:
    output = _lint(tmp_path, "json")
    _assert_inert(output, ("forged.yml", "::error"))
    assert any(_HOSTILE in f["message"] for f in json.loads(output))


def test_a_validate_finding_is_one_inert_line() -> None:
    text = str(Finding("prometheus/rules/x.yml", 3, 1, "error", "promtool\x1b[31m", _HOSTILE))
    _assert_inert(text, ("forged.yml", "::error"))
    assert "\\x1b]0;owned\\x07" in text


def test_the_verify_report_is_inert() -> None:
    report = VerifyReport()
    report.expect("healthy", _HOSTILE, "fires", False, _HOSTILE)
    report.substitute(_HOSTILE, "x", "y")
    _assert_inert(report.to_text(), ("forged.yml", "::error"))


def test_a_spec_error_quoting_an_escaped_key_is_one_inert_line(tmp_path: Path) -> None:
    """A YAML-escaped ESC/BEL/newline in a duplicate key reached the terminal raw and forged a line."""
    key = '"a\\e]0;owned\\a\\nforged.yml:1:1: error: x"'
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"version: 1\n{key}: 1\n{key}: 2\n")
    proc = subprocess.run(
        [sys.executable, "-m", "mongen", "generate", str(spec), "-o", str(tmp_path / "out"), "--no-validate"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert "duplicate key" in proc.stderr
    _assert_inert(proc.stderr, ("forged.yml", "::error"))
    assert len(proc.stderr.strip().splitlines()) == 1
