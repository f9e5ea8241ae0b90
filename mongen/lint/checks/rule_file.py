"""rule-file: a file that is not a Prometheus rule file."""

from __future__ import annotations

from mongen.lint.checks.base import Example, InputCheck, Problem


class NotARuleFile(InputCheck):
    """The file is not valid YAML, holds more than one document, uses an undefined alias, or has
    no `groups` list, so no rule in it can be checked. Reported when the file is read, at the
    position of the problem. In a directory, YAML files that hold no rules (a `prometheus.yml`,
    say) are skipped instead; a file named on the command line is always reported."""

    id = "rule-file"
    severity = "error"
    bad = Example(
        """\
        rules:
          - record: job:emoti_voice_tts_requests:rate5m
            expr: sum by (job) (rate(emoti_voice_tts_requests_total[5m]))
        """
    )
    problems = (Problem(1, 1, "not a Prometheus rule file: no `groups` list"),)
    good = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job:emoti_voice_tts_requests:rate5m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total[5m]))
        """
    )
