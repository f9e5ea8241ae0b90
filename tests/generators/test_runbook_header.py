"""The runbook's first line is an HTML comment naming the spec file; a file name with `-->` in it
(`x--><script>alert(1)<!--.yaml`) must not close that comment, or MkDocs and Backstage TechDocs
would render a live script."""

from __future__ import annotations

import shutil
from pathlib import Path

from mongen.loading import load_spec
from mongen.pipeline import render
from tests.support import DEFAULT_SPEC, ROOT

_HOSTILE_NAME = "x--><script>alert(1)<!--&amp;--!>.yaml"


def test_a_spec_file_name_cannot_close_the_runbook_header_comment(tmp_path: Path) -> None:
    spec_file = tmp_path / _HOSTILE_NAME
    shutil.copyfile(ROOT / DEFAULT_SPEC, spec_file)
    files = render(load_spec(spec_file))
    runbooks = {rel: text for rel, text in files.items() if rel.startswith("runbooks/") and rel.endswith(".md")}
    assert runbooks
    for rel, text in runbooks.items():
        first = text.splitlines()[0]
        assert first.startswith("<!-- ") and first.endswith(" -->"), (rel, first)
        inside = first[len("<!-- ") : -len(" -->")]
        assert "-->" not in inside and "--!>" not in inside and "<" not in inside, (rel, first)
        assert "<script" not in text
