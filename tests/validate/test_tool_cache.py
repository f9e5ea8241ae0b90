"""The rule-test cache: a pass is remembered by the bytes promtool read, and nothing else counts."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from mongen import tool_cache, validate
from mongen.tool_cache import PassCache, default_directory, go_glob
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


def test_a_changed_dot_file_that_promtool_globs_runs_again(fake_promtool: Path, tmp_path: Path) -> None:
    """promtool expands rule_files with Go's filepath.Glob, where `*` matches `.b.yml` too."""
    root = tree(tmp_path / "t")
    (root / "prometheus/rules/.b.yml").write_text("groups: []\n")
    test = root / "prometheus/tests/a.test.yml"
    test.write_text("rule_files: [../rules/*.yml]\ntests: []\n")
    inputs = rule_test_inputs(test)
    assert inputs is not None and sorted(name for name, _ in inputs) == [
        "rules:../rules/.b.yml",
        "rules:../rules/a.yml",
        "test",
    ]
    cache = PassCache(tmp_path / "cache")
    check_rule_tests(root, cache)
    (root / "prometheus/rules/.b.yml").write_text("groups: [] # edited\n")
    check_rule_tests(root, cache)
    assert runs(fake_promtool) == 2


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("*/*.yml", [".d/c.yml", "d/.b.yml", "d/a.yml"]),
        ("d/?b.yml", ["d/.b.yml"]),
        ("d/[^a]*", ["d/.b.yml", "d/x"]),
        ("d/[a-b].yml", ["d/a.yml"]),
        ("d/\\a.yml", ["d/a.yml"]),
        ("d/[\\]a].yml", ["d/a.yml"]),
        ("d/a.yml", ["d/a.yml"]),
        ("d/missing.yml", []),
        ("nowhere/*", []),
        ("d/[]", None),
        ("d/[z-a]", None),
        ("d/a\\", None),
    ],
)
def test_go_glob_matches_as_go_filepath_glob(
    pattern: str, expected: list[str] | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("d/a.yml", "d/.b.yml", "d/x", ".d/c.yml"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).touch()
    monkeypatch.chdir(tmp_path)
    assert go_glob(pattern) == expected


def test_a_pass_is_not_remembered_when_a_file_changed_while_promtool_ran(
    fake_promtool: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tree(tmp_path / "t")
    real_run = validate._run

    def run_and_edit(*args: Any, **kwargs: Any) -> Any:
        proc = real_run(*args, **kwargs)
        (root / "prometheus/rules/a.yml").write_text("groups: [] # edited while promtool ran\n")
        return proc

    monkeypatch.setattr(validate, "_run", run_and_edit)
    cache = PassCache(tmp_path / "cache")
    check_rule_tests(root, cache)
    monkeypatch.setattr(validate, "_run", real_run)
    # promtool may have read the edited bytes: the original ones, back now, were never tested.
    (root / "prometheus/rules/a.yml").write_text("groups: []\n")
    check_rule_tests(root, cache)
    assert runs(fake_promtool) == 2


def test_the_cache_directory_is_created_private(fake_promtool: Path, tmp_path: Path) -> None:
    cache = PassCache(tmp_path / "cache")
    check_rule_tests(tree(tmp_path / "t"), cache)
    assert stat.S_IMODE((tmp_path / "cache").stat().st_mode) == 0o700
    assert any((tmp_path / "cache").rglob("*")), "the pass was not remembered"


def test_a_cache_others_can_write_is_not_trusted(
    fake_promtool: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = PassCache(tmp_path / "cache")
    root = tree(tmp_path / "t")
    check_rule_tests(root, cache)
    (tmp_path / "cache").chmod(0o777)  # anyone could have planted that entry
    check_rule_tests(root, cache)
    check_rule_tests(root, cache)
    assert runs(fake_promtool) == 3
    notes = capsys.readouterr().err.splitlines()
    assert notes == [
        f"note: rule-test cache {tmp_path / 'cache'} not used: group or others can write to it (chmod go-w it); "
        "tests run every time"
    ]


def test_a_cache_of_another_user_is_not_trusted(
    fake_promtool: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = PassCache(tmp_path / "cache")
    root = tree(tmp_path / "t")
    check_rule_tests(root, cache)
    owner = (tmp_path / "cache").stat().st_uid
    monkeypatch.setattr(tool_cache.os, "geteuid", lambda: owner + 1)
    check_rule_tests(root, cache)
    assert runs(fake_promtool) == 2
    assert f"not used: it belongs to user id {owner}, not to you" in capsys.readouterr().err


def test_a_test_file_named_like_an_option_reaches_promtool_as_a_file(fake_promtool: Path, tmp_path: Path) -> None:
    root = tree(tmp_path / "t")
    (root / "prometheus/tests/a.test.yml").rename(root / "prometheus/tests/-a.test.yml")
    assert check_rule_tests(root, PassCache(None)) == []
    assert " test rules ./-a.test.yml " in fake_promtool.read_text()


def test_derived_lines_are_computed_once_per_content_of_their_inputs(tmp_path: Path) -> None:
    """PassCache.derived (the instrumentation runtime's bound names): computed on the first run,
    read back on the next, computed again when any input changes; never kept without a cache."""
    calls: list[str] = []

    def compute(tag: str) -> Any:
        return lambda: calls.append(tag) or [f"{tag}-a", f"{tag}-b"]

    cache = PassCache(tmp_path / "cache")
    assert cache.derived("names", (b"source", b"code"), compute("first")) == ["first-a", "first-b"]
    assert PassCache(tmp_path / "cache").derived("names", (b"source", b"code"), compute("again")) == [
        "first-a",
        "first-b",
    ]
    assert cache.derived("names", (b"source", b"changed code"), compute("new")) == ["new-a", "new-b"]
    assert cache.derived("names", (b"sourcecode",), compute("joined")) == ["joined-a", "joined-b"]
    assert calls == ["first", "new", "joined"]
    off = PassCache(None)
    assert [off.derived("names", (b"x",), compute(f"off{i}")) for i in range(2)] == [
        ["off0-a", "off0-b"],
        ["off1-a", "off1-b"],
    ]


def test_the_runtime_names_read_back_are_the_ones_parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mongen.generators import instrumentation

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    parsed = instrumentation._bound_names(instrumentation.runtime_source(nvml=True))
    assert {"CollectorRegistry", "Counter"} <= parsed
    for _ in range(2):
        instrumentation.runtime_names.cache_clear()
        assert instrumentation.runtime_names() == parsed
    assert len(list((tmp_path / "mongen/runtime-names").iterdir())) == 1


def test_a_pass_planted_where_the_checked_cache_was_swapped_is_not_believed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone who can write where the cache directory lies swaps it for a link to their own one,
    holding a planted pass, right after mongen checked it: the verdict is read from the directory
    checked (held open), not from the path looked up again, so the failing test still runs."""
    root, evil = tmp_path / "cache", tmp_path / "evil"
    cache = PassCache(root)
    key = "ab" + "0" * 62
    cache.remember("run", "cd" + "0" * 62)  # the real cache exists and is private
    (evil / "run" / key[:2]).mkdir(parents=True)
    (evil / "run" / key[:2] / key).touch()
    for folder in (evil, evil / "run", evil / "run" / key[:2]):
        folder.chmod(0o777)  # not trusted, were it checked
    checked = root.stat().st_ino
    swapped: list[bool] = []

    def swap_after(function: Any) -> Any:
        def look(*args: Any, **kwargs: Any) -> Any:
            info = function(*args, **kwargs)
            if not swapped and getattr(info, "st_ino", None) == checked:
                swapped.append(True)  # the cache directory was just checked: swap now
                root.rename(tmp_path / "moved")
                root.symlink_to(evil)
            return info

        return look

    saved = {name: getattr(os, name) for name in ("stat", "fstat")}
    try:
        for name, function in saved.items():
            monkeypatch.setattr(os, name, swap_after(function))
        believed = cache.passed("run", key)
    finally:
        for name, function in saved.items():
            monkeypatch.setattr(os, name, function)
    assert swapped, "the test did not reach the window between check and read"
    assert not believed
