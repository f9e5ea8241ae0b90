"""alert-without-comparison: an alert that fires whenever its series exist."""

from __future__ import annotations

from collections.abc import Iterator

from mongen.lint.checks.base import Example, Problem, RuleCheck
from mongen.lint.context import LintContext
from mongen.lint.rulefiles import Rule
from mongen.promql_tree import Aggregate, Binary, Call, Node, Selector, Wrapper

_COMPARISONS = ("==", "!=", ">", "<", ">=", "<=")
# Functions that return a series only when something is missing: a condition of their own.
_CONDITIONS = ("absent", "absent_over_time")
# Labels that say where a series comes from: a matcher on them selects, it states no condition.
IDENTITY_LABELS = frozenset(
    (
        "__name__",
        "job",
        "instance",
        "namespace",
        "cluster",
        "pod",
        "container",
        "service",
        "node",
        "endpoint",
        "env",
        "environment",
        "region",
        "zone",
        "datacenter",
        "dc",
        "host",
        "hostname",
        "device",
        "name",
    )
)


class AlertWithoutComparison(RuleCheck):
    """An alert fires for every series its expression returns, so an expression without a
    comparison (`> 0.3`, `== 0`), `absent()` or a filtering `unless` fires whenever the series
    exist: all the time. A comparison with `bool` is no filter either (it returns 0 or 1 for every
    series). Expressions without any selector, such as the always-firing `vector(1)` heartbeat
    (Watchdog), are deliberate and not reported. Neither is an alert whose condition is a label
    matcher on the series' state (`iface_info{operstate="down"}`, `x{allow_any_host="yes"}`):
    the series it selects exist only while the condition holds. Matchers on where a series comes
    from (`job`, `instance`, `namespace`, `pod`, ...) are no condition, and neither is a matcher
    under `sum()` (or any aggregation but `count`/`group`): a sum of nothing selected is absent,
    but a sum of zeros (`sum(endpoints{state="invalid"})` with none invalid) is 0 and fires."""

    id = "alert-without-comparison"
    severity = "warning"
    rule_kinds = ("alert",)
    bad = Example(
        """\
        groups:
          - name: tts
            rules:
              - alert: EmotiVoiceErrorRatioHigh
                expr: job:emoti_voice_tts_errors:ratio_rate5m
                for: 5m
                labels: {severity: page}
                annotations: {summary: Many requests fail, description: More than 5% of requests fail.}
              - record: job:emoti_voice_tts_errors:ratio_rate5m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total{status="500"}[5m])) / sum by (job) (rate(emoti_voice_tts_requests_total[5m]))
        """
    )
    problems = (
        Problem(
            5,
            15,
            "alert `EmotiVoiceErrorRatioHigh` compares nothing, so it fires whenever its series exist; "
            "add a condition such as `> 0.05`",
        ),
    )
    good = Example(
        """\
        groups:
          - name: tts
            rules:
              - alert: EmotiVoiceErrorRatioHigh
                expr: job:emoti_voice_tts_errors:ratio_rate5m > 0.05
                for: 5m
                labels: {severity: page}
                annotations: {summary: Many requests fail, description: More than 5% of requests fail.}
              - record: job:emoti_voice_tts_errors:ratio_rate5m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total{status="500"}[5m])) / sum by (job) (rate(emoti_voice_tts_requests_total[5m]))
        """
    )

    more_good = (
        Example(
            """\
            # The matcher is the condition.
            groups:
              - name: upstream
                rules:
                  - alert: InterfaceDown
                    expr: iface_info{operstate="down"}
                    for: 5m
                    labels: {severity: warning}
                    annotations: {summary: An interface is down}
                  - alert: ExportAllowsAnyHost
                    expr: nfs_export_info{allow_any_host="yes"}
                    for: 5m
                    labels: {severity: warning}
                    annotations: {summary: An export allows any host}
                  - alert: PortAdminDown
                    expr: port_state{adminState="down"} and on (hostname) host_info{role="switch"}
                    for: 5m
                    labels: {severity: warning}
                    annotations: {summary: A switch port is administratively down}
            """,
            spec="",
        ),
    )

    def check(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        if rule.kind != "alert" or rule.expr is None or not rule.selectors or _filters(rule.expr):
            return
        yield (
            f"alert `{rule.name}` compares nothing, so it fires whenever its series exist; "
            "add a condition such as `> 0.05`"
        )


def _filters(node: Node, matchers: bool = True) -> bool:
    """Whether the expression returns fewer series than its inputs in some state: a comparison
    without `bool`, absent(), `unless`, or any of those inside (an `or` needs one on both sides)."""
    if isinstance(node, Binary):
        if node.op in _COMPARISONS:
            return not node.returns_bool or _filters(node.lhs, matchers) or _filters(node.rhs, matchers)
        if node.op == "unless":
            return True
        if node.op == "or":
            return _filters(node.lhs, matchers) and _filters(node.rhs, matchers)
        return _filters(node.lhs, matchers) or _filters(node.rhs, matchers)
    if isinstance(node, Call):
        return node.func in _CONDITIONS or any(_filters(arg, matchers) for arg in node.args)
    if isinstance(node, Aggregate):
        # count() and group() return a series only where a selected one exists; sum() and the
        # others add up values, so `sum(endpoints{state="invalid"})` is 0, not absent, when none is.
        return _filters(node.expr) if node.op in ("count", "group") else _filters(node.expr, matchers=False)
    if isinstance(node, Wrapper):
        return _filters(node.expr, matchers)
    if isinstance(node, Selector) and matchers:  # an instant one; a range's exist whatever the state
        return any(
            m.name not in IDENTITY_LABELS and not (m.op == "=~" and m.value in (".*", ".+")) for m in node.matchers
        )
    return False
