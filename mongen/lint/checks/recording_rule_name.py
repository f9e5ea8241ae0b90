"""recording-rule-name: a recorded name without a colon (off by default)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from mongen.lint.checks.base import Example, Problem, RuleCheck
from mongen.lint.context import LintContext
from mongen.lint.rulefiles import Rule

# Prometheus' naming convention for recording rules (docs: "Recording rules", "Naming and
# aggregation"): `level:metric:operations`, where upstream rules also write `level:metric`.
_RECORD_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z_:][a-zA-Z0-9_:]*$")


class RecordingRuleName(RuleCheck):
    """Recording rule names follow Prometheus' `level:metric:operations` convention (the labels
    kept, the metric, the functions applied), so a reader knows what was aggregated and how
    without opening the rule file, and a recorded series is never mistaken for a scraped one.
    Upstream names dashboards depend on (`apiserver_request:burnrate1h`,
    `node_namespace_pod_container:container_memory_rss`) are accepted: only a name without any
    colon is reported. House style, so off by default."""

    id = "recording-rule-name"
    severity = "warning"
    rule_kinds = ("record",)
    needs_expr = False
    enabled_by_default = False
    bad = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: emotivoice_qps
                expr: sum by (job) (rate(emoti_voice_tts_requests_total[5m]))
        """
    )
    problems = (
        Problem(
            5,
            15,
            "`emotivoice_qps` has no colon, so it reads like a scraped metric; name it `level:metric:operations`",
        ),
    )
    good = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job:emoti_voice_tts_requests:rate5m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total[5m]))
        """
    )

    more_good = (
        Example(
            """\
            # Upstream names that dashboards depend on.
            groups:
              - name: upstream
                rules:
                  - record: apiserver_request:burnrate1h
                    expr: sum by (job) (rate(apiserver_request_total{code=~"5.."}[1h])) / sum by (job) (rate(apiserver_request_total[1h]))
                  - record: node_namespace_pod_container:container_memory_rss
                    expr: max by (node, namespace, pod, container) (container_memory_rss{image!=""})
            """,
            spec="",
        ),
    )

    def check(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        if rule.kind == "record" and not _RECORD_NAME.match(rule.name):
            yield f"`{rule.name}` has no colon, so it reads like a scraped metric; name it `level:metric:operations`"
