"""`--diff-base`: which lines of each rule file changed since a git revision.

The revision is the user's text, so it is checked before git sees it (a leading `-` would be read
as an option: `--output=FILE` truncates FILE) and resolved to a commit once; every later git call
gets that commit's hash, and paths only after `--`. Paths are compared relative to the top of the
repository they are in, resolved once per directory, so `rules/x.yml`, `./rules/x.yml`, an absolute
path and a directory name the same file wherever lint runs from.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

# A hunk header of `git diff --unified=0`: the new file's first line and line count.
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
# Flags that keep the diff plain whatever the user's git config says.
_PLAIN_DIFF = ("--no-color", "--no-ext-diff", "--no-textconv", "--no-renames", "--unified=0")


class DiffBaseError(ValueError):
    """The revision or a file cannot be compared; the message says what to do."""


def changed_lines(base: str, paths: list[Path]) -> dict[Path, set[int] | None]:
    """For each file in `paths`: its lines added or changed since revision `base` (None: the file
    is new since then, so all of it counts)."""
    if not base or base.startswith("-") or any(c.isspace() or not c.isprintable() for c in base):
        raise DiffBaseError(f"--diff-base {base!r} is not a git revision (a branch, tag or commit)")
    commits: dict[Path, str] = {}  # repository top -> `base` resolved in it
    tops: dict[Path, Path] = {}  # directory -> the top of its repository
    out: dict[Path, set[int] | None] = {}
    for path in paths:
        # git prints the top with symlinks resolved, so the directory is compared in that form;
        # the file's own name stays (a symlinked rule file is tracked as the link).
        directory = Path(os.path.realpath(Path(path).parent))
        if directory not in tops:
            tops[directory] = _toplevel(directory, path)
        top = tops[directory]
        if top not in commits:
            commits[top] = _resolve(top, base)
        relative = (directory / Path(path).name).relative_to(top).as_posix()
        out[path] = _lines(top, commits[top], relative)
    return out


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=120, errors="replace"
        )
    except FileNotFoundError:
        raise DiffBaseError("--diff-base needs git, which is not installed (apt-get install git)") from None


def _toplevel(directory: Path, path: Path) -> Path:
    proc = _git(directory, "rev-parse", "--show-toplevel")
    if proc.returncode != 0:
        raise DiffBaseError(f"--diff-base: {path} is not in a git repository")
    return Path(proc.stdout.rstrip("\n"))


def _resolve(top: Path, base: str) -> str:
    proc = _git(top, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{base}^{{commit}}")
    if proc.returncode != 0:
        raise DiffBaseError(f"--diff-base {base!r} is not a commit in the repository at {top}")
    return proc.stdout.strip()


def _lines(top: Path, commit: str, relative: str) -> set[int] | None:
    tracked = _git(top, "cat-file", "-e", f"{commit}:{relative}")
    if tracked.returncode != 0:
        return None
    proc = _git(top, "diff", *_PLAIN_DIFF, commit, "--", f":(literal){relative}")
    if proc.returncode != 0:
        raise DiffBaseError(f"git diff against {commit[:12]} failed for {relative}: {proc.stderr.strip()}")
    lines: set[int] = set()
    for line in proc.stdout.splitlines():
        match = _HUNK.match(line)
        if match:
            start, count = int(match.group(1)), int(match.group(2) or "1")
            lines.update(range(start, start + count))
    return lines
