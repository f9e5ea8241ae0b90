"""duplicate-rule: the same series recorded, or the same alert defined, twice."""

from __future__ import annotations

from collections.abc import Iterator

from mongen.lint.checks.base import Example, Problem, RuleSetCheck
from mongen.lint.rulefiles import Rule
from mongen.lint.selection import can_overlap

# Rules compared with each new rule of the same name: real files record a name a few times, and a
# generated file with thousands of same-named rules must not cost millions of comparisons.
_MAX_COMPARED = 100


class DuplicateRule(RuleSetCheck):
    """Two rules record the same series (same name and static labels) or define the same alert
    twice, in any of the linted files, and their expressions can return the same series. Prometheus
    evaluates both; for a recorded series one silently overwrites the other, for an alert every
    notification comes twice. Rules whose selectors keep them apart (`code=~"2.."` and
    `code=~"3.."` with `code` kept in the result, `handler="x"` and `handler!="x"`) are no
    duplicates."""

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
              - record: status:emoti_voice_tts_requests:rate5m
                expr: sum by (job, status) (rate(emoti_voice_tts_requests_total{status=~"2.."}[5m]))
              - record: status:emoti_voice_tts_requests:rate5m
                expr: sum by (job, status) (rate(emoti_voice_tts_requests_total{status=~"5..|other"}[5m]))
        """
    )

    def check(self, rules: list[Rule]) -> Iterator[tuple[Rule, str]]:
        seen: dict[tuple[str, str, tuple[tuple[str, str], ...]], list[Rule]] = {}
        for rule in rules:
            key = (rule.kind, rule.name, tuple(sorted(rule.labels.items())))
            earlier = seen.setdefault(key, [])
            first = next((other for other in earlier[-_MAX_COMPARED:] if _collide(other, rule)), None)
            if first is not None:
                yield rule, f"{rule.kind} `{rule.name}` is also defined at {first.file}:{first.line}"
            earlier.append(rule)


def _collide(first: Rule, second: Rule) -> bool:
    """Whether the two rules can produce the same series (an expression that does not parse: yes).
    Rule-set checks run where the expressions of other processes' rules were not parsed, so the
    few rules that share a name are parsed here."""
    first.parse()
    second.parse()
    if first.expr is None or second.expr is None:
        return True
    return can_overlap(first.expr, second.expr)
