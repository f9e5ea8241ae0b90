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

import contextlib
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
        """Whether a pass with `key` is remembered (read through the private directory held open,
        like every entry mongen believes: see private_directory)."""
        directory = self.private_directory(kind)
        if directory is None:
            return False
        with directory:
            return directory.holds(f"{key[:2]}/{key}")

    def remember(self, kind: str, key: str) -> None:
        directory = self.private_directory(kind)
        if directory is None:
            return
        with directory:
            directory.touch(key[:2], key)

    def private_directory(self, kind: str) -> PrivateDirectory | None:
        """The subdirectory for `kind`, created 0700 and opened once: None when the cache is off,
        or when it or the subdirectory is not the current user's alone. For entries mongen would
        execute or believe: they are read and written through the open directory, never by path,
        so swapping the cache directory or a folder above it after the check (someone who can
        write where XDG_CACHE_HOME points) cannot make mongen read entries from elsewhere."""
        if self.directory is None:
            return None
        parent = -1
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            parent = os.open(self.directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)  # a link to it is fine
            if not self._trusted(os.fstat(parent)):
                return None
            with contextlib.suppress(FileExistsError):
                os.mkdir(kind, 0o700, dir_fd=parent)
            fd = os.open(kind, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=parent)
        except OSError:
            return None  # a read-only or full cache directory only costs the speed-up
        finally:
            if parent >= 0:
                os.close(parent)
        if not _private(os.fstat(fd)):
            os.close(fd)
            return None
        return PrivateDirectory(fd)

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
        if directory is None:
            return list(compute())
        with directory:
            stored = directory.read(key)
            try:
                if stored is not None:
                    return stored.decode("utf-8").splitlines()
            except UnicodeDecodeError:
                pass  # unreadable: computed and written again below
            lines = list(compute())
            directory.write(key, "".join(f"{line}\n" for line in lines).encode("utf-8"))
            return lines

    def _trusted(self, info: os.stat_result | None = None) -> bool:
        """Whether the directory exists and only the current user can have written to it; `info`:
        its status, taken through an open descriptor."""
        if self.directory is None:
            return False
        try:
            info = info or os.stat(self.directory)  # through a link: the directory the entries are in
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


class PrivateDirectory:
    """A cache subdirectory only the current user can write, held open: its entries are opened
    relative to it and read only when they are the user's regular files. A context manager that
    closes it; a read-only or full directory only costs the speed-up."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def __enter__(self) -> PrivateDirectory:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def read(self, name: str) -> bytes | None:
        """The entry's bytes; None when it is missing, unreadable, not a regular file, or not the
        current user's alone."""
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=self.fd)
        except OSError:
            return None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or not _private(info):
                return None
            with os.fdopen(os.dup(fd), "rb") as handle:
                return handle.read()
        except OSError:
            return None
        finally:
            os.close(fd)

    def holds(self, name: str) -> bool:
        """Whether the entry (a path below the directory) is there as a regular file."""
        try:
            return stat.S_ISREG(os.stat(name, dir_fd=self.fd, follow_symlinks=False).st_mode)
        except OSError:
            return False

    def touch(self, folder: str, name: str) -> None:
        """Create the empty entry `folder/name` (the folder 0700), if it is not there."""
        try:
            with contextlib.suppress(FileExistsError):
                os.mkdir(folder, 0o700, dir_fd=self.fd)
            os.close(
                os.open(
                    f"{folder}/{name}", os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=self.fd
                )
            )
        except OSError:
            pass  # a read-only or full cache directory only costs the speed-up

    def write(self, name: str, data: bytes) -> None:
        """Write the entry aside and rename it in place, so a concurrent run never reads half of
        it; nothing is left behind when the write fails."""
        partial = f"{name}.{os.getpid()}.{threading.get_ident()}.tmp"
        try:
            fd = os.open(
                partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=self.fd
            )
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(partial, name, src_dir_fd=self.fd, dst_dir_fd=self.fd)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(partial, dir_fd=self.fd)


def _private(info: os.stat_result) -> bool:
    """Whether what `info` describes is the current user's and group and others cannot write it."""
    return info.st_uid == os.geteuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


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
