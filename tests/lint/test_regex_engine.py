"""Rule-file regexes as Prometheus reads them (mongen/lint/label_regex.py): RE2 in linear time, Go's
syntax, full anchoring. promtool is the referee: on patterns Python's `re` and RE2 read
differently, lint and promtool agree on which are valid and on which values each one matches."""

from __future__ import annotations

import json
import re
import subprocess
import time
import warnings
from pathlib import Path

import pytest
import yaml

from mongen.label_regex import BUDGET, RegexBudget, label_regex
from mongen.lint.runner import lint
from mongen.loading import load_spec
from mongen.promql_tree import parse
from tests.support import need

_SPEC = """\
version: 1
service: {name: tiny, namespace: tiny}
scrape: {static_targets: ["127.0.0.1:8001"]}
labels:
  endpoint: {values: [/a, /b, aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, other], fallback: other}
metrics:
  - {name: tiny_requests_total, type: counter, help: Requests., labels: [endpoint]}
"""

# Patterns Go refuses that Python's `re` compiles (or the other way round).
_GO_REFUSES = [
    r"(a)\1",  # backreference
    r"(?=a)a",  # lookahead
    r"(?<=a)b",  # lookbehind
    r"a\Z",  # Python's end of string
    r"a*+",  # possessive (Python 3.11)
    r"a{1001}",  # Go's repeat limit
    r"(a{100}){20}",  # nested repeats past 1000
    r"[[:foo:]]",  # unknown POSIX class
    r"\C",  # RE2 accepts it, Go does not
    r"(?#comment)a",
    r"(?x) a",
    r"a)|(b",  # balanced only once anchored
]
# Patterns Go accepts, with values each side reads differently: (pattern, values).
_GO_ACCEPTS = [
    (r"a{,3}", ["a{,3}", "aa", "a"]),  # Python: up to three a's; Go: the literal text
    (r"[[:alpha:]]+", ["abc", ":]", "a1"]),
    (r"\Q.*\E", [".*", "ab"]),
    (r"\x{41}b", ["Ab", "x{41}b"]),
    (r"\pL+", ["héllo", "123"]),
    (r"a\z", ["a"]),
    (r"\d+", ["123", "١٢٣"]),  # Python: any Unicode digit; Go: ASCII only
    (r"\w+", ["abc", "é"]),
    (r"\s", [" ", "\u00a0", "\u2003"]),
    (r"(?P<n>a)b", ["ab"]),
    (r"(?U)a+b", ["aab"]),
    (r"(?i)straße", ["STRASSE", "Straße"]),
    (r"(.|.|.|.|.|.|.|.)*Z", ["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "xZ"]),
    (r"a|ab", ["ab", "a"]),
    (r"5..", ["500", "5000", "x500"]),
]


def _promql_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _rule_file(path: Path, exprs: list[str]) -> Path:
    rules = [{"record": f"job:r{i}:sum", "expr": expr} for i, expr in enumerate(exprs)]
    path.write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": rules}]}, width=10**9, allow_unicode=True))
    return path


def test_a_backtracking_regex_is_linted_in_linear_time(tmp_path: Path) -> None:
    """`(.|.|...)*Z` against a 40-character declared value took Python's `re` minutes; RE2 reads it
    in microseconds, and the finding is the ordinary one."""
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(_SPEC)
    spec = load_spec(spec_file)
    rules = _rule_file(
        tmp_path / "rules.yml", ['sum by (job) (rate(tiny_requests_total{endpoint=~"(.|.|.|.|.|.|.|.)*Z"}[5m]))']
    )
    start = time.process_time()  # CPU time: the machine's load does not count
    result = lint(spec, [rules], run_promtool=False)
    assert time.process_time() - start < 1.0
    assert [(f.check, f.line) for f in result.findings] == [("unknown-label-value", 4)]
    assert "matches none of" in result.findings[0].message


def test_promtool_and_lint_agree_on_which_regexes_are_valid(tmp_path: Path) -> None:
    patterns = _GO_REFUSES + [p for p, _ in _GO_ACCEPTS]
    exprs = [f"x{{l=~{_promql_string(p)}}}" for p in patterns]
    rules = _rule_file(tmp_path / "rules.yml", exprs)
    checked = subprocess.run(
        [need("promtool"), "check", "rules", str(rules)], capture_output=True, text=True, check=False
    )
    promtool_refuses = {int(n) - 1 for n in re.findall(r"rule (\d+),", checked.stdout + checked.stderr)}
    result = lint(None, [rules], run_promtool=False)
    lint_refuses = {f.line - 4 for f in result.findings if f.check == "promql-parse"}  # 2 lines a rule, from 4
    lint_refuses = {line // 2 for line in lint_refuses}
    expected = set(range(len(_GO_REFUSES)))
    assert promtool_refuses == expected
    assert lint_refuses == expected
    python_refuses = {i for i, p in enumerate(patterns) if _python_refuses(p)}
    assert python_refuses != expected  # the set is one where Python would have judged otherwise


def _python_refuses(pattern: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # `[[:` : "possible nested set"
            re.compile(pattern)
    except re.error:
        return True
    return False


def test_promtool_and_lint_agree_on_what_each_regex_matches(tmp_path: Path) -> None:
    """A promtool unit test whose expected samples are exactly the values lint says each regex
    matches: promtool passes only if Prometheus matches the same ones."""
    values = sorted({v for _, vs in _GO_ACCEPTS for v in vs})
    series = [{"series": f"x{{l={_promql_string(v)}}}", "values": "1"} for v in values]
    cases = []
    disagreements_with_python = 0
    for pattern, _ in _GO_ACCEPTS:
        compiled = label_regex(pattern)
        assert not compiled.error, pattern
        matched = [v for v in values if compiled.fullmatch(v)]
        if "(.|" not in pattern:  # Python's `re` would take minutes on that one: the attack itself
            disagreements_with_python += _python_matches(pattern, values) != matched
        cases.append(
            {
                "expr": f"x{{l=~{_promql_string(pattern)}}}",
                "eval_time": "0m",
                "exp_samples": [{"labels": f"x{{l={_promql_string(v)}}}", "value": 1} for v in matched],
            }
        )
    (tmp_path / "empty.yml").write_text("groups: []\n")
    test = {
        "rule_files": ["empty.yml"],
        "tests": [{"interval": "1m", "input_series": series, "promql_expr_test": cases}],
    }
    (tmp_path / "test.yml").write_text(yaml.safe_dump(test, allow_unicode=True, width=10**9))
    run = subprocess.run(
        [need("promtool"), "test", "rules", "test.yml"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert disagreements_with_python >= 10  # Python's `re` would have got most of these wrong


def _python_matches(pattern: str, values: list[str]) -> list[str] | None:
    try:
        return [v for v in values if re.fullmatch(pattern, v)]
    except re.error:
        return None


def test_regex_matchers_keep_their_operator_and_value_through_the_fast_parse() -> None:
    """lint hands promql-parser regex matchers spelled as equality matchers (so it does not compile
    them); the tree still has the operator, the unescaped value and promql-parser's own checks."""
    tree = parse(r"""x{a=~"5..", b !~ "x\\d", c="=~"} / on(a) y{d=~'\\.'}""")
    assert [(m.name, m.op, m.value) for s in tree.selectors for m in s.matchers] == [
        ("a", "=~", "5.."),
        ("b", "!~", r"x\d"),
        ("c", "=", "=~"),
        ("d", "=~", r"\."),
    ]
    for bad, message in [
        ('{l=~".*"}', "at least one non-empty matcher"),
        ('{l!~"x"}', "at least one non-empty matcher"),
        ('foo{__name__=~"x"}', "set twice"),
        ('x{l=~"(a)\\\\1"}', "invalid escape sequence"),
    ]:
        with pytest.raises(ValueError, match=message):
            parse(bad)


def test_the_regex_budget_turns_the_rest_of_a_file_into_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the per-file budget, regexes not compiled yet are a finding, not more work."""
    budget = RegexBudget(seconds=0.001)
    assert budget.compile("f.yml", "budget-first-[a-z]{3}") is not None
    budget.add("f.yml", 0.001)
    assert budget.compile("f.yml", "budget-second-[a-z]{3}") is None
    assert budget.compile("g.yml", "budget-second-[a-z]{3}") is not None  # another file's budget
    rules = _rule_file(tmp_path / "rules.yml", [f'x{{l=~"budget-{i}-[a-z]+"}}' for i in range(3)])
    monkeypatch.setattr(BUDGET, "seconds", 0.0)
    result = lint(None, [rules], run_promtool=False, processes=1)
    assert [f.check for f in result.findings] == ["promql-parse"] * 3
    assert all("regex time budget" in f.message for f in result.findings)


def test_many_slow_to_compile_regexes_cost_the_budget_not_minutes(tmp_path: Path) -> None:
    """`[\\pL\\pN]{N}` is 15 characters and takes RE2 ~0.2 s to compile; 150 distinct ones would take
    ~30 s. The program-size cap refuses them early and the file's budget stops whatever is left at
    about 2 s: every one is a finding, none costs minutes."""
    exprs = [f'x{{l=~"[\\\\pL\\\\pN]{{{n}}}"}}' for n in range(100, 250)]
    rules = _rule_file(tmp_path / "rules.yml", exprs)
    start = time.process_time()
    result = lint(None, [rules], run_promtool=False, processes=1)
    assert time.process_time() - start < 10
    refused = ("regex time budget", "too large to compile")
    assert sum(any(r in f.message for r in refused) for f in result.findings) > 100
