"""`mongen lint --list-checks`: every check with the severity it reports at (as the project config
sets it) and whether it needs the spec, as an aligned table for a terminal and for grep."""

from __future__ import annotations

from mongen.check_config import VALIDATE_FINDINGS, CheckConfig
from mongen.lint.checks import CHECKS


def list_checks(config: CheckConfig) -> str:
    rows = [("CHECK", "SEVERITY", "NEEDS SPEC", "")]
    for check in sorted(CHECKS, key=lambda c: c.id):
        setting = config.setting(check.id)
        running = config.runs(check.id, check.enabled_by_default)
        severity = (setting.severity or check.severity) if running else "off"  # "off" when set so
        notes = []
        if setting.severity is not None:
            notes.append(f"set by the project config (default: {_default(check.severity, check.enabled_by_default)})")
        elif not check.enabled_by_default:
            notes.append(f'off by default; turn on with severity = "{check.severity}"')
        if setting.paths:
            notes.append(f"only in {', '.join(setting.paths)}")
        rows.append((check.id, severity, "yes" if check.needs_spec else "no", "; ".join(notes)))
    for finding_id, what in sorted(VALIDATE_FINDINGS.items()):
        severity = config.setting(finding_id).severity or "warning"
        rows.append((finding_id, severity, "-", f"validate/generate: {what}"))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)).rstrip()
        + (f"  {row[3]}" if row[3] else "")
        + "\n"
        for row in rows
    )


def _default(severity: str, enabled: bool) -> str:
    return severity if enabled else "off"
