"""The project config's [checks] table, shared by lint, validate and generate: a check turned off,
re-graded, turned on or scoped to paths; findings it silences are counted, never dropped unseen;
pint's disable comments; `mongen lint --list-checks`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mongen.config import find_config
from mongen.errors import SpecError
from tests.support import ROOT

_NO_FOR = """\
groups:
  - name: g
    rules:
      - alert: Busy
        expr: queue_length > 100
        annotations: {summary: The queue is long}
"""


def _repo(tmp_path: Path, config: str, files: dict[str, str]) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "mongen.toml").write_text(config)
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def _mongen(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env_path = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "mongen", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin:/usr/local/bin"},
    )


# A config without specs is no project for the spec commands; lint runs spec-less with --no-spec.
_SPECLESS = 'specs = ["none.yaml"]\n'


def test_a_check_turned_off_is_silenced_and_counted(tmp_path: Path) -> None:
    repo = _repo(tmp_path, _SPECLESS + '[checks.alert-without-for]\nseverity = "off"\n', {"rules.yml": _NO_FOR})
    proc = _mongen(repo, "lint", "--no-promtool", "--no-spec", "rules.yml")
    assert (proc.returncode, proc.stdout) == (0, "")
    assert (
        proc.stderr
        == "1 rule in 1 file: 0 errors, 0 warnings, 1 silenced by the project config (no spec: spec checks skipped)\n"
    )


def test_a_check_regraded_to_error_fails_the_run_and_to_info_does_not(tmp_path: Path) -> None:
    repo = _repo(tmp_path, _SPECLESS + '[checks]\nalert-without-for = "error"\n', {"rules.yml": _NO_FOR})
    proc = _mongen(repo, "lint", "--no-promtool", "--no-spec", "rules.yml")
    assert proc.returncode == 1
    assert (
        proc.stdout
        == "rules.yml:5:15: error [alert-without-for] alert `Busy` has no `for`; use at least two evaluation intervals\n"
    )
    (repo / "mongen.toml").write_text(_SPECLESS + '[checks]\nalert-without-for = "info"\n')
    proc = _mongen(repo, "lint", "--no-promtool", "--no-spec", "--format", "github", "rules.yml")
    assert proc.returncode == 0
    assert proc.stdout.startswith("::notice file=rules.yml,line=5,")
    assert "0 errors, 0 warnings, 1 info" in proc.stderr


def test_the_old_id_of_a_merged_check_still_configures_it(tmp_path: Path) -> None:
    repo = _repo(tmp_path, _SPECLESS + '[checks]\nalert-zero-for = "off"\n', {"rules.yml": _NO_FOR})
    assert _mongen(repo, "lint", "--no-promtool", "--no-spec", "rules.yml").stdout == ""


_COLONLESS = """\
groups:
  - name: g
    rules:
      - record: apiserver_request:burnrate1h
        expr: sum by (job) (rate(apiserver_request_total[1h]))
      - record: apiserver_qps
        expr: sum by (job) (rate(apiserver_request_total[5m]))
"""


def test_recording_rule_name_is_off_by_default_and_when_on_flags_only_colonless_names(tmp_path: Path) -> None:
    repo = _repo(tmp_path, _SPECLESS, {"rules.yml": _COLONLESS})
    assert _mongen(repo, "lint", "--no-promtool", "--no-spec", "rules.yml").stdout == ""
    (repo / "mongen.toml").write_text(_SPECLESS + '[checks.recording-rule-name]\nseverity = "warning"\n')
    proc = _mongen(repo, "lint", "--no-promtool", "--no-spec", "rules.yml")
    assert proc.stdout.splitlines() == [
        "rules.yml:7:15: warning [recording-rule-name] `apiserver_qps` has no colon, so it reads like a scraped "
        "metric; name it `level:metric:operations`"
    ]


def test_a_check_scoped_to_paths_reports_only_there(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        _SPECLESS + '[checks.alert-without-for]\npaths = ["rules/team/**"]\n',
        {"rules/team/a.yml": _NO_FOR, "rules/vendor/b.yml": _NO_FOR.replace("Busy", "Queued")},
    )
    proc = _mongen(repo, "lint", "--no-promtool", "--no-spec", "rules")
    assert [line.split(":")[0] for line in proc.stdout.splitlines()] == ["rules/team/a.yml"]
    assert "1 silenced by the project config" in proc.stderr


_ANNOTATIONS = """\
groups:
  - name: g
    rules:
      - alert: Busy
        expr: queue_length > 100
        for: 5m
        annotations: {summary: The queue is long, runbook_url: ""}
