"""duplicate-rule: the same series recorded twice."""

from __future__ import annotations

from collections.abc import Iterator

from mongen.lint.checks.base import Example, Problem, RuleSetCheck
from mongen.lint.rulefiles import Rule
from mongen.lint.selection import can_overlap
from mongen.promql_tree import Aggregate, Binary, Call, Matrix, Node, Number, Selector, Wrapper, descendants

# Rules compared with each new rule of the same name: real files record a name a few times, and a
# generated file with thousands of same-named rules must not cost millions of comparisons.
_MAX_COMPARED = 100


class DuplicateRule(RuleSetCheck):
    """Two rules record the same series (same name and static labels), in any of the linted
    files, and their expressions can return the same series. Prometheus evaluates both, and one
    silently overwrites the other at every evaluation: the recorded series jumps between two
    values. Rules whose selectors keep them apart are no duplicates: `code=~"2.."` and
    `code=~"3.."` with `code` kept in the result, `handler="x"` and `handler!="x"`, alternations
    (`=~"(a|b)"` and `=~"(c|d)"`), a prefix and its exclusion (`instance!~"dse.*"` and
    `instance=~"dse-.*"`), a constant label set by `label_replace` (`"bucket", "0.5"` and
    `"bucket", "0.8"`), rules that read different metrics (a deployment rule and its
    statefulset twin), and rules that need different values of one metric (`x == 0` and
    `x > 0`). Two alerts of one name are `duplicate-alert`."""

    id = "duplicate-rule"
    severity = "error"
    bad = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job:emoti_voice_tts_requests:rate5m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total[5m]))
          - name: tts-copy
            rules:
              - record: job:emoti_voice_tts_requests:rate5m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total[5m]))
        """
    )
    problems = (
        Problem(
            9,
            15,
            "record `job:emoti_voice_tts_requests:rate5m` is also defined at rules.yml:5 for the same series; "
            "each evaluation overwrites the other's value",
        ),
    )
    good = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job:emoti_voice_tts_requests:rate5m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total[5m]))
              - record: status:emoti_voice_tts_requests:rate5m
                expr: sum by (job, status) (rate(emoti_voice_tts_requests_total{status=~"2.."}[5m]))
              - record: status:emoti_voice_tts_requests:rate5m
                expr: sum by (job, status) (rate(emoti_voice_tts_requests_total{status=~"5..|other"}[5m]))
        """
    )
    more_good = (
        Example(
            """\
            # Disjoint rules of one name, from real rule repositories.
            groups:
              - name: upstream
                rules:
                  - record: fs:node_filesystem_avail:ratio
                    expr: max by (instance, fstype) (node_filesystem_avail_bytes{fstype=~"(ext4|xfs)"})
                  - record: fs:node_filesystem_avail:ratio
                    expr: max by (instance, fstype) (node_filesystem_avail_bytes{fstype=~"(nfs|cifs)"})
                  - record: instance:node_load1:max
                    expr: max by (instance) (node_load1{instance!~"dse.*"})
                  - record: instance:node_load1:max
                    expr: max by (instance) (node_load1{instance=~"dse-.*"})
                  - record: apiserver_request:latency:quantile
                    expr: label_replace(histogram_quantile(0.5, sum by (le) (rate(apiserver_request_duration_seconds_bucket[5m]))), "bucket", "0.5", "", "")
                  - record: apiserver_request:latency:quantile
                    expr: label_replace(histogram_quantile(0.8, sum by (le) (rate(apiserver_request_duration_seconds_bucket[5m]))), "bucket", "0.8", "", "")
                  - record: namespace:workload_replicas:mismatch
                    expr: max by (namespace) (kube_deployment_spec_replicas != kube_deployment_status_replicas_available)
                  - record: namespace:workload_replicas:mismatch
                    expr: max by (namespace) (kube_statefulset_replicas != kube_statefulset_status_replicas_ready)
                  - record: job:compactor_never_ran:bool
                    expr: max by (job) (compactor_last_success_timestamp_seconds == 0)
                  - record: job:compactor_never_ran:bool
                    expr: max by (job) (time() - compactor_last_success_timestamp_seconds > 86400 and compactor_last_success_timestamp_seconds > 0)
            """,
            spec="",
        ),
    )

    def check(self, rules: list[Rule]) -> Iterator[tuple[Rule, str]]:
        for rule, first in duplicates(rules, "record"):
            yield (
                rule,
                f"record `{rule.name}` is also defined at {first.file}:{first.line} for the same series; "
                "each evaluation overwrites the other's value",
            )


