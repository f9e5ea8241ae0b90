"""short-range: a range selector shorter than four scrape intervals."""

from __future__ import annotations

from collections.abc import Iterator

from mongen.lint.checks.base import Example, Problem, RuleCheck
from mongen.lint.context import LintContext
from mongen.lint.rulefiles import Rule

# rate() needs two samples in the range; four intervals leave room for a missed scrape and for the
# range's alignment with the scrapes (Grafana's $__rate_interval uses the same factor).
_MIN_SCRAPES_PER_RANGE = 4


class ShortRange(RuleCheck):
    """A range shorter than four of the spec's scrape intervals: one missed or late scrape leaves
    `rate()` with fewer than two samples, so the graph has gaps and an alert on it flaps."""

    id = "short-range"
    severity = "warning"
    needs_spec = True
    bad = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job:emoti_voice_tts_requests:rate1m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total[1m]))
        """
    )
    problems = (Problem(5, 15, "range [1m] covers fewer than 4 scrape intervals (120s)"),)
    good = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job:emoti_voice_tts_requests:rate2m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total[2m]))
        """
    )

    def check(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        for node in rule.matrices:
            minimum = _MIN_SCRAPES_PER_RANGE * ctx.scrape_interval(node.selector.name)
            if node.seconds < minimum:
                yield f"range [{node.range_text}] covers fewer than {_MIN_SCRAPES_PER_RANGE} scrape intervals ({minimum}s)"
