"""`generate --check` when the output directory itself is a symbolic link (`out -> /etc`, committed
to a repo): the link is refused, never followed, so no host file reaches the CI log."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support import DEFAULT_SPEC, ROOT


def test_check_refuses_an_output_dir_that_is_a_link(tmp_path: Path) -> None:
    host = tmp_path / "host"
    (host / "prometheus").mkdir(parents=True)
    (host / "prometheus/prometheus.yml").write_text("host-secret: do-not-print-me\n")
    (host / "passwd").write_text("root:x:0:0\n")
    out = tmp_path / "out"
    out.symlink_to(host)
    proc = subprocess.run(
        [sys.executable, "-m", "mongen", "generate", DEFAULT_SPEC, "-o", str(out), "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    printed = proc.stdout + proc.stderr
    assert proc.returncode == 2, printed
    assert "do-not-print-me" not in printed and "passwd" not in printed
    assert f"{out} is a symbolic link; --check does not follow it" in printed
    assert out.is_symlink() and (host / "passwd").read_text() == "root:x:0:0\n"


def test_check_refuses_a_link_on_the_way_to_the_output_dir(tmp_path: Path) -> None:
    """`-o deploy/prometheus` with a committed `deploy -> /etc`-like link: the same leak, one level up."""
    host = tmp_path / "host"
    (host / "out").mkdir(parents=True)
    (host / "out/passwd").write_text("root:x:0:0\n")
    work = tmp_path / "repo"
    work.mkdir()
    (work / "deploy").symlink_to(host)
    proc = subprocess.run(
        [sys.executable, "-m", "mongen", "generate", str(ROOT / DEFAULT_SPEC), "-o", "deploy/out", "--check"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    printed = proc.stdout + proc.stderr
    assert proc.returncode == 2, printed
    assert "passwd" not in printed
    assert f"{work / 'deploy'} is a symbolic link" in printed
