"""The spec's own PromQL (`kind: expr` alerts), checked by lint's rule checks against the spec
that is being built: a typo'd metric or label, an unknown function or an expression that does not
parse is a spec error at the `expr` line, exit 2, before anything is generated.

The expressions are handed to lint as the rules of one file, next to the recording rules mongen
generates for the spec, so an expression may read those recorded series (lint knows their labels).
Only error findings on the spec's own expressions become spec errors; lint's warnings stay lint's.
"""

from __future__ import annotations

from mongen.errors import YamlPath
from mongen.lint.rulefiles import Rule, RuleFile
from mongen.lint.runner import lint_files
from mongen.model import Spec
from mongen.rules.recording import recording_group
from mongen.rules.slo import slo_group
from mongen.spec.issues import SpecIssues
from mongen.units import format_duration


def check_expressions(issues: SpecIssues, spec: Spec) -> None:
    """Every `expr` of the spec, each finding reported at its YAML path."""
    own: dict[int, YamlPath] = {}
    rules: list[Rule] = []
    for i, alert in enumerate(spec.alerts):
        if alert.expr is None:
            continue
        # The model is built only from a spec without issues, so no alert was left out: its
        # index in the model is its index in the spec.
        path: YamlPath = ("alerts", i, "expr")
        rules.append(_rule(spec, "alert", alert.name, alert.expr, len(rules) + 1))
        rules[-1].for_ = format_duration(alert.for_seconds)
        rules[-1].labels = {"service": spec.service, "severity": alert.severity}
        rules[-1].annotations = {"summary": alert.summary, "description": alert.description}
        own[rules[-1].line] = path
    if not rules:
        return
    for group in (recording_group(spec), *(slo_group(spec, slo) for slo in spec.slos)):
        for recorded in group.rules:
            rule = _rule(spec, "record", recorded.record, recorded.expr, len(rules) + 1)
            rule.labels = dict(recorded.labels)
            rules.append(rule)
    for finding in lint_files(spec, [RuleFile(spec.source, rules)], processes=1):
        if finding.severity == "error" and finding.line in own:
            issues.fail(own[finding.line], f"{finding.message} (lint check {finding.check})")


def _rule(spec: Spec, kind: str, name: str, expr: str, number: int) -> Rule:
    """A rule lint can check. `number` stands in for its line: findings come back by it."""
    return Rule(spec.source, kind, name, expr, number, 1, number, number)
