"""`generate --check`: what a run would change in DIR, as a unified diff a reviewer can read.

Only regular files are read: a symbolic link (DIR itself included) is reported, never followed (an `env ->
/proc/self/environ` link would otherwise be printed), and a FIFO or device is reported, never
opened. Entries mongen does not write are listed by name, not shown, since they may hold
anything; bytecode caches from importing the generated module are ignored. Unprintable
characters in what is shown are escaped, so a file cannot send escape sequences to a terminal.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

from mongen.errors import OutputError
from mongen.layout import MARKER
from mongen.ownership import Entry, read_marker, read_regular_file, take_inventory
from mongen.serialize import quoted_path

# Files mongen writes are a few hundred kB at most; far larger ones differ without being read.
_READ_LIMIT = 16 << 20


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() or c in "\t\n" else c.encode("unicode_escape").decode("ascii") for c in text)


def _unified(rel: str, old: str | None, new: str | None) -> list[str]:
    return list(
        difflib.unified_diff(
            (old or "").splitlines(keepends=True),
            (new or "").splitlines(keepends=True),
            fromfile=f"a/{rel}" if old is not None else "/dev/null",
            tofile=f"b/{rel}" if new is not None else "/dev/null",
        )
    )


def _text_of(path: Path) -> str:
    """A file's text for the diff; a one-line stand-in when it is too large or not UTF-8."""
    text = read_regular_file(path, _READ_LIMIT)
    if isinstance(text, str):
        return text
    if isinstance(text, int):
        return f"<{text} bytes, far more than mongen writes>\n"
    return "<not UTF-8 text or unreadable>\n"


def _notes(shown: str, entries: tuple[Entry, ...], files: dict[str, str]) -> str:
    lines = []
    foreign = False
    for entry in entries:
        if entry.path in files:
            lines.append(f"{shown}/{entry}: mongen writes a regular file here; this is not read or followed\n")
        else:
            lines.append(f"Only in {shown}: {entry}\n")
            foreign = True
    if foreign:
        lines.append(
            f"`generate` refuses to replace {shown} while it holds entries mongen did not write: "
            "move them out of it, or pass --prune to delete them\n"
        )
    return "".join(lines)


def _linked_component(out_dir: Path) -> Path | None:
    """DIR itself if it is a symbolic link, or a link on its way from the working directory (a
    repository's committed `deploy -> /etc` with `-o deploy/prometheus`). Links above the working
    directory, or in an absolute path outside it, are the user's own file system layout."""
    if out_dir.is_symlink():
        return out_dir
    absolute = Path(os.path.abspath(out_dir))
    cwd = Path.cwd()
    if not absolute.is_relative_to(cwd):
        return None
    here = cwd
    for part in absolute.relative_to(cwd).parts:
        here = here / part
        if here.is_symlink():
            return here
    return None


def drift(out_dir: Path, files: dict[str, str]) -> str:
    """What `generate` would change in `out_dir` ("" when up to date): a line per entry that is
    not a regular file mongen writes, then a unified diff per file that differs."""
    shown = quoted_path(str(out_dir))
    link = _linked_component(out_dir)
    if link is not None:  # its entries are wherever it points (`out -> /etc`): never listed or read
        raise OutputError(
            f"{quoted_path(str(link))} is a symbolic link; --check does not follow it, since it could point anywhere "
            "(its files would be printed as the diff); give the directory itself, or remove the link"
        )
    try:
        os.stat(out_dir)  # raises for a path that cannot exist (under a file, a loop of links)
        missing = False
    except FileNotFoundError:
        missing = True
    if missing:
        found: tuple[str, ...] = ()
        notes = ""
    elif not out_dir.is_dir():
        raise OutputError(f"{shown} exists and is not a directory; pick another output directory")
    else:
        previous = read_marker(out_dir) or frozenset()  # files an earlier run wrote, deleted now
        inventory = take_inventory(out_dir, set(files) | previous | {MARKER})
        found = inventory.expected
        notes = _notes(shown, inventory.other, files)
    chunks: list[str] = []
    for rel in sorted(set(found) | set(files)):
        old = _text_of(out_dir / rel) if rel in found else None
        new = files.get(rel)
        if old != new:
            chunks.extend(_unified(rel, old, new))
    diff = "".join(line if line.endswith("\n") else line + "\n" for line in chunks)
    return _printable(notes + diff)
