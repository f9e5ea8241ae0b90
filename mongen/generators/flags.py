"""A binary's command-line flags as a documented file: each flag on its own line under the comment
that says why it has that value. The scale-out engines (VictoriaMetrics, Thanos) are configured by
flags rather than files; this keeps them reviewable as diffs and runnable as

    vmalert $(grep -v '^#' victoriametrics/vmalert.flags)

Values never hold spaces (paths and URLs mongen writes), so the shell's word splitting is safe.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Flag:
    name: str  # without the dash: `search.latencyOffset`
    value: str | None  # None: a boolean flag given bare (`-disableAlertgroupLabel`)
    why: str
    dashes: str = "-"  # VictoriaMetrics takes `-flag`, Thanos `--flag`

    @property
    def argument(self) -> str:
        return f"{self.dashes}{self.name}" + ("" if self.value is None else f"={self.value}")


def flags_text(head: str, binary: str, what: str, path: str, flags: Sequence[Flag]) -> str:
    lines = [
        head.rstrip("\n"),
        f"# {binary}: {what}",
        f"# Run from the output directory: {binary} $(grep -v '^#' {path})",
    ]
    for flag in flags:
        lines += ["", *(f"# {line}" for line in flag.why.splitlines()), flag.argument]
    return "\n".join(lines) + "\n"


def arguments(flags: Sequence[Flag]) -> list[str]:
    """The flags as a command line's arguments (what verify starts the binary with)."""
    return [flag.argument for flag in flags]
