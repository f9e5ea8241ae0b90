"""`mongen lint --diff-base` in a git repository of the user's own: an added alert with a
typo'd label fails the run however the rule file is spelled and wherever lint runs from, and the
findings of unchanged rules stay out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT

_OLD_RULES = """\
groups:
- name: custom
  rules:
  - record: job:emoti_voice_tts_requests:rate1m
    expr: sum by (job) (rate(emoti_voice_tts_requests_total[1m]))
"""
_NEW_ALERT = """\
  - alert: AngryErrors
    expr: sum by (job) (rate(emoti_voice_tts_requests_total{emotoin="angry", status="500"}[5m])) > 1
    for: 5m
    labels: {severity: page}
    annotations: {summary: Angry requests fail, description: More than one a second.}
"""
_FINDING = (
    "rules/custom.yml:7:11: error [unknown-label] label `emotoin` is not on `emoti_voice_tts_requests_total`; "
    "did you mean `emotion`? its labels: container, emotion, endpoint, instance, job, method, namespace, pod, service, status"
)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ops")
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    (root / "rules").mkdir()
    (root / "sub").mkdir()
    (root / "rules/custom.yml").write_text(_OLD_RULES)
    subprocess.run([*git, "add", "."], cwd=root, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "rules"], cwd=root, check=True)
    (root / "rules/custom.yml").write_text(_OLD_RULES + _NEW_ALERT)
    return root


def _lint(cwd: Path, path: str) -> subprocess.CompletedProcess[str]:
    spec = str(ROOT / "specs/emotivoice.yaml")
    return subprocess.run(
        [sys.executable, "-m", "mongen", "lint", "--no-promtool", "--spec", spec, "--diff-base", "HEAD", path],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("where", "path", "shown"),
    [
        ("", "rules/custom.yml", "rules/custom.yml"),
        ("", "./rules/custom.yml", "rules/custom.yml"),
        ("", "{root}/rules/custom.yml", "{root}/rules/custom.yml"),
        ("", "rules", "rules/custom.yml"),
        ("", "rules/", "rules/custom.yml"),
        ("sub", "../rules/custom.yml", "../rules/custom.yml"),
        ("sub", "{root}/rules/custom.yml", "{root}/rules/custom.yml"),
        ("sub", "../rules", "../rules/custom.yml"),
        ("rules", "custom.yml", "custom.yml"),
        ("rules", ".", "custom.yml"),
    ],
)
def test_the_added_alerts_typo_fails_the_run_for_every_spelling(repo: Path, where: str, path: str, shown: str) -> None:
    proc = _lint(repo / where, path.format(root=repo))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    # Only the added alert: the unchanged rule's short range ([1m]) is not reported.
    expected = _FINDING.replace("rules/custom.yml", shown.format(root=repo), 1)
    assert Path(expected.split(":")[0]).name == "custom.yml"
    assert proc.stdout.splitlines() == [expected]


def test_a_report_file_holds_the_errors(repo: Path) -> None:
    """`mongen lint … > report.txt`: the findings are on stdout, the summary on stderr."""
    report = repo / "sub/report.txt"
    with report.open("w") as out:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "mongen",
                "lint",
                "--no-promtool",
                "--spec",
                str(ROOT / "specs/emotivoice.yaml"),
                "../rules",
            ],
            cwd=repo / "sub",
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    assert proc.returncode == 1
    lines = report.read_text().splitlines()
    assert _FINDING.replace("rules/", "../rules/", 1) in lines
    assert any("warning [short-range]" in line for line in lines)
    assert proc.stderr == f"2 rules in 1 file: 1 error, 1 warning (spec: {ROOT / 'specs/emotivoice.yaml'})\n"


def test_diff_base_without_files_says_to_give_them() -> None:
    # The spec's own rules are generated into a temporary directory, which no git history knows.
    proc = subprocess.run(
        [sys.executable, "-m", "mongen", "lint", "--diff-base", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (proc.returncode, proc.stderr) == (
        2,
        "error: --diff-base compares rule files in a git repository: give them as FILES\n",
    )


def test_an_empty_diff_base_is_refused_not_ignored(repo: Path) -> None:
    """`--diff-base ""` (an unset CI variable) must not silently lint every line."""
    proc = subprocess.run(
        [sys.executable, "-m", "mongen", "lint", "--no-promtool", "--diff-base", "", "rules/custom.yml"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (proc.returncode, proc.stderr) == (
        2,
        "error: --diff-base '' is not a git revision (a branch, tag or commit)\n",
    )
