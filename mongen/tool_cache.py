"""Passing tool runs remembered by the content they checked, so unchanged artifacts are not re-tested.

`promtool test rules` is the slow part of validation (seconds per SLO test file) and its verdict
depends only on the test file, the rule files it names and the promtool binary. A pass is recorded
as an empty file named by the SHA-256 of those bytes under `$XDG_CACHE_HOME/mongen` (default
`~/.cache/mongen`); the next run with the same bytes skips the tool. Failures are never recorded,
so a failing test always runs and shows its output. `MONGEN_NO_CACHE=1` turns the cache off; a cache
directory that cannot be written only costs the speed-up.

An entry is a verdict nobody re-checks, so the directory is created 0700 and only trusted while it
is the current user's and not writable by group or others (a planted entry would turn a failing
test into a pass); otherwise the cache is off, with one note on stderr.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from mongen import __version__

NO_CACHE_ENV = "MONGEN_NO_CACHE"
# Bump when what a key covers changes, so old entries stop matching.
_FORMAT = "1"


def default_directory() -> Path | None:
    """`$XDG_CACHE_HOME/mongen` (the XDG spec ignores a relative value), else `~/.cache/mongen`;
    None when MONGEN_NO_CACHE is set."""
    if os.environ.get(NO_CACHE_ENV, "") not in ("", "0"):
        return None
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "mongen"


@dataclass(frozen=True)
class PassCache:
    directory: Path | None  # None: nothing is remembered

    @classmethod
    def from_environment(cls) -> PassCache:
        return cls(default_directory())

    def key(self, kind: str, tool: str, inputs: Iterable[tuple[str, bytes]]) -> str:
        """SHA-256 over the kind of run, the tool binary's identity and each (name, content) input."""
        digest = hashlib.sha256()
        real = os.path.realpath(tool)
        stat = os.stat(real)
        for part in (_FORMAT, __version__, kind, real, str(stat.st_size), str(stat.st_mtime_ns)):
            _add(digest, part.encode())
        for name, content in sorted(inputs):
            _add(digest, name.encode())
            _add(digest, content)
        return digest.hexdigest()

    def passed(self, kind: str, key: str) -> bool:
        return self._trusted() and self._entry(kind, key).exists()

    def remember(self, kind: str, key: str) -> None:
        if self.directory is None:
            return
        entry = self._entry(kind, key)
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            if self._trusted():
                entry.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                entry.touch()
        except OSError:
            pass  # a read-only or full cache directory only costs the speed-up

    def private_directory(self, kind: str) -> Path | None:
        """A subdirectory for `kind` that only the current user can have written to, created 0700;
        None when the cache is off or not trusted. For entries mongen would execute or believe."""
        if self.directory is None:
            return None
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not self._trusted():
                return None
            sub = self.directory / kind
            sub.mkdir(mode=0o700, exist_ok=True)
            info = os.lstat(sub)
        except OSError:
            return None  # a read-only or full cache directory only costs the speed-up
        private = stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid()
        return sub if private and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH) else None

    def derived(self, kind: str, inputs: Iterable[bytes], compute: Callable[[], Iterable[str]]) -> list[str]:
        """The lines `compute` derives from `inputs` (mongen's own files, never a user's), computed
        once per content: remembered in the private `kind` directory under the SHA-256 of mongen's
        version and every input, so an edit to either misses. Include the source of the code that
        computes, so that changing the computation misses too. Lines hold no newline."""
        digest = hashlib.sha256()
        for part in (_FORMAT, __version__, kind):
            _add(digest, part.encode())
        for content in inputs:
            _add(digest, content)
        key = digest.hexdigest()
        directory = self.private_directory(kind)
        entry = directory / key if directory is not None else None
        if entry is not None:
            try:
                return entry.read_text("utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                pass  # not there yet (or unreadable): computed and written below
        lines = list(compute())
        if entry is not None:
            try:
                # Written aside and renamed, so a concurrent run never reads half an entry.
                partial = entry.with_name(f"{key}.{os.getpid()}.{threading.get_ident()}.tmp")
                partial.write_text("".join(f"{line}\n" for line in lines), "utf-8")
                os.replace(partial, entry)
            except OSError:
                pass  # a read-only or full cache directory only costs the speed-up
        return lines

    def _trusted(self) -> bool:
        """Whether the directory exists and only the current user can have written to it."""
        if self.directory is None:
            return False
        try:
            info = os.stat(self.directory)  # through a link: the directory the entries are in
        except OSError:
            return False
        if info.st_uid != os.geteuid():
            problem = f"it belongs to user id {info.st_uid}, not to you"
        elif info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            problem = "group or others can write to it (chmod go-w it)"
        else:
            return stat.S_ISDIR(info.st_mode)
        _note_once(f"note: rule-test cache {self.directory} not used: {problem}; tests run every time")
        return False

    def _entry(self, kind: str, key: str) -> Path:
        assert self.directory is not None
        return self.directory / kind / key[:2] / key


_noted: set[str] = set()
_noted_lock = threading.Lock()


def _note_once(note: str) -> None:
    with _noted_lock:
        if note in _noted:
            return
        _noted.add(note)
    print(note, file=sys.stderr)


def go_glob(pattern: str) -> list[str] | None:
    """The paths Go's filepath.Glob returns for `pattern`, as promtool expands `rule_files`, so a
    cache key covers every file promtool reads; None for a pattern Go rejects. Unlike Python's
    glob, `*` and `?` match a leading dot, `\\` escapes and `[^...]` negates."""
    directory, name = os.path.split(pattern)
    if not _GO_META.search(pattern):
        return [pattern] if os.path.lexists(pattern) else []
    matcher = _go_match(name)
    if matcher is None:
        return None
    if not _GO_META.search(directory):
        directories = [directory]
    else:
        found = go_glob(directory.rstrip(os.sep) or directory)
        if found is None:
            return None
        directories = found
    matches: list[str] = []
    for parent in directories:
        try:
            with os.scandir(parent or ".") as entries:
                names = sorted(entry.name for entry in entries)
        except OSError:
            continue  # Go skips what it cannot read as a directory
        matches += [os.path.join(parent, n) for n in names if matcher.fullmatch(n)]
    return matches


_GO_META = re.compile(r"[*?\[\\]")


def _go_match(name: str) -> re.Pattern[str] | None:
    """Go's filepath.Match pattern `name` as a regex; None for a malformed one (ErrBadPattern)."""
    regex, i = "", 0
    while i < len(name):
        c = name[i]
        if c == "*":
            regex += "[^/]*"
        elif c == "?":
            regex += "[^/]"
        elif c == "\\":
            if i + 1 == len(name):
                return None
            i += 1
            regex += re.escape(name[i])
        elif c == "[":
            end = _class_end(name, i + 1)
            if end is None:
                return None
            body = name[i + 1 : end]
            negated = body.startswith("^")
            regex += "[" + ("^/" if negated else "") + _class_body(body[1:] if negated else body) + "]"
            i = end
        else:
            regex += re.escape(c)
        i += 1
    try:
        return re.compile(regex, re.DOTALL)
    except re.error:
        return None


def _class_end(name: str, start: int) -> int | None:
    """The index of the `]` closing a class that opens before `start`."""
    i = start + (1 if name[start : start + 1] == "^" else 0)
    if name[i : i + 1] == "]":
        return None  # Go: an empty class is a bad pattern
    while i < len(name):
        if name[i] == "\\":
            i += 2
            continue
        if name[i] == "]":
            return i
        i += 1
    return None


def _class_body(body: str) -> str:
    """A Go class body (`a-z`, `\\]`) as a regex class body: every character escaped, ranges kept."""
    out, i = "", 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            i += 1
        if body[i] == "-" and out:
            out += "-"
        else:
            out += re.escape(body[i])
        i += 1
    return out


def _add(digest: hashlib._Hash, part: bytes) -> None:
    # Length-prefixed, so that no two different input lists hash the same bytes.
    digest.update(len(part).to_bytes(8, "big"))
    digest.update(part)
