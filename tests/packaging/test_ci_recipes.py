"""The shipped pre-commit hooks, run by pre-commit itself in a throwaway ops repository.

pre-commit would install a `language: python` hook from its repository with pip, which needs the
network; a `repo: local` copy of each hook with `language: system` runs the same entry, files and
pass_filenames with the mongen under test, offline."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support import ROOT, need

GOOD_ALERT = """\
groups:
  - name: custom
    rules:
      - alert: TtsServerErrorsHigh
        expr: sum by (job) (rate(emoti_voice_tts_requests_total{status="500"}[5m])) / sum by (job) (rate(emoti_voice_tts_requests_total[5m])) > 0.1
        for: 10m
        labels:
          severity: page
        annotations:
          summary: TTS server errors above 10%
          description: "{{ $labels.job }} fails {{ $value }} of requests"
"""


def pre_commit() -> str:
    found = shutil.which("pre-commit", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    if found is None:
        pytest.fail("pre-commit is not installed: pip install -e '.[dev]' (it is in the dev extras)")
    return found


def local_hooks(mongen_bin: str) -> dict[str, object]:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert [h["id"] for h in hooks] == ["mongen-check", "mongen-lint"]
    for hook in hooks:
        assert hook["entry"].startswith("mongen ") and hook["language"] == "python"
        hook["entry"] = mongen_bin + hook["entry"].removeprefix("mongen")
        hook["language"] = "system"
    # What a user adds for their own layout: the generated rules are checked by generate.
    hooks[1]["exclude"] = "^monitoring/"
    return {"repos": [{"repo": "local", "hooks": hooks}]}


def test_the_hooks_pass_then_catch_drift_and_a_typo(tmp_path: Path) -> None:
    need("promtool")
    mongen_bin = shutil.which("mongen", path=str(Path(sys.executable).parent))
    assert mongen_bin, "the mongen entry point is not installed next to this Python (pip install -e .)"
    repo = tmp_path / "ops"
    (repo / "specs").mkdir(parents=True)
    (repo / "rules").mkdir()
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    git = lambda *a: subprocess.run(["git", *a], cwd=repo, check=True, capture_output=True, env=env)  # noqa: E731
    git("init", "-q")
    git("config", "user.email", "ops@example.com")
    git("config", "user.name", "ops")
    spec = (ROOT / "specs/emotivoice.yaml").read_text()
    (repo / "specs/emotivoice.yaml").write_text(spec)
    (repo / "mongen.toml").write_text('specs = ["specs/emotivoice.yaml"]\nout = "monitoring"\n')
    (repo / "rules/custom.yml").write_text(GOOD_ALERT)
    # A file name that looks like an option reaches the lint hook as a file name.
    (repo / "-x/rules").mkdir(parents=True)
    (repo / "-x/rules/more.yml").write_text(GOOD_ALERT.replace("TtsServerErrorsHigh", "TtsServerErrorsHigher"))
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(local_hooks(mongen_bin), sort_keys=False))
    generated = subprocess.run([mongen_bin, "generate", "--no-validate"], cwd=repo, capture_output=True, check=False)
    assert generated.returncode == 0, generated.stderr
    git("add", "-A")
    git("commit", "-qm", "ops repo")

    def run_hooks() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [pre_commit(), "run", "--all-files", "--color", "never"],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
            check=False,
        )

    clean = run_hooks()
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert clean.stdout.count("Passed") == 2, clean.stdout

    (repo / "specs/emotivoice.yaml").write_text(spec.replace("threshold: 4.5", "threshold: 5", 1))
    drift = run_hooks()
    assert drift.returncode == 1
    assert "mongen generate --check" in drift.stdout and "Failed" in drift.stdout
    assert "+    expr: endpoint:emoti_voice_tts_request_duration_seconds:p95_rate5m > 5" in drift.stdout

    (repo / "specs/emotivoice.yaml").write_text(spec)
    (repo / "rules/custom.yml").write_text(GOOD_ALERT.replace("{status=", '{emotio="angry",status=', 1))
    typo = run_hooks()
    assert typo.returncode == 1
    assert "rules/custom.yml:5:15: error [unknown-label] label `emotio` is not on" in typo.stdout, typo.stdout


def test_the_documented_workflow_only_reads_the_repository() -> None:
    workflow = yaml.safe_load((ROOT / "docs/ci/github-actions.yml").read_text())
    assert workflow["permissions"] == {"contents": "read"}


def workflow_commands() -> list[list[str]]:
    workflow = yaml.safe_load((ROOT / "docs/ci/github-actions.yml").read_text())
    steps = workflow["jobs"]["mongen"]["steps"]
    return [step["run"].split() for step in steps if str(step.get("run", "")).startswith("mongen ")]


def test_the_documented_workflow_runs_green_in_an_ops_repository(tmp_path: Path) -> None:
    for tool in ("promtool", "amtool", "nginx"):
        need(tool)
    mongen_bin = shutil.which("mongen", path=str(Path(sys.executable).parent))
    assert mongen_bin, "the mongen entry point is not installed next to this Python (pip install -e .)"
    commands = workflow_commands()
    assert [c[:2] for c in commands] == [["mongen", "generate"], ["mongen", "lint"], ["mongen", "validate"]]
    repo = tmp_path / "ops"
    (repo / "specs").mkdir(parents=True)
    (repo / "specs/emotivoice.yaml").write_text((ROOT / "specs/emotivoice.yaml").read_text())
    (repo / "mongen.toml").write_text('specs = ["specs/emotivoice.yaml"]\nout = "monitoring"\n')
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    assert subprocess.run([mongen_bin, "generate", "--no-validate"], cwd=repo, check=False).returncode == 0
    for command in commands:
        proc = subprocess.run(
            [mongen_bin, *command[1:]], cwd=repo, capture_output=True, text=True, timeout=300, check=False
        )
        assert proc.returncode == 0, (command, proc.stdout + proc.stderr)
        # Annotations only: the Kubernetes warning of Debian's promtool, placed under monitoring/.
        assert all(line.startswith("::warning file=monitoring/") for line in proc.stdout.splitlines()), proc.stdout
