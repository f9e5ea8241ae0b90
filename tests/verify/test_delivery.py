"""verify's delivery expectations, computed from the spec (mongen.verify.delivery), the null
receiver kept a black hole in the run's Alertmanager config, SLOs verify cannot burn, and the
report a person reads. No servers: the e2e runs are in tests/e2e/test_verify.py and
tests/e2e/test_verify_sabotage.py."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import yaml

from mongen import layout
from mongen.generators.alertmanager import NULL_RECEIVER
from mongen.loading import load_spec
from mongen.model import Spec
from mongen.pipeline import render
from mongen.verify.alert_faults import alert_faults
from mongen.verify.configs import alertmanager_config
from mongen.verify.delivery import inhibitor, routing_of
from mongen.verify.phases import PhasePlan, plan_phases
from mongen.verify.report import DeliveryRow, VerifyReport

PAGE = "EmotivoiceAvailabilityErrorBudgetBurnPage"
TICKET = "EmotivoiceAvailabilityErrorBudgetBurnTicket"
OTHER_TICKET = "EmotivoiceLatencyErrorBudgetBurnTicket"


def _plan(spec: Spec) -> PhasePlan:
    return plan_phases(spec, alert_faults(spec))


def test_receivers_come_from_the_spec_routing(default_spec: Spec) -> None:
    routed = routing_of(default_spec)
    assert routed[PAGE].receivers == ("oncall-dingtalk", "oncall-wecom")
    assert (routed[PAGE].slo, routed[PAGE].tier, routed[PAGE].via) == ("availability", "page", "the page route")
    assert routed[TICKET].receivers == ("sre-email",)
    assert routed["EmotivoiceGpuMemoryHigh"].receivers == ("sre-email",)


def test_a_severity_without_route_or_default_receiver_reaches_no_one(default_spec: Spec) -> None:
    routing = dataclasses.replace(
        default_spec.routing,
        routes=tuple(r for r in default_spec.routing.routes if r[0] != "ticket"),
        default_receiver=None,
    )
    routed = routing_of(dataclasses.replace(default_spec, routing=routing))
    assert (routed[TICKET].receivers, routed[TICKET].via) == ((), "no route")


def test_an_slo_page_inhibits_its_own_ticket_only(default_spec: Spec) -> None:
    routed = routing_of(default_spec)
    assert inhibitor(default_spec, routed, TICKET, {PAGE, TICKET}) == PAGE
    assert inhibitor(default_spec, routed, OTHER_TICKET, {PAGE, OTHER_TICKET}) is None
    # A threshold page inhibits nothing the spec does not name.
    firing = {"EmotivoiceTargetDown", "EmotivoiceMetricsAbsent", "EmotivoiceP95LatencyHigh"}
    assert inhibitor(default_spec, routed, "EmotivoiceMetricsAbsent", firing) is None
    assert inhibitor(default_spec, routed, "EmotivoiceGpuMemoryHigh", firing | {"EmotivoiceGpuMemoryHigh"}) is None


def test_declared_inhibition_is_honoured(default_spec: Spec) -> None:
    alerts = tuple(
        dataclasses.replace(a, inhibits=("EmotivoiceMetricsAbsent",)) if a.kind == "target_down" else a
        for a in default_spec.alerts
    )
    spec = dataclasses.replace(default_spec, alerts=alerts)
    firing = {"EmotivoiceTargetDown", "EmotivoiceMetricsAbsent"}
    assert inhibitor(spec, routing_of(spec), "EmotivoiceMetricsAbsent", firing) == "EmotivoiceTargetDown"


def test_the_null_receiver_stays_a_black_hole(default_spec: Spec, tmp_path: Path) -> None:
    spec = dataclasses.replace(default_spec, routing=dataclasses.replace(default_spec.routing, default_receiver=None))
    (tmp_path / "alertmanager").mkdir()
    (tmp_path / "verify").mkdir()
    (tmp_path / layout.ALERTMANAGER_CONFIG).write_text(render(spec)[layout.ALERTMANAGER_CONFIG])
    report = VerifyReport()
    config = yaml.safe_load(alertmanager_config(tmp_path, lambda name: f"http://sink/{name}", report).read_text())
    receivers = {r["name"]: r for r in config["receivers"]}
    assert receivers[NULL_RECEIVER] == {"name": NULL_RECEIVER}
    assert receivers["sre-email"]["webhook_configs"][0]["url"] == "http://sink/sre-email"
    assert NULL_RECEIVER not in report.substitutions[-1].change


def test_an_slo_verify_cannot_burn_fails_unless_the_spec_says_so(default_spec: Spec) -> None:
    metric = "emoti_voice_tts_requests_total"
    slos = tuple(
        dataclasses.replace(s, errors=tuple(dataclasses.replace(m, values=("500",)) for m in s.errors))
        if s.metric == metric
        else s
        for s in default_spec.slos
    )
    plan = _plan(dataclasses.replace(default_spec, slos=slos))
    assert plan.unexcused == (PAGE, TICKET)
    assert "does not count every value a failed simulated request records (500, 503, 5xx)" in dict(plan.undriven)[PAGE]
    excused = tuple(dataclasses.replace(s, drivable=False) if s.metric == metric else s for s in slos)
    plan = _plan(dataclasses.replace(default_spec, slos=excused))
    assert plan.unexcused == ()
    assert dict(plan.undriven)[TICKET] == "SLO `availability`: the spec marks it not drivable (`verify: false`)"
    report = VerifyReport()
    report.conclude([PAGE], dict(_plan(dataclasses.replace(default_spec, slos=slos)).undriven), (PAGE,))
    assert not report.passed


def _report() -> VerifyReport:
    report = VerifyReport()
    for i in range(120):
        report.expect("healthy", f"rule r{i}", "returns a finite value", True, group="queries")
    report.expect("healthy", "all alerts", "none firing", True, group="unexpected")
    report.expect("angry-errors", "A", "fires", True, group="fires")
    report.expect("angry-errors", "A", "reaches x via the page route", True, group="delivery")
    report.expect("angry-errors", "B", "fires only when expected", True, "carried over from slow", group="carried")
    report.expect("angry-errors", "C", "fires only when expected", False, "fires unexpectedly", group="unexpected")
    report.deliveries.append(DeliveryRow("angry-errors", "A", "required", ["x"], ["x"]))
    return report


def test_the_text_report_is_one_line_per_phase_with_failures_in_full() -> None:
    text = _report().to_text()
    assert "healthy:      120 queries with a finite value, 0 unexpected" in text
    assert "angry-errors: 1 fired as expected, 1 delivery as expected, 1 carried over, 1 unexpected" in text
    assert "FAIL  [angry-errors] C: fires only when expected (fires unexpectedly)" in text
    assert "PASS" not in text and len(text.splitlines()) < 10
    verbose = _report().to_text(verbose=True)
    assert verbose.count("PASS") == 124


def test_the_json_report_keeps_the_delivery_matrix() -> None:
    assert '"delivery_matrix": [\n    {\n      "alert": "A",\n      "expected": [\n        "x"' in _report().to_json()


def test_the_default_spec_drives_every_slo_alert() -> None:
    plan = _plan(load_spec("specs/emotivoice.yaml"))
    driven = {e.name for p in plan.phases for e in p.fires}
    assert {PAGE, TICKET, "EmotivoiceLatencyErrorBudgetBurnPage", OTHER_TICKET} <= driven
