"""A spec, loaded completely: the spec layer builds the model (`mongen.spec.build`), then this
stage checks the spec's own PromQL (`kind: expr` alerts, `recording_rules`, and the rules of alert
kinds that read external series) with lint's rule checks. The stage sits above both the spec and
lint, so spec loading never calls lint or the rule generators.

The expressions are handed to lint as the rules of one file, next to the recording rules mongen
generates for the spec, so an expression may read those and the spec's own recorded series (lint
works out their labels). Only error findings on the spec's own expressions become spec errors,
reported at the `expr` line (`FILE:LINE:COL`, exit 2) before anything is generated; lint's
warnings stay lint's (`mongen lint` reports them on the generated files).
"""

from __future__ import annotations

from pathlib import Path

from mongen.errors import YamlPath
from mongen.lint.rulefiles import Rule, RuleFile
from mongen.lint.runner import lint_files
from mongen.model import Spec
from mongen.rules.alert_kinds import BY_NAME
from mongen.rules.recording import metric_rules
from mongen.rules.slo import slo_group
from mongen.spec.build import BUDGET_PATH, budget_problem, build_model, load_document, spec_schema
from mongen.spec.issues import SpecIssues
from mongen.spec.loader import LoadedDocument
from mongen.synth.slo_events import with_window
from mongen.units import format_duration

__all__ = ["BUDGET_PATH", "budget_problem", "build_spec", "load_document", "load_spec", "spec_schema"]


def load_spec(path: str | Path) -> Spec:
    """Read a spec file and check it completely. Raises SpecError."""
    return build_spec(load_document(path))


def build_spec(doc: LoadedDocument, *, check_budget: bool = True) -> Spec:
    """The model of a loaded spec, its expressions checked. `check_budget=False` lets a spec over
    its series budget through, for `mongen cardinality`, which exists to show where the series go."""
    spec = build_model(doc, check_budget=check_budget)
    issues = SpecIssues(doc)
    check_expressions(issues, spec)
    issues.raise_if_any()
    return spec


def check_expressions(issues: SpecIssues, spec: Spec) -> None:
    """Every `expr` of the spec, each finding reported at its YAML path. The model is built only
    from a spec without issues, so no entry was left out: an index in the model is one in the spec."""
    own: dict[int, YamlPath] = {}  # a rule's stand-in line -> the spec's `expr` it comes from
    hints: dict[int, str] = {}  # a rule's stand-in line -> what its alert kind advises
    rules: list[Rule] = []
    generated = [*metric_rules(spec), *(r for slo in spec.slos for r in slo_group(spec, slo).rules)]
    generated_names = {r.record for r in generated}
    for i, recorded in enumerate(spec.recording_rules):
        if recorded.record in generated_names:
            issues.fail(
                ("recording_rules", i, "record"),
                f"`{recorded.record}` is already recorded by mongen for the spec's metrics or SLOs; "
                "choose another name, or read that series instead",
            )
        rule = _rule(spec, "record", recorded.record, recorded.expr, len(rules) + 1)
        rule.labels = dict(recorded.labels)
        own[rule.line] = ("recording_rules", i, "expr")
        rules.append(rule)
    for i, slo in enumerate(spec.slos):
        for key, query in (("error_query", slo.error_query), ("total_query", slo.total_query)):
            if query is not None:
                rule = _rule(spec, "record", f"slo:{slo.name}:{key}", with_window(query, "5m"), len(rules) + 1)
                own[rule.line] = ("slos", i, "sli", "events", key)
                rules.append(rule)
    for i, alert in enumerate(spec.alerts):
        kind = BY_NAME[alert.kind]
        linted = kind.linted_expr(spec, alert)
        if linted is None:
            continue
        rule = _rule(spec, "alert", alert.name, linted.expr, len(rules) + 1)
        rule.for_ = format_duration(alert.for_seconds)
        rule.labels = {"service": spec.service, "severity": alert.severity}
        rule.annotations = {"summary": linted.summary, "description": alert.description}
        own[rule.line] = ("alerts", i, linted.field)
        hints[rule.line] = kind.lint_hint
        rules.append(rule)
    if not rules:
        return
    for generated_rule in generated:
        rule = _rule(spec, "record", generated_rule.record, generated_rule.expr, len(rules) + 1)
        rule.labels = dict(generated_rule.labels)
        rules.append(rule)
    for finding in lint_files(spec, [RuleFile(spec.source, rules)], processes=1):
        if finding.severity == "error" and finding.line in own:
            hint = hints.get(finding.line)
            issues.fail(
                own[finding.line], f"{finding.message} (lint check {finding.check})" + (f"; {hint}" if hint else "")
            )


def _rule(spec: Spec, kind: str, name: str, expr: str, number: int) -> Rule:
    """A rule lint can check. `number` stands in for its line: findings come back by it."""
    return Rule(spec.source, kind, name, expr, number, 1, number, number)
