"""annotation-unknown-label: a template reads a label the alert's result does not have."""

from __future__ import annotations

from collections.abc import Iterator

from mongen.lint.checks.base import Example, Problem, RuleCheck
from mongen.lint.context import LintContext
from mongen.lint.rulefiles import Rule
from mongen.lint.templates import template_reads


class AnnotationUnknownLabel(RuleCheck):
    """An annotation or label template reads a label of the alert (`{{ $labels.x }}`,
    `{{ .Labels.x }}`, `{{ $.Labels.x }}`, `{{ index $labels "x" }}`), but the alert expression's
    result has no label `x` (an aggregation dropped it, or the series never had it), so the
    notification shows an empty value: keep the label through the expression (in `by (...)`), or
    stop reading it. Templates see the result's labels only, not the rule's static `labels`.
    `.Labels` inside `{{ range }}` or `{{ with }}` belongs to whatever those
    iterate over (a `query` result), so it is not checked."""

    id = "annotation-unknown-label"
    severity = "error"
    rule_kinds = ("alert",)
    bad = Example(
        """\
        groups:
          - name: tts
            rules:
              - alert: EmotiVoiceServerErrors
                expr: sum by (job) (rate(emoti_voice_tts_requests_total{status="500"}[5m])) > 1
                for: 5m
                labels: {severity: ticket}
                annotations:
                  summary: "Server errors on {{ $labels.endpoint }}"
                  description: "More than one request a second fails on {{ .Labels.instance }}."
        """
    )
    problems = (
        Problem(
            5,
            15,
            "annotation `description` reads `.Labels.instance`, but the result has no label `instance` (it has: job); "
            "keep `instance` in the aggregation's `by (...)`, or stop reading it",
        ),
        Problem(
            5,
            15,
            "annotation `summary` reads `$labels.endpoint`, but the result has no label `endpoint` (it has: job); "
            "keep `endpoint` in the aggregation's `by (...)`, or stop reading it",
        ),
    )
    good = Example(
        """\
        groups:
          - name: tts
            rules:
              - alert: EmotiVoiceServerErrors
                expr: sum by (job, instance, endpoint) (rate(emoti_voice_tts_requests_total{status="500"}[5m])) > 1
                for: 5m
                labels: {severity: ticket}
                annotations:
                  summary: "Server errors on {{ $labels.endpoint }}"
                  description: "More than one request a second fails on {{ .Labels.instance }}."
        """
    )

    def check(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        labels = rule.result
        if rule.kind != "alert" or labels is None:
            return
        has = f"it has: {', '.join(sorted(labels))}" if labels else "it has no labels"
        for kind, templates in (("label", rule.labels), ("annotation", rule.annotations)):
            for key, text in templates.items():
                for written, name in dict(template_reads(text).labels).items():
                    if name not in labels:
                        yield (
                            f"{kind} `{key}` reads `{written}`, but the result has no label `{name}` ({has}); "
                            f"keep `{name}` in the aggregation's `by (...)`, or stop reading it"
                        )
