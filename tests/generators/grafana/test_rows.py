"""Each dashboard row function on its own: panels follow the spec's roles, record_by groups and enums."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mongen.dashboard_checks import dashboard_problems
from mongen.generators.grafana import dashboard, rows
from mongen.generators.grafana.queries import dashboard_variables
from mongen.model import Spec
from tests.support.spec_documents import Doc, spec_from, titles


def metric(doc: Doc, role: str) -> Doc:
    return next(m for m in doc["metrics"] if m.get("role") == role)


def drop_role(role: str) -> Callable[[Doc], None]:
    def change(doc: Doc) -> None:
        name = metric(doc, role)["name"]
        doc["metrics"] = [m for m in doc["metrics"] if m.get("role") != role]
        doc["alerts"] = [a for a in doc["alerts"] if a.get("metric") != name]
        doc["slos"] = [s for s in doc.get("slos", []) if name not in str(s)]

    return change


def rename_labels(renames: dict[str, str]) -> Callable[[Doc], None]:
    """Rename labels everywhere in the spec (keys and list items), the enum backing one too."""

    def rename(node: Any) -> Any:
        if isinstance(node, dict):
            return {renames.get(k, k): rename(v) for k, v in node.items()}
        if isinstance(node, list):
            return [rename(item) for item in node]
        return renames.get(node, node) if isinstance(node, str) else node

    def change(doc: Doc) -> None:
        for key in ("enums", "labels", "metrics", "slos", "alerts", "routing"):
            doc[key] = rename(doc[key])
        if "middleware" in doc:  # its route label is `endpoint` unless named
            doc["middleware"] = rename(doc["middleware"])
            doc["middleware"]["route_label"] = renames.get("endpoint", "endpoint")

    return change


@pytest.fixture(scope="module")
def emotivoice() -> Spec:
    return spec_from("specs/emotivoice.yaml")


# Traffic


def test_traffic_has_qps_by_each_recorded_group_and_each_enum_share(emotivoice: Spec) -> None:
    panels = rows.traffic(emotivoice)
    # The usage counter shows its shares only; its rate is the requests' QPS by emotion.
    assert titles(panels) == ["QPS by endpoint", "QPS by emotion", "Emotion share of requests", "Emotion share"]
    assert panels[0].queries[0].legend == "{{endpoint}}"
    assert panels[2].stacking == "percent" and panels[3].stacking == "percent"


def test_traffic_without_a_usage_counter_has_no_share_panel() -> None:
    traffic = rows.traffic(spec_from("specs/emotivoice.yaml", drop_role("emotion_usage")))
    assert titles(traffic) == ["QPS by endpoint", "QPS by emotion", "Emotion share of requests"]


def test_share_panels_only_for_labels_backed_by_an_enum() -> None:
    def usage_by_endpoint(doc: Doc) -> None:
        usage = metric(doc, "emotion_usage")
        usage["labels"] = ["endpoint"]
        usage["record_by"] = [[], ["endpoint"]]

    spec = spec_from("specs/emotivoice.yaml", usage_by_endpoint)
    assert titles(rows.traffic(spec)) == ["QPS by endpoint", "QPS by emotion", "Emotion share of requests"]


def test_qps_of_a_counter_recorded_for_the_whole_job_only_is_by_job() -> None:
    def whole_job_only(doc: Doc) -> None:
        metric(doc, "requests")["record_by"] = [[]]

    panel = rows.traffic(spec_from("specs/emotivoice.yaml", whole_job_only))[0]
    assert panel.title == "QPS"
    assert panel.queries[0].expr == 'job:emoti_voice_tts_requests:rate5m{job=~"$job"}'
    assert panel.queries[0].legend == "{{job}}"


# Errors


def test_errors_has_one_ratio_per_breakdown_label_with_its_own_alert_threshold(emotivoice: Spec) -> None:
    panels = rows.errors(emotivoice)
    assert titles(panels) == ["Error ratio by endpoint", "Error ratio by emotion"]
    assert panels[0].thresholds == ()  # no error-ratio alert by endpoint
    assert [t.value for t in panels[1].thresholds] == [0.3]


def test_other_breakdown_labels_get_variables_and_error_panels() -> None:
    def by_method_and_status(doc: Doc) -> None:
        requests = metric(doc, "requests")
        requests["record_by"] = [[], ["method"], ["status"], ["method", "endpoint"]]

    spec = spec_from("specs/emotivoice.yaml", by_method_and_status)
    assert titles(rows.errors(spec)) == ["Error ratio by method", "Error ratio by status"]
    # Every declared label a query keeps, in the spec's label order.
    assert [v.label for v in dashboard_variables(spec)] == ["emotion", "endpoint", "method", "status"]
    board = dashboard(spec)
    assert [v["name"] for v in board["templating"]["list"]][3:] == ["emotion", "endpoint", "method", "status"]
    exprs = [t["expr"] for p in board["panels"] for t in p.get("targets", [])]
    assert 'method:emoti_voice_tts_requests:error_ratio_rate5m{job=~"$job",method=~"$method"}' in exprs
    assert (
        'method_endpoint:emoti_voice_tts_requests:rate5m{job=~"$job",method=~"$method",endpoint=~"$endpoint"}' in exprs
    )
    assert dashboard_problems(board) == []


def test_no_errors_declared_gives_no_errors_row() -> None:
    def no_errors(doc: Doc) -> None:
        del metric(doc, "requests")["errors"]
        doc["alerts"] = [a for a in doc["alerts"] if a["kind"] != "error_ratio"]

    spec = spec_from("specs/emotivoice.yaml", no_errors)
    assert rows.errors(spec) == ()
    assert "Errors" not in [row.title for row in rows.dashboard_rows(spec)]


def test_renamed_labels_give_the_same_dashboard_under_the_new_names(emotivoice: Spec) -> None:
    renamed = spec_from("specs/emotivoice.yaml", rename_labels({"endpoint": "route", "emotion": "mood"}))

    def rename(title: str) -> str:
        return title.replace("endpoint", "route").replace("emotion", "mood").replace("Emotion", "Mood")

    before, after = dashboard(emotivoice), dashboard(renamed)
    assert [p["title"] for p in after["panels"]] == [rename(p["title"]) for p in before["panels"]]
    assert [v["name"] for v in after["templating"]["list"]][3:] == ["mood", "route", "method", "status"]
    assert [v["label"] for v in after["templating"]["list"]][3:] == ["Mood", "Route", "Method", "Status"]
    exprs = " ".join(t["expr"] for p in after["panels"] for t in p.get("targets", []))
    assert 'mood=~"$mood"' in exprs and 'route=~"$route"' in exprs and "$emotion" not in exprs


# Latency


def test_latency_has_quantiles_with_the_alert_threshold_heatmap_and_other_histograms(emotivoice: Spec) -> None:
    panels = rows.latency(emotivoice)
    assert titles(panels) == [
        "Latency P50/P95/P99",
        "Latency distribution (heatmap)",
        "Model inference time P50/P95/P99",
        "Model inference time distribution (heatmap)",
    ]
    assert [t.value for t in panels[0].thresholds] == [4.5]
    assert [q.legend for q in panels[0].queries] == ["P50 {{endpoint}}", "P95 {{endpoint}}", "P99 {{endpoint}}"]
    assert panels[1].kind == "heatmap" and panels[1].unit == "s"
    assert panels[3].kind == "heatmap"


def test_histograms_not_of_durations_are_distributions(emotivoice: Spec) -> None:
    panels = rows.distributions(emotivoice)
    assert titles(panels) == ["Input text length P50/P95/P99", "Input text length distribution (heatmap)"]
    assert panels[0].unit == "none"  # characters have no Grafana unit
    assert "120 characters" in panels[0].description


def test_a_quantile_alert_draws_its_threshold_on_the_panel_of_the_metric_it_watches() -> None:
    def inference_alert_first(doc: Doc) -> None:
        alert = {
            "name": "InferenceSlow",
            "kind": "latency_quantile",
            "metric": metric(doc, "inference_duration")["name"],
            "quantile": 0.99,
            "threshold": 2,
            "for": "5m",
            "severity": "ticket",
        }
        doc["alerts"].insert(0, alert)

    panels = {p.title: p for p in rows.latency(spec_from("specs/emotivoice.yaml", inference_alert_first))}
    assert [t.value for t in panels["Model inference time P50/P95/P99"].thresholds] == [2]
    assert [t.value for t in panels["Latency P50/P95/P99"].thresholds] == [4.5]


def test_no_request_duration_gives_no_latency_or_heatmap_panel() -> None:
    spec = spec_from("specs/emotivoice.yaml", drop_role("request_duration"))
    assert titles(rows.latency(spec)) == [
        "Model inference time P50/P95/P99",
        "Model inference time distribution (heatmap)",
    ]


# Saturation


def test_saturation_has_a_panel_per_gauge_role(emotivoice: Spec) -> None:
    panels = rows.saturation(emotivoice)
    assert titles(panels) == ["GPU memory", "Requests in flight"]
    assert panels[0].unit == "bytes"
    assert [q.expr for q in panels[0].queries] == [
        'job:emoti_voice_gpu_memory_usage_bytes:max{job=~"$job"}',
        'job:emoti_voice_gpu_memory_usage_bytes:avg{job=~"$job"}',
    ]


def test_no_gauges_give_no_saturation_row() -> None:
    spec = spec_from("specs/multi-slo.yaml")
    assert rows.saturation(spec) == ()
    assert [row.title for row in rows.dashboard_rows(spec)] == ["Traffic", "Errors", "Latency", "SLOs", "Instances"]


def test_a_gauge_alert_draws_its_threshold_on_the_gauge_panel(emotivoice: Spec) -> None:
    gpu = rows.saturation(emotivoice)[0]
    assert [(t.value, t.color) for t in gpu.thresholds] == [(22e9, "orange")]  # a ticket: orange, not red


# SLOs


def test_each_slo_gets_budget_and_burn_rate_with_its_page_and_ticket_factors(emotivoice: Spec) -> None:
    panels = rows.slos(emotivoice)
    assert titles(panels) == [
        "SLO availability: error budget remaining (30d)",
        "SLO availability: burn rate",
        "SLO latency: error budget remaining (30d)",
        "SLO latency: burn rate",
    ]
    # SRE workbook factors for 30 days: ticket 1 (3d slow), page 14.4 (1h quick).
    assert [(t.value, t.color) for t in panels[1].thresholds] == [(1.0, "orange"), (14.4, "red")]
    assert panels[1].queries[0].expr == 'slo:sli_error:ratio_rate1h{service="emotivoice",slo="availability"} / 0.001'


def test_no_slos_give_no_slo_row() -> None:
    def no_slos(doc: Doc) -> None:
        doc["slos"] = []

    assert rows.slos(spec_from("specs/multi-slo.yaml", no_slos)) == ()


# Instances


def test_instances_without_a_request_counter_show_targets_only() -> None:
    def no_requests(doc: Doc) -> None:
        drop_role("requests")(doc)
        # A request_duration role needs a requests role (spec rule): the histogram stays, unroled.
        del metric(doc, "request_duration")["role"]
        doc["slos"] = []

    spec = spec_from("specs/multi-slo.yaml", no_requests)
    assert titles(rows.instances(spec)) == ["Targets up"]
    # The unroled histogram is still recorded by route, so `route` stays a dropdown; `code` went
    # with the request counter.
    assert [v.label for v in dashboard_variables(spec)] == ["route"]
    board = dashboard(spec)
    assert [v["name"] for v in board["templating"]["list"]] == ["datasource", "job", "instance", "route"]
    assert dashboard_problems(board) == []


def test_instance_panels_filter_by_job_and_instance(emotivoice: Spec) -> None:
    up, qps = rows.instances(emotivoice)
    assert up.queries[0].expr == 'up{job=~"$job",instance=~"$instance"}'
    assert qps.queries[0].expr == (
        "max(sum by (instance) (rate(emoti_voice_tts_requests_total{"
        'job=~"$job",method=~"$method",endpoint=~"$endpoint",status=~"$status",emotion=~"$emotion",'
        'instance=~"$instance"}[5m])))'
    )


# Metrics without a role (specs/llm.yaml): each gets the panels of its type, titled by its name.


def test_every_metric_of_the_llm_spec_gets_the_panels_of_its_type() -> None:
    spec = spec_from("specs/llm.yaml")
    traffic = {p.title: p for p in rows.traffic(spec)}
    assert list(traffic) == [
        "QPS by model",
        "Model share of requests",
        "Generated tokens per second by model",
        "Model share of generated tokens",
    ]
    assert traffic["Generated tokens per second by model"].unit == "cps"
    assert titles(rows.latency(spec)) == [
        "Time to first token P50/P95/P99",
        "Time to first token distribution (heatmap)",
    ]
    assert rows.distributions(spec) == ()
    queue, gpu = rows.saturation(spec)
    assert (queue.title, gpu.title) == ("Queue depth", "GPU memory")
    assert [(t.value, t.color) for t in queue.thresholds] == [(50, "orange")]


def test_a_counter_with_errors_recorded_for_the_whole_job_gets_a_whole_job_error_ratio() -> None:
    def tokens_with_errors(doc: Doc) -> None:
        tokens = next(m for m in doc["metrics"] if m["name"] == "llm_generated_tokens_total")
        tokens["labels"] = ["model", "status"]
        tokens["errors"] = {"status": {"class": "5xx"}}
        tokens["record_by"] = [[]]

    panels = rows.errors(spec_from("specs/llm.yaml", tokens_with_errors))
    assert titles(panels) == ["Error ratio by model", "Generated tokens error ratio"]
    assert panels[1].queries[0].expr == 'job:llm_generated_tokens:error_ratio_rate5m{job=~"$job"}'


def test_alerts_of_both_severities_draw_both_lines_in_ascending_order() -> None:
    def second_queue_alert(doc: Doc) -> None:
        page = {**next(a for a in doc["alerts"] if a["name"] == "LlmQueueDepthHigh")}
        doc["alerts"].insert(0, {**page, "name": "LlmQueueDepthCritical", "threshold": 200, "severity": "page"})

    queue = rows.saturation(spec_from("specs/llm.yaml", second_queue_alert))[0]
    assert [(t.value, t.color) for t in queue.thresholds] == [(50, "orange"), (200, "red")]
