"""Hostile values through the whole pipeline, not just the spec layer.

Schema-valid specs are mutated with a hostile alphabet (quotes, backslashes, newlines, `{{`,
`}}`, `%`, NUL, unicode lookalikes, huge numbers). In process, quickly: every mutant is either a
spec error with `FILE:LINE:COL` or a model whose artifacts are well-formed (YAML and JSON load,
the module compiles as UTF-8, every rule parses as PromQL, annotations hold only mongen's own
template actions, the nginx snippet has one directive or brace per line). Then, slowly, a few
accepted mutants carrying hostile text go through the real `mongen generate` with every
validator (promtool, amtool, nginx -t, the module imported): exit 0, never 1 or 70.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import tempfile
import tokenize
from pathlib import Path

import promql_parser
import yaml
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from mongen.errors import SpecError
from mongen.loading import build_spec
from mongen.model import Spec
from mongen.pipeline import render
from mongen.spec.loader import load_yaml
from tests.support import need
from tests.support.hostile import (
    HOSTILE_TOKENS,
    MISSING,
    OWN_ACTIONS,
    SHOWCASE_DOCUMENT,
    document_paths,
    hostile_text,
    hostile_values,
    insert_token,
    replace_at,
    value_at,
)

# The showcase spec, with a description on every alert (the text Prometheus renders as a template).
FUZZ_BASE = {**SHOWCASE_DOCUMENT, "alerts": [{**alert, "description": "See the runbook."} for alert in SHOWCASE_DOCUMENT["alerts"]]}
PATHS = document_paths(FUZZ_BASE)[1:]
# Strings that reach artifacts as text: help, descriptions, label and enum values, aliases.
FREE_TEXT_PATHS = tuple(
    path
    for path in PATHS
    if isinstance(value_at(FUZZ_BASE, path), str)
    and (
        path[-1] in ("help", "description", "auth_username")
        or path[:2] in (("labels", "endpoint"), ("labels", "method"), ("enums", "emotion"))
    )
)
LOCATED = re.compile(r"fuzz\.yaml:\d+:\d+: error: [^\n\r]+")

Edit = tuple[tuple, bool, str, int, object]
edit = st.tuples(
    st.one_of(*[st.sampled_from(FREE_TEXT_PATHS)] * 3, st.sampled_from(PATHS)),  # mostly text that survives
    st.booleans(),
    hostile_text,
    st.integers(0, 80),
    hostile_values,
)
alias_key = st.tuples(hostile_text, st.sampled_from(FUZZ_BASE["enums"]["emotion"]["values"]))


# Survivors: printable hostile text where the spec accepts it (an enum value carries its aliases).
PRINTABLE_TOKENS = tuple(token for token in HOSTILE_TOKENS if token.isprintable())
printable_hostile_text = st.lists(st.sampled_from(PRINTABLE_TOKENS), min_size=1, max_size=3).map("".join)
survivor_edit = st.tuples(
    st.sampled_from([path for path in FREE_TEXT_PATHS if path[0] != "enums"]),
    st.just(True),
    printable_hostile_text,
    st.integers(0, 80),
    st.none(),
)
survivor_alias = st.tuples(
    printable_hostile_text,
    st.sampled_from(FUZZ_BASE["enums"]["emotion"]["values"]),
)


def mutated(edits: list[Edit], aliases: list[tuple[str, str]]) -> str:
    spec: object = FUZZ_BASE
    for path, inside, token, at, replacement in edits:
        current = value_at(spec, path)
        if current is not MISSING:  # an earlier edit may have replaced a parent
            spec = replace_at(spec, path, insert_token(current, token, at) if inside else replacement)
    for key, value in aliases:
        current_aliases = value_at(spec, ("enums", "emotion", "aliases"))
        if isinstance(current_aliases, dict):
            spec = replace_at(spec, ("enums", "emotion", "aliases"), {**current_aliases, key or "_": value})
    return yaml.safe_dump(spec, allow_unicode=True)


def build(text: str) -> Spec | None:
    try:
        return build_spec(load_yaml(text, "fuzz.yaml"))
    except SpecError as exc:
        for issue in exc.issues:
            assert LOCATED.fullmatch(str(issue)), str(issue)
        return None


def _rule_exprs(doc: object) -> list[str]:
    groups = doc.get("groups", []) if isinstance(doc, dict) else []
    return [rule["expr"] for group in groups for rule in group["rules"]]


def check_artifacts(files: dict[str, str]) -> None:
    """What each consumer would choke on, checked in process in a few milliseconds."""
    for path, text in files.items():
        if path.endswith(".yml"):
            doc = yaml.safe_load(text)
            for expr in _rule_exprs(doc):
                promql_parser.parse(expr)
            for group in doc.get("groups", []) if path.startswith("prometheus/rules/") else []:
                for rule in group["rules"]:
                    for annotation in rule.get("annotations", {}).values():
                        assert "{{" not in OWN_ACTIONS.sub("", annotation), annotation
        elif path.endswith(".json"):
            json.loads(text)
        elif path.endswith(".py"):
            compile(text, path, "exec")
            assert tokenize.detect_encoding(io.BytesIO(text.encode()).readline)[0] == "utf-8"
        elif path.endswith(".conf"):
            for line in text.splitlines():
                stripped = line.strip()
                assert not stripped or stripped.startswith("#") or stripped[-1] in "{};", line


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    edits=st.lists(st.one_of(edit, survivor_edit, survivor_edit), min_size=1, max_size=3),
    aliases=st.lists(st.one_of(alias_key, survivor_alias), max_size=1),
)
def test_mutants_are_spec_errors_or_well_formed_artifacts(edits: list[Edit], aliases: list[tuple[str, str]]) -> None:
    spec = build(mutated(edits, aliases))
    if spec is not None:
        check_artifacts(render(spec))


# Two full runs of promtool, amtool, nginx and the module import: ~15 s each on 2 cores.
FULL_RUNS = 2


@settings(
    max_examples=FULL_RUNS,
    derandomize=True,  # the same survivors on every CI run
    deadline=None,
    phases=[Phase.generate],  # a failure names its spec; shrinking would rerun the tools for minutes
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(edits=st.lists(survivor_edit, min_size=3, max_size=4), aliases=st.lists(survivor_alias, min_size=1, max_size=1))
def test_accepted_hostile_mutants_pass_the_real_validators(edits: list[Edit], aliases: list[tuple[str, str]]) -> None:
    text = mutated(edits, aliases)
    assume(build(text) is not None)
    for tool in ("promtool", "amtool", "nginx"):
        need(tool)
    with tempfile.TemporaryDirectory(prefix="mongen-fuzz-") as tmp:
        spec = Path(tmp, "fuzz.yaml")
        spec.write_text(text, "utf-8")
        proc = subprocess.run(
            [sys.executable, "-m", "mongen", "generate", spec.name, "-o", "out"],
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert proc.returncode == 0, f"exit {proc.returncode} for this spec:\n{text}\n{proc.stdout}{proc.stderr}"
