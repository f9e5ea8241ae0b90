"""rate-over-sum: rate() of a series recorded as a sum."""

from __future__ import annotations

from collections.abc import Iterator

from mongen.lint.checks.base import Example, Problem, RuleCheck
from mongen.lint.context import LintContext
from mongen.lint.rulefiles import Rule
from mongen.promql_tree import Matrix

_RATES = ("rate", "irate", "increase")


class RateOverSum(RuleCheck):
    """`rate()` (or `irate`, `increase`) of a series a recording rule records as a `sum`. A sum of
    counters drops whenever one of them resets or disappears (a restart, a scaled-down replica),
    and rate() takes every drop for a reset of the whole sum: a huge spike. A sum of rates is no
    counter at all. Take the rate of each counter first and sum the rates:
    `sum(rate(x_total[5m]))`."""

    id = "rate-over-sum"
    severity = "error"
    bad = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job:emoti_voice_tts_requests:rate5m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total[5m]))
              - record: job:emoti_voice_tts_requests:increase1h
                expr: increase(job:emoti_voice_tts_requests:rate5m[1h])
        """
    )
    problems = (
        Problem(
            7,
            15,
            "increase() of `job:emoti_voice_tts_requests:rate5m`, which rules.yml:5 records as a sum: a reset of one "
            "summed counter looks like a reset of the whole sum; sum the rates instead: sum(increase(counter[1h]))",
        ),
    )
    good = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job:emoti_voice_tts_requests:increase1h
                expr: sum by (job) (increase(emoti_voice_tts_requests_total[1h]))
        """
    )

    def check(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        for node in rule.calls:
            if node.func not in _RATES or not node.args:
                continue
            arg = node.args[0]
            if isinstance(arg, Matrix) and arg.selector.name in ctx.recorded_sums:
                yield (
                    f"{node.func}() of `{arg.selector.name}`, which {ctx.recorded_sums[arg.selector.name]} records "
                    "as a sum: a reset of one summed counter looks like a reset of the whole sum; sum the rates "
                    f"instead: sum({node.func}(counter[{arg.range_text}]))"
                )