def duplicates(rules: list[Rule], kind: str) -> Iterator[tuple[Rule, Rule]]:
    """Each rule of `kind` that can give the same series as an earlier one, with that one."""
    seen: dict[tuple[str, tuple[tuple[str, str], ...]], list[Rule]] = {}
    for rule in rules:
        if rule.kind != kind:
            continue
        key = (rule.name, tuple(sorted(rule.labels.items())))
        earlier = seen.setdefault(key, [])
        first = next((other for other in earlier[-_MAX_COMPARED:] if _collide(other, rule)), None)
        if first is not None:
            yield rule, first
        earlier.append(rule)


def _collide(first: Rule, second: Rule) -> bool:
    """Whether the two rules can produce the same series (an expression that does not parse: yes).
    Rule-set checks run where the expressions of other processes' rules were not parsed, so the
    few rules that share a name are parsed here."""
    first.parse()
    second.parse()
    if first.expr is None or second.expr is None:
        return True
    names = [_result_metrics(first.expr), _result_metrics(second.expr)]
    if names[0] and names[1] and not names[0] & names[1]:
        return False  # different metrics: different exporters' or objects' series
    if _exclusive(_value_conditions(first.expr), _value_conditions(second.expr)):
        return False  # `x == 0` and `x > 0`: one value cannot pass both
    return can_overlap(first.expr, second.expr)


def _value_conditions(expr: Node) -> set[tuple[str, str, float]]:
    """`metric op number` comparisons right on a metric's series (`last_run_timestamp == 0`)."""
    out = set()
    for node in descendants(expr):
        if isinstance(node, Binary) and node.op in ("==", "!=", ">", "<", ">=", "<=") and not node.returns_bool:
            lhs, rhs = _unwrap(node.lhs), _unwrap(node.rhs)
            if isinstance(lhs, Selector) and lhs.name and isinstance(rhs, Number):
                out.add((lhs.name, node.op, rhs.value))
    return out


def _unwrap(node: Node) -> Node:
    while isinstance(node, Wrapper):
        node = node.expr
    return node


def _exclusive(first: set[tuple[str, str, float]], second: set[tuple[str, str, float]]) -> bool:
    """Some metric must equal a value in one rule and differ from it in the other."""
    for name, op, value in first:
        for other_name, other_op, other_value in second:
            if name != other_name:
                continue
            for a, b, x, y in ((op, other_op, value, other_value), (other_op, op, other_value, value)):
                if a == "==" and not _passes(x, b, y):
                    return True
    return False


def _passes(value: float, op: str, threshold: float) -> bool:
    return {
        "==": value == threshold,
        "!=": value != threshold,
        ">": value > threshold,
        "<": value < threshold,
        ">=": value >= threshold,
        "<=": value <= threshold,
    }[op]


def _result_metrics(node: Node) -> set[str]:
    """The metrics whose series make the result: not those only joined in for labels
    (`* on (...) group_left (...) info`) or only filtering it (the right side of `and`/`unless`)."""
    if isinstance(node, Selector):
        return {node.name} if node.name else set()
    if isinstance(node, Matrix):
        return _result_metrics(node.selector)
    if isinstance(node, (Wrapper, Aggregate)):
        return _result_metrics(node.expr)
    if isinstance(node, Call):
        return set().union(*(_result_metrics(a) for a in node.args)) if node.args else set()
    if isinstance(node, Binary):
        if node.op in ("and", "unless") or node.card == "many-to-one":
            return _result_metrics(node.lhs)
        if node.card == "one-to-many":
            return _result_metrics(node.rhs)
        return _result_metrics(node.lhs) | _result_metrics(node.rhs)
    return set()
