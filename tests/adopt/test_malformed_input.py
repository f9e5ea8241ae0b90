"""`mongen import sloth` and `mongen import openslo` on a file of the wrong shape or encoding:
exit 2 with the file's position and what it is not, never a traceback, and no spec written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize(
    ("command", "content", "expected"),
    [
        ("sloth", b'version: prometheus/v1\nservice: x\nslos: "x"\n', "not a Sloth (prometheus/v1) document"),
        ("sloth", b"version: prometheus/v1\nservice: x\nslos: [1, x]\n", "not a Sloth (prometheus/v1) document"),
        ("sloth", b"\xff\xfe", "not UTF-8 text"),
        ("openslo", b'apiVersion: openslo/v1\nkind: SLO\nmetadata: "x"\nspec: 5\n', "not an OpenSLO v1 document"),
        ("openslo", b"\xff\xfe", "not UTF-8 text"),
    ],
    ids=["slos-a-string", "slos-of-scalars", "sloth-not-utf8", "openslo-spec-a-number", "openslo-not-utf8"],
)
def test_importing_a_file_of_the_wrong_shape_is_a_clean_error(
    command: str, content: bytes, expected: str, tmp_path: Path
) -> None:
    source = tmp_path / "in.yaml"
    source.write_bytes(content)
    proc = subprocess.run(
        [sys.executable, "-m", "mongen", "import", command, str(source), "-o", str(tmp_path / "spec.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(f"{source}:1:1: error:") and expected in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "spec.yaml").exists()
