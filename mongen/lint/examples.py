"""Lint a check's documented examples exactly as `mongen lint --no-promtool --spec spec.yaml rules.yml`
would. The tests compare the result with the check's `problems`; when writing a check,
`python -m mongen.lint.examples ID` prints what its bad example gives, in the form `problems` takes."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from mongen.errors import Finding
from mongen.lint.checks import CHECKS
from mongen.lint.checks.base import EXAMPLE_RULES_FILE, EXAMPLE_SPEC_FILE, Example
from mongen.lint.context import LintOptions
from mongen.lint.rulefiles import rule_file_from_text
from mongen.lint.runner import lint_files, spec_findings
from mongen.spec.build import load_model as load_spec
from mongen.spec.loader import load_yaml

# Examples run every check, also those a project must turn on.
_ALL = LintOptions(all_checks=True)


def run_example(example: Example, with_spec: bool = True) -> list[Finding]:
    """Every finding on the example (its spec's, then its rule file's), named `spec.yaml` and
    `rules.yml`; `with_spec=False`: the rule file alone, as `mongen lint rules.yml` without --spec."""
    files = [rule_file_from_text(example.rules, EXAMPLE_RULES_FILE)] if example.rules else []
    if not with_spec or not example.spec:
        return lint_files(None, files, processes=1, options=_ALL)
    with tempfile.TemporaryDirectory(prefix="mongen-lint-example-") as tmp:
        spec_path = Path(tmp) / EXAMPLE_SPEC_FILE
        spec_path.write_text(example.spec, "utf-8")
        spec = load_spec(spec_path)
    findings = spec_findings(spec, load_yaml(example.spec, EXAMPLE_SPEC_FILE).source_map)
    return findings + lint_files(spec, files, processes=1, options=_ALL)


def main(ids: list[str]) -> None:
    for check in CHECKS:
        if ids and check.id not in ids:
            continue
        print(f"# {check.id}")
        for finding in run_example(check.bad):
            print(f"{finding.file}: [{finding.check}] Problem({finding.line}, {finding.col}, {finding.message!r}),")


if __name__ == "__main__":
    main(sys.argv[1:])
