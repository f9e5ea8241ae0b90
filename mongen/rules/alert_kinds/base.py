"""What an alert kind is: one class that owns its spec checks, its rule, its promtool cases and how
`mongen verify` makes it fire. Each kind lives in its own module and is registered in __init__.py.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, ClassVar, Protocol

from mongen import layout
from mongen.annotations import LabelRef, Part
from mongen.errors import YamlPath
from mongen.faults import CannotDrive, Fault
from mongen.model import Alert, Matcher, Metric, MetricType, Spec
from mongen.promql import matcher_text
from mongen.rule_types import AlertRule
from mongen.rules import naming
from mongen.synth.cases import AlertCase

if TYPE_CHECKING:
    from mongen.rules.alert_kinds import AlertKindName

# Fields every alert has; a kind lists the others it uses in `fields`, and the spec is rejected
# when it sets one the kind would ignore (a `window` on a gauge alert changes nothing).
COMMON_FIELDS = frozenset({"name", "kind", "severity", "for", "description", "inhibits"})


class IssueSink(Protocol):
    """Where a kind reports what is wrong with an alert in the spec (the spec builder)."""

    def fail(self, path: YamlPath, message: str) -> None: ...


class AlertKind(ABC):
    name: ClassVar[AlertKindName]
    # The metric types an alert of this kind may watch; () when it watches no metric of the spec.
    metric_types: ClassVar[tuple[MetricType, ...]] = ()
    # Fields besides COMMON_FIELDS that this kind uses; `required` of them must be present.
    fields: ClassVar[frozenset[str]] = frozenset()
    required: ClassVar[tuple[str, ...]] = ()
    # Whether verify checks that this alert stays quiet while another alert's fault is injected.
    guarded: ClassVar[bool] = True
    # The rule reads series the spec may not declare (external ones): lint checks the rule against
    # the spec when it is built, and `lint_hint` tells the author what to add.
    reads_external: ClassVar[bool] = False
    lint_hint: ClassVar[str] = ""
    # Whether a spec may name the kind in `alerts` (a preset's alerts come from its exporter job).
    spec_kind: ClassVar[bool] = True

    def check(  # noqa: B027 - a hook: kinds with nothing to add inherit it
        self, spec_issues: IssueSink, alert: Alert, path: YamlPath, metric: Metric | None
    ) -> None:
        """Kind-specific spec checks, after the common ones (fields, metric type, labels) passed."""

    @abstractmethod
    def rule(self, spec: Spec, alert: Alert) -> AlertRule: ...

    @abstractmethod
    def cases(self, spec: Spec, alert: Alert, rule: AlertRule) -> list[AlertCase]:
        """promtool cases: at least one that makes the alert fire with exact labels and
        annotations, and one that keeps it quiet."""

    def first_checks(self, spec: Spec, alert: Alert) -> tuple[str, ...]:
        """What the on-call engineer looks at first when the alert fires (its runbook's list)."""
        return ()

    def fault(self, spec: Spec, alert: Alert) -> Fault | CannotDrive:
        """What verify injects into the simulated service to make this alert fire, or why it
        cannot (reported per alert, never skipped)."""
        return CannotDrive(f"alert kind `{self.name}` declares no fault verify can inject")

    def cannot_drive(self, spec: Spec, alert: Alert) -> str | None:
        """Why neither the promtool cases nor verify can make this alert fire; None when they can."""
        return None


# --- helpers the kinds share -------------------------------------------------------------------


def common_labels(spec: Spec, alert: Alert) -> tuple[tuple[str, str], ...]:
    return (("service", spec.service), ("severity", alert.severity))


def runbook_url(spec: Spec, name: str) -> str:
    """`<runbook_base>/<Alert>` where the team keeps its own runbooks; else the page `mongen
    generate` writes, at `runbooks_url` (the spec's or the project config's) where the spec or
    the project says where it is served, else as a path relative to the output directory."""
    if spec.runbook_base:
        return f"{spec.runbook_base}/{name}"
    page = layout.runbook(name)
    return f"{spec.runbooks_url}/{page.removeprefix(layout.RUNBOOKS_DIR + '/')}" if spec.runbooks_url else page


def dashboard_url(spec: Spec) -> str | None:
    return f"{spec.grafana_url}/d/{naming.dashboard_uid(spec)}" if spec.grafana_url else None


def where_filter(alert: Alert) -> str:
    """`{label="v",...}` for the alert's `where`, or "" (a selector suffix on a recorded series)."""
    return "{" + ",".join(matcher_text(m) for m in alert.where) + "}" if alert.where else ""


def by_parts(alert: Alert) -> tuple[Part, ...]:
    """` (endpoint <value>)` for each label the alert groups by."""
    parts: tuple[Part, ...] = ()
    for label in alert.by:
        parts += (f" ({label} ", LabelRef(label), ")")
    return parts


def extra_description(alert: Alert) -> tuple[Part, ...]:
    return (" " + alert.description,) if alert.description else ()


def check_where_in_by(spec_issues: IssueSink, path: YamlPath, where: tuple[Matcher, ...], by: tuple[str, ...]) -> None:
    """Alerts that read a recording rule which keeps only `job` and `by` cannot filter on other labels."""
    for m in where:
        if m.label not in by:
            spec_issues.fail(
                (*path, "where", m.label),
                f"`where` filters on `{m.label}`, which is not in `by` ({', '.join(by) or 'none'}); "
                "the recorded series this alert reads has no such label, so it could never fire",
            )
