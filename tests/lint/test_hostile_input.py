"""lint on hostile rule files and file systems: deep and long expressions, alias
bombs, odd file types, undecodable files, revisions that look like options, file names that
would forge workflow commands. Each is a finding or a usage error, never a crash, a hang or
gigabytes."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from mongen.errors import Finding
from mongen.lint.runner import lint
from mongen.promql_tree import MAX_DEPTH
from tests.support import ROOT

# Far above what lint needs on these files (~40 MB), far below what the old recursion took (6.5 GB).
_ADDRESS_SPACE = 1 << 30


def _rules_file(path: Path, *exprs: str) -> Path:
    rules = [{"record": f"job:r{i}:sum", "expr": expr} for i, expr in enumerate(exprs)]
    path.write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": rules}]}, width=10**9))
    return path


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (_ADDRESS_SPACE, _ADDRESS_SPACE))


def _cli(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mongen", "lint", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,  # a bound on a hang, not a timing assertion
        check=False,
        preexec_fn=_limited,
        env=env,
    )


def test_deep_and_long_expressions_are_findings_in_bounded_memory(tmp_path: Path) -> None:
    """A 500-term `or`, 500 and 10,000 nested parentheses and a 4,000-term `or` crashed lint
    (RecursionError), took 3.8-6.5 GB or overflowed promql-parser's stack; a 200-term `or` is
    still checked."""
    exprs = (
        " or ".join(f'up{{instance="{i}"}}' for i in range(500)),
        "(" * 500 + "up" + ")" * 500,
        "(" * 10_000 + "up" + ")" * 10_000,
        " or ".join("up" for _ in range(4000)),
        "sum(" * 300 + "up" + ")" * 300,
        " or ".join(f'up{{instance="{i}"}}' for i in range(200)),
    )
    path = _rules_file(tmp_path / "deep.yml", *exprs)
    temp = tmp_path / "temp"
    temp.mkdir()
    proc = _cli("--no-promtool", str(path), env={**os.environ, "TMPDIR": str(temp)})
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert [line.split(" [")[1].split("]")[0] for line in lines] == ["expression-too-deep"] * 5
    assert [int(line.split(":")[1]) for line in lines] == [4, 6, 8, 10, 12]
    assert list(temp.iterdir()) == []  # nothing left behind


@settings(max_examples=40, deadline=None)
@given(
    shape=st.lists(
        st.sampled_from(["paren", "sum", "neg", "or", "plus", "subquery", "abs", "and_on"]), min_size=0, max_size=400
    )
)
def test_no_expression_shape_crashes_lint(shape: list[str]) -> None:
    """Any mix of nesting: either checked or one expression-too-deep finding; the bound lint
    computes from the text is never below the tree's real depth."""
    expr = "up"
    for step in shape:
        expr = {
            "paren": f"({expr})",
            "sum": f"sum by (job) ({expr})",
            "neg": f"-{expr}",
            "or": f"{expr} or up",
            "plus": f"up + {expr}",
            "subquery": f"max_over_time(({expr})[5m:1m])",
            "abs": f"abs({expr})",
            "and_on": f"{expr} and on (job) up",
        }[step]
    from mongen.promql_tree import TooDeep, depth_bound, parse

    try:
        tree = parse(expr)
    except TooDeep:
        pass
    else:
        depth = max(1 + sum(1 for _ in _ancestors(node)) for node in tree.nodes)
        assert depth <= depth_bound(expr) and depth <= MAX_DEPTH
    with tempfile.TemporaryDirectory() as tmp:
        findings = lint(None, [_rules_file(Path(tmp) / "r.yml", expr)], run_promtool=False).findings
    assert {f.check for f in findings} <= {"expression-too-deep", "vector-matching", "impossible-matching"}


def _ancestors(node: object) -> list[object]:
    out, parent = [], getattr(node, "parent", None)
    while parent is not None:
        out.append(parent)
        parent = parent.parent
    return out


def _alias_bomb(levels: int = 9) -> str:
    """The billion-laughs shape in a rule file: each level lists the one before nine times."""
    lines = ['a0: &a0 {record: "job:x:sum", expr: "sum(up)"}']
    for level in range(1, levels + 1):
        lines.append(f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * 9)}]")
    lines.append(f"groups: [{{name: g, rules: *a{levels}}}]")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_like_promtools_excessive_aliasing(tmp_path: Path) -> None:
    bomb = tmp_path / "rules/bomb.yml"
    bomb.parent.mkdir()
    bomb.write_text(_alias_bomb())  # 387,420,489 rules once expanded, under 1 KB
    for named in (bomb, bomb.parent):  # also inside a directory, where YAML without rules is skipped
        proc = _cli("--no-promtool", str(named))
        assert proc.returncode == 1
        assert proc.stdout.startswith(
            f"{bomb}:5:15: error [rule-file] the aliases expand to more than 10000 values (excessive aliasing)"
        )
        assert proc.stdout.count("\n") == 1


