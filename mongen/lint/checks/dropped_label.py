"""dropped-label: a selector on a recorded series filters on a label its rule aggregated away."""

from __future__ import annotations

from collections.abc import Iterator

from mongen.lint.checks.base import Example, Problem, RuleCheck
from mongen.lint.context import LintContext, matchers_off_series
from mongen.lint.rulefiles import Rule


class DroppedLabel(RuleCheck):
    """A selector on a recorded series filters on a label the recording rule aggregated away, so
    it selects nothing. The labels a recorded series keeps are worked out from its rule's
    expression, wherever in the rule files that rule is."""

    id = "dropped-label"
    severity = "error"
    bad = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: endpoint:emoti_voice_tts_requests:rate5m
                expr: sum by (job, endpoint) (rate(emoti_voice_tts_requests_total[5m]))
              - record: job:emoti_voice_tts_angry_requests:rate5m
                expr: sum by (job) (endpoint:emoti_voice_tts_requests:rate5m{emotion="angry"})
        """
    )
    problems = (
        Problem(
            7, 15, "`endpoint:emoti_voice_tts_requests:rate5m` keeps only endpoint, job; `emotion` was aggregated away"
        ),
    )
    good = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: emotion:emoti_voice_tts_requests:rate5m
                expr: sum by (job, emotion) (rate(emoti_voice_tts_requests_total[5m]))
              - record: job:emoti_voice_tts_angry_requests:rate5m
                expr: sum by (job) (emotion:emoti_voice_tts_requests:rate5m{emotion="angry"})
        """
    )

    def check(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        for node, info, label in matchers_off_series(ctx, rule.selectors, recorded=True):
            yield f"`{node.name}` keeps only {', '.join(sorted(info.labels or ())) or 'no labels'}; `{label}` was aggregated away"
