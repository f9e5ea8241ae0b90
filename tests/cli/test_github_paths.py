"""`--format github` names files relative to the working directory, as GitHub resolves annotation
paths against the checkout: every command is run from the root of an ops tree whose output is in
monitoring/, not at the root, and every `file=` must exist from there."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support import mongen
from tests.support.ops_repo import ops_tree

# A spec recording rule over a too-short range: a warning inside the generated rule files.
SHORT_RANGE = """recording_rules:
  - record: job:llm_requests:rate30s
    expr: sum by (job) (rate(llm_requests_total[30s]))
"""


def _files(stdout: str) -> list[str]:
    return re.findall(r"^::(?:error|warning) file=([^,]*),", stdout, re.MULTILINE)


def test_every_annotation_names_a_file_that_exists_from_the_root(tmp_path: Path) -> None:
    root = ops_tree(tmp_path / "ops")
    llm = root / "specs/llm.yaml"
    llm.write_text(llm.read_text("utf-8").replace("recording_rules:\n", SHORT_RANGE, 1), "utf-8")
    generate = mongen("generate", "--no-validate", cwd=root)
    assert generate.returncode == 0, generate.stderr
    # generate has no --format; its findings (the runbook-url warnings) name files the same way.
    named = [line.split(":", 1)[0] for line in generate.stdout.splitlines()]
    assert named == [
        "monitoring/prometheus/rules/emotivoice-alerts.yml",
        "monitoring/prometheus/rules/llm-textgen-alerts.yml",
    ]
    assert all((root / name).is_file() for name in named)

    generated = mongen("lint", "--no-promtool", "--format", "github", cwd=root)
    assert _files(generated.stdout) == ["monitoring/prometheus/rules/llm-textgen-recording.yml"], generated.stderr
    files = mongen("lint", "--no-promtool", "--format", "github", "rules/team.yml", cwd=root)
    assert _files(files.stdout) == ["rules/team.yml", "rules/team.yml"], files.stderr
    validated = mongen("validate", "--format", "github", cwd=root)
    # The Debian promtool's Kubernetes warning where it applies; nothing where promtool has discovery.
    assert set(_files(validated.stdout)) <= {"monitoring/prometheus/prometheus.yml"}, validated.stdout
    for name in _files(generated.stdout + files.stdout + validated.stdout):
        assert (root / name).is_file(), name

    # From inside the output directory, the same files, named from there.
    inside = mongen("lint", "--no-promtool", "--format", "github", cwd=root / "monitoring")
    assert _files(inside.stdout) == ["prometheus/rules/llm-textgen-recording.yml"], inside.stderr


def test_a_generated_file_not_on_disk_keeps_its_name_in_the_tree(tmp_path: Path) -> None:
    root = ops_tree(tmp_path / "ops", ("llm",))
    llm = root / "specs/llm.yaml"
    llm.write_text(llm.read_text("utf-8").replace("recording_rules:\n", SHORT_RANGE, 1), "utf-8")
    proc = mongen("lint", "--no-promtool", "--format", "github", cwd=root)  # nothing generated yet
    assert _files(proc.stdout) == ["prometheus/rules/llm-textgen-recording.yml"], proc.stderr
