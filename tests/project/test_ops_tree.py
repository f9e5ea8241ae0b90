"""Many services, one ops tree: `mongen generate SPEC... -o DIR` and mongen/project/.

The cases in tests/spec_failure_cases/combine/ hold one pair of specs per message mongen/project/checks.py words;
each runs with the specs in both orders and must give the same lines."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
import yaml

from mongen import layout, pipeline
from mongen.errors import SpecError
from mongen.loading import load_spec
from mongen.validate import require, validate_dir
from tests.support import ROOT
from tests.support.spec_messages import COMBINE_SOURCES, message_sites

SPECS = ["specs/emotivoice.yaml", "specs/multi-slo.yaml"]
CASES_FILE = ROOT / "tests/spec_failure_cases/combine/services.yaml"
BASE = (ROOT / "tests/spec_failure_cases/base.yaml").read_text("utf-8")
CASES: dict[str, dict[str, Any]] = yaml.safe_load(CASES_FILE.read_text("utf-8"))


def _patched(edits: list[dict[str, str]]) -> str:
    text = BASE
    for edit in edits:
        # `all: true` replaces every occurrence (a second service's metric namespace), else exactly one.
        assert text.count(edit["find"]) >= 1 if edit.get("all") else text.count(edit["find"]) == 1, edit["find"]
        text = text.replace(edit["find"], edit["replace"])
    return text


def _issues(name: str, directory: Path, monkeypatch: pytest.MonkeyPatch, order: list[str]) -> list[str]:
    for spec in ("a", "b"):
        (directory / f"{spec}.yaml").write_text(_patched(CASES[name][spec]), "utf-8")
    monkeypatch.chdir(directory)
    try:
        pipeline.render_specs(order)
    except SpecError as exc:
        return [str(issue) for issue in exc.issues]
    return []


@pytest.mark.parametrize("name", sorted(CASES))
def test_combine_failure_case_in_either_order(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _issues(name, tmp_path, monkeypatch, ["a.yaml", "b.yaml"]) == CASES[name]["expected"]
    assert _issues(name, tmp_path, monkeypatch, ["b.yaml", "a.yaml"]) == CASES[name]["expected"]


@pytest.fixture
def combine_lines() -> Iterator[set[int]]:
    """Lines of mongen/project/checks.py run while the fixture is active."""
    file = str(COMBINE_SOURCES[0])
    seen: set[int] = set()

    def local(frame: FrameType, event: str, arg: object) -> Any:
        if event == "line":
            seen.add(frame.f_lineno)
        return local

    previous = sys.gettrace()
    sys.settrace(lambda frame, event, arg: local if frame.f_code.co_filename == file else None)
    try:
        yield seen
    finally:
        sys.settrace(previous)


def test_every_combine_message_has_a_case(
    combine_lines: set[int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i, name in enumerate(sorted(CASES)):
        (tmp_path / str(i)).mkdir()
        _issues(name, tmp_path / str(i), monkeypatch, ["a.yaml", "b.yaml"])
    sites = message_sites(COMBINE_SOURCES)
    assert len(sites) >= 6
    missing = [str(s) for s in sites if not combine_lines & set(range(s.first_line, s.last_line + 1))]
    assert missing == [], "mongen/project/checks.py messages without a case in tests/spec_failure_cases/combine/:\n" + "\n".join(
        missing
    )


def test_the_order_of_the_specs_does_not_matter() -> None:
    assert pipeline.render_specs(SPECS) == pipeline.render_specs(SPECS[::-1])


def test_a_single_spec_tree_is_what_render_writes(default_spec: Any) -> None:
    """A single spec is the project of one: its tree stays the goldens' (test_golden)."""
    assert pipeline.render_specs(SPECS[:1]) == pipeline.render(default_spec)


def _amtool_receivers(config: Path, labels: dict[str, str]) -> list[str]:
    proc = subprocess.run(
        [
            require("amtool"),
            "config",
            "routes",
            "test",
            f"--config.file={config}",
            *(f"{k}={v}" for k, v in labels.items()),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return sorted(proc.stdout.strip().split(","))


def test_two_services_make_one_validated_tree(tmp_path: Path) -> None:
    """The issue's done-when: both services in one tree that passes validation, one prometheus.yml
    with both jobs and rule files, one alertmanager.yml routing each service as its spec says."""
    out = tmp_path / "ops"
    result = pipeline.generate(SPECS, out)
    assert result.written, [str(f) for f in result.findings if f.severity == "error"]
    prometheus = yaml.safe_load((out / layout.PROMETHEUS_CONFIG).read_text())
    models = [load_spec(spec) for spec in SPECS]
    jobs = {c["job_name"] for c in prometheus["scrape_configs"]}
    for model in models:
        assert f"{model.scrape.job}-static" in jobs
        for rule_file in layout.rule_files(model.service).values():
            assert layout.relative(rule_file, layout.PROMETHEUS_CONFIG) in prometheus["rule_files"]
            assert (out / rule_file).is_file()
    assert sorted(p.name for p in (out / "alertmanager").iterdir()) == ["alertmanager.yml", "routes.test.yml"]
    config = out / layout.ALERTMANAGER_CONFIG
    for model in models:
        for severity, receivers in model.routing.routes:
            labels = {"alertname": "X", "service": model.service, "severity": severity}
            assert _amtool_receivers(config, labels) == sorted(receivers), (model.service, severity)
    # Two specs with different default receivers: an alert of no known service sends nothing.
    assert _amtool_receivers(config, {"alertname": "X", "service": "nobody", "severity": "page"}) == ["Unrouted"]
    # `mongen validate DIR` on the tree as written, not only on the staging copy.
    assert [str(f) for f in validate_dir(out) if f.severity == "error"] == []
    marker = (out / layout.MARKER).read_text().splitlines()
    assert sorted(marker[1:]) == sorted(p for p in result.files if p != layout.MARKER)


def _tree_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("check", [False, True], ids=["generate", "check"])
def test_one_spec_into_a_tree_of_several_refuses_and_touches_nothing(tmp_path: Path, check: bool) -> None:
    out = tmp_path / "ops"
    assert pipeline.generate(SPECS, out, validate=False).written
    before = _tree_bytes(out)
    args = [SPECS[0], "-o", str(out), "--no-validate", *(["--check"] if check else [])]
    proc = subprocess.run(
        [sys.executable, "-m", "mongen", "generate", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2, proc.stderr
    assert "holds the files of service asr-gateway, which this run does not generate" in proc.stderr
    assert "pass every service's spec in one run" in proc.stderr
    assert _tree_bytes(out) == before
    assert not list(tmp_path.glob(".ops.mongen-new-*"))


def test_a_conflict_through_the_cli_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    case = CASES["receiver_defined_differently"]
    for spec in ("a", "b"):
        (tmp_path / f"{spec}.yaml").write_text(_patched(case[spec]), "utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "mongen", "generate", "b.yaml", "a.yaml", "-o", "out", "--no-validate"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == case["expected"]
    assert not (tmp_path / "out").exists()


def test_spec_errors_of_every_spec_are_reported_together(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = _patched([{"find": "  job: emotivoice\n", "replace": "  job: 7\n"}])
    for spec in ("a", "b"):
        (tmp_path / f"{spec}.yaml").write_text(broken, "utf-8")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SpecError) as raised:
        pipeline.render_specs(["a.yaml", "b.yaml"])
    assert sorted({issue.location.file for issue in raised.value.issues}) == ["a.yaml", "b.yaml"]
