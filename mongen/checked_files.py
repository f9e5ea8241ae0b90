"""The files `mongen validate` reads from a directory it did not necessarily write.

Only regular files are read: a link is not followed and a FIFO is not opened (check_entries
reports them instead). Every problem reading one (not UTF-8, unreadable, invalid YAML) is a
Finding that points at it, never an exception.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import yaml

from mongen import layout
from mongen.errors import Finding
from mongen.ownership import entry_kind


def regular_files(root: Path, pattern: str) -> list[Path]:
    """Regular files only: a link is not followed and a FIFO is not opened (check_entries reports them)."""
    return sorted(path for path in root.glob(pattern) if stat.S_ISREG(path.lstat().st_mode))


def read_text(root: Path, path: Path, check: str) -> str | Finding:
    """A checked file's text, or the finding that says why it cannot be read."""
    rel = str(path.relative_to(root))
    try:
        return path.read_text("utf-8")
    except UnicodeDecodeError as exc:
        before = exc.object[: exc.start]
        line, col = before.count(b"\n") + 1, exc.start - before.rfind(b"\n")
        return Finding(rel, line, col, "error", check, f"not UTF-8 text (byte {exc.start}); mongen writes UTF-8")
    except OSError as exc:
        return Finding(rel, 1, 1, "error", check, f"cannot read it: {exc.strerror}")


def load_yaml(root: Path, path: Path, check: str) -> tuple[Any, Finding | None]:
    text = read_text(root, path, check)
    if isinstance(text, Finding):
        return None, text
    try:
        return yaml.safe_load(text), None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = getattr(exc, "problem", None) or str(exc)
        return None, Finding(str(path.relative_to(root)), line, col, "error", check, f"invalid YAML: {problem}")


# Every folder pattern validate reads; anything in them that is not a regular file is reported.
_CHECKED_GLOBS = (
    layout.PROMETHEUS_CONFIGS_GLOB,
    layout.RULES_GLOB,
    layout.RULE_TESTS_GLOB,
    layout.ALERTMANAGER_CONFIG,
    layout.ROUTES_TEST,
    layout.NGINX_GLOB,
    layout.KUBERNETES_GLOB,
    layout.DASHBOARDS_GLOB,
    layout.INSTRUMENTATION_GLOB,
)


def check_entries(root: Path) -> list[Finding]:
    findings = []
    for pattern in _CHECKED_GLOBS:
        for path in sorted(root.glob(pattern)):
            mode = path.lstat().st_mode
            if not stat.S_ISREG(mode):
                findings.append(
                    Finding(
                        str(path.relative_to(root)),
                        1,
                        1,
                        "error",
                        "file-type",
                        f"a {entry_kind(mode)}, not a regular file; mongen writes regular files, "
                        "and validate neither follows links nor opens special files",
                    )
                )
    return findings
