"""The rule-test cache: a pass is remembered by the bytes promtool read, and nothing else counts."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from mongen.tool_cache import PassCache, default_directory
from mongen.validate import check_rule_tests, rule_test_inputs

# Stands in for promtool: logs each run and fails when the test file says so.
FAKE_PROMTOOL = """#!/bin/sh
echo "$PWD $* GOGC=$GOGC GOMAXPROCS=$GOMAXPROCS" >> "$PROMTOOL_LOG"
if grep -q FAIL "$3"; then echo "FAILED: $3"; exit 1; fi
echo SUCCESS
"""


@pytest.fixture
def fake_promtool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    promtool = bin_dir / "promtool"
    promtool.write_text(FAKE_PROMTOOL)
    promtool.chmod(promtool.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "promtool.log"
    log.touch()
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("PROMTOOL_LOG", str(log))
    return log


def tree(root: Path, test: str = "tests: []\n", rules: str = "groups: []\n") -> Path:
    (root / "prometheus/tests").mkdir(parents=True, exist_ok=True)
    (root / "prometheus/rules").mkdir(parents=True, exist_ok=True)
    (root / "prometheus/rules/a.yml").write_text(rules)
    (root / "prometheus/tests/a.test.yml").write_text(f"rule_files: [../rules/a.yml]\n{test}")
    return root


def runs(log: Path) -> int:
    return len(log.read_text().splitlines())


def test_an_unchanged_test_is_not_run_again_even_in_another_directory(fake_promtool: Path, tmp_path: Path) -> None:
    cache = PassCache(tmp_path / "cache")
    assert check_rule_tests(tree(tmp_path / "one"), cache) == []
    assert runs(fake_promtool) == 1
    assert check_rule_tests(tree(tmp_path / "one"), cache) == []
    # generate validates in a new temporary directory every time: same bytes, same key.
    assert check_rule_tests(tree(tmp_path / "two"), cache) == []
    assert runs(fake_promtool) == 1


def test_a_changed_test_or_rule_file_runs_again(fake_promtool: Path, tmp_path: Path) -> None:
    cache = PassCache(tmp_path / "cache")
    check_rule_tests(tree(tmp_path / "t"), cache)
    check_rule_tests(tree(tmp_path / "t", rules="groups: [] # edited\n"), cache)
    assert runs(fake_promtool) == 2
    check_rule_tests(tree(tmp_path / "t", test="tests: [] # edited\n", rules="groups: [] # edited\n"), cache)
    assert runs(fake_promtool) == 3


def test_a_failure_is_never_remembered(fake_promtool: Path, tmp_path: Path) -> None:
    cache = PassCache(tmp_path / "cache")
    root = tree(tmp_path / "t", test="# FAIL\ntests: []\n")
    for expected_runs in (1, 2):
        findings = check_rule_tests(root, cache)
        assert [f.check for f in findings] == ["promtool-test"]
        assert "FAILED" in findings[0].message
        assert runs(fake_promtool) == expected_runs


def test_another_promtool_binary_is_another_key(fake_promtool: Path, tmp_path: Path) -> None:
    cache = PassCache(tmp_path / "cache")
    check_rule_tests(tree(tmp_path / "t"), cache)
    promtool = next(p for p in os.environ["PATH"].split(os.pathsep) if (Path(p) / "promtool").exists())
    (Path(promtool) / "promtool").write_text(FAKE_PROMTOOL + "# upgraded\n")
    check_rule_tests(tree(tmp_path / "t"), cache)
    assert runs(fake_promtool) == 2


def test_a_test_whose_inputs_cannot_be_told_always_runs(fake_promtool: Path, tmp_path: Path) -> None:
    root = tree(tmp_path / "t")
    (root / "prometheus/tests/a.test.yml").write_text("rule_files: [../rules/missing.yml]\ntests: []\n")
    assert rule_test_inputs(root / "prometheus/tests/a.test.yml") is None
    cache = PassCache(tmp_path / "cache")
    check_rule_tests(root, cache)
    check_rule_tests(root, cache)
    assert runs(fake_promtool) == 2


def test_no_cache_runs_every_time(fake_promtool: Path, tmp_path: Path) -> None:
    root = tree(tmp_path / "t")
    check_rule_tests(root, PassCache(None))
    check_rule_tests(root, PassCache(None))
    assert runs(fake_promtool) == 2


def test_the_cache_directory_follows_xdg_and_can_be_turned_off(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MONGEN_NO_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_directory() == tmp_path / "xdg/mongen"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/dir")  # the XDG spec says to ignore it
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_directory() == tmp_path / "home/.cache/mongen"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_directory() == tmp_path / "home/.cache/mongen"
    monkeypatch.setenv("MONGEN_NO_CACHE", "1")
    assert default_directory() is None


def test_an_unwritable_cache_only_costs_the_speed_up(fake_promtool: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache directory should be")
    root = tree(tmp_path / "t")
    assert check_rule_tests(root, PassCache(blocker)) == []
    assert check_rule_tests(root, PassCache(blocker)) == []
    assert runs(fake_promtool) == 2


def test_rule_tests_run_with_less_go_gc_unless_the_user_says_otherwise(
    fake_promtool: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GOGC", raising=False)
    monkeypatch.delenv("GOMAXPROCS", raising=False)
    check_rule_tests(tree(tmp_path / "t"), PassCache(None))
    assert fake_promtool.read_text().split()[-2:] == ["GOGC=400", "GOMAXPROCS=1"]
    monkeypatch.setenv("GOGC", "50")
    check_rule_tests(tree(tmp_path / "t"), PassCache(None))
    assert fake_promtool.read_text().split()[-2:] == ["GOGC=50", "GOMAXPROCS=1"]
