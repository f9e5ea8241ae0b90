"""Error types, one per layer, all carrying a location a person can jump to."""

from __future__ import annotations

import errno
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

YamlPath = tuple[str | int, ...]
# A key shown as is in a path; any other (spaces, dots, quotes, control characters) is JSON-quoted.
_PLAIN_KEY = re.compile(r"[^\s.\[\]\"'\\]+")


def format_path(path: YamlPath) -> str:
    """Render a YAML path as `metrics[0].labels`, the form people type in editors. A key that
    would be ambiguous there is JSON-quoted (`aliases[" Sad "]`, `labels["app.kubernetes.io/name"]`);
    so is one with control characters, so that an error line stays one line."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not part.isprintable() or not _PLAIN_KEY.fullmatch(part):
            out += f"[{json.dumps(part)}]"
        else:
            out += f".{part}" if out else part
    return out or "<root>"


def shown_file(name: str) -> str:
    """A file name for a `FILE:LINE:COL` line: as is, or JSON-quoted when it holds a newline or
    another unprintable character, so that one problem stays one line."""
    return name if name.isprintable() else json.dumps(name)


def visible(text: str, keep: str = "") -> str:
    """The text with every unprintable character (ESC, BEL, CR, NEL, U+2028, ...) except those in
    `keep` written as its Python escape (`\\x1b`), so echoing user text cannot drive a terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c in keep else ascii(c)[1:-1] for c in text)


def message_text(message: str) -> str:
    """A finding's message for a text line: unprintable characters escaped except newlines and
    tabs (promtool's messages span lines), and every continuation line indented, so no line of a
    message reads as a finding of its own (`FILE:LINE:COL: error ...`) or a workflow command."""
    lines = visible(message, "\n\t").split("\n")
    return "\n".join([lines[0], *(line if line[:1].isspace() else "  " + line for line in lines[1:])])


@dataclass(frozen=True)
class Location:
    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{shown_file(self.file)}:{self.line}:{self.col}"


@dataclass(frozen=True, eq=False)
class SourceMap:
    """Where every value of a YAML file came from: the position of each node and each mapping
    key, keyed by YAML path (0-based line and column, as the YAML reader gives them). The loaded
    spec keeps its map (model.Spec.source_map), so nothing reads a spec file twice to place a
    finding."""

    file: str
    positions: Mapping[YamlPath, tuple[int, int]] = field(default_factory=dict)
    key_positions: Mapping[YamlPath, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: YamlPath) -> Location:
        """Position of the deepest node on `path` that exists (1-based line and column)."""
        probe = tuple(path)
        while probe not in self.positions and probe:
            probe = probe[:-1]
        line, col = self.positions.get(probe, (0, 0))
        return Location(self.file, line + 1, col + 1)

    def locate_key(self, path: YamlPath) -> Location:
        """Position of the key that ends `path` (where its value is would be another line, or the
        value is long), else as `locate`."""
        if tuple(path) not in self.key_positions:
            return self.locate(path)
        line, col = self.key_positions[tuple(path)]
        return Location(self.file, line + 1, col + 1)


@dataclass(frozen=True)
class SpecIssue:
    """One problem in a spec: where it is and what to do about it."""

    location: Location
    path: YamlPath
    message: str

    def __str__(self) -> str:
        # Messages quote spec text (a duplicate key may hold a YAML-escaped ESC or newline): one issue, one inert line.
        return f"{self.location}: error: {format_path(self.path)}: {visible(self.message)}"


class SpecError(Exception):
    """The spec cannot be turned into a model; carries every issue found."""

    def __init__(self, issues: list[SpecIssue]) -> None:
        super().__init__("\n".join(str(i) for i in issues))
        self.issues = issues


class ToolMissingError(Exception):
    """A validator's binary is not installed; names the Debian package to install."""

    def __init__(self, tool: str, package: str) -> None:
        super().__init__(
            f"error: `{tool}` is not installed; it is needed to validate the output. "
            f"Install it with `apt-get install {package}` (or `make install` as root), "
            "or pass --no-validate to skip validation explicitly."
        )
        self.tool = tool
        self.package = package


class OutputError(Exception):
    """The output directory is not mongen's to replace as asked (foreign files, another run)."""


@dataclass(frozen=True)
class Finding:
    """A validation or lint result about a generated or user file."""

    file: str
    line: int
    col: int
    severity: str
    check: str
    message: str

    def __str__(self) -> str:
        return (
            f"{shown_file(self.file)}:{self.line}:{self.col}: {self.severity} [{visible(self.check)}] "
            + message_text(self.message)
        )


# What a person can do about an ordinary file-system failure, by errno.
_FS_ADVICE = {
    errno.ENOSPC: "free some space on that file system",
    errno.EDQUOT: "free some space within your quota",
    errno.EFBIG: "the file system refused a file this large; free space or raise the file-size limit",
    errno.EACCES: "check its permissions, or pick a directory you can write",
    errno.EPERM: "check its permissions, or pick a directory you can write",
    errno.EROFS: "that file system is read-only; pick a directory on a writable one",
    errno.ENAMETOOLONG: "use a shorter path",
    errno.ELOOP: "a symbolic link on that path points back to itself; fix or remove it",
    errno.ENOTDIR: "a part of that path is a regular file, not a directory",
    errno.EEXIST: "a part of that path is a regular file, not a directory",
    errno.EXDEV: "keep the output directory on one file system",
}


class FileSystemError(Exception):
    """An ordinary file-system failure (no space, no permission, a path that cannot exist): a
    problem in the user's environment, reported as an `error:` line with exit 2, not as a bug."""

    def __init__(self, action: str, exc: OSError) -> None:
        where = f"{exc.filename}: " if exc.filename is not None else ""
        reason = exc.strerror or str(exc)
        advice = _FS_ADVICE.get(exc.errno or 0)
        super().__init__(f"cannot {action}: {where}{reason}" + (f"; {advice}" if advice else ""))
        self.errno = exc.errno
