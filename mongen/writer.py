"""Writing output: render into a temp dir next to the target, validate there, then swap.

A failed run leaves the previous output directory byte-identical.
"""

from __future__ import annotations

import difflib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from mongen.layout import MARKER


class OutputError(Exception):
    """The output directory cannot be written safely."""


def write_tree(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)


def read_tree(root: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    if not root.is_dir():
        return out
    for path in sorted(root.rglob("*")):
        # Importing the generated module writes bytecode next to it; that is not drift.
        if path.is_file() and "__pycache__" not in path.relative_to(root).parts:
            try:
                out[path.relative_to(root).as_posix()] = path.read_text("utf-8")
            except UnicodeDecodeError:
                out[path.relative_to(root).as_posix()] = "<binary file>"
    return out


def _check_owned(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir} exists and is not a directory")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MARKER).exists():
        raise OutputError(
            f"refusing to replace {out_dir}: it is not empty and was not written by mongen (no {MARKER} file); "
            "pick an empty or mongen-owned output directory"
        )


def atomic_replace(out_dir: Path, files: dict[str, str], validate: Callable[[Path], bool]) -> bool:
    """Write `files` into a fresh dir, run `validate` on it, and only if it passes swap it in.

    Returns validate's verdict; on False the previous directory is untouched.
    """
    out_dir = out_dir.resolve()
    _check_owned(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.mongen-new-", dir=out_dir.parent))
    try:
        write_tree(staging, files)
        if not validate(staging):
            return False
        os.chmod(staging, 0o755)
        if out_dir.exists():
            backup = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.mongen-old-", dir=out_dir.parent))
            backup.rmdir()
            os.rename(out_dir, backup)
            try:
                os.rename(staging, out_dir)
            except OSError:
                os.rename(backup, out_dir)
                raise
            shutil.rmtree(backup, ignore_errors=True)
        else:
            os.rename(staging, out_dir)
        return True
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def diff_tree(out_dir: Path, files: dict[str, str]) -> str:
    """Unified diff from what is on disk to what would be written ("" when up to date)."""
    current = read_tree(out_dir)
    chunks: list[str] = []
    for rel in sorted(set(current) | set(files)):
        old, new = current.get(rel), files.get(rel)
        if old == new:
            continue
        chunks.extend(
            difflib.unified_diff(
                (old or "").splitlines(keepends=True),
                (new or "").splitlines(keepends=True),
                fromfile=f"a/{rel}" if old is not None else "/dev/null",
                tofile=f"b/{rel}" if new is not None else "/dev/null",
            )
        )
    return "".join(line if line.endswith("\n") else line + "\n" for line in chunks)
