"""record-label-mismatch: one recorded name produced with different label sets."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from mongen.lint.checks.base import Example, Problem, RuleSetCheck
from mongen.lint.rulefiles import Rule


class RecordLabelMismatch(RuleSetCheck):
    """The same recorded name is produced with different label sets (from the expression's result
    plus the rule's static labels), so every query on it sees a mix of shapes: a `sum by` over it
    double counts, and vector matching finds duplicates. Give each shape its own name."""

    id = "record-label-mismatch"
    severity = "error"
    bad = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job:emoti_voice_tts_requests:rate5m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total{endpoint="/synthesize"}[5m]))
                labels: {source: synthesize}
              - record: job:emoti_voice_tts_requests:rate5m
                expr: sum by (job, endpoint) (rate(emoti_voice_tts_requests_total{endpoint="/clone"}[5m]))
                labels: {source: clone}
        """
    )
    problems = (
        Problem(
            8,
            15,
            "`job:emoti_voice_tts_requests:rate5m` has labels endpoint, job, source here but job, source at rules.yml:5",
        ),
    )
    good = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job:emoti_voice_tts_requests:rate5m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total{endpoint="/synthesize"}[5m]))
                labels: {source: synthesize}
              - record: job:emoti_voice_tts_requests:rate5m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total{endpoint="/clone"}[5m]))
                labels: {source: clone}
        """
    )

    def check(self, rules: list[Rule]) -> Iterator[tuple[Rule, str]]:
        shapes: dict[str, list[tuple[frozenset[str], Rule]]] = defaultdict(list)
        for rule in rules:
            if rule.kind == "record" and rule.result is not None:
                shapes[rule.name].append((rule.result | frozenset(rule.labels), rule))
        for name, items in shapes.items():
            first_labels, first = items[0]
            for labels, rule in items[1:]:
                if labels != first_labels:
                    yield (
                        rule,
                        f"`{name}` has labels {', '.join(sorted(labels))} here but {', '.join(sorted(first_labels))} "
                        f"at {first.file}:{first.line}",
                    )
