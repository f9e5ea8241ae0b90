"""`cardinality` and `verify` in a project whose config names several specs: each spec in turn
(or the one of `--service NAME`), one summary."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from mongen import verify as verify_package
from mongen.cli import app
from mongen.model import Spec
from mongen.verify.report import VerifyReport
from tests.support import mongen
from tests.support.ops_repo import ops_tree


def test_cardinality_prints_every_service_and_one_summary(tmp_path: Path) -> None:
    root = ops_tree(tmp_path / "ops")
    proc = mongen("cardinality", cwd=root)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "service emotivoice (specs/emotivoice.yaml)"
    assert "service llm-textgen (specs/llm.yaml)" in lines
    assert [line.split()[-1] for line in lines if line.startswith("total")] == ["1000", "500"]
    assert proc.stderr == (
        "2 services, series per instance / budget: emotivoice 569/1000, llm-textgen 83/500; none over budget\n"
    )


def test_one_service_over_its_budget_fails_the_run_and_is_named(tmp_path: Path) -> None:
    root = ops_tree(tmp_path / "ops")
    llm = root / "specs/llm.yaml"
    llm.write_text(llm.read_text("utf-8").replace("max_series_per_instance: 500", "max_series_per_instance: 50"))
    proc = mongen("cardinality", cwd=root)
    assert proc.returncode == 1
    assert proc.stderr.endswith("over budget: llm-textgen\n")
    assert "specs/llm.yaml:" in proc.stdout and "error [cardinality-budget]" in proc.stdout


def test_service_picks_one_spec(tmp_path: Path) -> None:
    root = ops_tree(tmp_path / "ops")
    proc = mongen("cardinality", "--service", "llm-textgen", cwd=root)
    assert proc.returncode == 0
    assert "emoti_voice" not in proc.stdout and "llm_requests_total" in proc.stdout
    unknown = mongen("cardinality", "--service", "nope", cwd=root)
    assert unknown.returncode == 2
    assert unknown.stderr == (
        "error: no spec of the project config is service 'nope'; its services: emotivoice, llm-textgen\n"
    )
    both = mongen("cardinality", "specs/llm.yaml", "--service", "llm-textgen", cwd=root)
    assert both.returncode == 2 and "give SPEC or --service, not both" in both.stderr


def _fake_verify(failing: set[str]):  # type: ignore[no-untyped-def]
    ran: list[str] = []

    def run_verify(model: Spec, engine: str = "prometheus", record: bool = False) -> VerifyReport:
        ran.append(model.service)
        report = VerifyReport(seconds=1.0)
        report.expect("healthy", "up", "is 1", model.service not in failing)
        return report

    return run_verify, ran


def test_verify_runs_each_service_with_one_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = ops_tree(tmp_path / "ops")
    monkeypatch.chdir(root)
    run_verify, ran = _fake_verify({"llm-textgen"})
    monkeypatch.setattr(verify_package, "run_verify", run_verify)
    result = CliRunner().invoke(app, ["verify"])
    assert ran == ["emotivoice", "llm-textgen"]
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1] == "2 services verified: emotivoice passed, llm-textgen failed"
    assert "## service emotivoice" in result.stdout and "## service llm-textgen" in result.stdout

    ran.clear()
    only = CliRunner().invoke(app, ["verify", "--service", "emotivoice", "--format", "json"])
    assert ran == ["emotivoice"] and only.exit_code == 0
    assert '"passed": true' in only.stdout
