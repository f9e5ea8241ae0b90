"""Passing tool runs remembered by the content they checked, so unchanged artifacts are not re-tested.

`promtool test rules` is the slow part of validation (seconds per SLO test file) and its verdict
depends only on the test file, the rule files it names and the promtool binary. A pass is recorded
as an empty file named by the SHA-256 of those bytes under `$XDG_CACHE_HOME/mongen` (default
`~/.cache/mongen`); the next run with the same bytes skips the tool. Failures are never recorded,
so a failing test always runs and shows its output. `MONGEN_NO_CACHE=1` turns the cache off; a cache
directory that cannot be written only costs the speed-up.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
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
        return self.directory is not None and self._entry(kind, key).exists()

    def remember(self, kind: str, key: str) -> None:
        if self.directory is None:
            return
        entry = self._entry(kind, key)
        try:
            entry.parent.mkdir(parents=True, exist_ok=True)
            entry.touch()
        except OSError:
            pass  # a read-only or full cache directory only costs the speed-up

    def _entry(self, kind: str, key: str) -> Path:
        assert self.directory is not None
        return self.directory / kind / key[:2] / key


def _add(digest: hashlib._Hash, part: bytes) -> None:
    # Length-prefixed, so that no two different input lists hash the same bytes.
    digest.update(len(part).to_bytes(8, "big"))
    digest.update(part)
