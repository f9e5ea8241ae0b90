"""`# mongen-lint: disable=<id>[,<id>] <reason>` comments in rule files: where they are, which
check ids they name, and which are written wrong. Which rule each one applies to is decided by the
reader (rulefiles.py); whether the ids exist, by the runner, which knows the checks.

pint's comments are honoured where a pint check means the same as lint's (PINT_CHECKS):
`# pint disable alerts/comparison` inside or right above a rule, `# pint file/disable <check>`
for the whole file. They are someone else's comments, so a pint check lint has no twin for is
no finding: the comment is simply not lint's."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A comment that means to talk to mongen-lint; anything after it must be the disable form.
_MARKER = re.compile(r"#\s*mongen-lint\b")
_DISABLE = re.compile(r"#\s*mongen-lint:\s*disable=([a-z0-9-]+(?:,[a-z0-9-]+)*)(?:\s+.*)?$")
FORM = "`# mongen-lint: disable=<id>[,<id>] <reason>`"
# Ids that checks had before they were merged: a suppression or config naming one means the check.
ALIASES = {"alert-zero-for": "alert-without-for"}
# pint's check (its name without arguments: `promql/series(foo)` is `promql/series`) -> lint's
# checks that report the same thing.
PINT_CHECKS: dict[str, tuple[str, ...]] = {
    "alerts/comparison": ("alert-without-comparison",),
    "alerts/for": ("alert-without-for",),
    "alerts/annotation": ("missing-annotation",),
    "alerts/template": ("annotation-unknown-label", "alert-value-in-label"),
    "promql/fragile": ("alert-topk",),
    "promql/rate": ("rate-on-gauge", "short-range"),
    "promql/counter": ("counter-without-rate",),
    "promql/regexp": ("regex-anchor",),
    "promql/vector_matching": ("vector-matching",),
    "promql/impossible": ("impossible-matching",),
    "promql/series": ("unknown-metric", "unknown-label", "unknown-label-value"),
    "rule/duplicate": ("duplicate-rule", "duplicate-alert"),
    "rule/name": ("recording-rule-name",),
}
_PINT = re.compile(r"#\s*pint\s+(file/disable|disable)\s+([a-z_]+/[a-z_]+)")


@dataclass(frozen=True)
class Suppression:
    line: int  # 1-based
    col: int  # of the `#`
    ids: tuple[str, ...]  # empty when the comment is malformed
    pint: bool = False  # pint's comment: never a finding of its own
    file_wide: bool = False  # pint's `file/disable`: every rule of the file


def find_suppressions(text: str) -> dict[int, Suppression]:
    """1-based line -> the mongen-lint comment on it. A line holding `mongen-lint` anywhere but in
    a `# mongen-lint` comment (a description that mentions the tool) is no comment."""
    out: dict[int, Suppression] = {}
    if "mongen-lint" not in text and "pint" not in text:
        return out
    for number, line in enumerate(text.splitlines(), 1):
        pint = _PINT.search(line) if "pint" in line else None
        if pint is not None:
            if pint.group(2) in PINT_CHECKS:
                ids = PINT_CHECKS[pint.group(2)]
                out[number] = Suppression(number, pint.start() + 1, ids, True, pint.group(1) == "file/disable")
            continue
        marker = _MARKER.search(line) if "mongen-lint" in line else None
        if marker is None:
            continue
        match = _DISABLE.match(line, marker.start())
        ids = tuple(ALIASES.get(i, i) for i in match.group(1).split(",")) if match else ()
        out[number] = Suppression(number, marker.start() + 1, ids)
    return out
