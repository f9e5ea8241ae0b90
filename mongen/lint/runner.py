"""Lint a set of rule files, against the spec or without one: reads the inputs, runs every check of
the registry (checks/__init__.py) that can run, applies suppressions and the `--diff-base` filter,
and adds promtool's verdict."""

from __future__ import annotations

import difflib
import gc
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from mongen import layout
from mongen.errors import Finding, SourceMap
from mongen.layout import shown_path
from mongen.lint import workers
from mongen.lint.checks import (
    CHECKS,
    RULE_CHECKS,
    RULE_SET_CHECKS,
    SPEC_CHECKS,
    ExpressionTooDeep,
    NotARuleFile,
    PromqlParse,
    SuppressionComment,
)
from mongen.lint.checks.base import Check
from mongen.lint.checks.ignored_document import IGNORED_DOCUMENT_MESSAGE, IgnoredDocument
from mongen.lint.context import KnownRecorded, LintContext, LintOptions, output_labels, spec_tuple
from mongen.lint.gitdiff import changed_lines
from mongen.lint.rulefiles import Rule, RuleFile, collect_files, read_rule_file
from mongen.lint.suppressions import FORM
from mongen.model import Spec
from mongen.writer import write_tree

Changed = dict[str, set[int] | None]  # rule file -> lines changed since --diff-base (None: all new)
_CHECK_IDS = frozenset(check.id for check in CHECKS)


@dataclass
class LintResult:
    findings: list[Finding]
    files: int
    rules: int
    silenced: int = 0  # findings the project config turned off or scoped away

    @property
    def failed(self) -> bool:
        return any(f.severity == "error" for f in self.findings)


def lint(
    specs: Spec | Sequence[Spec] | None,
    paths: list[Path],
    diff_base: str | None = None,
    run_promtool: bool = True,
    processes: int = 0,
    options: LintOptions | None = None,
    out: Path | None = None,
) -> LintResult:
    """`mongen lint`: the files and directories in `paths` against every spec in `specs` (each
    series belongs to the spec declaring it; what the specs' generated rules record is known), or
    with no paths the one spec's own generated rules (and their promtool tests), named as the files
    they are in the output directory `out` (relative to the working directory) where it holds them.
    Without a spec, only the checks that need none run."""
    with _without_gc():
        # Every rule is dropped (and freed) when _lint returns, before the collector is back on.
        return _lint(spec_tuple(specs), paths, diff_base, run_promtool, processes, options, out)


def _lint(
    all_specs: tuple[Spec, ...],
    paths: list[Path],
    diff_base: str | None,
    run_promtool: bool,
    processes: int,
    options: LintOptions | None,
    out: Path | None,
) -> LintResult:
    with tempfile.TemporaryDirectory(prefix="mongen-lint-") as tmp:
        known = None
        if not paths:
            if len(all_specs) != 1:
                raise ValueError("give rule files or directories to lint, or --spec to lint the spec's own rules")
            spec = all_specs[0]
            from mongen.generators.rule_tests import generate as generate_tests
            from mongen.generators.rules import generate as generate_rules

            write_tree(Path(tmp), {**generate_rules(spec), **generate_tests(spec)})
            files = collect_files([Path(tmp) / layout.RULES_DIR])
            # Every generated file, the promtool tests included, is named as its copy in `out`.
            display = {f: _generated_name(f.relative_to(tmp), out) for f in Path(tmp).rglob("*") if f.is_file()}
        else:
            files = collect_files(paths)
            display = {f: str(f) for f in files}
            known = known_recorded(all_specs)
        named = set(paths)
        rule_files: list[RuleFile] = []
        checked: list[Path] = []
        for path in files:
            rule_file = read_rule_file(path, display[path])
            if rule_file.error and not rule_file.refused and path not in named and not rule_file.rules:
                continue  # a directory may hold other YAML (prometheus.yml, tests)
            rule_files.append(rule_file)
            if not rule_file.error:
                checked.append(path)
        changed = None
        if diff_base is not None:  # "" is a revision given empty, refused by changed_lines
            changed = {display[p]: lines for p, lines in changed_lines(diff_base, checked).items()}
        findings = lint_files(all_specs, rule_files, changed, processes, options, known)
        for spec in reversed(all_specs):
            findings = spec_findings(spec, spec.source_map or SourceMap(spec.source)) + findings
        if run_promtool:
            from mongen.lint.promtool import promtool_findings  # subprocess pools and caches, only when asked for

            findings += promtool_findings(checked, display, Path(tmp) if not paths else None)
        kept, silenced = (options or LintOptions()).checks.apply(findings)
        result = LintResult(kept, len(rule_files), sum(len(f.rules) for f in rule_files), silenced)
        _unlink(rule_files)
        return result


