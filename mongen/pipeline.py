"""The pipeline, top to bottom: load spec -> model -> generators -> validators -> writer."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from mongen.config import spec_name
from mongen.drift import drift
from mongen.errors import FileSystemError, Finding
from mongen.generators import generate_all
from mongen.layout import MARKER
from mongen.model import Spec
from mongen.ownership import marker_text
from mongen.serialize import quoted_path
from mongen.spec.build import load_spec
from mongen.validate import CheckDone, validate_dir
from mongen.writer import atomic_replace


@dataclass
class GenerateResult:
    files: dict[str, str]
    findings: list[Finding] = field(default_factory=list)
    written: bool = False
    diff: str = ""

    @property
    def failed(self) -> bool:
        return any(f.severity == "error" for f in self.findings)


def render(spec: Spec) -> dict[str, str]:
    """Every output file, plus the marker that says the directory belongs to mongen.

    Headers name the spec by its path in the project (config.spec_name), not as typed, so that
    `generate --check` agrees from any working directory and for any spelling of the path."""
    spec = replace(spec, source=spec_name(spec.source))
    files = generate_all(spec)
    files[MARKER] = marker_text(spec.source, files)
    return dict(sorted(files.items()))


def generate(
    spec_path: str,
    out_dir: Path,
    *,
    validate: bool = True,
    check: bool = False,
    prune: bool = False,
    on_check_done: CheckDone | None = None,
) -> GenerateResult:
    """`prune`: delete entries of `out_dir` that mongen did not write instead of refusing.
    `on_check_done(name, seconds)` hears of each validation check as it finishes."""
    spec = load_spec(spec_path)
    files = render(spec)
    result = GenerateResult(files)
    if check:
        try:
            result.diff = drift(out_dir, files)
        except OSError as exc:
            raise FileSystemError(f"read {quoted_path(str(out_dir))}", exc) from None
        return result

    def gate(staging: Path) -> bool:
        if validate:
            result.findings = validate_dir(staging, on_check_done=on_check_done)
        return not result.failed

    result.written = atomic_replace(out_dir, files, gate, prune=prune)
    return result
