"""What the CLI prints where: findings on stdout, status and progress on stderr; GitHub annotations
placeable from the working directory; cardinality's exit codes; -V, -q/-v, completion, NO_COLOR."""

from __future__ import annotations

import io
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from mongen.console import NORMAL, QUIET, VERBOSE, Console
from tests.support import EMOTIVOICE_FILES, ROOT, mongen, need

SPEC = (ROOT / "specs/emotivoice.yaml").read_text()


def on_a_terminal(*args: str, cwd: Path, env: dict[str, str]) -> str:
    """What `mongen ARGS` writes to a pseudo-terminal (stdout and stderr both on it)."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mongen", *args], cwd=cwd, env=env, stdin=follower, stdout=follower, stderr=follower
    )
    os.close(follower)
    chunks = []
    try:
        while True:
            ready, _, _ = select.select([leader], [], [], 120)
            if not ready:
                break
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
        proc.wait(timeout=60)
    return b"".join(chunks).decode()


@pytest.fixture(scope="module")
def validated_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An output directory below a working directory, with a rule test that fails."""
    for tool in ("promtool", "amtool", "nginx"):
        need(tool)
    work = tmp_path_factory.mktemp("work")
    proc = mongen("generate", str(ROOT / "specs/emotivoice.yaml"), "-o", str(work / "out"), "--no-validate")
    assert proc.returncode == 0, proc.stderr
    test = work / "out/prometheus/tests/emotivoice-alerts.test.yml"
    test.write_text(test.read_text().replace("severity: page", "severity: ticket", 1))
    return work


def test_validate_findings_on_stdout_relative_to_the_working_directory(validated_out: Path) -> None:
    proc = mongen("validate", "out", cwd=validated_out)
    assert proc.returncode == 1
    assert "out/prometheus/tests/emotivoice-alerts.test.yml:1:1: error [promtool-test]" in proc.stdout
    assert "error [" not in proc.stderr and "warning [" not in proc.stderr
    report = validated_out / "report.txt"
    with report.open("w") as handle:
        subprocess.run(
            [sys.executable, "-m", "mongen", "validate", "out"],
            cwd=validated_out,
            stdout=handle,
            stderr=subprocess.DEVNULL,
            timeout=300,
            check=False,
        )
    assert "[promtool-test]" in report.read_text()


def test_github_annotations_name_paths_from_the_working_directory(validated_out: Path) -> None:
    proc = mongen("validate", "out", "--format", "github", cwd=validated_out)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert any(
        line.startswith(
            "::error file=out/prometheus/tests/emotivoice-alerts.test.yml,line=1,col=1,title=promtool-test::"
        )
        for line in lines
    ), proc.stdout
    # Multi-line tool output stays one workflow command per finding.
    assert all(line.startswith("::") for line in lines), proc.stdout
    assert "%0A" in proc.stdout


def test_github_escaping_follows_the_workflow_command_rules() -> None:
    from mongen.errors import Finding
    from mongen.lint.report import render

    finding = Finding("dir,a:b/50%.yml", 3, 4, "warning", "x:y", "100% bad\r\nnext, line: here")
    assert render([finding], "github") == (
        "::warning file=dir%2Ca%3Ab/50%25.yml,line=3,col=4,title=x%3Ay::100%25 bad%0D%0Anext, line: here\n"
    )


def test_generate_status_on_stderr_and_quiet_silences_it(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = mongen("generate", "specs/emotivoice.yaml", "-o", str(out), "--no-validate")
    # The one finding: the spec gives no web URL for its runbooks (tests/generators/test_runbook_urls.py).
    (finding,) = proc.stdout.splitlines()
    assert "warning [runbook-url]" in finding
    assert proc.stderr == f"wrote {EMOTIVOICE_FILES} files to {out}, not validated (--no-validate)\n"
    for args in (["-q", "generate"], ["generate", "-q"]):
        quiet = mongen(*args, "specs/emotivoice.yaml", "-o", str(out), "--no-validate")
        assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, finding + "\n", "")
    check = mongen("generate", "specs/emotivoice.yaml", "-o", str(out), "--check")
    assert (check.returncode, check.stdout) == (0, "")
    assert check.stderr == f"{out} is up to date with specs/emotivoice.yaml\n"


def test_verbose_shows_every_step_off_a_terminal_and_normal_runs_are_silent_in_ci(tmp_path: Path) -> None:
    need("promtool")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    quiet_ci = mongen("validate", str(ROOT / "tests/golden/emotivoice"), cwd=tmp_path, env=env)
    assert quiet_ci.stderr == f"{ROOT / 'tests/golden/emotivoice'}: every check passed\n", quiet_ci.stderr
    verbose = mongen("-v", "validate", str(ROOT / "tests/golden/emotivoice"), cwd=tmp_path, env=env)
    assert verbose.returncode == 0
    lines = verbose.stderr.splitlines()
    assert lines[0] == f"validating {ROOT / 'tests/golden/emotivoice'}..."
    assert {re.sub(r": [0-9.]+ s$", "", line).strip() for line in lines[1:-2]} == {
        "prometheus_config",
        "rules",
        "kubernetes_rules",
        "rule_tests",
        "entries",
        "alertmanager",
        "victoriametrics",
        "mimir",
        "nginx",
        "grafana",
        "instrumentation",
    }
    assert re.fullmatch(r"validating .*: done in [0-9.]+ s", lines[-2])


