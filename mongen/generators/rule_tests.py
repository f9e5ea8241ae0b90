"""promtool unit tests: every alert fires and stays quiet; recording rules give known values."""

from __future__ import annotations

from typing import Any

from mongen import layout
from mongen.generators.rules import rule_groups
from mongen.layout import RuleFileKind
from mongen.model import Spec
from mongen.rules.naming import SLO_NAME_LABEL
from mongen.rules.recording_cases import RECORDING_TEST_INTERVAL, recording_tests
from mongen.rules.ruleset import rule_set
from mongen.rules.slo_cases import EVALUATION_INTERVAL
from mongen.serialize import to_yaml
from mongen.synth.cases import AlertCase
from mongen.units import format_duration


def _file(
    spec: Spec,
    name: str,
    tests: list[dict[str, Any]],
    rule_kinds: tuple[RuleFileKind, ...],
    interval: int,
    group_order: list[str] | None = None,
) -> tuple[str, str]:
    path = layout.rule_test_file(spec.service, name)
    paths = layout.rule_files(spec.service)
    doc: dict[str, Any] = {
        "rule_files": [layout.relative(paths[k], path) for k in rule_kinds],
        "evaluation_interval": format_duration(interval),
    }
    if group_order:
        doc["group_eval_order"] = group_order
    doc["tests"] = tests
    return path, to_yaml(doc, spec.source)


def _tests(cases: tuple[AlertCase, ...]) -> list[dict[str, Any]]:
    return [case.to_test() for case in cases]


def _slo_group_order(spec: Spec) -> list[str]:
    """SLO tests are evaluated every 30 minutes, so each evaluation must see the SLI ratios of that
    same instant: the SLO groups first, then the alerts (promtool's order is otherwise random)."""
    rules = rule_groups(spec)
    return [group["name"] for group in (*rules["slos"], *rules["alerts"])]


def generate(spec: Spec) -> dict[str, str]:
    rules = rule_set(spec)
    files = dict(
        [
            # The spec's alerts read the per-metric recording rules only; evaluated as often as
            # Prometheus evaluates them, so each `for` runs out when it would in production.
            _file(spec, "alerts", _tests(rules.alert_cases), ("recording", "alerts"), spec.scrape.evaluation_interval),
            # Recording rules have no `for`: their values at the evaluation time do not depend on
            # how often they were evaluated before it.
            _file(spec, "recording", recording_tests(spec), layout.RULE_FILE_KINDS, RECORDING_TEST_INTERVAL),
        ]
    )
    # One file per SLO lets validation run them in parallel; they leave out the per-metric
    # recording group (SLO rules never read it). Burn-rate alerts have no `for`, so their cases
    # run at the coarse EVALUATION_INTERVAL on inputs sized to the window pair they test.
    for slo in spec.slos:
        mine = tuple(c for c in rules.slo_cases if dict(c.alert.labels).get(SLO_NAME_LABEL) == slo.name)
        files.update(
            [
                _file(
                    spec,
                    f"slo-{slo.name}",
                    _tests(mine),
                    ("slos", "alerts"),
                    EVALUATION_INTERVAL,
                    _slo_group_order(spec),
                )
            ]
        )
    return files
