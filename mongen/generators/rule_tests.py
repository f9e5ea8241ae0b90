"""promtool unit tests: every alert fires and stays quiet; recording rules give known values."""

from __future__ import annotations

from typing import Any

from mongen import layout
from mongen.alerting import AlertCase, alert_rules
from mongen.layout import RuleFileKind
from mongen.model import Spec
from mongen.recording_tests import recording_tests
from mongen.serialize import to_yaml
from mongen.units import format_duration


def _file(spec: Spec, kind: str, tests: list[dict[str, Any]], rule_kinds: tuple[RuleFileKind, ...]) -> tuple[str, str]:
    path = layout.rule_test_file(spec.service, kind)
    paths = layout.rule_files(spec.service)
    rule_files = [layout.relative(paths[k], path) for k in rule_kinds]
    doc = {
        "rule_files": rule_files,
        "evaluation_interval": format_duration(spec.scrape.evaluation_interval),
        "tests": tests,
    }
    return path, to_yaml(doc, spec.source)


def _cases(cases: list[AlertCase]) -> list[dict[str, Any]]:
    return [case.to_test() for case in cases]


def generate(spec: Spec) -> dict[str, str]:
    _, cases, _, slo_cases = alert_rules(spec)
    every = layout.RULE_FILE_KINDS
    files = dict([_file(spec, "alerts", _cases(cases), every), _file(spec, "recording", recording_tests(spec), every)])
    # SLO tests span hours of samples: one file per SLO lets validation run them in
    # parallel, and leaving out the per-metric recording group (SLO rules never read it)
    # keeps each `promtool test rules` run short.
    for slo in spec.slos:
        mine = [c for c in slo_cases if dict(c.alert.labels).get("slo") == slo.name]
        files.update([_file(spec, f"slo-{slo.name}", _cases(mine), ("slos", "alerts"))])
    return files