def test_a_long_step_is_announced_on_a_terminal_only() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    started = threading.Event()
    terminal = Terminal()
    console = Console(NORMAL, terminal, progress_after=0.0)
    with console.step("validating out"):
        # The announcement comes from a timer thread; wait for it (bounded) instead of sleeping.
        for _ in range(1000):
            if terminal.getvalue():
                break
            started.wait(0.01)
    assert terminal.getvalue().splitlines()[0] == "validating out..."
    assert terminal.getvalue().splitlines()[1].startswith("validating out: done in ")
    pipe = io.StringIO()
    with Console(NORMAL, pipe, progress_after=0.0).step("validating out"):
        started.wait(0.05)
    assert pipe.getvalue() == ""
    quiet = Terminal()
    with Console(QUIET, quiet, progress_after=0.0).step("validating out"):
        started.wait(0.05)
    assert quiet.getvalue() == ""
    verbose = io.StringIO()
    with Console(VERBOSE, verbose).step("validating out"):
        pass
    assert verbose.getvalue().startswith("validating out...\nvalidating out: done in ")


def test_findings_are_coloured_on_a_terminal_unless_no_color(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | {"TERM": "xterm"}
    args = ("lint", "--no-promtool", "--spec", "tests/data/brief-spec.yaml", "tests/data/brief-rules.yml")
    coloured = on_a_terminal(*args, cwd=ROOT, env=env)
    assert "\033[31merror\033[0m [unknown-label]" in coloured, coloured
    plain = on_a_terminal(*args, cwd=ROOT, env={**env, "NO_COLOR": "1"})
    assert "error [unknown-label]" in plain and "\033[" not in plain, plain
    piped = mongen(*args, env=env)
    assert "\033[" not in piped.stdout


def test_version() -> None:
    from mongen import __version__

    for flag in ("--version", "-V"):
        proc = mongen(flag)
        assert (proc.returncode, proc.stdout) == (0, f"mongen {__version__}\n")


def test_shell_completion_completes_commands_and_options() -> None:
    mongen_bin = shutil.which("mongen", path=str(Path(sys.executable).parent))
    assert mongen_bin, "the mongen entry point is not installed next to this Python (pip install -e .)"
    env = {**os.environ, "_MONGEN_COMPLETE": "complete_bash", "COMP_WORDS": "mongen gen", "COMP_CWORD": "1"}
    proc = subprocess.run([mongen_bin], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert proc.stdout.split() == ["generate"]
    env |= {"COMP_WORDS": "mongen generate --no", "COMP_CWORD": "2"}
    proc = subprocess.run([mongen_bin], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert "--no-validate" in proc.stdout.split()
    # `--show-completion` detects the shell it runs in (under make's sh it has none it knows), so
    # the script is asked for by name, as the README says.
    script = subprocess.run(
        [mongen_bin],
        env={**os.environ, "_MONGEN_COMPLETE": "source_bash"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert script.returncode == 0
    assert "complete -o default -F _mongen_completion mongen" in script.stdout, script.stdout


def _spec_with_budget(tmp_path: Path, budget: int) -> Path:
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.replace("max_series_per_instance: 1000", f"max_series_per_instance: {budget}", 1))
    assert f"max_series_per_instance: {budget}" in spec.read_text()
    return spec


def test_cardinality_within_budget_is_quiet_and_exits_0(tmp_path: Path) -> None:
    proc = mongen("cardinality", str(_spec_with_budget(tmp_path, 1000)))
    assert proc.returncode == 0
    assert proc.stdout.splitlines()[-1].split() == ["total", "569", "budget", "1000"]
    assert "warning" not in proc.stdout + proc.stderr


def test_cardinality_near_the_budget_warns(tmp_path: Path) -> None:
    spec = _spec_with_budget(tmp_path, 620)  # 569 series: 92% of the budget
    proc = mongen("cardinality", str(spec))
    assert proc.returncode == 0
    line = next(n for n, x in enumerate(spec.read_text().splitlines(), 1) if "max_series_per_instance" in x)
    assert re.search(
        rf"^{re.escape(str(spec))}:{line}:\d+: warning \[cardinality-budget\] 569 series per instance use 92% of the budget of 620",
        proc.stdout,
        re.M,
    ), proc.stdout


def test_cardinality_over_budget_prints_the_table_and_exits_1(tmp_path: Path) -> None:
    spec = _spec_with_budget(tmp_path, 300)
    proc = mongen("cardinality", str(spec))
    assert proc.returncode == 1, proc.stderr
    assert re.search(r"emoti_voice_tts_requests_total\s+counter\s+504", proc.stdout)
    assert re.search(r"^total\s+569\s+budget 300$", proc.stdout, re.M)
    assert (
        "error [cardinality-budget] the metrics expose 569 series per instance, over the budget of 300" in proc.stdout
    )
    # Everywhere else the spec is still rejected.
    assert mongen("generate", str(spec), "-o", str(tmp_path / "o"), "--no-validate").returncode == 2
