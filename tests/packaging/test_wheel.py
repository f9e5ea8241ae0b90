"""The built wheel carries its templates and schema: install it in a fresh venv and generate."""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from tests.support import ROOT


@pytest.mark.e2e
def test_wheel_installs_and_generates(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    # Build from a clean copy: setuptools reuses a stale build/ in the checkout, which can hold
    # modules the package list no longer ships.
    source_tree = tmp_path / "src"
    source_tree.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source_tree / name)
    shutil.copytree(ROOT / "mongen", source_tree / "mongen", ignore=shutil.ignore_patterns("__pycache__"))
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(dist), str(source_tree)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    wheel = next(dist.glob("mongen-*.whl"))
    # Every module and data file of the package is in the wheel (an explicit package list once
    # left out mongen.rules; a system-wide editable install hid it from the import below).
    with zipfile.ZipFile(wheel) as archive:
        shipped = {name for name in archive.namelist() if name.startswith("mongen/")}
    source = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "mongen").rglob("*")
        if path.is_file() and path.suffix in (".py", ".j2", ".json") and "__pycache__" not in path.parts
    }
    assert source - shipped == set(), "files missing from the wheel"
    env_dir = tmp_path / "venv"
    # System site-packages provide the dependencies offline; mongen itself comes from the wheel.
    venv.EnvBuilder(with_pip=True, system_site_packages=True).create(env_dir)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert install.returncode == 0, install.stderr
    work = tmp_path / "work"
    (work / "specs").mkdir(parents=True)
    (work / "specs/emotivoice.yaml").write_text((ROOT / "specs/emotivoice.yaml").read_text())
    # The project root (here: the config's directory) names the spec in headers as in the golden files.
    (work / "mongen.toml").write_text('specs = ["specs/emotivoice.yaml"]\nout = "out"\n')
    where = subprocess.run(
        [str(python), "-c", "import mongen, sys; print(mongen.__file__)"],
        cwd=work,
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(env_dir) in where.stdout, "mongen must come from the wheel, not the checkout"
    proc = subprocess.run(
        [str(env_dir / "bin" / "mongen"), "generate", "specs/emotivoice.yaml", "-o", "out", "--no-validate"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (work / "out/instrumentation/emotivoice_metrics.py").read_text() == (
        ROOT / "tests/golden/emotivoice/instrumentation/emotivoice_metrics.py"
    ).read_text()
    assert (work / "out/nginx/emotivoice-metrics.conf").exists()
    lint = subprocess.run(
        [
            str(env_dir / "bin" / "mongen"),
            "lint",
            "--no-promtool",
            "--spec",
            "specs/emotivoice.yaml",
            "out/prometheus/rules",
        ],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert lint.returncode == 0 and "0 errors, 0 warnings" in lint.stderr, lint.stdout + lint.stderr
