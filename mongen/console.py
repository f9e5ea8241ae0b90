"""What the CLI says besides its findings: status lines, progress and colour, all on stderr.

stdout carries only results (findings, diffs, tables, JSON), so `mongen ... > report.txt` keeps
them all and a pipe never sees a progress line. Progress is for people at a terminal: a step still
running after PROGRESS_AFTER seconds is announced on a TTY, every step is with `-v` (CI logs), and
nothing is with `-q`. Colour only on a terminal, and never with NO_COLOR set (no-color.org).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TextIO

# Steps shorter than this finish before a person wonders whether anything is happening.
PROGRESS_AFTER = 1.0

QUIET, NORMAL, VERBOSE = -1, 0, 1
_SEVERITY_COLOURS = {"error": "31", "warning": "33"}  # ANSI red, yellow
# Validation checks report from several threads at once; print() writes the text and the newline
# separately, so two lines could run into one.
_LINE = threading.Lock()


def wants_colour(stream: TextIO) -> bool:
    if "NO_COLOR" in os.environ and os.environ["NO_COLOR"] != "":
        return False
    return stream.isatty() and os.environ.get("TERM") != "dumb"


@dataclass
class Console:
    verbosity: int = NORMAL
    err: TextIO = field(default_factory=lambda: sys.stderr)
    progress_after: float = PROGRESS_AFTER

    def status(self, message: str) -> None:
        """A line about what was done (`wrote 27 files to out`); silent with -q."""
        if self.verbosity > QUIET:
            self._line(message)

    def detail(self, message: str) -> None:
        """A line only -v asks for (per-check timings)."""
        if self.verbosity >= VERBOSE:
            self._line(message)

    def _line(self, message: str) -> None:
        with _LINE:
            self.err.write(message + "\n")
            self.err.flush()

    @contextmanager
    def step(self, label: str) -> Iterator[None]:
        """Announce `label` when it runs long on a TTY, or always with -v; then say how long it took."""
        start = time.perf_counter()
        announced = threading.Event()

        def announce() -> None:
            announced.set()
            self._line(f"{label}...")

        timer: threading.Timer | None = None
        if self.verbosity >= VERBOSE:
            announce()
        elif self.verbosity == NORMAL and self.err.isatty():
            timer = threading.Timer(self.progress_after, announce)
            timer.daemon = True
            timer.start()
        try:
            yield
        finally:
            if timer is not None:
                timer.cancel()
                timer.join()
            if announced.is_set():
                self._line(f"{label}: done in {time.perf_counter() - start:.1f} s")


def paint(severity: str, text: str, stream: TextIO) -> str:
    """`text` in its severity's colour when `stream` is a terminal that wants colour."""
    code = _SEVERITY_COLOURS.get(severity)
    if code is None or not wants_colour(stream):
        return text
    return f"\033[{code}m{text}\033[0m"
