"""The spec's `middleware` section: what the generated middleware is told, and the warning for a
selector on a route value that no route records."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mongen.loading import load_spec
from tests.support import ROOT

ROUTES = "  routes:\n    /v1/audio/speech: /synthesize\n    /synthesize: /synthesize\n    /clone: /clone\n"


def spec_with(tmp_path: Path, routes: str) -> Path:
    text = (ROOT / "specs/emotivoice.yaml").read_text("utf-8")
    assert ROUTES in text
    path = tmp_path / "spec.yaml"
    path.write_text(text.replace(ROUTES, routes), "utf-8")
    return path


def test_the_default_spec_routes_emotivoices_endpoint_and_has_no_warning(default_spec) -> None:
    middleware = default_spec.middleware
    assert ("/v1/audio/speech", "/synthesize") in (middleware.routes or ())
    assert middleware.body_labels == (("emotion", "prompt"),)
    assert middleware.text_length_field == "input"
    assert default_spec.warnings == ()


def test_an_slo_on_a_value_no_route_records_is_a_warning_at_generate(tmp_path: Path) -> None:
    """The latency SLO selects endpoint=/synthesize; with the real route mapped to /clone only, its
    series would stay empty and its burn alerts could never fire."""
    spec = spec_with(tmp_path, "  routes:\n    /v1/audio/speech: /clone\n")
    assert [str(w.path) for w in load_spec(spec).warnings] == [str(("slos", 1, "sli", "latency", "where", "endpoint"))]
    run = subprocess.run(
        [sys.executable, "-m", "mongen", "generate", str(spec), "-o", str(tmp_path / "out"), "--no-validate", "-q"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr
    warnings = [w for w in run.stdout.splitlines() if "warning [spec]" in w]
    assert len(warnings) == 1, run.stdout
    assert warnings[0].endswith(
        "warning [spec] slos[1].sli.latency.where.endpoint: no route in `middleware.routes` records `endpoint` as "
        "`/synthesize` (they record: /clone), so the middleware never counts a request this selects; map the "
        "service's real route to it"
    ), warnings[0]
    assert warnings[0].startswith(f"{spec}:"), warnings[0]
