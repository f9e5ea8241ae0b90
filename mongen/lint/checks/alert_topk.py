"""alert-topk: topk, bottomk or limitk in an alert."""

from __future__ import annotations

from collections.abc import Iterator

from mongen.lint.checks.base import Example, Problem, RuleCheck
from mongen.lint.context import LintContext
from mongen.lint.promql_tree import Aggregate, Binary, Node, Number, Wrapper
from mongen.lint.rulefiles import Rule

_SELECTING = ("topk", "bottomk", "limitk", "limit_ratio")


class AlertTopk(RuleCheck):
    """`topk`, `bottomk`, `limitk` or `limit_ratio` in an alert picks which series to return anew
    at every evaluation. When the ranking changes, one alert resolves and another starts, so `for`
    restarts, notifications flap, and an alert can stay silent while a problem moves between
    series. Alert on every series over a threshold instead. `topk by (labels) (1, x)` joined
    `on` some of those labels is no ranking but a deduplication (one series per join key, such as
    one owner per pod), and is not reported: every key keeps its series, so nothing moves between
    evaluations."""

    id = "alert-topk"
    severity = "warning"
    rule_kinds = ("alert",)
    bad = Example(
        """\
        groups:
          - name: tts
            rules:
              - alert: EmotiVoiceBusiestInstance
                expr: topk(1, sum by (job, instance) (emoti_voice_tts_requests_in_flight)) > 10
                for: 5m
                labels: {severity: ticket}
                annotations: {summary: An instance is busy, description: More than 10 requests in flight.}
        """
    )
    problems = (
        Problem(
            5,
            15,
            "alert `EmotiVoiceBusiestInstance` uses topk(): the series it returns change between evaluations, "
            "so its alerts resolve and fire again; compare every series with the threshold instead",
        ),
    )
    good = Example(
        """\
        groups:
          - name: tts
            rules:
              - alert: EmotiVoiceBusyInstance
                expr: sum by (job, instance) (emoti_voice_tts_requests_in_flight) > 10
                for: 5m
                labels: {severity: ticket}
                annotations: {summary: An instance is busy, description: More than 10 requests in flight.}
        """
    )

    more_good = (
        Example(
            """\
            # kube-prometheus' shape: topk keeps one owner per pod before the join.
            groups:
              - name: upstream
                rules:
                  - alert: PodNotReady
                    expr: |
                      max by (namespace, pod) (kube_pod_status_ready{condition="false"} == 1)
                        * on (namespace, pod) group_left (owner_kind)
                      topk by (namespace, pod) (1, max by (namespace, pod, owner_kind) (kube_pod_owner{owner_kind!="Job"}))
                    for: 15m
                    labels: {severity: warning}
                    annotations: {summary: A pod is not ready}
            """,
            spec="",
        ),
    )

    def check(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        if rule.kind != "alert":
            return
        used = sorted({node.op for node in rule.aggregates if node.op in _SELECTING and not _deduplicates(node)})
        for op in used:
            yield (
                f"alert `{rule.name}` uses {op}(): the series it returns change between evaluations, "
                "so its alerts resolve and fire again; compare every series with the threshold instead"
            )


def _deduplicates(node: Aggregate) -> bool:
    """`topk by (L) (1, x)` (or bottomk, limitk) that only meets the alert's series through a join
    `on` labels within L: one series per join key, whichever it is."""
    param = node.param
    while isinstance(param, Wrapper):
        param = param.expr
    if node.grouping != "by" or not isinstance(param, Number) or param.value != 1:
        return False
    child: Node = node
    parent = node.parent
    while isinstance(parent, Wrapper):
        child, parent = parent, parent.parent
    if not isinstance(parent, Binary) or parent.matching != "on" or not parent.matching_labels:
        return False
    if not set(parent.matching_labels) <= set(node.labels):
        return False
    # The side that only matches: the right one, unless group_right takes its labels from it.
    return (child is parent.lhs) == (parent.card == "one-to-many")
