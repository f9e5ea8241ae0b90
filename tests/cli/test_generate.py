"""`mongen generate` end to end through the CLI: exit codes, atomic writes, --check drift."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT, mongen, need


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    for tool in ("promtool", "amtool", "nginx"):
        need(tool)
    out = tmp_path_factory.mktemp("gen") / "out"
    proc = mongen("generate", "specs/emotivoice.yaml", "-o", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "validated" in proc.stderr
    return out


def test_generate_twice_gives_identical_bytes(generated: Path) -> None:
    first = tree_digest(generated)
    proc = mongen("generate", "specs/emotivoice.yaml", "-o", str(generated), "--no-validate")
    assert proc.returncode == 0, proc.stderr
    assert tree_digest(generated) == first


def test_check_reports_drift_with_a_diff(generated: Path) -> None:
    assert mongen("generate", "specs/emotivoice.yaml", "-o", str(generated), "--check").returncode == 0
    target = generated / "prometheus/rules/emotivoice-alerts.yml"
    original = target.read_text()
    target.write_text(original.replace("> 4.5", "> 9"))
    try:
        proc = mongen("generate", "specs/emotivoice.yaml", "-o", str(generated), "--check")
        assert proc.returncode == 1
        assert "-    expr: endpoint:emoti_voice_tts_request_duration_seconds:p95_rate5m > 9" in proc.stdout
        assert "+    expr: endpoint:emoti_voice_tts_request_duration_seconds:p95_rate5m > 4.5" in proc.stdout
    finally:
        target.write_text(original)


BROKEN = {
    "malformed YAML": ("metrics:\n  - name: [oops\n", None),
    "unknown metric type": (
        "  - name: emoti_voice_tts_requests_total\n    role: requests\n    type: counter\n",
        "  - name: emoti_voice_tts_requests_total\n    role: requests\n    type: summary\n",
    ),
    "undefined enum": ("  emotion:\n    enum: emotion\n", "  emotion:\n    enum: emotions\n"),
    "bad CIDR": ("allowed_cidrs: [10.20.0.0/16,", "allowed_cidrs: [10.20.0.300/16,"),
    "threshold off the buckets": ("        threshold: 10\n", "        threshold: 7\n"),
    "objective out of range": ("    objective: 99.9\n", "    objective: 100\n"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_spec_exits_2_with_location_and_leaves_output_alone(case: str, generated: Path, tmp_path: Path) -> None:
    old, new = BROKEN[case]
    text = (ROOT / "specs/emotivoice.yaml").read_text()
    if new is None:
        text = old
    else:
        assert old in text, case
        text = text.replace(old, new, 1)
    spec = tmp_path / "broken.yaml"
    spec.write_text(text)
    before = tree_digest(generated)
    proc = mongen("generate", str(spec), "-o", str(generated))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert re.match(rf"{re.escape(str(spec))}:\d+:\d+: error: ", proc.stderr), proc.stderr
    assert tree_digest(generated) == before


def test_error_names_line_and_path(tmp_path: Path) -> None:
    text = (ROOT / "specs/emotivoice.yaml").read_text().replace("    enum: emotion\n", "    enum: emotions\n", 1)
    spec = tmp_path / "s.yaml"
    spec.write_text(text)
    proc = mongen("generate", str(spec), "-o", str(tmp_path / "o"), "--no-validate")
    line = text.splitlines().index("    enum: emotions") + 1
    assert (
        f"{spec}:{line}:11: error: labels.emotion.enum: label `emotion` uses the undefined enum `emotions`"
        in proc.stderr
    )


def test_failed_validation_leaves_previous_output_byte_identical(
    generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mongen import generators, pipeline
    from mongen.generators import rules

    before = tree_digest(generated)
    real = rules.generate

    def broken(spec):  # a rule promtool rejects: the writer must not swap it in
        files = real(spec)
        path = next(iter(files))
        files[path] = files[path].replace("rate5m\n", "rate5m[oops\n", 1).replace("expr: sum by", "expr: sum by by", 1)
        return files

    monkeypatch.setattr(generators, "GENERATORS", tuple(broken if g is real else g for g in generators.GENERATORS))
    result = pipeline.generate("specs/emotivoice.yaml", generated)
    assert result.failed and not result.written
    assert any(f.check == "promtool-rules" for f in result.findings)
    assert tree_digest(generated) == before


def test_refuses_to_replace_a_foreign_directory(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    proc = mongen("generate", "specs/emotivoice.yaml", "-o", str(tmp_path), "--no-validate")
    assert proc.returncode == 2
    assert "not written by mongen" in proc.stderr
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_validate_command_on_generated_dir(generated: Path) -> None:
    proc = mongen("validate", str(generated))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_validate_refuses_a_directory_mongen_did_not_write(tmp_path: Path) -> None:
    (tmp_path / "prometheus/rules").mkdir(parents=True)
    proc = mongen("validate", str(tmp_path))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "is not an output directory of mongen (no .mongen marker file" in proc.stderr
    assert "pass the directory `mongen generate` wrote" in proc.stderr
    assert proc.stdout == ""


BREAKAGES = {
    "nginx-t": ("nginx/emotivoice-metrics.conf", "deny all;", "deny all"),
    "amtool-routes": ("alertmanager/routes.test.yml", "- sre-email", "- oncall-wecom"),
    "amtool-config": ("alertmanager/alertmanager.yml", "receiver: sre-email", "receiver: nobody"),
    "promtool-config": ("prometheus/prometheus.yml", "scrape_timeout: 10s", "scrape_timeout: 1m"),
    "promtool-rules": (
        "prometheus/rules/emotivoice-recording.yml",
        "[5m]",
        "[5m",
    ),
    "promtool-test": ("prometheus/tests/emotivoice-alerts.test.yml", "severity: page", "severity: ticket"),
    "grafana-dashboard": ("grafana/dashboards/emotivoice.json", '"unit": "reqps"', '"unit": ""'),
    "promtool-rules ": ("kubernetes/emotivoice-prometheusrule.yml", "[5m]", "[5m"),
    "python-import": (
        "instrumentation/emotivoice_metrics.py",
        "REGISTRY = CollectorRegistry(",
        "REGISTRY = CollectorRegistr(",
    ),
}


@pytest.mark.parametrize("check", sorted(BREAKAGES))
def test_validate_catches_each_kind_of_breakage(check: str, generated: Path, tmp_path: Path) -> None:
    import shutil

    rel, old, new = BREAKAGES[check]
    copy = tmp_path / "copy"
    shutil.copytree(generated, copy)
    target = copy / rel
    text = target.read_text()
    assert old in text, (check, old)
    target.write_text(text.replace(old, new, 1))
    proc = mongen("validate", str(copy))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"[{check.strip()}]" in proc.stdout
    assert rel in proc.stdout


def test_missing_tool_is_a_clear_error(tmp_path: Path) -> None:
    import os

    env = {**os.environ, "PATH": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "mongen", "generate", "-o", str(tmp_path / "o")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "apt-get install prometheus" in proc.stderr
    assert not (tmp_path / "o").exists()


def test_schema_command_prints_draft_2020_12() -> None:
    import json

    proc = mongen("schema")
    assert json.loads(proc.stdout)["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_cardinality_table() -> None:
    proc = mongen("cardinality", "specs/emotivoice.yaml")
    assert proc.returncode == 0
    assert re.search(r"emoti_voice_tts_requests_total\s+counter\s+504", proc.stdout)
    assert re.search(r"total\s+569\s+budget 1000", proc.stdout)  # 568 of the spec's metrics + the dropped counter