def _unlink(rule_files: list[RuleFile]) -> None:
    """Drop the parent links of every parsed tree: without these cycles, the trees are freed as
    soon as they are dropped, not by a collector pass over them all (0.1-0.2 s on 10,000 rules)."""
    for rule_file in rule_files:
        for rule in rule_file.rules:
            for node in rule.nodes:
                node.parent = None


def spec_findings(spec: Spec, doc: SourceMap) -> list[Finding]:
    """The spec checks, each finding at the position in `doc` (the spec's source map) of the value it names."""
    out = []
    for check in SPEC_CHECKS:
        for path, message in check.check(spec):
            loc = doc.locate(path)
            out.append(Finding(doc.file, loc.line, loc.col, check.severity, check.id, message))
    return out


def _generated_name(relative: Path, out: Path | None) -> str:
    """A generated file's name in findings: the file in the output directory when there is one
    (so that an editor or a GitHub annotation opens it), else its path inside the output tree."""
    if out is not None and (out / relative).is_file():
        return shown_path(out / relative)
    return relative.as_posix()


def known_recorded(specs: Sequence[Spec]) -> KnownRecorded:
    """What each spec's generated rules record, with the labels their expressions keep (worked out
    as lint works out the rule files' own): a team's rules may read them without the generated
    files in the run. Built from the rule set itself, not from rendered files (rendering imports
    every generator: a second per run)."""
    from mongen.rules.ruleset import rule_set

    known = KnownRecorded()
    for spec in specs:
        files = layout.rule_files(spec.service)
        rules: list[Rule] = []
        where: dict[str, str] = {}
        for group in rule_set(spec).recording_groups:
            path = files["recording"] if group is rule_set(spec).recording else files["slos"]
            for rule in group.rules:
                number = len(rules) + 1  # stands in for a line; findings here are never reported
                rules.append(Rule(path, "record", rule.record, rule.expr, number, 1, number, number))
                rules[-1].labels = dict(rule.labels)
                where[rule.record] = f"{path} (generated from {spec.source})"
        ctx = LintContext((spec,))
        ctx.set_recorded({r.name: set() for r in rules})
        recorded, sums = workers.second_pass(ctx, rules, workers.first_pass(ctx, rules, 0, len(rules)))
        for name, shapes in recorded.items():
            known.recorded.setdefault(name, set()).update(shapes)
            # A name several specs record (the `slo:*` series) belongs to none of them.
            known.owner[name] = spec if name not in known.owner else None
        known.sums.update({name: where[name] for name in sums})
    return known


