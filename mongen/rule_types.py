"""The rules mongen generates, as data: recording rules and groups, alerting rules."""

from __future__ import annotations

from dataclasses import dataclass

from mongen.annotations import Annotation, expected_text, go_template


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

    def _links(self) -> dict[str, str]:
        links = {"runbook_url": self.runbook_url}
        if self.dashboard_url:
            links["dashboard_url"] = self.dashboard_url
        return links

    def annotations(self) -> dict[str, str]:
        return {"summary": go_template(self.summary), "description": go_template(self.description), **self._links()}

    def expected_annotations(self, labels: dict[str, str], value: float) -> dict[str, str]:
        return {
            "summary": expected_text(self.summary, labels, value),
            "description": expected_text(self.description, labels, value),
            **self._links(),
        }
