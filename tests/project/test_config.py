"""The project config (mongen.toml / [tool.mongen]) and the spec's name in headers, which must not
depend on the working directory or on how the spec path is spelled."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mongen.config import find_config, project_root, spec_name
from mongen.errors import SpecError
from tests.support import EMOTIVOICE_FILES, ROOT, mongen

SPEC = (ROOT / "specs/emotivoice.yaml").read_text()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with the spec at specs/tts.yaml and a subdirectory to run from."""
    root = tmp_path / "ops"
    (root / "specs").mkdir(parents=True)
    (root / "specs/tts.yaml").write_text(SPEC)
    (root / "docs").mkdir()
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    return root


def test_spec_name_is_relative_to_the_git_root_from_anywhere(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spellings = {
        repo: ["specs/tts.yaml", "./specs/tts.yaml", "specs/../specs/tts.yaml", str(repo / "specs/tts.yaml")],
        repo / "docs": ["../specs/tts.yaml", str(repo / "specs/tts.yaml")],
        repo / "specs": ["tts.yaml", "./tts.yaml"],
    }
    for cwd, paths in spellings.items():
        monkeypatch.chdir(cwd)
        for path in paths:
            assert spec_name(path) == "specs/tts.yaml", (cwd, path)


def test_a_config_file_below_the_git_root_is_the_project_root(repo: Path) -> None:
    (repo / "specs/mongen.toml").write_text('specs = ["tts.yaml"]\n')
    assert project_root(repo / "specs/tts.yaml") == repo / "specs"
    assert spec_name(repo / "specs/tts.yaml") == "tts.yaml"


def test_a_pyproject_without_a_mongen_table_is_not_a_project_root(repo: Path) -> None:
    (repo / "specs/pyproject.toml").write_text('[project]\nname = "x"\n')
    assert spec_name(repo / "specs/tts.yaml") == "specs/tts.yaml"
    (repo / "specs/pyproject.toml").write_text('[tool.mongen]\nspecs = ["tts.yaml"]\n')
    assert spec_name(repo / "specs/tts.yaml") == "tts.yaml"


def test_without_git_or_config_the_spec_is_named_by_its_file_name(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a/tts.yaml").write_text(SPEC)
    assert spec_name(tmp_path / "a/tts.yaml") == "tts.yaml"


def test_config_paths_are_relative_to_the_config_file(repo: Path) -> None:
    (repo / "mongen.toml").write_text('specs = ["specs/tts.yaml"]\nout = "ops-out"\n')
    config = find_config(repo / "docs")
    assert config is not None
    assert config.specs == (repo.resolve() / "specs/tts.yaml",)
    assert config.out == repo.resolve() / "ops-out"


def test_pyproject_table_and_default_out(repo: Path) -> None:
    (repo / "pyproject.toml").write_text('[project]\nname = "ops"\n\n[tool.mongen]\nspecs = ["specs/tts.yaml"]\n')
    config = find_config(repo)
    assert config is not None and config.out == repo.resolve() / "out"


def test_config_lookup_stops_at_the_git_root(repo: Path) -> None:
    (repo.parent / "mongen.toml").write_text('specs = ["elsewhere.yaml"]\n')
    assert find_config(repo / "docs") is None


BROKEN_CONFIGS = {
    "unknown key": (
        'specs = ["a.yaml"]\nspec = "b.yaml"\n',
        "mongen.toml:2:1: error: spec: unknown key `spec`; did you mean `specs`? known keys: checks, out, runbooks_url, specs",
    ),
    "specs not a list": (
        'out = "o"\nspecs = "a.yaml"\n',
        'mongen.toml:2:1: error: specs: expected a non-empty list of spec file paths, e.g. specs = ["specs/service.yaml"]',
    ),
    "empty specs": (
        "specs = []\n",
        'mongen.toml:1:1: error: specs: expected a non-empty list of spec file paths, e.g. specs = ["specs/service.yaml"]',
    ),
    "out not a string": (
        'specs = ["a.yaml"]\nout = 3\n',
        'mongen.toml:2:1: error: out: expected the output directory as a string, e.g. out = "out"',
    ),
    "invalid TOML": ('specs = ["a.yaml"]\nout = = 3\n', "mongen.toml:2:7: error: <root>: invalid TOML: Invalid value"),
    "unclosed TOML": ('specs = ["a.yaml"\n', "mongen.toml:2:1: error: <root>: invalid TOML: Unclosed array"),
    "NUL in out": (
        'specs = ["a.yaml"]\nout = "o\\u0000"\n',
        "mongen.toml:2:1: error: out: contains a control character (a NUL, newline, tab or escape); "
        "give an output directory without one",
    ),
    "escape sequence in specs": (
        'specs = ["a.yaml", "b\\u001b[31m.yaml"]\n',
        "mongen.toml:1:1: error: specs[1]: contains a control character (a NUL, newline, tab or escape); "
        "give a spec file path without one",
    ),
    "newline in specs": ('specs = ["a\\nb.yaml"]\n', "mongen.toml:1:1: error: specs[0]: contains a control character"),
}


@pytest.mark.parametrize("case", sorted(BROKEN_CONFIGS))
def test_broken_config_is_an_error_at_its_line(case: str, repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text, expected = BROKEN_CONFIGS[case]
    (repo / "mongen.toml").write_text(text)
    monkeypatch.chdir(repo)
    with pytest.raises(SpecError) as raised:
        find_config(repo)
    assert str(raised.value.issues[0]).startswith(expected), str(raised.value.issues[0])


def test_non_utf8_config_is_an_error_at_the_byte(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "mongen.toml").write_bytes(b'out = "o"\nspecs = ["a\xff.yaml"]\n')
    monkeypatch.chdir(repo)
    with pytest.raises(SpecError) as raised:
        find_config(repo)
    assert [str(i) for i in raised.value.issues] == [
        "mongen.toml:2:12: error: <root>: invalid TOML: byte 0xff is not UTF-8; save the file as UTF-8"
    ]
    proc = mongen("generate", "--no-validate", cwd=repo)
    assert proc.returncode == 2 and proc.stderr.startswith("mongen.toml:2:12: error:"), proc.stderr


def test_control_characters_in_config_paths_exit_2_without_a_traceback(repo: Path) -> None:
    (repo / "mongen.toml").write_text('specs = ["specs/tts.yaml"]\nout = "o\\u0000"\n')
    proc = mongen("generate", "--no-validate", cwd=repo)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("mongen.toml:2:1: error: out: contains a control character"), proc.stderr


BROKEN_PYPROJECTS = {
    "invalid line": b'[tool.mongen]\nspecs = ["a.yaml"]\nout = = 3\n',
    "duplicate key": b'[tool.mongen]\nspecs = ["a.yaml"]\nspecs = ["b.yaml"]\n',
    "non-UTF-8": b'[tool.mongen]\nspecs = ["a\xff.yaml"]\n',
    "dotted table": b'[tool]\nmongen = { specs = ["a.yaml"] }\nx = \n',
}


@pytest.mark.parametrize("case", sorted(BROKEN_PYPROJECTS))
def test_broken_pyproject_that_may_hold_the_table_is_an_error_not_a_fallback(case: str, repo: Path) -> None:
    """In a monorepo a broken sub/pyproject.toml must not silently hand over to the root's config."""
    (repo / "mongen.toml").write_text('specs = ["specs/tts.yaml"]\n')
    (repo / "docs/pyproject.toml").write_bytes(BROKEN_PYPROJECTS[case])
    proc = mongen("generate", "--no-validate", cwd=repo / "docs")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("pyproject.toml:") and "error: <root>: invalid TOML" in proc.stderr, proc.stderr
    assert not (repo / "out").exists()


def test_broken_pyproject_without_mongen_is_left_to_other_tools(repo: Path) -> None:
    (repo / "docs/pyproject.toml").write_text('[project]\nname = "x\n')
    (repo / "mongen.toml").write_text('specs = ["specs/tts.yaml"]\n')
    assert find_config(repo / "docs") == find_config(repo)


def test_broken_pyproject_table_names_the_table_path(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.mongen]\nspecs = ["a.yaml"]\nouts = "o"\n')
    monkeypatch.chdir(repo)
    with pytest.raises(SpecError) as raised:
        find_config(repo)
    assert [str(i) for i in raised.value.issues] == [
        "pyproject.toml:6:1: error: tool.mongen.outs: unknown key `outs`; did you mean `out`? known keys: checks, out, runbooks_url, specs"
    ]


def test_commands_need_no_arguments_with_a_config(repo: Path) -> None:
    (repo / "mongen.toml").write_text('specs = ["specs/tts.yaml"]\nout = "monitoring"\n')
    proc = mongen("generate", "--no-validate", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == f"wrote {EMOTIVOICE_FILES} files to monitoring, not validated (--no-validate)\n"
    # From below the config the paths are found the same; shown absolute, as they are not below.
    proc = mongen("generate", "--no-validate", cwd=repo / "docs")
    assert (
        proc.stderr
        == f"wrote {EMOTIVOICE_FILES} files to {repo.resolve() / 'monitoring'}, not validated (--no-validate)\n"
    )
    assert (
        (repo / "monitoring/prometheus/prometheus.yml")
        .read_text()
        .startswith("# Generated by mongen from specs/tts.yaml. Do not edit")
    )
    assert mongen("generate", "--check", cwd=repo).returncode == 0
    # Drift: the fix suggested is the command as given, from the project config plain `mongen generate`.
    (repo / "monitoring/prometheus/prometheus.yml").write_text("edited\n")
    drift = mongen("generate", "--check", cwd=repo)
    assert drift.returncode == 1
    assert drift.stderr == "monitoring is out of date with specs/tts.yaml; run `mongen generate`\n", drift.stderr
    drift = mongen("generate", "--check", "-o", "monitoring", cwd=repo)
    assert drift.stderr.endswith("; run `mongen generate -o monitoring`\n"), drift.stderr
    assert mongen("generate", "--no-validate", cwd=repo).returncode == 0
    assert mongen("cardinality", cwd=repo).returncode == 0
    lint = mongen("lint", "--no-promtool", cwd=repo)
    assert lint.returncode == 0 and lint.stderr.endswith("0 errors, 0 warnings (spec: specs/tts.yaml)\n"), lint.stdout + lint.stderr


def test_a_missing_spec_of_the_config_is_an_error_at_its_entry(repo: Path) -> None:
    (repo / "mongen.toml").write_text('out = "monitoring"\nspecs = ["specs/tts.yaml", "specs/asr.yaml"]\n')
    for command in (["generate", "--no-validate"], ["lint", "--no-promtool"], ["cardinality"]):
        proc = mongen(*command, cwd=repo / "docs")
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr == (
            f"{repo.resolve() / 'mongen.toml'}:2:1: error: specs[1]: specs/asr.yaml does not exist: paths in "
            f"mongen.toml are relative to its directory ({repo.resolve()}), not to the working directory; "
            "correct the entry\n"
        ), proc.stderr
    assert not (repo / "monitoring").exists()


def test_validate_without_out_says_how_to_give_it(repo: Path) -> None:
    proc = mongen("validate", cwd=repo)
    assert proc.returncode == 2
    assert proc.stderr == (
        "error: out does not exist: with no project config found here or above (up to the git root), validate "
        "reads ./out; pass the output directory `mongen generate` wrote, or create mongen.toml with: "
        'specs = ["path/to/spec.yaml"] and out = "out"\n'
    ), proc.stderr
    (repo / "mongen.toml").write_text('specs = ["specs/tts.yaml"]\nout = "monitoring"\n')
    proc = mongen("validate", cwd=repo)
    assert proc.returncode == 2
    assert proc.stderr == (
        "error: monitoring does not exist (the project config's `out`); pass the output directory, "
        "or write it with `mongen generate`\n"
    ), proc.stderr


def test_no_spec_and_no_config_is_a_usage_error(repo: Path) -> None:
    proc = mongen("generate", cwd=repo)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: no spec given and no project config found"), proc.stderr
    assert 'create mongen.toml with: specs = ["path/to/spec.yaml"]' in proc.stderr


def test_several_specs_generate_one_tree_and_single_spec_commands_need_one_chosen(repo: Path) -> None:
    renamed = SPEC.replace("name: emotivoice", "name: asr").replace("job: emotivoice", "job: asr")
    # Its own metric namespace too: two services of one namespace would record the same series.
    second = renamed.replace("name: Emotivoice", "name: Asr").replace("emoti_voice", "asr_voice")
    (repo / "specs/asr.yaml").write_text(second)
    (repo / "mongen.toml").write_text('specs = ["specs/tts.yaml", "specs/asr.yaml"]\n')
    proc = mongen("generate", "--no-validate", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert (repo / "out/prometheus/rules/asr-recording.yml").is_file()
    assert (repo / "out/prometheus/rules/emotivoice-recording.yml").is_file()
    assert mongen("generate", "--check", cwd=repo).returncode == 0
    lint = mongen("lint", "--no-promtool", cwd=repo)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    single = mongen("lint", "--no-promtool", "--spec", "specs/tts.yaml", cwd=repo)
    assert lint.stderr.split(" rules")[0] == str(2 * int(single.stderr.split(" rules")[0])), lint.stderr
    proc = mongen("cardinality", cwd=repo)  # each spec's table (tests/project/test_project_services.py)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.startswith("2 services, series per instance / budget: ")


def test_check_agrees_for_every_spelling_and_directory_even_after_import(repo: Path) -> None:
    """The issue's done-when: generate once, then --check with other spellings from elsewhere."""
    assert mongen("generate", "specs/tts.yaml", "-o", "out", "--no-validate", cwd=repo).returncode == 0
    # Importing the generated module leaves bytecode next to it.
    module = repo / "out/instrumentation/emotivoice_metrics.py"
    subprocess.run(
        [sys.executable, "-c", "import emotivoice_metrics"],
        cwd=module.parent,
        env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
        check=True,
        capture_output=True,
    )
    assert any((module.parent / "__pycache__").iterdir())
    runs = [
        (repo, "./specs/tts.yaml", "out"),
        (repo, str(repo / "specs/tts.yaml"), str(repo / "out")),
        (repo / "docs", "../specs/tts.yaml", "../out"),
        (repo / "specs", "tts.yaml", "../out"),
    ]
    for cwd, spec, out in runs:
        proc = mongen("generate", spec, "-o", out, "--check", cwd=cwd)
        assert proc.returncode == 0, (cwd, spec, proc.stdout + proc.stderr)
    # A real edit still counts, from the subdirectory too.
    (repo / "specs/tts.yaml").write_text(SPEC.replace("threshold: 4.5", "threshold: 5", 1))
    assert mongen("generate", "../specs/tts.yaml", "-o", "../out", "--check", cwd=repo / "docs").returncode == 1


def test_moving_the_checkout_keeps_the_headers(repo: Path, tmp_path: Path) -> None:
    assert mongen("generate", "specs/tts.yaml", "-o", "out", "--no-validate", cwd=repo).returncode == 0
    moved = tmp_path / "elsewhere/ops"
    shutil.move(repo, moved)
    assert mongen("generate", "specs/tts.yaml", "-o", "out", "--check", cwd=moved).returncode == 0