def lint_files(
    spec: Spec | Sequence[Spec] | None,
    files: list[RuleFile],
    changed: Changed | None = None,
    processes: int = 0,
    options: LintOptions | None = None,
    known: KnownRecorded | None = None,
) -> list[Finding]:
    """Every rule and rule-set check on the rules of `files`, sorted by position (see workers.py
    for how recorded series are resolved and how many rules are split across processes)."""
    rules = [r for f in files for r in f.rules]
    findings = [Finding(f.path, f.error_line, f.error_col, "error", NotARuleFile.id, f.error) for f in files if f.error]
    findings += [
        Finding(f.path, f.ignored_from, 1, IgnoredDocument.severity, IgnoredDocument.id, IGNORED_DOCUMENT_MESSAGE)
        for f in files
        if f.ignored_from is not None
    ]
    for rule_file in files:
        findings += _suppression_findings(rule_file)
    share = partial(_check_share, changed=changed)
    findings += workers.check_rules(spec, rules, share, processes, options, known)
    runs = (options or LintOptions()).runs
    for check in RULE_SET_CHECKS:
        if (spec_tuple(spec) or not check.needs_spec) and runs(check.id, check.enabled_by_default):
            for rule, message in check.check(rules):
                _report(findings, check, rule, message, changed)
    return sorted(set(findings), key=lambda f: (f.file, f.line, f.col, f.check, f.message))


def _suppression_findings(rule_file: RuleFile) -> Iterator[Finding]:
    check = SuppressionComment
    for comment in rule_file.suppressions:
        if not comment.ids:
            message = f"not a suppression lint understands; write {FORM}"
            yield Finding(rule_file.path, comment.line, comment.col, check.severity, check.id, message)
        for unknown in (i for i in comment.ids if i not in _CHECK_IDS):
            close = difflib.get_close_matches(unknown, sorted(_CHECK_IDS), n=1)
            hint = f"did you mean `{close[0]}`?" if close else "the ids are listed in docs/lint-rules.md"
            message = f"`{unknown}` is not a lint check, so nothing is suppressed; {hint}"
            yield Finding(rule_file.path, comment.line, comment.col, check.severity, check.id, message)
    for comment in rule_file.unattached:
        if comment.ids:
            message = "this suppression is inside no rule and right above none, so it applies to nothing"
            yield Finding(rule_file.path, comment.line, comment.col, check.severity, check.id, message)


def _check_share(ctx: LintContext, rules: list[Rule], lo: int, hi: int, changed: Changed | None) -> list[Finding]:
    """The rule checks on rules[lo:hi], after setting each rule's `result` (its output labels)."""
    share = rules[lo:hi]
    findings = [
        Finding(r.file, r.line, r.col, "error", ExpressionTooDeep.id if r.too_deep else PromqlParse.id, _parse(r))
        for r in share
        if r.parse_error
    ]
    for rule in share:
        rule.result = output_labels(ctx, rule.expr) if rule.expr is not None else None
    # The rules each check looks at, by the kinds it takes and whether it needs an expression.
    shares: dict[tuple[tuple[str, ...], bool], list[Rule]] = {}
    for check in RULE_CHECKS:
        if (not ctx.specs and check.needs_spec) or not ctx.options.runs(check.id, check.enabled_by_default):
            continue
        kinds, needs_expr = check.rule_kinds, check.needs_expr
        looked_at = shares.get((kinds, needs_expr))
        if looked_at is None:
            looked_at = shares[kinds, needs_expr] = [
                r for r in share if r.kind in kinds and (r.expr is not None or not needs_expr)
            ]
        run = check.check
        for rule in looked_at:
            for message in run(ctx, rule):
                _report(findings, check, rule, message, changed)
    return findings


def _parse(rule: Rule) -> str:
    return rule.parse_error if rule.too_deep else f"expression does not parse: {rule.parse_error}"


def _report(findings: list[Finding], check: Check, rule: Rule, message: str, changed: Changed | None) -> None:
    """Add the finding unless the rule suppresses the check or lies outside the lines changed."""
    if check.id in rule.suppressed:
        return
    if changed is not None and rule.file in changed:
        lines = changed[rule.file]
        if lines is not None and not lines & set(range(rule.first_line, rule.last_line + 1)):
            return
    findings.append(Finding(rule.file, rule.line, rule.col, check.severity, check.id, message))


@contextmanager
def _without_gc() -> Iterator[None]:
    """Lint keeps every parsed rule alive until it is done, so the collector's repeated full passes
    find nothing to free (on 10,000 rules they cost ~30% of the run). The parent links inside the
    parsed trees, the only cycles, are cut before lint returns (_unlink)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
