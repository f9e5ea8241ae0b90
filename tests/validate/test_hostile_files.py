"""`mongen validate` only reads, and every malformed file is a finding, never exit 70."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mongen import validate
from mongen.dashboard_checks import dashboard_problems
from mongen.writer import write_tree
from tests.support import ROOT, need


@pytest.fixture
def out(tmp_path: Path, default_files: dict[str, str]) -> Path:
    root = tmp_path / "out"
    write_tree(root, default_files)
    return root


def snapshot(root: Path) -> dict[str, int]:
    """Each folder's entries and modification time: creating and deleting a temp file changes it."""
    state = {}
    for folder, dirs, names in os.walk(root):
        state[folder] = os.stat(folder).st_mtime_ns
        state.update({os.path.join(folder, n): 0 for n in dirs + names})
    return state


def test_validate_writes_nothing_in_the_checked_directory(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """promtool's Kubernetes-less copy of prometheus.yml and Python's bytecode cache go elsewhere."""
    need("promtool")
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)  # the import check must not need it
    before = snapshot(out)
    findings = validate.check_prometheus_config(out) + validate.check_instrumentation(out)
    assert [f.severity for f in findings] == ["warning"]  # only: this promtool has no Kubernetes SD
    assert snapshot(out) == before


def test_nginx_check_passes_in_a_directory_whose_path_nginx_would_misread(
    tmp_path: Path, default_files: dict[str, str]
) -> None:
    """The snippet was included by its absolute path, unquoted: a space split it, `;` and `{` ended
    the directive or opened a block."""
    need("nginx")
    root = tmp_path / "ops repo; x {" / "out"
    write_tree(root, default_files)
    assert validate.check_nginx(root) == []


MALFORMED = {
    "prometheus/prometheus.yml": b"- a list\n- not a config\n",
    "alertmanager/routes.test.yml": b"cases: 5\n",
    "kubernetes/emotivoice-prometheusrule.yml": b"kind: PrometheusRule\nspec: \xff\xfe\n",
    "grafana/dashboards/emotivoice.json": b"[1, 2]",
    "instrumentation/emotivoice_metrics.py": b"x = 1\x00\n",
}


def test_every_malformed_file_is_a_finding(out: Path) -> None:
    for rel, data in MALFORMED.items():
        (out / rel).write_bytes(data)
    (out / "prometheus/rules/extra.yml").symlink_to("/proc/self/environ")
    os.mkfifo(out / "prometheus/tests/pipe.yml")
    before = snapshot(out)
    proc = subprocess.run(
        [sys.executable, "-m", "mongen", "validate", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
    )
    assert proc.returncode == 1, proc.stderr
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
    # Findings go to stdout, each file named as the working directory sees it (here: absolute).
    report = proc.stdout.replace(f"{out}/", "")
    errors = {line.split(": error ")[0].rsplit(":", 2)[0] for line in report.splitlines() if ": error [" in line}
    assert set(MALFORMED) | {"prometheus/rules/extra.yml", "prometheus/tests/pipe.yml"} <= errors, report
    assert (
        "alertmanager/routes.test.yml:1:1: error [amtool-routes] expected `cases:` as a list of "
        "{labels: {name: value}, receivers: [receiver names]}" in report
    )
    assert (
        "kubernetes/emotivoice-prometheusrule.yml:2:7: error [promtool-rules] not UTF-8 text (byte 27); "
        "mongen writes UTF-8" in report
    )
    assert (
        "prometheus/tests/pipe.yml:1:1: error [file-type] a FIFO, not a regular file; mongen writes regular "
        "files, and validate neither follows links nor opens special files" in report
    )
    assert "grafana/dashboards/emotivoice.json:1:1: error [grafana-dashboard] the dashboard is not a JSON object" in (
        report
    )
    assert snapshot(out) == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: [", "invalid YAML"),
        ("cases:\n- labels: {severity: page}\n  receivers: oncall\n", "expected `cases:`"),
        ("cases:\n- labels: [severity]\n  receivers: [oncall]\n", "expected `cases:`"),
        ("{}", "expected `cases:`"),
    ],
)
def test_malformed_routing_cases(out: Path, text: str, message: str) -> None:
    cases, problem = validate._route_cases(out, _write(out / "alertmanager/routes.test.yml", text))
    assert cases == [] and problem is not None and message in problem.message


def test_malformed_prometheus_rule_manifest(out: Path) -> None:
    _write(out / "kubernetes/emotivoice-prometheusrule.yml", "kind: PrometheusRule\nspec: [1]\n")
    assert validate.check_kubernetes_rules(out) == []  # no groups: nothing for promtool to reject
    _write(out / "kubernetes/emotivoice-prometheusrule.yml", "kind: PrometheusRule\nspec: {groups: [\n")
    [finding] = validate.check_kubernetes_rules(out)
    assert (finding.line, finding.message) == (3, "invalid YAML: expected the node content, but found '<stream end>'")


def test_unreadable_dashboard_is_a_finding(out: Path) -> None:
    (out / "grafana/dashboards/emotivoice.json").write_bytes(b"\xc3\x28")
    [finding] = validate.check_grafana(out)
    assert finding.check == "grafana-json" and "not UTF-8" in finding.message
    (out / "grafana/dashboards/emotivoice.json").write_text("[" * 100_000)
    [finding] = validate.check_grafana(out)
    assert finding.message == "invalid JSON: nested too deeply"


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


HOSTILE_DASHBOARDS = [
    None,
    [],
    {"panels": 5},
    {"panels": [5, "x", None]},
    {"panels": [{"gridPos": {"x": 0, "y": 0, "w": 10**12, "h": 10**12}}]},
    {"panels": [{"gridPos": {"x": "0", "y": [], "w": True, "h": None}}]},
    {"panels": [{"gridPos": {"x": 0, "y": i, "w": 24, "h": 1000}} for i in range(50)]},
    {"panels": [{"id": {}, "fieldConfig": [], "options": "x", "targets": [{"expr": 5}, "x"]}]},
    {"panels": [{"targets": [{"expr": "(" * 10_000 + "up" + ")" * 10_000}]}]},
    {"panels": [{"targets": [{"expr": "up" * 40_000}]}]},
    {"panels": [{"type": "row", "panels": {"a": 1}}]},
    {"schemaVersion": "39"},
]


@pytest.mark.parametrize("board", HOSTILE_DASHBOARDS, ids=range(len(HOSTILE_DASHBOARDS)))
def test_hostile_dashboards_give_problems_not_exceptions(board: object) -> None:
    """Bounded in time and memory too: 10,000 nested parentheses crash promql-parser (SIGSEGV)."""
    problems = dashboard_problems(board)
    assert problems and all(isinstance(p, str) for p in problems)


def test_generated_dashboard_passes_the_structure_checks(default_files: dict[str, str]) -> None:
    assert dashboard_problems(json.loads(default_files["grafana/dashboards/emotivoice.json"])) == []
