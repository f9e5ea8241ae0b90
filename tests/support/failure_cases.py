"""The spec failure cases in tests/spec_failure_cases/: one file per spec section, mapping a case
name to a spec (`patch`: text replacements on base.yaml, each `find` exactly once, or `spec`: the
whole file) and the `expected` lines, as mongen prints them for `spec.yaml`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from tests.support import ROOT

CASES_DIR = ROOT / "tests/spec_failure_cases"
BASE = (CASES_DIR / "base.yaml").read_text("utf-8")
SPEC_NAME = "spec.yaml"


@dataclass(frozen=True)
class FailureCase:
    id: str
    text: str
    encoding: str
    expected: list[str]
    cli: bool


def _spec_text(case_id: str, body: dict[str, Any]) -> str:
    if "spec" in body:
        text: str = body["spec"]
        return text
    text = BASE
    for edit in body["patch"]:
        assert text.count(edit["find"]) == 1, f"{case_id}: {edit['find']!r} must occur exactly once"
        text = text.replace(edit["find"], edit["replace"])
    return text


def load_cases() -> list[FailureCase]:
    cases = []
    for file in sorted(CASES_DIR.glob("*.yaml")):
        if file.name == "base.yaml":
            continue
        for name, body in yaml.safe_load(file.read_text("utf-8")).items():
            case_id = f"{file.stem}:{name}"
            assert set(body) <= {"patch", "spec", "encoding", "expected", "cli"}, case_id
            text = _spec_text(case_id, body)
            cases.append(
                FailureCase(case_id, text, body.get("encoding", "utf-8"), body["expected"], body.get("cli", False))
            )
    return cases


CASES = load_cases()
