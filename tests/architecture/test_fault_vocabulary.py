"""One fault vocabulary (mongen/faults.py): the alert kinds return it, verify's phases carry the very
same values, and the simulated service takes them as JSON, without a second set of fault classes
or a translation between them."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from mongen import faults
from mongen.faults import (
    FAULT_TYPES,
    ExporterReadings,
    Fault,
    FrameBufferFull,
    GaugeLevel,
    Reading,
    ServerErrors,
    SlowRequests,
    TargetGone,
    from_json,
    to_json,
)
from mongen.loading import load_spec
from mongen.verify.alert_faults import alert_faults, driven
from mongen.verify.phases import plan_phases
from mongen.verify.service import FaultModel
from tests.support import ROOT

PACKAGE = ROOT / "mongen"
SPECS = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "specs").glob("*.yaml"))
EXAMPLES: tuple[Fault, ...] = (
    ServerErrors("r_total", (("route", "/a,b=c"),), 0.5, (("route", "/a,b=c"),)),
    SlowRequests("h_seconds", 4.5, 0.25),
    GaugeLevel("g_bytes", -1.0, above=False),
    TargetGone("m_total"),
    FrameBufferFull(0.95, "1"),
    ExporterReadings("vllm", "queue", (Reading("s", (("gpu", "1"),), 3.0, 0.5),), (("gpu", "1"),)),
    ExporterReadings("vllm", "down", None),
)


def _round_trip(fault: Fault) -> Fault:
    return from_json(json.loads(json.dumps(to_json(fault))))


def test_the_examples_cover_every_fault_type() -> None:
    assert {type(f).__name__ for f in EXAMPLES} == set(FAULT_TYPES)


@pytest.mark.parametrize("fault", EXAMPLES, ids=lambda f: type(f).__name__)
def test_every_fault_round_trips_through_json_field_by_field(fault: Fault) -> None:
    back = _round_trip(fault)
    # Fields left out of equality (a counter's name, the labels an alert fires with) too.
    assert type(back) is type(fault) and vars(back) == vars(fault)


@pytest.mark.parametrize("spec_path", SPECS)
def test_phases_carry_the_kinds_faults_and_the_service_takes_them_as_json(spec_path: str) -> None:
    spec = load_spec(spec_path)
    wanted = driven(alert_faults(spec))
    plan = plan_phases(spec, alert_faults(spec))
    for phase in plan.phases:
        assert isinstance(phase.fault, tuple(FAULT_TYPES.values())), phase.name
        for expected in phase.fires:
            if expected.name in wanted:  # an alert's own phase: its kind's fault, not a translation of it
                assert phase.fault == wanted[expected.name] and type(phase.fault) is type(wanted[expected.name])
        if isinstance(phase.fault, ServerErrors | SlowRequests | GaugeLevel):
            model = FaultModel()
            model.update({"faults": [to_json(phase.fault)]})  # the body ServiceProcess posts
            held = _held(model, phase.fault)
            assert to_json(held) == to_json(phase.fault)


def _held(model: FaultModel, fault: ServerErrors | SlowRequests | GaugeLevel) -> Fault:
    if isinstance(fault, ServerErrors):
        (held,) = model.errors
        return held
    return model.slow[fault.metric] if isinstance(fault, SlowRequests) else model.gauges[fault.metric]


def _classes(tree: ast.AST) -> list[str]:
    return [node.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]


def test_no_module_but_the_vocabulary_defines_a_fault() -> None:
    """No second set: a class named as a fault of the vocabulary (or as one of the set verify once
    kept beside it), or a `Fault` type, is defined in mongen/faults.py only."""
    names = {*FAULT_TYPES, "CannotDrive", "Outage", "SlowResponses", "LatencyShift", "SeriesGone", "FrameBufferShare"}
    elsewhere = []
    for file in sorted(PACKAGE.rglob("*.py")):
        if file == Path(faults.__file__):
            continue
        tree = ast.parse(file.read_text("utf-8"))
        aliases = {
            t.id
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign)
            for t in node.targets
            if isinstance(t, ast.Name) and isinstance(node.value, ast.BinOp)  # `Fault = A | B | ...`
        }
        defined = {*_classes(tree), *aliases} & (names | {"Fault"})
        elsewhere += [f"{file.relative_to(ROOT)}: {name}" for name in sorted(defined)]
    assert elsewhere == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "expected objects"),
        ({"fault": "Meltdown"}, "unknown fault 'Meltdown'"),
        ({"fault": "SlowRequests", "metric": "h"}, "SlowRequests needs `threshold`"),
        ({"fault": "GaugeLevel", "metric": "g", "threshold": 1, "above": "yes"}, r"GaugeLevel.above: expected true"),
        ({"fault": "ServerErrors", "metric": "r", "match": "route=/a", "share": 1}, r"ServerErrors.match: expected \["),
    ],
)
def test_a_malformed_fault_says_what_is_wrong(data: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        from_json(data)
