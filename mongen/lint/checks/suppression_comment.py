"""suppression-comment: a `# mongen-lint:` comment that suppresses nothing."""

from __future__ import annotations

from mongen.lint.checks.base import Example, InputCheck, Problem


class SuppressionComment(InputCheck):
    """A `# mongen-lint:` comment that is not `# mongen-lint: disable=<id>[,<id>] <reason>`, names an
    id that is no check, or sits where it applies to no rule (a suppression applies to the rule it
    is inside of, or to the rule right below its comment block; never to the rule before it). Each
    would leave the finding it meant to silence, or silence nothing while looking as if it did."""

    id = "suppression-comment"
    severity = "error"
    bad = Example(
        """\
        # mongen-lint: disable=short-range
        groups:
          - name: tts
            rules:
              # mongen-lint: disable=short-rnage the debug rule wants the newest data
              - record: job:emoti_voice_tts_requests:rate1m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total[2m]))
              # mongen-lint disable short-range
              - record: job:emoti_voice_tts_requests:rate2m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total[2m]))
        """
    )
    problems = (
        Problem(1, 1, "this suppression is inside no rule and right above none, so it applies to nothing"),
        Problem(5, 7, "`short-rnage` is not a lint check, so nothing is suppressed; did you mean `short-range`?"),
        Problem(8, 7, "not a suppression lint understands; write `# mongen-lint: disable=<id>[,<id>] <reason>`"),
    )
    good = Example(
        """\
        groups:
          - name: tts
            rules:
              # mongen-lint: disable=short-range the debug rule wants the newest data
              - record: job:emoti_voice_tts_requests:rate1m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total[1m]))
        """
    )
