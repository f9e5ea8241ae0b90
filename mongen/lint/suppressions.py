"""`# mongen-lint: disable=<id>[,<id>] <reason>` comments in rule files: where they are, which
check ids they name, and which are written wrong. Which rule each one applies to is decided by the
reader (rulefiles.py); whether the ids exist, by the runner, which knows the checks."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A comment that means to talk to mongen-lint; anything after it must be the disable form.
_MARKER = re.compile(r"#\s*mongen-lint\b")
_DISABLE = re.compile(r"#\s*mongen-lint:\s*disable=([a-z0-9-]+(?:,[a-z0-9-]+)*)(?:\s+.*)?$")
FORM = "`# mongen-lint: disable=<id>[,<id>] <reason>`"


@dataclass(frozen=True)
class Suppression:
    line: int  # 1-based
    col: int  # of the `#`
    ids: tuple[str, ...]  # empty when the comment is malformed


def find_suppressions(text: str) -> dict[int, Suppression]:
    """1-based line -> the mongen-lint comment on it. A line holding `mongen-lint` anywhere but in
    a `# mongen-lint` comment (a description that mentions the tool) is no comment."""
    out: dict[int, Suppression] = {}
    if "mongen-lint" not in text:
        return out
    for number, line in enumerate(text.splitlines(), 1):
        marker = _MARKER.search(line) if "mongen-lint" in line else None
        if marker is None:
            continue
        match = _DISABLE.match(line, marker.start())
        ids = tuple(match.group(1).split(",")) if match else ()
        out[number] = Suppression(number, marker.start() + 1, ids)
    return out