"""


def test_missing_annotation_takes_the_required_set_from_the_config(tmp_path: Path) -> None:
    repo = _repo(tmp_path, _SPECLESS, {"rules.yml": _ANNOTATIONS})
    assert _mongen(repo, "lint", "--no-promtool", "--no-spec", "rules.yml").stdout == ""
    (repo / "mongen.toml").write_text(
        _SPECLESS + '[checks.missing-annotation]\nrequired = ["summary", "description", "runbook_url"]\n'
    )
    proc = _mongen(repo, "lint", "--no-promtool", "--no-spec", "rules.yml")
    assert proc.stdout.splitlines() == [
        "rules.yml:5:15: warning [missing-annotation] alert `Busy` has an empty runbook_url annotation (required by the project config)",
        "rules.yml:5:15: warning [missing-annotation] alert `Busy` has no description annotation (required by the project config)",
    ]


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (
            '[checks.alert-without-fro]\nseverity = "off"\n',
            "mongen.toml:2:1: error: checks.alert-without-fro: `alert-without-fro` is not a check; did you mean `alert-without-for`?",
        ),
        (
            '[checks.alert-without-for]\nseverity = "loud"\n',
            "mongen.toml:3:1: error: checks.alert-without-for.severity: expected one of off, info, warning, error; got 'loud'",
        ),
        (
            '[checks.alert-topk]\nrequired = ["summary"]\n',
            "mongen.toml:3:1: error: checks.alert-topk.required: `required` is a setting of `missing-annotation` only",
        ),
        (
            '[checks.alert-topk]\npaths = "rules"\n',
            'mongen.toml:3:1: error: checks.alert-topk.paths: expected a list of globs relative to the config, e.g. ["rules/**"]',
        ),
    ],
)
def test_a_broken_checks_table_is_an_error_at_its_line(
    tmp_path: Path, config: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _repo(tmp_path, _SPECLESS + config, {})
    monkeypatch.chdir(repo)
    with pytest.raises(SpecError) as raised:
        find_config(repo)
    assert str(raised.value.issues[0]) == expected


_PINT = """\
groups:
  - name: g
    rules:
      # pint disable alerts/comparison
      - alert: InterfaceFlagged
        expr: iface_admin_info
        for: 5m
        annotations: {summary: s}
      - alert: Other
        # pint disable promql/series(foo)
        # pint disable alerts/count
        expr: other_info
        for: 5m
        annotations: {summary: s}
"""


def test_pints_disable_comments_are_honoured_where_the_meaning_is_the_same(tmp_path: Path) -> None:
    repo = _repo(tmp_path, _SPECLESS, {"rules.yml": _PINT})
    proc = _mongen(repo, "lint", "--no-promtool", "--no-spec", "rules.yml")
    # alerts/comparison silences the first; promql/series and alerts/count (no twin here) are no
    # findings of their own, and silence nothing else.
    assert proc.stdout.splitlines() == [
        "rules.yml:12:15: warning [alert-without-comparison] alert `Other` compares nothing, so it fires whenever "
        "its series exist; add a condition such as `> 0.05`"
    ]
    (repo / "rules.yml").write_text("# pint file/disable alerts/comparison\n" + _PINT)
    assert _mongen(repo, "lint", "--no-promtool", "--no-spec", "rules.yml").stdout == ""


def test_list_checks_shows_severity_as_configured_and_whether_the_spec_is_needed(tmp_path: Path) -> None:
    repo = _repo(tmp_path, _SPECLESS + '[checks]\nalert-without-for = "off"\nrecording-rule-name = "warning"\n', {})
    proc = _mongen(repo, "lint", "--list-checks")
    assert proc.returncode == 0, proc.stderr
    rows = {line.split()[0]: line.split()[1:3] for line in proc.stdout.splitlines()[1:]}
    assert rows["alert-without-for"] == ["off", "no"]
    assert rows["recording-rule-name"] == ["warning", "no"]
    assert rows["rate-on-gauge"] == ["error", "yes"]
    assert rows["promtool-no-kubernetes-sd"] == ["warning", "-"]
    assert "set by the project config (default: off)" in proc.stdout


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_validate_silences_debians_kubernetes_warning_from_the_config_and_counts_it(tmp_path: Path) -> None:
    from mongen.validate import check_prometheus_config, promtool_supports_kubernetes

    if promtool_supports_kubernetes():
        pytest.skip("this promtool checks kubernetes_sd_configs itself: nothing to silence")
    out = tmp_path / "out"
    shutil.copytree(ROOT / "tests/golden/emotivoice/prometheus", out / "prometheus")
    shutil.copy(ROOT / "tests/golden/emotivoice/.mongen", out)  # validate takes only mongen's output directories
    found = [f for f in check_prometheus_config(out) if f.check == "promtool-no-kubernetes-sd"]
    assert len(found) == 1 and found[0].message.endswith(
        'To silence this, add to the project config: [checks] promtool-no-kubernetes-sd = "off" in mongen.toml, '
        "or [tool.mongen.checks] in pyproject.toml"
    )
    repo = _repo(tmp_path, _SPECLESS + '[checks]\npromtool-no-kubernetes-sd = "off"\n', {})
    (repo / "mongen.toml").write_text(_SPECLESS + 'out = "out"\n[checks]\npromtool-no-kubernetes-sd = "off"\n')
    proc = _mongen(repo, "validate", "out")
    assert "promtool-no-kubernetes-sd" not in proc.stdout
    assert "out: 1 finding silenced by the project config" in proc.stderr


def test_the_checks_table_also_lives_in_pyproject(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "", {"rules.yml": _NO_FOR})
    (repo / "mongen.toml").unlink()
    (repo / "pyproject.toml").write_text(
        '[tool.mongen]\nspecs = ["none.yaml"]\n[tool.mongen.checks.alert-without-for]\nseverity = "off"\n'
    )
    proc = _mongen(repo, "lint", "--no-promtool", "--no-spec", "rules.yml")
    assert (proc.stdout, "1 silenced by the project config" in proc.stderr) == ("", True)
