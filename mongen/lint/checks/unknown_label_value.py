"""unknown-label-value: a matcher compares a bounded label with a value it never has."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from mongen.label_regex import label_regex
from mongen.lint.checks.base import Example, Problem, RuleCheck
from mongen.lint.context import LintContext
from mongen.lint.rulefiles import Rule
from mongen.promql_tree import Selector


class UnknownLabelValue(RuleCheck):
    """A matcher compares a bounded label (one with declared values in the spec) with a value
    outside those values, or with a regex that matches none of them. The generated
    instrumentation normalizes every value into the declared set, so such a matcher selects
    nothing."""

    id = "unknown-label-value"
    severity = "error"
    needs_spec = True
    bad = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job:emoti_voice_tts_angry_requests:rate5m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total{emotion="angy"}[5m]))
              - record: job:emoti_voice_tts_client_errors:rate5m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total{status=~"4.."}[5m]))
        """
    )
    problems = (
        Problem(5, 15, "`emotion` is never 'angy'; declared values: happy, sad, angry, neutral"),
        Problem(7, 15, "regex '4..' on `status` matches none of: 200, 500, other"),
    )
    good = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job:emoti_voice_tts_angry_requests:rate5m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total{emotion="angry"}[5m]))
              - record: job:emoti_voice_tts_server_errors:rate5m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total{status=~"5.."}[5m]))
        """
    )

    def check(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        for node in rule.selectors:
            yield from ctx.per_selector(self.id, node, partial(_messages, ctx))


def _messages(ctx: LintContext, node: Selector) -> tuple[str, ...]:
    spec = ctx.spec_of(node.name) if ctx.selected(node) is not None else None
    if spec is None:
        return ()
    out = []
    for m in node.matchers:
        label = spec.label_by_name.get(m.name)
        if label is None:
            continue
        if m.op == "=" and m.value not in label.values:
            out.append(f"`{m.name}` is never {m.value!r}; declared values: {', '.join(label.values)}")
        elif m.op == "=~":
            pattern = label_regex(m.value)  # RE2, as Prometheus reads it (an invalid one is promql-parse's)
            if not pattern.error and not any(pattern.fullmatch(v) for v in label.values):
                out.append(f"regex {m.value!r} on `{m.name}` matches none of: {', '.join(label.values)}")
    return tuple(out)