def test_merge_keys_on_many_rules_are_no_excessive_aliasing(tmp_path: Path) -> None:
    """What real rule repositories do with aliases: defaults merged into every rule."""
    rules = "".join(f"  - <<: *defaults\n    alert: A{i}\n    expr: up{{instance='{i}'}} == 0\n" for i in range(3000))
    path = tmp_path / "merged.yml"
    defaults = "    for: 5m\n    labels: {severity: page, team: tts}\n    annotations: {summary: s, description: d}\n"
    path.write_text(
        f"groups:\n- name: g\n  rules:\n  - &defaults\n    alert: First\n    expr: up == 0\n{defaults}{rules}"
    )
    result = lint(None, [path], run_promtool=False)
    assert result.rules == 3001 and result.findings == []


def test_odd_files_in_a_directory_are_one_finding_each_and_the_rest_is_linted(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    os.mkfifo(rules / "x.yml")  # reading it would block forever
    (rules / "zero.yml").symlink_to("/dev/zero")  # reading it would never end
    (rules / "latin1.yml").write_bytes(b"groups:\n- name: g\n  rules:\n  - record: caf\xe9\n    expr: up\n")
    (rules / "loop.yml").symlink_to(rules / "loop.yml")
    (rules / "prometheus.yml").write_text("global: {scrape_interval: 30s}\n")  # no rules: skipped
    _rules_file(rules / "ok.yml", "sum(up)")  # `job:r0:sum` from `sum(up)`: a label it lacks
    (rules / "uses.yml").write_text(
        "groups:\n- name: g\n  rules:\n  - record: job:x:sum\n    expr: sum by (job) (job:r0:sum)\n"
    )
    proc = _cli("--no-promtool", str(rules))
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.splitlines() == [
        f"{rules}/latin1.yml:4:16: error [rule-file] not UTF-8 text: byte 0xe9 cannot start or continue a "
        "character here; Prometheus reads rule files as UTF-8",
        f"{rules}/loop.yml:1:1: error [rule-file] cannot read the file: Too many levels of symbolic links",
        f"{rules}/uses.yml:5:11: error [unknown-label] `sum by (job)`: the input has no label `job`; it has: none",
        f"{rules}/x.yml:1:1: error [rule-file] not a regular file but a named pipe; lint reads only regular files",
        f"{rules}/zero.yml:1:1: error [rule-file] not a regular file but a character device; lint reads only regular files",
    ]


def test_a_revision_that_looks_like_an_option_never_reaches_git(tmp_path: Path) -> None:
    repo = tmp_path / "ops"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me\n")
    rules = _rules_file(repo / "rules.yml", "sum(up)")
    for revision in (f"--output={precious}", "-p", "HEAD --output=x", "HEAD\n", "no-such-branch"):
        proc = _cli("--no-promtool", f"--diff-base={revision}", str(rules))
        assert proc.returncode == 2, (revision, proc.stdout, proc.stderr)
        assert proc.stderr.startswith("error: --diff-base ") and proc.stdout == ""
    assert precious.read_text() == "keep me\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ops", "precious.txt"]


def test_github_annotations_escape_file_names_that_would_forge_commands(tmp_path: Path) -> None:
    from mongen.lint.report import render

    finding = Finding("a\n::error file=x::forged,b:c.yml", 3, 1, "warning", "short-range", "50%\r\ndone")
    assert render([finding], "github") == (
        "::warning file=a%0A%3A%3Aerror file=x%3A%3Aforged%2Cb%3Ac.yml,line=3,col=1,title=short-range::50%25%0D%0Adone\n"
    )
    # The text format escapes the CR and indents the message's continuation line (errors.message_text).
    assert render([finding], "text") == "a\\n::error file=x::forged,b:c.yml:3:1: warning [short-range] 50%\\r\n  done\n"
    # Through the command, with a real file of that name.
    path = tmp_path / "a\n::error file=x::forged.yml"
    path.write_text("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    labels: {severity: page}\n    annotations: {summary: s}\n")
    proc = _cli("--no-promtool", "--format", "github", str(path))
    assert proc.returncode == 0 and proc.stdout.count("\n") == 1 and proc.stdout.startswith("::warning file=")
