"""Findings as text, JSON or GitHub workflow commands: the whole report is data for stdout (a file
redirect keeps every finding, errors and warnings alike); the summary line is for stderr."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Literal

from mongen.errors import Finding, message_text, shown_file, visible

ReportFormat = Literal["text", "json", "github"]


def render(findings: Iterable[Finding], fmt: ReportFormat, paint: Callable[[str], str] | None = None) -> str:
    """Every finding in `fmt`, one per line (JSON: one list), ending in a newline unless empty.
    `paint(severity)`: the severity as text shows it (a terminal's colours)."""
    findings = list(findings)
    if fmt == "json":
        # Stable shape (docs/lint-rules.md): a list of {file, line, col, severity, check, message}.
        return json.dumps([f.__dict__ for f in findings], indent=2, sort_keys=True) + "\n"
    if fmt == "github":
        return "".join(github_annotation(f) + "\n" for f in findings)
    return "".join(text_line(f, paint) + "\n" for f in findings)


def text_line(finding: Finding, paint: Callable[[str], str] | None = None) -> str:
    """`FILE:LINE:COL: severity [check] message`, the file name with its control characters escaped
    so that one finding stays one line to a reader (the message may span lines, promtool's: its
    continuation lines are indented, see errors.message_text)."""
    f = finding
    severity = paint(f.severity) if paint is not None else f.severity
    return f"{shown_file(visible(f.file))}:{f.line}:{f.col}: {severity} [{visible(f.check)}] {message_text(f.message)}"


def github_annotation(finding: Finding) -> str:
    """One workflow command, escaped as GitHub's own toolkit does (actions/toolkit, command.ts):
    `%`, CR and LF in the message; also `:` and `,` in property values, which end a value. A file
    name with a newline then stays one command instead of starting another."""
    level = {"error": "error", "info": "notice"}.get(finding.severity, "warning")
    properties = ",".join(
        f"{key}={_escape_property(str(value))}"
        for key, value in (
            ("file", finding.file),
            ("line", finding.line),
            ("col", finding.col),
            ("title", finding.check),
        )
    )
    return f"::{level} {properties}::{_escape_data(finding.message)}"


def _escape_data(text: str) -> str:
    """GitHub's escapes, and every other unprintable character (ESC, BEL) as its Python escape."""
    return visible(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
