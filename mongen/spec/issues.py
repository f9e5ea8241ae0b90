"""Collecting spec problems, and remembering what was rejected so nothing is used after it.

Sections report through `SpecIssues.fail(path, message)` and keep going, so one run shows every
problem. A definition that failed its checks (an enum without a valid fallback, a histogram
without buckets) is recorded as rejected in its `Definitions`: a later reference to it finds
nothing and reports nothing, because the problem was already reported where it is defined.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from mongen.errors import SpecError, SpecIssue, YamlPath
from mongen.spec.loader import LoadedDocument

T = TypeVar("T")


class SpecIssues:
    """Every problem found in one spec document, with its position (the `IssueSink` of alert kinds)."""

    def __init__(self, doc: LoadedDocument) -> None:
        self.doc = doc
        self.found: list[SpecIssue] = []
        self.warnings: list[SpecIssue] = []

    def fail(self, path: YamlPath, message: str, at_key: YamlPath | None = None) -> None:
        """A problem with `path`; at the key that ends `at_key` where given (a key too long to
        name in a path is reported under its parent)."""
        location = self.doc.locate(path) if at_key is None else self.doc.locate_key(at_key)
        self.found.append(SpecIssue(location, tuple(path), message))

    def warn(self, path: YamlPath, message: str) -> None:
        """A problem that does not stop generation (`mongen generate` prints it)."""
        self.warnings.append(self.doc.issue(path, message))

    def raise_if_any(self) -> None:
        if self.found:
            raise SpecError(self.found)


class Definitions(Generic[T]):
    """The definitions of one kind (enums, labels, metrics) by name, valid or rejected."""

    def __init__(self) -> None:
        self._valid: dict[str, T] = {}
        self._declared: list[str] = []

    def add(self, name: str, item: T) -> None:
        self._valid.setdefault(name, item)
        self._declared.append(name)

    def reject(self, name: str) -> None:
        """`name` was declared but failed its checks: references to it are skipped silently."""
        self._declared.append(name)

    def get(self, name: str) -> T | None:
        """The valid definition, or None (undeclared or rejected) without a word."""
        return self._valid.get(name)

    def declares(self, name: str) -> bool:
        """Whether `name` was declared at all (valid or rejected)."""
        return name in self._declared

    def declared(self) -> str:
        """Declared names for a message: `a, b, c`, or `none`."""
        return ", ".join(sorted(set(self._declared))) or "none"

    def any_rejected(self) -> bool:
        """Whether a declared definition failed its checks (what refers to it stays silent)."""
        return any(name not in self._valid for name in self._declared)

    def valid(self) -> list[T]:
        return list(self._valid.values())
