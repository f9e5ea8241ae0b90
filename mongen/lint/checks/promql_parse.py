"""promql-parse: an expression that does not parse."""

from __future__ import annotations

from mongen.lint.checks.base import Example, InputCheck, Problem


class PromqlParse(InputCheck):
    """The rule's expression is not valid PromQL, so the checks that look at expressions skip the
    rule (`promtool check rules` rejects the file too). Reported when the rule is parsed, also
    where the rule suppresses checks or lies outside the lines `--diff-base` selects."""

    id = "promql-parse"
    severity = "error"
    bad = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job:emoti_voice_tts_requests:rate5m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total[5m])
        """
    )
    problems = (Problem(5, 15, "expression does not parse: unclosed left parenthesis"),)
    good = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job:emoti_voice_tts_requests:rate5m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total[5m]))
        """
    )
