"""unknown-label: a query names a label its input does not have."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from mongen.lint.checks.base import Example, Problem, RuleCheck
from mongen.lint.context import LintContext, matchers_off_series, output_labels
from mongen.lint.rulefiles import Rule
from mongen.promql_tree import Aggregate, Binary


class UnknownLabel(RuleCheck):
    """A matcher, `by`, or `on`/`group_left`/`group_right` names a label the series (or the
    expression's result at that point) does not have, so the matcher selects nothing or the
    grouping silently merges everything. (A label named only in `without` or `ignoring` has no
    effect and breaks nothing: that is `label-without-effect`.) Labels come from the spec (the metric's
    labels plus the scrape's target labels) and from what recording rules keep; without a spec,
    only from recording rules and aggregations."""

    id = "unknown-label"
    severity = "error"
    bad = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job:emoti_voice_tts_angry_request_duration_seconds_count:rate5m
                expr: sum by (job) (rate(emoti_voice_tts_request_duration_seconds_count{emotion="angry"}[5m]))
              - record: emotion:emoti_voice_tts_request_duration_seconds_count:rate5m
                expr: sum by (emotion) (rate(emoti_voice_tts_request_duration_seconds_count[5m]))
              - record: job:emoti_voice_tts_requests:rate5m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total[5m]))
              - record: instance:emoti_voice_tts_requests:rate5m
                expr: sum by (instance) (job:emoti_voice_tts_requests:rate5m)
        """
    )
    problems = (
        Problem(
            5,
            15,
            "label `emotion` is not on `emoti_voice_tts_request_duration_seconds_count`; "
            "its labels: endpoint, instance, job, service",
        ),
        Problem(
            7,
            15,
            "`sum by (emotion)`: the input has no label `emotion`; it has: endpoint, instance, job, service",
        ),
        Problem(11, 15, "`sum by (instance)`: the input has no label `instance`; it has: job"),
    )
    good = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job:emoti_voice_tts_angry_requests:rate5m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total{emotion="angry"}[5m]))
              - record: emotion:emoti_voice_tts_requests:rate5m
                expr: sum by (emotion) (rate(emoti_voice_tts_requests_total[5m]))
              - record: instance:emoti_voice_tts_requests:rate5m
                expr: sum by (instance) (rate(emoti_voice_tts_requests_total[5m]))
        """
    )

    def check(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        for sel, info, label in matchers_off_series(ctx, rule.selectors, recorded=False):
            labels = sorted(info.labels or ())
            guess = difflib.get_close_matches(label, labels, n=1)
            hint = f"did you mean `{guess[0]}`? " if guess else ""
            yield f"label `{label}` is not on `{sel.name}`; {hint}its labels: {', '.join(labels)}"
        for aggregate in rule.aggregates:
            if aggregate.grouping == "by":
                yield from _grouping(ctx, aggregate)
        for binary in rule.binaries:
            if binary.matching:
                yield from _vector_matching(ctx, binary)


def _grouping(ctx: LintContext, node: Aggregate) -> Iterator[str]:
    inner = output_labels(ctx, node.expr)
    if inner is not None:
        for label in node.labels:
            if label not in inner:
                yield f"`{node.op} {node.grouping} ({label})`: the input has no label `{label}`; it has: {', '.join(sorted(inner)) or 'none'}"


def _vector_matching(ctx: LintContext, node: Binary) -> Iterator[str]:
    left, right = output_labels(ctx, node.lhs), output_labels(ctx, node.rhs)
    if node.matching == "on":  # on(...): both sides need the label
        for side, label_set in (("left", left), ("right", right)):
            for label in node.matching_labels:
                if label_set is not None and label not in label_set:
                    yield f"`on({label})`: the {side} side has no label `{label}` ({', '.join(sorted(label_set)) or 'no labels'})"
    many_to_one = node.card == "many-to-one"
    other = output_labels(ctx, node.rhs if many_to_one else node.lhs)
    for label in node.group_labels:
        if other is not None and label not in other:
            yield f"`group_{'left' if many_to_one else 'right'}({label})`: the other side has no label `{label}`"
