"""label-without-effect: `without` or `ignoring` names a label the input does not have."""

from __future__ import annotations

from collections.abc import Iterator

from mongen.lint.checks.base import Example, Problem, RuleCheck
from mongen.lint.context import LintContext, output_labels
from mongen.lint.rulefiles import Rule


class LabelWithoutEffect(RuleCheck):
    """`without (x)` or `ignoring (x)` names a label the input does not have, so it has no
    effect: the result is what it would be without it. Nothing breaks, but a reader believes a
    label is dropped or ignored that never was there (often a misspelling, or a label renamed
    since): remove it, or name the label meant."""

    id = "label-without-effect"
    severity = "warning"
    bad = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job_emotion:emoti_voice_tts_requests:rate5m
                expr: sum by (job, emotion) (rate(emoti_voice_tts_requests_total[5m]))
              - record: job:emoti_voice_tts_requests:rate5m
                expr: sum without (emotions) (job_emotion:emoti_voice_tts_requests:rate5m)
        """
    )
    problems = (
        Problem(
            7,
            15,
            "`sum without (emotions)`: the input has no label `emotions`, so it has no effect; it has: emotion, job",
        ),
    )
    good = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job_emotion:emoti_voice_tts_requests:rate5m
                expr: sum by (job, emotion) (rate(emoti_voice_tts_requests_total[5m]))
              - record: job:emoti_voice_tts_requests:rate5m
                expr: sum without (emotion) (job_emotion:emoti_voice_tts_requests:rate5m)
        """
    )

    def check(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        for node in rule.aggregates:
            if node.grouping == "without":
                inner = output_labels(ctx, node.expr)
                for label in node.labels:
                    if inner is not None and label not in inner:
                        yield (
                            f"`{node.op} without ({label})`: the input has no label `{label}`, so it has no effect; "
                            f"it has: {', '.join(sorted(inner)) or 'none'}"
                        )
        for binary in rule.binaries:
            if binary.matching == "ignoring":
                left, right = output_labels(ctx, binary.lhs), output_labels(ctx, binary.rhs)
                if left is None or right is None:
                    continue
                for label in binary.matching_labels:
                    if label not in left | right:
                        yield f"`ignoring({label})`: neither side has a label `{label}`, so it has no effect"
