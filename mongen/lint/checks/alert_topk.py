"""alert-topk: topk, bottomk or limitk in an alert."""

from __future__ import annotations

from collections.abc import Iterator

from mongen.lint.checks.base import Example, Problem, RuleCheck
from mongen.lint.context import LintContext
from mongen.lint.rulefiles import Rule
from mongen.promql_tree import Aggregate, Binary, Number, Wrapper, ancestors

_SELECTING = ("topk", "bottomk", "limitk", "limit_ratio")


class AlertTopk(RuleCheck):
    """`topk`, `bottomk`, `limitk` or `limit_ratio` in an alert picks which series to return anew
    at every evaluation. When the ranking changes, one alert resolves and another starts, so `for`
    restarts, notifications flap, and an alert can stay silent while a problem moves between
    series. Alert on every series over a threshold instead. `topk by (labels) (1, x)` whose
    result is then aggregated or joined `on` some of those labels is no ranking but a
    deduplication (one series per key, such as one owner per pod), and is not reported: every key
    keeps its series, so nothing moves between evaluations."""

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
                  - alert: KubeletPodStartUpLatencyHigh
                    expr: |
                      histogram_quantile(0.99,
                        sum by (cluster, instance, le) (
                          topk by (cluster, instance, le, operation_type) (1, rate(kubelet_pod_worker_duration_seconds_bucket[5m]))
                        )
                      ) > 60
                    for: 15m
                    labels: {severity: warning}
                    annotations: {summary: Pod startup is slow}
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
    """`topk by (L) (1, x)` (or bottomk, limitk): one series per group L, every group kept, so no
    ranking happens between groups. It is a deduplication when the series' labels beyond L never
    reach the alert: an aggregation above it (by labels within L, without, or none) or a join `on`
    labels within L comes before the result."""
    param = node.param
    while isinstance(param, Wrapper):
        param = param.expr
    if node.grouping != "by" or not isinstance(param, Number) or param.value != 1:
        return False
    keys = set(node.labels)
    for parent in ancestors(node):
        if isinstance(parent, Aggregate):
            return parent.grouping != "by" or set(parent.labels) <= keys
        if isinstance(parent, Binary) and parent.matching:
            return parent.matching == "on" and set(parent.matching_labels) <= keys
    return False
