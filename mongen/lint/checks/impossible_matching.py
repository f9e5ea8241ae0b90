"""impossible-matching: `and` or `unless` between sides whose labels never match."""

from __future__ import annotations

from collections.abc import Iterator

from mongen.lint.checks.base import Example, Problem, RuleCheck
from mongen.lint.checks.vector_matching import beyond_exact, unmatched_sides
from mongen.lint.context import LintContext
from mongen.lint.rulefiles import Rule

_EFFECT = {
    "and": "`and` keeps nothing: the result is always empty",
    "unless": "`unless` removes nothing: the right side never matters",
}


class ImpossibleMatching(RuleCheck):
    """`and` and `unless` keep or drop left-hand series that have a right-hand series with equal
    labels (without `on`/`ignoring`; less the `ignoring` ones). When the sides can never have equal
    labels (`foo{job="x"} unless sum(foo)`: the right side has no labels at all), `and` always
    returns nothing and `unless` always returns the left side. Match `on(...)` the labels both
    sides have."""

    id = "impossible-matching"
    severity = "error"
    bad = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job:emoti_voice_tts_requests:rate5m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total[5m]))
              - alert: EmotiVoiceStuck
                expr: job:emoti_voice_tts_requests:rate5m == 0 unless sum(emoti_voice_tts_requests_in_flight) == 0
                for: 10m
                labels: {severity: ticket}
                annotations: {summary: Requests stuck, description: Requests are in flight but none finish.}
        """
    )
    problems = (
        Problem(
            7,
            15,
            "`unless` matches series with equal labels, but only the left side has job; "
            "`unless` removes nothing: the right side never matters; match `on(...)` labels both sides have",
        ),
    )
    good = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job:emoti_voice_tts_requests:rate5m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total[5m]))
              - alert: EmotiVoiceStuck
                expr: |
                  job:emoti_voice_tts_requests:rate5m == 0
                  unless on (job) sum by (job) (emoti_voice_tts_requests_in_flight) == 0
                for: 10m
                labels: {severity: ticket}
                annotations: {summary: Requests stuck, description: Requests are in flight but none finish.}
        """
    )

    def check(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        for node in rule.binaries:
            if node.op in _EFFECT and node.matching != "on":
                found = unmatched_sides(ctx, node) or beyond_exact(ctx, node)
                if found:
                    yield (
                        f"`{node.op}` matches series with equal labels, but {found[0]}; {_EFFECT[node.op]}; "
                        "match `on(...)` labels both sides have"
                    )
