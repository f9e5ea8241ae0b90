"""recording-rule-name: a recorded name not in `level:metric:operations` form."""

from __future__ import annotations

import re
from collections.abc import Iterator

from mongen.lint.checks.base import Example, Problem, RuleCheck
from mongen.lint.context import LintContext
from mongen.lint.rulefiles import Rule

# Prometheus' naming convention for recording rules (docs: "Recording rules", "Naming and aggregation").
_RECORD_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z0-9_]+$")


class RecordingRuleName(RuleCheck):
    """Recording rule names follow Prometheus' `level:metric:operations` convention (the labels
    kept, the metric, the functions applied), so a reader knows what was aggregated and how
    without opening the rule file."""

    id = "recording-rule-name"
    severity = "warning"
    rule_kinds = ("record",)
    needs_expr = False
    bad = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: emotivoice_qps
                expr: sum by (job) (rate(emoti_voice_tts_requests_total[5m]))
        """
    )
    problems = (Problem(5, 15, "`emotivoice_qps` is not `level:metric:operations`"),)
    good = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job:emoti_voice_tts_requests:rate5m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total[5m]))
        """
    )

    def check(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        if rule.kind == "record" and not _RECORD_NAME.match(rule.name):
            yield f"`{rule.name}` is not `level:metric:operations`"
