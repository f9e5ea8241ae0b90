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
        ("sloth", b'version: prometheus/v1\nservice: x\nslos: "x"\n', ":3:7: error: slos: `slos` must be a list"),
        ("sloth", b"version: prometheus/v1\nservice: x\nslos: [1, x]\n", ":3:8: error: slos[0]: `slos[0]` must be"),
        ("sloth", b"\xff\xfe", ":1:1: error: <root>: not UTF-8 text"),
        (
            "openslo",
            b'apiVersion: openslo/v1\nkind: SLO\nmetadata: "x"\nspec: 5\n',
            ":3:11: error: metadata: `metadata` must be a mapping",
        ),
        ("openslo", b"\xff\xfe", ":1:1: error: <root>: not UTF-8 text"),
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
    assert proc.stderr.startswith(f"{source}{expected}"), proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "spec.yaml").exists()
