"""The project: where an ops repository's root is, and what its config file says.

A project config names the specs and the output directory so that commands need no arguments:

    # mongen.toml                      # or, in pyproject.toml:
    specs = ["specs/emotivoice.yaml"]  # [tool.mongen]
    out = "out"                        # specs = [...]; out = "..."
    runbooks_url = "https://github.com/acme/ops/blob/main/out/runbooks"   # optional

Paths in it are relative to the file. It is found from the working directory upwards, stopping at
the repository root (the directory holding `.git`). The project root also names the spec in every
generated header: the spec's path relative to the nearest directory above it holding a config or
`.git`, so the header is the same whatever the working directory or the spelling of the path.
"""

from __future__ import annotations

import difflib
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mongen.check_config import VALIDATE_FINDINGS, CheckConfig, parse_checks
from mongen.errors import Location, SpecError, SpecIssue, YamlPath
from mongen.layout import shown_path

MONGEN_TOML = "mongen.toml"
PYPROJECT = "pyproject.toml"
DEFAULT_OUT = "out"
_KEYS = ("checks", "out", "runbooks_url", "specs")


@dataclass(frozen=True)
class ProjectConfig:
    file: Path  # the config file (absolute)
    specs: tuple[Path, ...]  # absolute
    out: Path  # absolute
    runbooks_url: str | None = None  # web URL of out/runbooks/ (e.g. the ops repository's), for runbook_url
    checks: CheckConfig = field(default_factory=CheckConfig)  # what the project says about lint's and validate's checks

    @property
    def root(self) -> Path:
        return self.file.parent


def missing_specs(config: ProjectConfig) -> list[SpecIssue]:
    """A config problem for each spec the config names that is not there, at its entry: the path
    is relative to the config's directory, which is what people miss when they run from elsewhere."""
    missing = [(index, spec) for index, spec in enumerate(config.specs) if not os.path.lexists(spec)]
    if not missing:
        return []
    prefix: YamlPath = ("tool", "mongen") if config.file.name == PYPROJECT else ()
    issues = _Issues(config.file, config.file.read_text("utf-8", errors="replace"), prefix)
    for index, spec in missing:
        issues.fail(
            ("specs", index),
            f"{os.path.relpath(spec, config.root)} does not exist: paths in {config.file.name} are relative to "
            f"its directory ({shown_path(config.root)}), not to the working directory; correct the entry",
        )
    return issues.found


def find_config(start: Path) -> ProjectConfig | None:
    """The config of the project `start` lies in, or None. Raises SpecError for a broken one."""
    for directory in _upwards(start.resolve()):
        for name in (MONGEN_TOML, PYPROJECT):
            candidate = directory / name
            if candidate.is_file():
                config = _read_config(candidate)
                if config is not None:
                    return config
        if (directory / ".git").exists():
            return None
    return None


def project_root(spec_path: str | Path) -> Path:
    """The nearest directory at or above the spec holding a project config or `.git`; without
    either, the spec's own directory."""
    spec_dir = Path(spec_path).resolve().parent
    for directory in _upwards(spec_dir):
        if (directory / MONGEN_TOML).is_file() or (directory / ".git").exists():
            return directory
        pyproject = directory / PYPROJECT
        if pyproject.is_file() and _has_mongen_table(pyproject):
            return directory
    return spec_dir


def spec_name(spec_path: str | Path) -> str:
    """How generated headers name the spec: its path relative to the project root, `/`-separated;
    as given when it cannot be resolved (a NUL byte, a loop of links)."""
    try:
        resolved = Path(spec_path).resolve()
        return resolved.relative_to(project_root(resolved)).as_posix()
    except (OSError, ValueError, RuntimeError):
        return str(spec_path)


def _upwards(directory: Path) -> list[Path]:
    return [directory, *directory.parents]


def _has_mongen_table(pyproject: Path) -> bool:
    """Whether a pyproject.toml has a [tool.mongen] table (a broken file has none here; reading
    the config reports it)."""
    try:
        text = pyproject.read_text("utf-8")
        # A cheap look before parsing: most pyproject.toml files never mention mongen.
        if "mongen" not in text:
            return False
        import tomllib

        tool = tomllib.loads(text).get("tool")
    except (OSError, UnicodeDecodeError, ImportError, ValueError):
        return False
    return isinstance(tool, dict) and "mongen" in tool


