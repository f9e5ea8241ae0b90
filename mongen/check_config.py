"""What a project says about checks, in its config (`mongen.toml`, or `[tool.mongen]` in
pyproject.toml), shared by `lint`, `validate` and `generate`:

    [checks.alert-without-for]
    severity = "off"                      # off, info, warning or error
    [checks.recording-rule-name]
    severity = "warning"                  # a check that is off by default, turned on
    [checks.missing-annotation]
    required = ["summary", "runbook_url"] # a check's own setting
    [checks.duplicate-alert]
    paths = ["rules/team/**"]             # report only in these files (globs, relative to the config)
    [checks]
    promtool-no-kubernetes-sd = "off"     # shorthand for severity

A finding a project turns off, or one outside the paths its check is scoped to, is not printed
but counted: every summary says how many the config silenced, so nothing is dropped unseen.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from mongen.errors import Finding, YamlPath

SEVERITIES = ("off", "info", "warning", "error")
# Findings of validate/generate a project may configure, beyond lint's checks.
VALIDATE_FINDINGS = {
    "promtool-no-kubernetes-sd": "this promtool (Debian's build) cannot check `kubernetes_sd_configs`",
    "runbook-url": "generate: alerts link their runbooks by a path relative to the output directory",
}
_KEYS = {"severity": "off, info, warning or error", "paths": "globs", "required": "annotation names"}
# Settings only some checks have.
_OWN_KEYS = {"required": "missing-annotation"}


@dataclass(frozen=True)
class CheckSetting:
    severity: str | None = None  # None: the check's own
    paths: tuple[str, ...] = ()  # empty: every file
    required: tuple[str, ...] | None = None  # missing-annotation: annotations every alert needs


@dataclass(frozen=True)
class CheckConfig:
    settings: tuple[tuple[str, CheckSetting], ...] = ()
    root: str = ""  # the config's directory; `paths` are relative to it

    def setting(self, check_id: str) -> CheckSetting:
        return next((s for i, s in self.settings if i == check_id), CheckSetting())

    def runs(self, check_id: str, enabled_by_default: bool = True) -> bool:
        """Whether a check runs: on by default, or named here (turned off, it still runs, so that
        apply() counts what it silenced)."""
        return enabled_by_default or self.setting(check_id).severity is not None

    def apply(self, findings: Iterable[Finding], scoped: bool = True) -> tuple[list[Finding], int]:
        """The findings to report, re-graded as configured, and how many the config silenced.
        `scoped=False`: file names are not paths from the working directory (generate's staging
        tree), so `paths` do not apply."""
        kept, silenced = [], 0
        for finding in findings:
            setting = self.setting(finding.check)
            if setting.severity == "off" or (scoped and not self._in_scope(setting, finding.file)):
                silenced += 1
                continue
            kept.append(finding if setting.severity is None else replace(finding, severity=setting.severity))
        return kept, silenced

    def _in_scope(self, setting: CheckSetting, file: str) -> bool:
        if not setting.paths:
            return True
        path = Path(file).resolve()
        try:
            relative = path.relative_to(Path(self.root).resolve()).as_posix() if self.root else file
        except ValueError:
            return False  # outside the project: outside every scope
        return any(fnmatch(relative, pattern) for pattern in setting.paths)


def parse_checks(table: Any, root: Path, ids: dict[str, str]) -> tuple[CheckConfig, list[tuple[YamlPath, str]]]:
    """The `checks` table of a config, and its problems (each at the key's path below `checks`).
    `ids`: every id the config may name, each to the check it means (the caller, above lint, reads
    them from lint's registry: this module sits below lint, which reads the settings)."""
    problems: list[tuple[YamlPath, str]] = []
    if not isinstance(table, dict):
        return CheckConfig(), [((), 'expected a table of check ids, e.g. [checks.alert-without-for] severity = "off"')]
    settings: list[tuple[str, CheckSetting]] = []
    for given, value in table.items():
        if given not in ids:
            close = difflib.get_close_matches(given, sorted(ids), n=1)
            hint = f"did you mean `{close[0]}`?" if close else "`mongen lint --list-checks` lists them"
            problems.append(((given,), f"`{given}` is not a check; {hint}"))
            continue
        check_id = ids[given]
        if isinstance(value, str):
            value = {"severity": value}
        if not isinstance(value, dict):
            problems.append(((given,), 'expected a severity or a table, e.g. severity = "off"'))
            continue
        setting, own = _setting(value, check_id, (given,))
        problems += own
        settings.append((check_id, setting))
    return CheckConfig(tuple(settings), str(root)), problems


def _setting(value: dict[str, Any], check_id: str, at: YamlPath) -> tuple[CheckSetting, list[tuple[YamlPath, str]]]:
    problems: list[tuple[YamlPath, str]] = []
    for key in sorted(set(value) - set(_KEYS)):
        problems.append(((*at, key), f"unknown key `{key}`; known keys: {', '.join(_KEYS)}"))
    for key, owner in _OWN_KEYS.items():
        if key in value and check_id != owner:
            problems.append(((*at, key), f"`{key}` is a setting of `{owner}` only"))
    severity = value.get("severity")
    if severity is not None and severity not in SEVERITIES:
        problems.append(((*at, "severity"), f"expected one of {', '.join(SEVERITIES)}; got {severity!r}"))
        severity = None
    paths = value.get("paths", [])
    if not (isinstance(paths, list) and all(isinstance(p, str) and p for p in paths)):
        problems.append(((*at, "paths"), 'expected a list of globs relative to the config, e.g. ["rules/**"]'))
        paths = []
    required = value.get("required")
    if required is not None and not (
        isinstance(required, list) and required and all(isinstance(r, str) and r for r in required)
    ):
        problems.append(((*at, "required"), 'expected a non-empty list of annotation names, e.g. ["summary"]'))
        required = None
    return CheckSetting(severity, tuple(paths), None if required is None else tuple(required)), problems
