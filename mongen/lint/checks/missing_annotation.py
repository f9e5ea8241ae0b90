"""missing-annotation: an alert whose notification says nothing but its name and labels."""

from __future__ import annotations

from collections.abc import Iterator

from mongen.lint.checks.base import Example, Problem, RuleCheck
from mongen.lint.context import LintContext
from mongen.lint.rulefiles import Rule

# Annotations a person reads; any one of them, not empty, is enough by default.
HUMAN_READABLE = ("summary", "description", "message")


class MissingAnnotation(RuleCheck):
    """An alert without a human-readable annotation (`summary`, `description`, or the legacy
    `message` that the Kubernetes mixins use), or with only empty ones, tells the person paged
    nothing: the notification carries only the alert's name and labels. Any one of them is enough.
    A project that wants more lists them in its config (`[checks.missing-annotation]`
    `required = ["summary", "description", "runbook_url"]`): then each one listed must be there
    and not empty."""

    id = "missing-annotation"
    severity = "warning"
    rule_kinds = ("alert",)
    needs_expr = False
    bad = Example(
        """\
        groups:
          - name: tts
            rules:
              - alert: EmotiVoiceDown
                expr: up{job="emotivoice"} == 0
                for: 2m
                labels: {severity: page}
              - alert: EmotiVoiceBusy
                expr: emoti_voice_tts_requests_in_flight > 10
                for: 5m
                labels: {severity: ticket}
                annotations: {description: ""}
        """
    )
    problems = (
        Problem(
            5,
            15,
            "alert `EmotiVoiceDown` has no summary, description or message annotation, so its notification "
            "says only its name and labels",
        ),
        Problem(
            9,
            15,
            "alert `EmotiVoiceBusy` has an empty description annotation and no summary or message, so its "
            "notification says only its name and labels",
        ),
    )
    good = Example(
        """\
        groups:
          - name: tts
            rules:
              - alert: EmotiVoiceDown
                expr: up{job="emotivoice"} == 0
                for: 2m
                labels: {severity: page}
                annotations: {summary: EmotiVoice is down, description: Prometheus cannot scrape it.}
        """
    )
    more_good = (
        Example(
            """\
            # Upstream house styles: the mixins' legacy `message`, and a summary with an empty description.
            groups:
              - name: upstream
                rules:
                  - alert: KubePodCrashLooping
                    expr: increase(kube_pod_container_status_restarts_total[10m]) > 0
                    labels: {severity: warning}
                    annotations:
                      message: Pod {{ $labels.namespace }}/{{ $labels.pod }} is crash looping.
                  - alert: NodeDiskFull
                    expr: node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.05
                    for: 5m
                    labels: {severity: warning}
                    annotations:
                      summary: The disk of {{ $labels.instance }} is nearly full
                      description: ""
            """,
            spec="",
        ),
    )

    def check(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        if rule.kind != "alert":
            return
        required = ctx.options.checks.setting(self.id).required
        given = rule.annotations
        if required is not None:
            for name in required:
                if name not in given:
                    yield f"alert `{rule.name}` has no {name} annotation (required by the project config)"
                elif not given[name].strip():
                    yield f"alert `{rule.name}` has an empty {name} annotation (required by the project config)"
            return
        if any(given.get(name, "").strip() for name in HUMAN_READABLE):
            return
        empty = [name for name in HUMAN_READABLE if name in given]
        if not empty:
            yield (
                f"alert `{rule.name}` has no summary, description or message annotation, so its notification "
                "says only its name and labels"
            )
        else:
            others = [name for name in HUMAN_READABLE if name not in empty]
            yield (
                f"alert `{rule.name}` has an empty {' and '.join(empty)} annotation"
                f"{' and no ' + ' or '.join(others) if others else ''}, so its notification says only its name and labels"
            )
