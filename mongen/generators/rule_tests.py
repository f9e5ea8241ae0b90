"""promtool unit tests: every alert fires and stays quiet; recording rules give known values."""

from __future__ import annotations

from typing import Any

from mongen import layout
from mongen.layout import RuleFileKind
from mongen.model import Spec
from mongen.rules.naming import SLO_NAME_LABEL
from mongen.rules.ruleset import rule_set
from mongen.serialize import to_yaml
from mongen.synth.cases import AlertCase
from mongen.synth.recording_cases import recording_tests
from mongen.units import format_duration


def _file(spec: Spec, name: str, tests: list[dict[str, Any]], rule_kinds: tuple[RuleFileKind, ...]) -> tuple[str, str]:
    path = layout.rule_test_file(spec.service, name)
    paths = layout.rule_files(spec.service)
    doc = {
        "rule_files": [layout.relative(paths[k], path) for k in rule_kinds],
        "evaluation_interval": format_duration(spec.scrape.evaluation_interval),
        "tests": tests,
    }
    return path, to_yaml(doc, spec.source)


def _tests(cases: tuple[AlertCase, ...]) -> list[dict[str, Any]]:
    return [case.to_test() for case in cases]


def generate(spec: Spec) -> dict[str, str]:
    rules = rule_set(spec)
    every = layout.RULE_FILE_KINDS
    files = dict(
        [
            _file(spec, "alerts", _tests(rules.alert_cases), every),
            _file(spec, "recording", recording_tests(spec), every),
        ]
    )
    # SLO tests span hours of samples: one file per SLO lets validation run them in
    # parallel, and leaving out the per-metric recording group (SLO rules never read it)
    # keeps each `promtool test rules` run short.
    for slo in spec.slos:
        mine = tuple(c for c in rules.slo_cases if dict(c.alert.labels).get(SLO_NAME_LABEL) == slo.name)
        files.update([_file(spec, f"slo-{slo.name}", _tests(mine), ("slos", "alerts"))])
    return files
