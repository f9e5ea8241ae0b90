"""regex-anchor: `^` or `$` in a regex matcher, which Prometheus anchors itself."""

from __future__ import annotations

import json
from collections.abc import Iterator

from mongen.lint.checks.base import Example, Problem, RuleCheck
from mongen.lint.context import LintContext
from mongen.lint.rulefiles import Rule


class RegexAnchor(RuleCheck):
    """Prometheus anchors every regex matcher at both ends (`=~"5.."` means `^(?:5..)$`), so a
    leading `^` or trailing `$` adds nothing, and suggests the author expected a substring match
    elsewhere in the same file."""

    id = "regex-anchor"
    severity = "warning"
    bad = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job:emoti_voice_tts_server_errors:rate5m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total{job=~"^emoti.+$"}[5m]))
        """
    )
    problems = (
        Problem(5, 15, '`job=~"^emoti.+$"`: Prometheus anchors regexes at both ends already; drop the `^` and `$`'),
    )
    good = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job:emoti_voice_tts_server_errors:rate5m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total{job=~"emoti.+"}[5m]))
        """
    )

    def check(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        for node in rule.selectors:
            for m in node.matchers:
                if m.op[-1] != "~" or not (m.value.startswith("^") or m.value.endswith("$")):
                    continue
                anchors = [a for a, found in (("^", m.value.startswith("^")), ("$", _ends_in_anchor(m.value))) if found]
                if anchors:
                    drop = " and ".join(f"`{a}`" for a in anchors)
                    yield f"`{m.name}{m.op}{json.dumps(m.value)}`: Prometheus anchors regexes at both ends already; drop the {drop}"


def _ends_in_anchor(value: str) -> bool:
    """A trailing `$` that is not escaped (`\\$` matches a dollar sign)."""
    backslashes = len(value[:-1]) - len(value[:-1].rstrip("\\"))
    return value.endswith("$") and backslashes % 2 == 0
