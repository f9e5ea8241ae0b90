"""duplicate-rule: the same series recorded, or the same alert defined, twice."""

from __future__ import annotations

from collections.abc import Iterator

from mongen.lint.checks.base import Example, Problem, RuleSetCheck
from mongen.lint.rulefiles import Rule


class DuplicateRule(RuleSetCheck):
    """Two rules record the same series (same name and static labels) or define the same alert
    twice, in any of the linted files. Prometheus evaluates both; for a recorded series one
    silently overwrites the other, for an alert every notification comes twice."""

    id = "duplicate-rule"
    severity = "error"
    bad = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job:emoti_voice_tts_requests:rate5m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total[5m]))
          - name: tts-copy
            rules:
              - record: job:emoti_voice_tts_requests:rate5m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total[5m]))
        """
    )
    problems = (Problem(9, 15, "record `job:emoti_voice_tts_requests:rate5m` is also defined at rules.yml:5"),)
    good = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job:emoti_voice_tts_requests:rate5m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total[5m]))
              - record: job:emoti_voice_tts_requests:rate1h
                expr: sum by (job) (rate(emoti_voice_tts_requests_total[1h]))
        """
    )

    def check(self, rules: list[Rule]) -> Iterator[tuple[Rule, str]]:
        seen: dict[tuple[str, str, tuple[tuple[str, str], ...]], Rule] = {}
        for rule in rules:
            key = (rule.kind, rule.name, tuple(sorted(rule.labels.items())))
            if key in seen:
                first = seen[key]
                yield rule, f"{rule.kind} `{rule.name}` is also defined at {first.file}:{first.line}"
            else:
                seen[key] = rule
