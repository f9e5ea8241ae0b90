"""`--diff-base`: which lines of a rule file changed since a git revision."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

# A hunk header of `git diff --unified=0`: the new file's first line and line count.
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


def changed_lines(base: str, path: Path) -> set[int] | None:
    """Lines of `path` added or changed since git revision `base` (None: the whole file is new)."""
    proc = subprocess.run(
        ["git", "diff", "--unified=0", base, "--", str(path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=path.parent,
    )
    if proc.returncode != 0:
        raise ValueError(f"git diff against {base!r} failed: {proc.stderr.strip()}")
    tracked = subprocess.run(
        ["git", "cat-file", "-e", f"{base}:./{path.name}"], capture_output=True, check=False, cwd=path.parent
    )
    if tracked.returncode != 0:
        return None
    lines: set[int] = set()
    for line in proc.stdout.splitlines():
        match = _HUNK.match(line)
        if match:
            start, count = int(match.group(1)), int(match.group(2) or "1")
            lines.update(range(start, start + count))
    return lines
