"""Label-matcher regexes as Prometheus reads them: Go's regexp, which is RE2 (linear time, no
backreferences, no lookaround), fully anchored. Python's `re` backtracks (`(.|.|.|.)*Z` takes it
minutes) and reads some patterns differently (`a{,3}`, `[[:alpha:]]`, `\\Z`), so lint evaluates
rule-file regexes only here, with RE2 (google-re2).

Prometheus parses the matcher's value on its own first (so `a)|(b` is an error, not `^(?:a)|(b)$`)
and then matches `^(?s:VALUE)$` (model/labels/regexp.go: since 2.x `.` also matches a newline).
RE2 accepts one thing Go refuses: `\\C` (any byte), refused here too. Each distinct regex is
compiled once per process.

RE2 is linear in the pattern and the text, but compiling a large pattern still costs (up to
the program limit below), so the regex work lint spends on one file and on the run is metered
(RegexBudget): past the budget, the rest of the file's regexes are a finding instead of more work.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import re2

# Regex work lint does for one rule file, and for the whole run (compiling; matching is cached).
# A real file's regexes take microseconds each (10,000 rules: ~0.05 s); the budgets only stop
# input built to be slow: a 14-character `[\pL\pN]{100}` takes RE2 0.2 s to compile.
FILE_BUDGET_SECONDS = 2.0
RUN_BUDGET_SECONDS = 10.0
# RE2's memory for one compiled regex (default 8 MiB). Label regexes compile to kilobytes; this
# bounds what the cache can hold while the budgets run (a larger one is a finding, "too large").
_MAX_PROGRAM_BYTES = 2 << 20

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # RE2 writes every refused pattern to stderr otherwise
_OPTIONS.max_mem = _MAX_PROGRAM_BYTES


@dataclass(frozen=True, slots=True)
class LabelRegex:
    """A compiled matcher value; `error` says why Prometheus would refuse it ("" when it would not)."""

    text: str
    error: str
    _compiled: Any
    # Lint asks about the same few declared values for every rule; one RE2 call costs ~3 us.
    _verdicts: dict[str, bool] = field(default_factory=dict)

    def fullmatch(self, value: str) -> bool:
        """Whether the label value matches, as Prometheus anchors it (an invalid regex matches nothing)."""
        verdict = self._verdicts.get(value)
        if verdict is None:
            verdict = self._verdicts[value] = self._compiled is not None and self._compiled.fullmatch(value) is not None
        return verdict


_CACHE: dict[str, LabelRegex] = {}


def label_regex(text: str) -> LabelRegex:
    """The matcher value compiled the way Prometheus compiles it (cached per distinct text)."""
    found = _CACHE.get(text)
    if found is None:
        found = _CACHE[text] = _compile(text)
    return found


def _compile(text: str) -> LabelRegex:
    if _has_any_byte_escape(text):
        return LabelRegex(text, "invalid escape sequence: `\\C`", None)
    try:
        re2.compile(text, _OPTIONS)  # alone first, as Prometheus parses it before anchoring
        return LabelRegex(text, "", re2.compile(f"^(?s:{text})$", _OPTIONS))
    except re2.error as exc:
        return LabelRegex(text, _message(exc), None)
    except (UnicodeError, ValueError, TypeError, MemoryError) as exc:
        return LabelRegex(text, f"not a regex RE2 can read ({type(exc).__name__})", None)


def _message(exc: Exception) -> str:
    detail = exc.args[0] if exc.args else exc
    if isinstance(detail, bytes):
        detail = detail.decode("utf-8", "replace")
    text = str(detail)
    if "pattern too large" in text:
        return "the regex is too large to compile (RE2's program limit); split or simplify it"
    return text


def _has_any_byte_escape(text: str) -> bool:
    i = text.find("\\")
    while i >= 0:
        if text.startswith("C", i + 1):
            return True
        i = text.find("\\", i + 2)
    return False


def regex_error(text: str) -> str:
    """Why Prometheus refuses the matcher value as a regex ("" when it accepts it)."""
    return label_regex(text).error


class RegexBudget:
    """The regex work spent on each rule file in this process; `spent(file)` once it passed
    FILE_BUDGET_SECONDS. Charge with `with budget.charge(file): ...`."""

    def __init__(self, seconds: float = FILE_BUDGET_SECONDS, run_seconds: float = RUN_BUDGET_SECONDS) -> None:
        self.seconds = seconds
        self.run_seconds = run_seconds
        self._used: dict[str, float] = {}
        self._run_used = 0.0

    def spent(self, file: str) -> bool:
        return self._used.get(file, 0.0) >= self.seconds or self._run_used >= self.run_seconds

    def compile(self, file: str, text: str) -> LabelRegex | None:
        """The compiled regex, charged to `file`; None when the file's budget is spent (and the
        regex is not cached already: a cached one costs nothing)."""
        found = _CACHE.get(text)
        if found is not None:
            return found
        if self.spent(file):
            return None
        start = time.perf_counter()
        found = label_regex(text)
        self.add(file, time.perf_counter() - start)
        return found

    def add(self, file: str, seconds: float) -> None:
        self._used[file] = self._used.get(file, 0.0) + seconds
        self._run_used += seconds


# One meter per process: forked lint workers each meter their own share of a file.
BUDGET = RegexBudget()


def budget_message(seconds: float = FILE_BUDGET_SECONDS) -> str:
    return (
        f"lint spent its regex time budget for this file ({seconds:g} s, {RUN_BUDGET_SECONDS:g} s for the run) on "
        "earlier rules, so this rule's regexes are not checked; simplify the regexes"
    )
