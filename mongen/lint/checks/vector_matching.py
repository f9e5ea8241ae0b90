"""vector-matching: one-to-one matching between sides with different labels."""

from __future__ import annotations

from collections.abc import Iterator

from mongen.lint.checks.base import Example, Problem, RuleCheck
from mongen.lint.context import LintContext, labels_at_least, output_labels
from mongen.lint.rulefiles import Rule
from mongen.promql_tree import Binary, is_scalar

_SET_OPERATORS = ("and", "or", "unless")


class VectorMatching(RuleCheck):
    """Arithmetic and comparisons between two vectors pair series whose labels are all equal
    (without `on`/`ignoring`), or equal except the `ignoring` ones. When one side carries a label
    the other never has, no series pairs up and the result is always empty: the recorded series
    never exists, the alert never fires. A side whose labels are known exactly (`count(x)`: none)
    never pairs up with a scraped series, which always has `job` and `instance`. Aggregate both
    sides by the same labels, or match `on(...)` the labels they share (with `group_left` when one
    side has more series)."""

    id = "vector-matching"
    severity = "error"
    bad = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: endpoint:emoti_voice_tts_requests:share_rate5m
                expr: |
                  sum by (job, endpoint) (rate(emoti_voice_tts_requests_total[5m]))
                  / sum by (job) (rate(emoti_voice_tts_requests_total[5m]))
        """
    )
    problems = (
        Problem(
            6,
            15,
            "`/` pairs series with equal labels, but only the left side has endpoint, so nothing pairs up "
            "and the result is always empty; match `on(job)` (with group_left) or aggregate both sides alike",
        ),
    )
    good = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: endpoint:emoti_voice_tts_requests:share_rate5m
                expr: |
                  sum by (job, endpoint) (rate(emoti_voice_tts_requests_total[5m]))
                  / on (job) group_left sum by (job) (rate(emoti_voice_tts_requests_total[5m]))
        """
    )

    def check(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        for node in rule.binaries:
            if node.op in _SET_OPERATORS or node.matching == "on":
                continue
            if node.card not in ("", "one-to-one") or is_scalar(node.lhs) or is_scalar(node.rhs):
                continue
            message = unmatched_sides(ctx, node) or beyond_exact(ctx, node)
            if message:
                shared = ", ".join(sorted(message[2])) or ""
                yield (
                    f"`{node.op}` pairs series with equal labels, but {message[0]}, so nothing pairs up and the "
                    f"result is always empty; match `on({shared})` (with group_left) or aggregate both sides alike"
                )


def unmatched_sides(ctx: LintContext, node: Binary) -> tuple[str, frozenset[str], frozenset[str]] | None:
    """When the two sides of `node` (matched on all labels, less the `ignoring` ones) can never
    have equal labels: what differs in words, the labels that differ, and the labels both share."""
    left, right = output_labels(ctx, node.lhs), output_labels(ctx, node.rhs)
    if left is None or right is None:
        return None
    ignored = frozenset(node.matching_labels) if node.matching == "ignoring" else frozenset()
    left, right = left - ignored, right - ignored
    if left == right:
        return None
    only_left, only_right = sorted(left - right), sorted(right - left)
    parts = []
    if only_left:
        parts.append(f"only the left side has {', '.join(only_left)}")
    if only_right:
        parts.append(f"only the right side has {', '.join(only_right)}")
    return " and ".join(parts), left ^ right, left & right


def beyond_exact(ctx: LintContext, node: Binary) -> tuple[str, frozenset[str], frozenset[str]] | None:
    """One side's labels are known exactly (`absent(y)`: none), and the other surely carries one
    more (a scraped series: `job` and `instance`), so they never have equal labels."""
    ignored = frozenset(node.matching_labels) if node.matching == "ignoring" else frozenset()
    for exact_side, other_side, other_name in ((node.rhs, node.lhs, "left"), (node.lhs, node.rhs, "right")):
        exact = output_labels(ctx, exact_side)
        if exact is None or output_labels(ctx, other_side) is not None:
            continue
        extra = sorted(labels_at_least(ctx, other_side) - exact - ignored)
        if extra:
            return f"only the {other_name} side has {', '.join(extra)}", frozenset(extra), exact - ignored
    return None