def _read_config(file: Path) -> ProjectConfig | None:
    """The config in `file`, or None for a pyproject.toml without [tool.mongen]."""
    is_pyproject = file.name == PYPROJECT
    raw = file.read_bytes()
    # A pyproject.toml that never mentions mongen cannot hold [tool.mongen] (in any spelling:
    # `[tool.mongen]`, `[tool]` + `mongen = {...}`, `tool.mongen.specs = ...`), so a broken one
    # belongs to other tools and is skipped. One that mentions it is parsed, and a parse error is
    # reported: skipping it would silently fall back to a config further up (a monorepo's root).
    if is_pyproject and b"mongen" not in raw:
        return None
    text = _decode(file, raw)
    data = _parse_toml(file, text)
    prefix: YamlPath = ("tool", "mongen") if is_pyproject else ()
    table: Any = data
    for key in prefix:
        table = table.get(key) if isinstance(table, dict) else None
    if table is None:
        return None
    issues = _Issues(file, text, prefix)
    if not isinstance(table, dict):
        issues.fail((), "expected a table with `specs` and `out`")
    else:
        for key in sorted(set(table) - set(_KEYS)):
            guess = difflib.get_close_matches(key, _KEYS, n=1)
            hint = f"did you mean `{guess[0]}`? " if guess else ""
            issues.fail((key,), f"unknown key `{key}`; {hint}known keys: {', '.join(_KEYS)}")
        specs = table.get("specs")
        if not (isinstance(specs, list) and specs and all(isinstance(s, str) and s for s in specs)):
            issues.fail(("specs",), 'expected a non-empty list of spec file paths, e.g. specs = ["specs/service.yaml"]')
        else:
            for index, spec in enumerate(specs):
                if _has_control_character(spec):
                    issues.fail(("specs", index), f"{_CONTROL_CHARACTER_MESSAGE} a spec file path without one")
        out = table.get("out", DEFAULT_OUT)
        if not (isinstance(out, str) and out):
            issues.fail(("out",), 'expected the output directory as a string, e.g. out = "out"')
        elif _has_control_character(out):
            issues.fail(("out",), f"{_CONTROL_CHARACTER_MESSAGE} an output directory without one")
    base = file.resolve().parent
    checks = CheckConfig()
    if isinstance(table, dict) and "checks" in table:
        checks, problems = parse_checks(table["checks"], base, known_check_ids())
        for path, message in problems:
            issues.fail(("checks", *path), message)
    runbooks_url = table.get("runbooks_url") if isinstance(table, dict) else None
    if runbooks_url is not None and not (
        isinstance(runbooks_url, str) and re.fullmatch(r"https?://[^\s\"'{}<>()\[\]`\\]+", runbooks_url)
    ):
        issues.fail(
            ("runbooks_url",),
            "expected the web URL of the generated runbooks/ directory, e.g. "
            'runbooks_url = "https://github.com/acme/ops/blob/main/monitoring/runbooks"',
        )
    issues.raise_if_any()
    assert isinstance(table, dict)
    return ProjectConfig(
        file=file.resolve(),
        specs=tuple(base / s for s in table["specs"]),
        out=base / table.get("out", DEFAULT_OUT),
        runbooks_url=str(table["runbooks_url"]).rstrip("/") if table.get("runbooks_url") else None,
        checks=checks,
    )


# Paths are echoed to terminals and into GitHub workflow commands (`::error file=...`), where a
# control character (a NUL, a newline, an escape sequence) would end or rewrite the line.
_CONTROL_CHARACTER_MESSAGE = "contains a control character (a NUL, newline, tab or escape); give"


def _has_control_character(path: str) -> bool:
    return any(unicodedata.category(c) == "Cc" for c in path)


def _decode(file: Path, raw: bytes) -> str:
    """The config's text; TOML is UTF-8, so another encoding is an error at the first bad byte."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before) - (before.rfind(b"\n") + 1) + 1
        message = f"invalid TOML: byte 0x{raw[exc.start]:02x} is not UTF-8; save the file as UTF-8"
        raise SpecError([SpecIssue(Location(shown_path(file), line, col), (), message)]) from None


def _parse_toml(file: Path, text: str) -> dict[str, Any]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        raise SpecError(
            [SpecIssue(Location(str(file), 1, 1), (), "reading a project config needs Python 3.11 or later")]
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib puts the position only into the message: "Invalid value (at line 3, column 9)".
        where = re.search(r"at line (\d+), column (\d+)", str(exc))
        line, col = (int(where[1]), int(where[2])) if where else (text.count("\n") + 1, 1)
        reason = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(exc))
        raise SpecError([SpecIssue(Location(shown_path(file), line, col), (), f"invalid TOML: {reason}")]) from None


class _Issues:
    """Config problems at the line of the key they are about (tomllib keeps no positions)."""

    def __init__(self, file: Path, text: str, prefix: YamlPath) -> None:
        self.file = shown_path(file)
        self.lines = text.splitlines()
        self.prefix = prefix
        self.found: list[SpecIssue] = []

    def fail(self, path: YamlPath, message: str) -> None:
        self.found.append(SpecIssue(Location(self.file, self._line(path), 1), (*self.prefix, *path), message))

    def raise_if_any(self) -> None:
        if self.found:
            raise SpecError(self.found)

    def _line(self, path: YamlPath) -> int:
        # The deepest table header the path lies in (`[checks.alert-without-for]`), then its key.
        for depth in range(len(path), -1, -1):
            table = f"[{'.'.join(str(p) for p in (*self.prefix, *path[:depth]))}]"
            if not self.prefix and depth == 0:
                start, header = 0, False
                break
            found = next((i for i, line in enumerate(self.lines) if line.strip() == table), None)
            if found is not None:
                start, header = found, True
                break
        else:
            start, header = 0, False
        rest = path[depth:]
        if rest:
            key = re.compile(rf"\s*\"?{re.escape(str(rest[0]))}\"?\s*=")
            for i in range(start, len(self.lines)):
                if i > start and header and self.lines[i].lstrip().startswith("["):
                    break
                if key.match(self.lines[i]):
                    return i + 1
        return start + 1


def known_check_ids() -> dict[str, str]:
    """Every id a `[checks]` table may name: lint's checks (and their old names) and validate's findings."""
    from mongen.lint.checks import ALIASES, CHECKS

    return {**{c.id: c.id for c in CHECKS}, **ALIASES, **{i: i for i in VALIDATE_FINDINGS}}
