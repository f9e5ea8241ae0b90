"""The spec file itself: only a regular file of sane size is read, and its name cannot break an
error line (a FIFO once hung `mongen generate`; a file name with a newline split the line)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support import ROOT


def _generate(spec: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mongen", "generate", spec, "-o", "out", "--no-validate"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_fifo_as_spec_is_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "spec.yaml")
    run = _generate("spec.yaml", tmp_path)
    assert run.returncode == 2
    assert run.stderr == (
        "spec.yaml:1:1: error: <root>: cannot read spec: ValueError: it is not a regular file "
        "(a directory, FIFO or device); give the spec's YAML file\n"
    )


def test_a_missing_spec_says_so_in_words(tmp_path: Path) -> None:
    run = _generate("nope.yaml", tmp_path)
    assert (run.returncode, run.stderr) == (
        2,
        "nope.yaml:1:1: error: <root>: cannot read spec: no such file; check the path "
        "(relative paths start at the working directory)\n",
    )


def test_a_huge_spec_is_refused_before_it_is_read(tmp_path: Path) -> None:
    with open(tmp_path / "spec.yaml", "wb") as handle:
        handle.truncate(5 * 1024 * 1024)  # sparse: nothing is written
    run = _generate("spec.yaml", tmp_path)
    assert run.returncode == 2
    assert "it is 5242880 bytes, over the 4194304 a spec may have" in run.stderr


def test_a_spec_name_with_a_newline_stays_on_one_error_line(tmp_path: Path) -> None:
    text = (ROOT / "specs/emotivoice.yaml").read_text().replace("  namespace: emoti_voice\n", "  namespace: 9x\n")
    (tmp_path / "a\nb.yaml").write_text(text)
    run = _generate("a\nb.yaml", tmp_path)
    assert run.returncode == 2
    lines = run.stderr.splitlines()
    assert lines and all(line.startswith('"a\\nb.yaml":') for line in lines), lines


def test_invisible_characters_are_refused(tmp_path: Path) -> None:
    text = (ROOT / "specs/emotivoice.yaml").read_text().replace("joy: happy", "jo\u200by: happy")
    (tmp_path / "spec.yaml").write_text(text)
    run = _generate("spec.yaml", tmp_path)
    assert run.returncode == 2
    assert "contains U+200B (zero width space)" in run.stderr
