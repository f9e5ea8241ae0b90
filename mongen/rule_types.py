"""The rules mongen generates, as data: recording rules and groups, alerting rules."""

from __future__ import annotations

from dataclasses import dataclass

from mongen.annotations import Annotation, escape_text, expected_text, go_template


@dataclass(frozen=True)
class RecordingRule:
    record: str
    expr: str
    output_labels: tuple[str, ...]  # label names every result series carries
    labels: tuple[tuple[str, str], ...] = ()  # static labels the rule adds


@dataclass(frozen=True)
class RecordingGroup:
    name: str
    interval: int
    rules: tuple[RecordingRule, ...]


@dataclass(frozen=True)
class AlertRule:
    name: str
    expr: str
    for_seconds: int
    labels: tuple[tuple[str, str], ...]
    summary: Annotation
    description: Annotation
    runbook_url: str
    output_labels: tuple[str, ...]  # labels of the expression's result
    threshold: float | None  # the number a mutation test changes
    dashboard_url: str | None = None
    # What the on-call engineer checks first; the alert's runbook lists them.
    first_checks: tuple[str, ...] = ()
    # Literal annotations the spec adds (an SLO tier's `annotations`), after the generated ones.
    extra_annotations: tuple[tuple[str, str], ...] = ()

    def _links(self) -> dict[str, str]:
        links = {"runbook_url": self.runbook_url}
        if self.dashboard_url:
            links["dashboard_url"] = self.dashboard_url
        return links

    @property
    def carried_labels(self) -> frozenset[str]:
        """The labels every alert of this rule carries, besides its name and severity (which
        tell alerts apart rather than relate them)."""
        return (frozenset(self.output_labels) | {k for k, _ in self.labels}) - {"alertname", "severity"}

    def _extra(self, expected: bool) -> dict[str, str]:
        """The spec's literal annotations: escaped for Go's template engine in the rule, as they
        read once rendered in the promtool expectations."""
        return {k: v if expected else escape_text(v) for k, v in self.extra_annotations}

    def annotations(self) -> dict[str, str]:
        return {
            "summary": go_template(self.summary),
            "description": go_template(self.description),
            **self._links(),
            **self._extra(False),
        }

    def expected_annotations(self, labels: dict[str, str], value: float) -> dict[str, str]:
        return {
            "summary": expected_text(self.summary, labels, value),
            "description": expected_text(self.description, labels, value),
            **self._links(),
            **self._extra(True),
        }
