"""Raw-PromQL SLIs (`sli: {events: {error_query, total_query}}`, Sloth's `events`): the queries
are checked against the spec, recorded per window like the built-in SLIs, and the promtool cases
feed the series the queries read."""

from __future__ import annotations

from pathlib import Path

import pytest

from mongen.loading import load_spec
from mongen.pipeline import generate
from mongen.rules.ruleset import rule_set
from mongen.rules.slo import sli_error_expr
from mongen.synth.slo_events import EventsInputs, events_shape

LLM = Path("specs/llm.yaml").read_text()
# The llm showcase's availability SLO again, written as raw PromQL: 5xx over all requests.
EVENTS = """  - name: availability_events
    description: The same availability, written as Sloth writes it.
    objective: 99.5
    sli:
      events:
        error_query: sum(rate(llm_requests_total{status=~"5.."}[{{ .window }}]))
        total_query: sum(rate(llm_requests_total[{{.window}}]))
"""


@pytest.fixture
def spec_path(tmp_path: Path) -> Path:
    path = tmp_path / "events.yaml"
    path.write_text(LLM.replace("  - name: ttft\n", EVENTS + "  - name: ttft\n"))
    return path


def test_the_sli_is_recorded_for_every_window_with_the_window_in_place(spec_path: Path) -> None:
    spec = load_spec(spec_path)
    slo = next(s for s in spec.slos if s.name == "availability_events")
    assert slo.kind == "events"
    assert slo.error_query == 'sum(rate(llm_requests_total{status=~"5.."}[{{.window}}]))'  # spaces normalized
    assert sli_error_expr(spec, slo, 21600) == (
        '(sum(rate(llm_requests_total{status=~"5.."}[6h])))\n/\n(sum(rate(llm_requests_total[6h])))'
    )
    records = [r.record for g in rule_set(spec).slo_groups if "availability_events" in g.name for r in g.rules]
    assert records[:7] == [
        "slo:sli_error:ratio_rate5m",
        "slo:sli_error:ratio_rate30m",
        "slo:sli_error:ratio_rate1h",
        "slo:sli_error:ratio_rate2h",
        "slo:sli_error:ratio_rate6h",
        "slo:sli_error:ratio_rate1d",
        "slo:sli_error:ratio_rate3d",
    ]


def test_burn_rate_tiers_and_promtool_cases_as_for_a_ratio_sli(spec_path: Path, tmp_path: Path) -> None:
    spec = load_spec(spec_path)
    rules = rule_set(spec)
    events = {r.name: r for r in rules.slo_alerts if dict(r.labels)["slo"] == "availability_events"}
    ratio = [r for r in rules.slo_alerts if dict(r.labels)["slo"] == "availability"]
    assert len(events) == 2 and len([r for r in rules.slo_alerts if r.name in events]) == len(ratio)
    cases = [c for c in rules.slo_cases if c.alert.name in events]
    assert len(cases) == 8 and {c.firing for c in cases} == {True, False}
    inputs = {s.split("{")[0] for c in cases for s, _ in c.series}
    assert inputs == {"llm_requests_total"}
    result = generate(str(spec_path), tmp_path / "out", validate=True)  # promtool test rules runs the cases
    assert result.written, [str(f) for f in result.findings]


def test_sloth_shaped_queries_get_inputs_that_fail_and_pass() -> None:
    shape = events_shape(
        'sum(rate(http_request_duration_seconds_count{job="myservice",code=~"(5..|429)"}[{{.window}}]))',
        'sum(rate(http_request_duration_seconds_count{job="myservice"}[{{.window}}]))',
    )
    assert shape == EventsInputs(
        "http_request_duration_seconds_count",
        {"job": "myservice", "code": "500"},
        {"job": "myservice", "code": "200"},
    )


def test_queries_mongen_cannot_feed_are_refused() -> None:
    two = events_shape(
        "sum(rate(a_total[{{.window}}])) + sum(rate(b_total[{{.window}}]))", "sum(rate(a_total[{{.window}}]))"
    )
    assert isinstance(two, str) and "the error query reads 2 series" in two
    nothing_fails = events_shape(
        'sum(rate(a_total{code=~"[a-z]{40}"}[{{.window}}]))', "sum(rate(a_total[{{.window}}]))"
    )
    assert isinstance(nothing_fails, str) and "no label values" in nothing_fails
